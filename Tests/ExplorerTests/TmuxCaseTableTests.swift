import Foundation
import TestSupport
import XCTest

/// The case finder (`c`) under tmux at 80×24 on the bundled demo: it opens after its progress
/// frames, sorts (`s`), filters (`f`), Enter opens the row's user at its step, `c` comes back
/// to the same row, Esc closes it, `q` quits with the terminal restored. Same waiting rules as
/// the rest of `TmuxEndToEndTests`: every check follows a wait for a settled screen that
/// shows the awaited state.
extension TmuxEndToEndTests {
  /// One drawn row of the case table: (cursor, user, t, TiMiRec rank, best rank, JS).
  struct CaseLine: Equatable {
    let cursor: Bool
    let user: Int, step: Int, timirec: Int, best: Int
    let js: Double
  }

  static func caseLines(_ screen: Screen) -> [CaseLine] {
    screen.rows.dropFirst(3).dropLast(2).compactMap { line in
      let fields = line.dropFirst(2).split(separator: " ")
      guard fields.count >= 8, let user = Int(fields[0]), let step = Int(fields[1]), let a = Int(fields[2]),
            let b = Int(fields[3]), let js = Double(fields[7]) else { return nil }
      return CaseLine(cursor: line.hasPrefix("▸"), user: user, step: step, timirec: a, best: b, js: js)
    }
  }

  static func isCaseTable(_ screen: Screen) -> Bool {
    (screen.rows.first?.contains("Cases · test") ?? false) && (screen.rows.last?.contains("Enter open") ?? false)
      && caseLines(screen).count >= 10
  }

  func testCaseFinderSortsFiltersAndOpensACaseUnderTmux() throws {
    let session = "cases"
    try start(session, columns: 80, rows: 24)
    _ = try waitForFrame(session, "the first frame")
    try keys(session, "c")
    var screen = try waitForScreen(session, "the case table", timeout: 300) {
      Self.isCaseTable($0) && $0.text.contains("2000 rows · sorted by gain ↓")
    }
    XCTAssertTrue(screen.rows[0].contains("collapsed"), screen.text)
    XCTAssertEqual(screen.rows.count, 24)
    XCTAssertTrue(Self.caseLines(screen)[0].cursor, screen.text)

    // s: sorted by JS, largest first.
    try keys(session, "s")
    screen = try waitForScreen(session, "the table sorted by JS") { Self.isCaseTable($0) && $0.text.contains("sorted by js ↓") }
    let js = Self.caseLines(screen).map(\.js)
    XCTAssertEqual(js, js.sorted(by: >), screen.text)

    // f: TiMiRec hits (rank ≤ 10) and best-match misses (> 10) only.
    try keys(session, "f")
    screen = try waitForScreen(session, "the hit/miss filter") {
      Self.isCaseTable($0) && $0.text.contains("TiMiRec hits, best-match misses")
    }
    let kept = Self.caseLines(screen)
    XCTAssertTrue(kept.allSatisfy { $0.timirec <= 10 && $0.best > 10 }, screen.text)

    // ↓ and Enter: the second row's user at its step, with the same two ranks on screen.
    try keys(session, "Down")
    screen = try waitForScreen(session, "the cursor on the second row") { Self.caseLines($0).dropFirst().first?.cursor == true }
    let chosen = Self.caseLines(screen)[1]
    try keys(session, "Enter")
    screen = try waitForScreen(session, "user \(chosen.user) at t=\(chosen.step)") {
      $0.step == chosen.step && $0.text.contains("user \(chosen.user) ") && $0.text.contains("case 2 of")
    }
    XCTAssertTrue(screen.text.contains("next #\(chosen.timirec)"), screen.text)
    XCTAssertTrue(screen.text.contains("#\(chosen.best)"), screen.text)

    // c: back to the same table, the cursor still on that row; Esc closes it; q quits.
    try keys(session, "c")
    screen = try waitForScreen(session, "the table again") { Self.isCaseTable($0) && $0.text.contains("TiMiRec hits") }
    XCTAssertEqual(Self.caseLines(screen).first { $0.cursor }, chosen, screen.text)
    try keys(session, "Escape")
    screen = try waitForFrame(session, "the explorer again") { $0.text.contains("Recommendations") }
    try keys(session, "q")
    try assertExitedAndRestored(session, code: 0)
  }

  /// The table's chrome at 80×24, `?` over it, and the progress screen's keys: the cursor
  /// ▸ keeps a space before the user id, the footer names `?` and q; `?` shows the help at
  /// the case table's keys and Esc comes back to the table; every step of the demo (about
  /// 83,000 rows, a minute of work) shows "Esc cancels · q quits" while it is computed, Esc
  /// there comes back to the dev table at once with the count it stopped at, and q on the
  /// progress screen of the next `p` quits the explorer with the terminal restored.
  func testCaseTableProgressKeysCancelAndQuitUnderTmux() throws {
    let session = "casecancel"
    try start(session, columns: 80, rows: 24)
    _ = try waitForFrame(session, "the first frame")
    try keys(session, "c")
    var screen = try waitForScreen(session, "the case table", timeout: 300) { Self.isCaseTable($0) }
    let cursorLine = try XCTUnwrap(screen.rows.first { $0.hasPrefix("▸") }, screen.text)
    XCTAssertTrue(cursorLine.hasPrefix("▸ "), screen.text)
    XCTAssertTrue(screen.rows.last!.contains("? keys") && screen.rows.last!.contains("q quit"), screen.text)

    try keys(session, "?")
    screen = try waitForScreen(session, "the help at the case table's keys") {
      $0.text.contains("Case table (c opens it") && $0.text.contains("All rows again")
    }
    try keys(session, "Escape")
    screen = try waitForScreen(session, "the table after the help") { Self.isCaseTable($0) && !$0.text.contains("Help: keys") }

    try keys(session, "p")
    screen = try waitForScreen(session, "the dev table", timeout: 300) {
      ($0.rows.first?.contains("Cases · dev") ?? false) && ($0.rows.last?.contains("Enter open") ?? false)
    }
    try keys(session, "p")
    screen = try waitForScreen(session, "the progress of every step") {
      $0.text.contains("Ranking the true next item of every step") && $0.rows.last!.contains("Esc cancels · q quits")
    }
    try keys(session, "Escape")
    screen = try waitForScreen(session, "the dev table again, every step cancelled") {
      ($0.rows.first?.contains("Cases · dev") ?? false) && $0.rows.last!.contains("every step: cancelled at")
    }
    XCTAssertTrue(screen.rows.last!.contains("p computes it again"), screen.text)

    // p again: every step is computed from the start (nothing was kept); q there quits.
    try keys(session, "p")
    screen = try waitForScreen(session, "every step's progress again") { $0.rows.last!.contains("Esc cancels · q quits") }
    try keys(session, "q")
    try assertExitedAndRestored(session, code: 0)
  }
}
