import Foundation
import TestSupport
import XCTest

/// `e` under tmux: the built binary writes its export folder into `--export-dir` and the
/// footer names it; the files are checked once the footer says so (no sleeps).
extension TmuxEndToEndTests {
  func testEExportsTheViewAndTheFooterSaysWhere() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-e2e-export-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try start("export", arguments: "--data demo-data --user 1239 --step 25 --export-dir \(folder)")
    var screen = try waitForFrame("export", "the first frame") { $0.step == 25 }
    try keys("export", "e")
    screen = try waitForFrame("export", "the export message in the footer") { ($0.rows.last ?? "").contains("exported") }
    let made = try FileManager.default.contentsOfDirectory(atPath: folder)
    XCTAssertEqual(made.count, 1, "\(made)")
    let name = try XCTUnwrap(made.first)
    XCTAssertTrue(name.hasPrefix("timirec-export-u1239-t25-"), name)
    XCTAssertTrue(try XCTUnwrap(screen.rows.last).contains(name), screen.text)
    let export = (folder as NSString).appendingPathComponent(name)
    XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: export)), ["view.json", "vectors.tsv", "metadata.tsv"])
    let view = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: export + "/view.json")))
      as? [String: Any])
    XCTAssertEqual(view["user"] as? Int, 1239)
    XCTAssertEqual(view["step"] as? Int, 25)
    let metadata = try String(contentsOfFile: export + "/metadata.tsv", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(metadata.first, "id\ttitle\tcategory\tkind")
    XCTAssertEqual(metadata.count, 1 + 2400 + 2)
    XCTAssertTrue(metadata.last?.hasPrefix("interest-2\t") ?? false)

    try keys("export", "q")
    try assertExitedAndRestored("export", code: 0)
  }

  /// `e` into a folder where nothing can be created (Linux's /proc) at 80 and 100 columns: the
  /// footer shows the reason whole, not a path cut at the screen's edge.
  func testAFailedExportsFooterShowsTheReason() throws {
    try XCTSkipUnless(FileManager.default.fileExists(atPath: "/proc/self"), "needs Linux's /proc")
    for columns in [80, 100] {
      let session = "exportfail\(columns)"
      try start(session, arguments: "--data demo-data --user 1239 --step 25 --export-dir /proc", columns: columns, rows: 24)
      _ = try waitForFrame(session, "the first frame") { $0.step == 25 }
      try keys(session, "e")
      let screen = try waitForFrame(session, "the failure in the footer") { ($0.rows.last ?? "").contains("export failed") }
      let footer = try XCTUnwrap(screen.rows.last).trimmingCharacters(in: .whitespaces)
      XCTAssertTrue(footer.contains("No such file or directory"), "\(columns) columns: \(footer)")
      XCTAssertTrue(footer.contains("/timirec-export-u1239-t25-"), "\(columns) columns: \(footer)")
      try keys(session, "q")
      try assertExitedAndRestored(session, code: 0)
    }
  }
}
