import Explorer
import Foundation
import TestSupport
import XCTest

/// What-if editing under tmux (issue 14): the built binary on the demo at 80×24; Tab focuses
/// the history, `d` drops an item (the header says edited), `u` undoes, `i` inserts an item
/// found by title search. Every step waits for the awaited screen (TmuxEndToEndTests' helpers).
extension TmuxEndToEndTests {
  func testWhatIfDropUndoAndInsertUnderTmux() throws {
    let session = "whatif"
    try start(session, arguments: "--data demo-data --user 1239 --step 25", columns: 80, rows: 24)
    var screen = try waitForFrame(session, "the first frame at user 1239, t=25") { $0.step == 25 && $0.text.contains("user 1239") }
    XCTAssertFalse(screen.rows[0].contains("edited"), screen.text)
    // Tab ×3: users → TiMiRec list → best-match list → history; its keys in the legend.
    try keys(session, "Tab", "Tab", "Tab")
    screen = try waitForFrame(session, "the history focused") { $0.rows[$0.rows.count - 2].contains("d drop") }
    // The cursor on the most recent history item (place 24).
    XCTAssertTrue(screen.rows.contains { $0.hasPrefix("▸  24 trn") }, screen.text)
    let rankBefore = try XCTUnwrap(Self.timirecRank(screen), screen.text)
    // d: dropped, the header says edited, the TiMiRec rank shows its change.
    try keys(session, "d")
    screen = try waitForFrame(session, "the history edited") { $0.rows[0].contains("edited") && $0.text.contains("dropped") }
    XCTAssertTrue(screen.text.contains("History (edited)"), screen.text)
    XCTAssertTrue(screen.text.contains("what-if"), screen.text)
    XCTAssertTrue(screen.text.contains("(Δ"), screen.text)
    XCTAssertTrue(screen.text.contains("Δw"), screen.text)
    // u: back to the data's history and its rank.
    try keys(session, "u")
    screen = try waitForFrame(session, "the edit undone") { !$0.rows[0].contains("edited") && $0.text.contains("undone") }
    XCTAssertEqual(Self.timirecRank(screen), rankBefore, screen.text)
    XCTAssertFalse(screen.text.contains("History (edited)"), screen.text)
    // i: type part of a title, ↓ to the second match, Enter inserts it after the cursor.
    try keys(session, "i")
    screen = try waitForFrame(session, "the insert prompt") { $0.text.contains("insert, title:") }
    try tmuxRun(["send-keys", "-t", session, "-l", "rocket"])
    screen = try waitForFrame(session, "the matches for 'rocket'") { $0.text.contains("Bright Rocket ep. 6") && $0.text.contains("matches") }
    XCTAssertTrue(screen.rows.contains { $0.contains("▸      3 Brave Rocket ep. 3") }, screen.text)
    try keys(session, "Down", "Enter")
    screen = try waitForFrame(session, "the item inserted") { $0.rows[0].contains("edited") && $0.text.contains("inserted Bright Rocket ep. 6") }
    // The cursor was on place 23 (d left it there, u kept it): the item goes to place 24.
    XCTAssertTrue(screen.rows.contains { $0.hasPrefix("▸  24 ins Bright") }, screen.text)
    // Another step clears the edit and says so.
    try keys(session, "Left")
    screen = try waitForFrame(session, "t=24, the edit cleared") { $0.step == 24 && $0.text.contains("history edit cleared") }
    XCTAssertFalse(screen.rows[0].contains("edited"), screen.text)
    try keys(session, "q")
    try assertExitedAndRestored(session, code: 0)
  }

  /// The TiMiRec list's "next #R" in the recommendations header.
  static func timirecRank(_ screen: Screen) -> Int? {
    for row in screen.rows {
      guard let range = row.range(of: #"TiMiRec · (true )?next #\d+"#, options: .regularExpression) else { continue }
      return Int(row[range].split(separator: "#").last!)
    }
    return nil
  }
}
