// `timirec analyze js` end to end on tiny data: the JSON's histogram covers every row, the
// table and plot print, the PNG is written; a pretrain checkpoint as --ckpt is refused.
import Foundation
import XCTest

final class AnalyzeCommandTests: CLITestCase {
  static let tinyModel = ["--emb-size", "8", "--K", "2", "--history-max", "5", "--batch-size", "8", "--threads", "1"]

  func testJSHistogramCoversEveryRowAndWritesThePNG() throws {
    let data = try prepareSequences("c", ["1 1 2 3 4 5", "2 2 3 4 5 6", "3 7 8 9 10 11", "4 8 9 10 11 12",
                                          "5 1 3 5 7 9 11", "6 2 4 6 8 10 12"], negatives: 3)
    let pre = path("runs/pre"), fine = path("runs/fine")
    for arguments in [["--out", pre, "--stage", "pretrain"], ["--out", fine, "--stage", "finetune", "--init", pre, "--temp", "0.5"]] {
      let train = try Timirec.run(["train", "--data", data, "--epochs", "1"] + arguments + Self.tinyModel)
      XCTAssertEqual(train.exitCode, 0, train.transcript)
    }
    let png = path("figures/js.png")
    let json = try timirec("analyze", "js", "--data", data, "--ckpt", fine, "--comirec", pre, "--bins", "5", "--max", "1",
                           "--png", png, "--json", "--threads", "1")
    XCTAssertEqual(json.exitCode, 0, json.transcript)
    let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.transcript)
    XCTAssertEqual(report["rows"] as? Int, 6)
    XCTAssertEqual(report["temperature"] as? Double, 0.5)
    XCTAssertEqual(report["bin_edges"] as? [Double], [0, 0.2, 0.4, 0.6, 0.8, 1])
    let models = try XCTUnwrap(report["models"] as? [String: [String: Any]])
    XCTAssertEqual(Set(models.keys), ["TiMiRec", "ComiRec"])
    for (name, model) in models {
      let counts = try XCTUnwrap(model["counts"] as? [Int], name)
      XCTAssertEqual(counts.count, 5, name)
      XCTAssertEqual(counts.reduce(0, +) + (model["undefined"] as? Int ?? -1), 6, name)
      let mean = try XCTUnwrap(model["mean"] as? Double, name)
      XCTAssertTrue((0...1).contains(mean), name)
    }
    let image = try Data(contentsOf: URL(fileURLWithPath: png))
    XCTAssertEqual(Array(image.prefix(4)), [0x89, 0x50, 0x4E, 0x47])

    let table = try timirec("analyze", "js", "--data", data, "--ckpt", fine, "--bins", "4", "--max", "1", "--threads", "1")
    XCTAssertEqual(table.exitCode, 0, table.transcript)
    XCTAssertTrue(table.stdout.contains("\n  0.75–1 "), table.transcript)
    XCTAssertTrue(table.stdout.contains("\n  0–0.25 "), table.transcript)
    XCTAssertTrue(table.stdout.contains("ComiRec: best match on \(fine)"), table.transcript)
    XCTAssertTrue(table.stdout.contains("     * TiMiRec\n     o ComiRec\n"), table.transcript)

    let refused = try timirec("analyze", "js", "--data", data, "--ckpt", pre, "--threads", "1")
    assertOneLineError(refused, location: pre, says: "give --ckpt a finetune (TiMiRec) checkpoint")
  }
}
