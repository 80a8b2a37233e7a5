import Foundation
import XCTest

@testable import Explorer

/// Widths (docs/EXPLORER.md, "Widths"): what the frame counts is what the C library's
/// `wcwidth` counts (ncurses advances by it), on titles with emoji, flags, skin tones, ZWJ
/// sequences, variation selectors, CJK and full-width text, at odd and even widths.
final class CellWidthTests: XCTestCase {
  /// Titles that broke the old width table (item 1 is ZWJ, 3 a skin tone and VS16, ...).
  static let titles = ["", "👨‍👩‍👧 Family 🚀 Rocket", "🇯🇵 Japan ⚽ Cup", "👍🏽 Thumbs ☀️ Sun 🖥 Desk",
                       "漢字カタカナ 全角ＡＢＣ", "Cafe\u{301} e\u{301}te\u{301} ✨"]

  /// The C library's wcswidth, looked up by name; the C.UTF-8 locale it is asked under.
  /// Both immutable once created, so reading them from any thread is safe.
  nonisolated(unsafe) static let wcswidthFunction = unsafeBitCast(
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), "wcswidth")!, to: (@convention(c) (UnsafePointer<wchar_t>?, Int) -> Int32).self)
  nonisolated(unsafe) static let utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)!

  /// The C library's wcswidth under C.UTF-8, asked directly (not through the explorer).
  static func wcswidth(_ s: String) -> Int {
    let previous = uselocale(utf8)
    defer { uselocale(previous) }
    let wide = s.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
    return Int(wide.withUnsafeBufferPointer { wcswidthFunction($0.baseAddress, wide.count) })
  }

  func testDisplayFormDropsJoinersModifiersAndSelectors() {
    XCTAssertEqual(displayForm("👨‍👩‍👧"), "👨👩👧")
    XCTAssertEqual(displayForm("👍🏽"), "👍")
    XCTAssertEqual(displayForm("☀️"), "☀")
    XCTAssertEqual(displayForm("a\tb\u{7}"), "a b ")
    XCTAssertEqual(displayForm("x\u{378}"), "x\u{FFFD}")  // unassigned: wcwidth −1
    XCTAssertEqual(displayForm("plain"), "plain")
    // By wcwidth: 👨👩👧 6, 🚀 2, ⚽ 2, 🇯🇵 2 (two regional indicators of 1), 🖥 1, ☀ 1, 漢 2, Ａ 2, é 1.
    XCTAssertEqual(WidthSource.description, "wcwidth")
    for (text, width) in [("👨‍👩‍👧", 6), ("🚀", 2), ("⚽", 2), ("🇯🇵", 2), ("🖥", 1), ("☀️", 1), ("👍🏽", 2), ("漢字", 4),
                          ("ＡＢ", 4), ("Cafe\u{301}", 4)] {
      XCTAssertEqual(cellWidth(text), width, text)
      XCTAssertEqual(cellWidth(text), Self.wcswidth(displayForm(text)), text)
    }
  }

  /// The fallback table (no UTF-8 locale): wide CJK and emoji 2, combining 0, unassigned −1.
  func testFallbackTable() {
    XCTAssertEqual(builtInWidth(0x4E2D), 2)
    XCTAssertEqual(builtInWidth(0x1F680), 2)
    XCTAssertEqual(builtInWidth(0x0301), 0)
    XCTAssertEqual(builtInWidth(0x41), 1)
    XCTAssertEqual(builtInWidth(0x378), -1)
  }

  /// Every row of the screen is exactly as wide as the terminal by wcswidth, and the pane
  /// separator stands in the same column on every row, at odd and even sizes.
  func testScreenRowsAreAsWideAsTheScreen() {
    let session = TinyExplorer.session(titles: Self.titles)
    for (rows, columns) in [(24, 80), (25, 81), (30, 100), (31, 117)] {
      for focus in [FocusPane.users, .timirec, .bestMatch] {
        var s = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
        s.focus = focus
        let context = ExplorerContext(session: session, listLength: 20)
        let view = ViewBuilder(session: session).view(for: s)
        let frame = ScreenRenderer.render(view: view, state: s, context: context, rows: rows, columns: columns, interestCount: 2)
        let layout = ScreenLayout.compute(rows: rows, columns: columns, interestCount: 2)!
        for r in 0..<rows {
          var line = ""
          var prefix: String?
          for c in 0..<columns where !frame.cells[r * columns + c].continuation {
            if c == layout.separatorColumn { prefix = line }
            line.append(frame.cells[r * columns + c].character)
          }
          XCTAssertEqual(Self.wcswidth(line), columns, "\(columns)×\(rows) row \(r): \(line)")
          if r > 0 && r < layout.legend.row {
            XCTAssertEqual(prefix.map(Self.wcswidth), layout.separatorColumn, "\(columns)×\(rows) row \(r): \(line)")
            XCTAssertEqual(frame.cells[r * columns + layout.separatorColumn].character, "│", "row \(r): \(line)")
          }
        }
        XCTAssertTrue(frame.text.contains("👨👩👧"), frame.text)
        XCTAssertFalse(frame.text.contains("\u{200D}"), "joiners are never written")
      }
    }
  }

  /// `--snapshot` text: no line wider than the width by wcswidth; the rule lines exactly as
  /// wide; in the two-column list the best-match column starts at the same cell on every row.
  func testSnapshotLinesFitAndColumnsAlign() {
    let session = TinyExplorer.session(titles: Self.titles)
    for width in [40, 41, 80, 81, 100, 101] {
      var s = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
      s.focus = .timirec
      let view = ViewBuilder(session: session).view(for: s)
      let text = SnapshotText.render(view, state: s, width: width, fullHistory: true)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      for line in lines { XCTAssertLessThanOrEqual(Self.wcswidth(line), width, "\(width): \(line)") }
      for line in lines where line.hasPrefix("── ") { XCTAssertEqual(Self.wcswidth(line), width, line) }
      let columnWidth = (width - 1) / 2
      let header = lines.firstIndex { $0.hasPrefix("TiMiRec ·") }!
      let rowCount = view.recommendations!.bestMatch.count
      for (i, line) in lines[(header + 1)...(header + rowCount)].enumerated() {
        var used = 0
        var rest = Substring(line)
        while used < columnWidth + 1, let c = rest.first { used += Self.wcswidth(String(c)); rest = rest.dropFirst() }
        XCTAssertEqual(used, columnWidth + 1, "\(width): \(line)")
        XCTAssertTrue(rest.hasPrefix(" " + padLeft(String(i + 1), to: 2)), "\(width): best-match column of row \(i + 1) moved: \(line)")
      }
    }
  }

  /// The width function reads only immutable globals and sets the locale per thread
  /// (`uselocale`): two threads measuring at once get the single-thread answers, and the
  /// calling thread's locale is left as it was.
  func testWidthsOnTwoThreads() {
    let texts = Self.titles + ["plain ASCII", "ＡＢＣ漢字", "👨‍👩‍👧👍🏽🇯🇵"]
    let expected = texts.map { (displayForm($0), cellWidth($0)) }
    /// Each thread's verdict; written under the lock.
    final class Verdicts: @unchecked Sendable {
      let lock = NSLock()
      var values: [Int: Bool] = [:]
    }
    let results = Verdicts()
    DispatchQueue.concurrentPerform(iterations: 2) { thread in
      var same = true
      for _ in 0..<2_000 {
        for (i, text) in texts.enumerated() where displayForm(text) != expected[i].0 || cellWidth(text) != expected[i].1 {
          same = false
        }
      }
      results.lock.lock()
      results.values[thread] = same
      results.lock.unlock()
    }
    XCTAssertEqual(results.values, [0: true, 1: true])
    let before = uselocale(nil)
    _ = cellWidth("漢字 👍🏽")
    XCTAssertEqual(uselocale(nil), before, "the thread's locale is restored")
  }

  /// A wide character cut by a later write leaves no half behind.
  func testOverwritingHalfOfAWideCharacterBlanksIt() {
    var frame = Frame(rows: 1, columns: 6)
    frame.put([Span("👨‍👩‍👧")], row: 0, column: 0)
    XCTAssertEqual(frame.text, "👨👩👧")
    frame.put([Span("x")], row: 0, column: 3)
    XCTAssertEqual(frame.text, "👨 x👧")
    XCTAssertEqual(Self.wcswidth(frame.text), 6)
  }
}
