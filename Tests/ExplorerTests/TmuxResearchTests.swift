import Foundation
import SeqRec
import Tensor
import TestSupport
import XCTest

/// Issue 14 under tmux (the helpers and their no-sleep waits are TmuxEndToEndTests'): the
/// timeline's ▲ follows → and `explore --compare` shows both models.
extension TmuxEndToEndTests {
  /// The column of ▲ on the timeline's marker row (the left half), nil when not drawn.
  func timelineMarker(_ screen: Screen) -> Int? {
    for row in screen.rows where row.contains("▲") {
      let cells = Array(row)
      if let at = cells.firstIndex(of: "▲"), at < 44 { return at }
    }
    return nil
  }

  /// At t = 2 the strip starts at t = 0, so → moves ▲ one cell right (and ← back).
  func testTimelineMarkerFollowsTheStep() throws {
    let session = "timeline"
    try start(session, arguments: "--data demo-data --user 1239 --step 2")
    // The strip is filled in after the first frame: its marker row then shows the rank.
    var screen = try waitForFrame(session, "the strip at t=2") {
      $0.step == 2 && $0.rows.contains { $0.contains("▲") && $0.contains("#") }
    }
    let first = try XCTUnwrap(timelineMarker(screen), screen.text)
    XCTAssertTrue(screen.rows.contains { $0.hasPrefix("mix  ") }, screen.text)
    XCTAssertTrue(screen.rows.contains { $0.hasPrefix("rank ") }, screen.text)
    try keys(session, "Right")
    screen = try waitForFrame(session, "t=3") { $0.step == 3 }
    XCTAssertEqual(timelineMarker(screen), first + 1, screen.text)
    try keys(session, "Left", "Left")
    screen = try waitForFrame(session, "t=1") { $0.step == 1 }
    XCTAssertEqual(timelineMarker(screen), first - 1, screen.text)
    try keys(session, "q")
    try assertExitedAndRestored(session, code: 0)
  }

  /// `--compare` with a second checkpoint of the demo (K = 3, pretrain, seeded weights) at
  /// 80×24: both interest panes and both lists; `v` returns to model 1 alone and back.
  func testCompareModeShowsBothModels() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-compare-\(UUID().uuidString.prefix(8))").path
    addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
    let demo = packageRoot.appendingPathComponent("demo-data").path
    let dataset = try Dataset.load(folder: demo)
    var rng = RNG(seed: 5)
    let model = TiMiRec(config: TiMiRecConfig(itemCount: dataset.itemCount, embeddingSize: 8, attentionSize: 4, interestCount: 3,
                                              addPosition: false, addTransformer: false, historyMax: 20),
                        stage: .pretrain, rng: &rng)
    try CompareTests.writeCheckpoint(model, stage: .pretrain, for: dataset, to: folder)

    let session = "compare"
    try start(session, arguments: "--data demo-data --compare '\(folder)'", columns: 80, rows: 24)
    var screen = try waitForFrame(session, "both models") {
      $0.text.contains("Interests · model 1") && $0.text.contains("Interests · model 2") && $0.text.contains("Model 1 vs model 2")
    }
    XCTAssertTrue(screen.text.contains("1 TiMiRec"), screen.text)
    XCTAssertTrue(screen.text.contains("2 best-match"), screen.text)
    XCTAssertTrue(screen.rows.contains { $0.contains("│3 ") }, "model 2's third interest:\n\(screen.text)")
    try keys(session, "v")
    screen = try waitForFrame(session, "model 1 alone") { !$0.text.contains("Interests · model 2") && $0.text.contains("Distributions") }
    XCTAssertTrue(screen.text.contains("Best-match"), screen.text)
    try keys(session, "v")
    _ = try waitForFrame(session, "both models again") { $0.text.contains("Interests · model 2") }
    try keys(session, "q")
    try assertExitedAndRestored(session, code: 0)
  }
}
