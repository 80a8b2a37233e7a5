import Foundation
import XCTest

@testable import Explorer

/// What a person sees at the minimum size and beyond: nothing that matters is cut (help,
/// ranks, the header, status messages), keys behave as the screen says (too small, Esc),
/// and `--snapshot` text shows the window.
final class ScreenFitTests: XCTestCase {
  let session = TinyExplorer.session()

  func state(step: Int = 3, focus: FocusPane = .users) -> ExplorerState {
    var s = ExplorerState(userIndex: 0, step: step, temperature: 0.5)
    s.focus = focus
    return s
  }

  /// The rows of `frame` inside `box`, without the border.
  func boxText(_ frame: String, _ box: Rect) -> [String] {
    let rows = frame.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
    return (box.row + 1..<(box.row + box.height - 1)).map { r in
      String(rows[r][(box.column + 1)..<min(rows[r].count, box.column + box.width - 1)])
    }
  }

  // MARK: - Help

  /// At 80×24 the help scrolls with ↓ until its last line; every line shows uncut on the way.
  func testHelpScrollsToItsEndAt80x24() {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: session, state: state())
    loop.draw(on: terminal)
    loop.press(.character("?"), terminal: terminal)
    let (box, lines, visible) = ScreenRenderer.helpBox(rows: 24, columns: 80)
    XCTAssertGreaterThan(lines.count, visible, "the help is taller than 80×24: it must scroll")
    var seen = Set(boxText(terminal.frames.last!, box))
    for _ in 0..<(lines.count + 3) {
      loop.press(.down, terminal: terminal)
      seen.formUnion(boxText(terminal.frames.last!, box))
    }
    XCTAssertEqual(loop.state.helpScroll, lines.count - visible, "↓ stops at the last page")
    XCTAssertTrue(terminal.frames.last!.contains("of \(lines.count) · end"))
    let shown = seen.joined(separator: "\n")
    for line in lines {
      let text = line.map(\.text).joined().trimmingCharacters(in: " ")
      if !text.isEmpty { XCTAssertTrue(shown.contains(text), "never shown: \(text)") }
    }
    for b in KeyBindings.all { XCTAssertTrue(shown.contains(" \(b.keyLabel) "), b.keyLabel) }
    XCTAssertTrue(shown.contains("Press ?, q, Esc or Enter to close"))
    XCTAssertFalse(shown.contains("…"), shown)
    // ↑ and Home scroll back; closing resets.
    loop.press(.up, terminal: terminal)
    XCTAssertEqual(loop.state.helpScroll, lines.count - visible - 1)
    loop.press(.home, terminal: terminal)
    XCTAssertEqual(loop.state.helpScroll, 0)
    loop.press(.escape, terminal: terminal)
    XCTAssertEqual(loop.state.mode, .browse)
  }

  /// Wider screens never end a help line in "…": lines wrap instead.
  func testHelpNeverTruncatesAtWiderSizes() {
    // The help scrolls; at 200×90 it fits whole (the research tools made it ~75 lines).
    for (rows, columns) in [(24, 80), (30, 100), (40, 110), (50, 200), (70, 200), (90, 200)] {
      var s = state()
      s.mode = .help
      let context = ExplorerContext(session: session, listLength: 20)
      let frame = ScreenRenderer.render(view: ViewBuilder(session: session).view(for: s), state: s, context: context,
                                        rows: rows, columns: columns, interestCount: 2).text
      let (box, lines, visible) = ScreenRenderer.helpBox(rows: rows, columns: columns)
      XCTAssertFalse(boxText(frame, box).joined().contains("…"), "\(columns)×\(rows)")
      for line in lines { XCTAssertLessThanOrEqual(cellWidth(line.map(\.text).joined()), box.width - 4) }
      if rows >= 90 { XCTAssertEqual(lines.count, visible, "\(columns)×\(rows): everything fits without scrolling") }
    }
  }

  // MARK: - Numbers at 80×24

  /// Ranks and the users position are shortened, never cut: "best · next #573", "1234/2000".
  func testRanksAndPositionsAreNeverCutAt80x24() {
    var s = state(focus: .timirec)
    var view = ViewBuilder(session: session).view(for: s)
    view.recommendations!.timirecTargetRank = 1201
    view.recommendations!.bestMatchTargetRank = 573
    view.recommendations!.rankedCount = 12345
    let context = ExplorerContext(userIds: Array(1...2000), sequenceLengths: Array(repeating: 5, count: 2000),
                                  trainingTemperature: 0.5, hasPredictor: true, listLength: 20)
    s.userIndex = 1233
    let frame = ScreenRenderer.render(view: view, state: s, context: context, rows: 24, columns: 80, interestCount: 2).text
    XCTAssertNotNil(frame.range(of: #"#573(/12345)?\b"#, options: .regularExpression), frame)
    XCTAssertNotNil(frame.range(of: #"#1201(/12345)?\b"#, options: .regularExpression), frame)
    XCTAssertFalse(frame.contains("#5…") || frame.contains("#57…") || frame.contains("#120…"), frame)
    XCTAssertTrue(frame.contains("1234/2000"), frame)
    // The header keeps every number, whatever it leaves out.
    view.user = 123_456
    view.sequenceLength = 272
    view.step = 271
    let header = Panes.header(view, width: 80).map(\.text).joined()
    XCTAssertLessThanOrEqual(cellWidth(header), 80)
    for part in ["TiMiRec Explorer", "T=0.500", "user 123456", "t=271/272", "mix: model"] {
      XCTAssertTrue(header.contains(part), header)
    }
  }

  /// A pretrain checkpoint: the header says there is no mix, and `m` explains why in full.
  func testPretrainSaysNoMixAndTheMKeyMessageFits() {
    let pretrain = TinyExplorer.session(stage: .pretrain)
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: pretrain, state: state())
    loop.draw(on: terminal)
    XCTAssertTrue(terminal.frames.last!.contains("mix: none (pretrain)"), terminal.frames.last!)
    loop.press(.character("m"), terminal: terminal)
    let status = try! XCTUnwrap(loop.state.status)
    XCTAssertTrue(terminal.frames.last!.contains(status), terminal.frames.last!)
    let wide = Panes.header(ViewBuilder(session: pretrain).view(for: state()), width: 200).map(\.text).joined()
    XCTAssertTrue(wide.contains("mix: none (pretrain: best interest)"), wide)
    XCTAssertFalse(wide.contains("mix: model"))
  }

  /// The status takes the whole footer rather than being cut for key hints.
  func testFooterStatusIsNeverCut() {
    var s = state()
    for status in ["no user 99999 (ids 1…3)", "no mix to change: pretrain has no q", String(repeating: "x", count: 60)] {
      s.status = status
      for width in [80, 90, 100, 120] {
        let text = Panes.footer(s, width: width).map(\.text).joined()
        XCTAssertTrue(text.contains(status), "\(width): \(text)")
      }
    }
  }

  // MARK: - Keys

  /// While the screen says "too small", keys do nothing unseen; q quits (Esc does not).
  func testTooSmallIgnoresEveryKeyButQuit() {
    var context = ExplorerContext(session: session, listLength: 20)
    context.tooSmall = true
    var s = ExplorerState.initial(session: session)
    let before = s
    for key: Key in [.left, .right, .character("?"), .character("/"), .tab, .down, .character("m"), .character("]"),
                     .enter, .character("r"), .escape] {
      XCTAssertEqual(s.handle(key, context: context), [], "\(key)")
    }
    XCTAssertEqual(s, before)
    XCTAssertEqual(s.handle(.resize, context: context), [.relayout, .redraw])
    XCTAssertEqual(s.handle(.character("q"), context: context), .quit)
    // The loop learns the size when it draws.
    let terminal = MemoryTerminal(rows: 20, columns: 70, keys: [.left, .character("?"), .resize])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    XCTAssertEqual(loop.run(on: terminal, maxIdleReads: 2), .inputEnded)
    XCTAssertEqual(loop.state, .initial(session: session))
    terminal.rows = 24
    terminal.columns = 80
    terminal.keys = [.resize, .left]
    _ = loop.run(on: terminal, maxIdleReads: 2)
    XCTAssertEqual(loop.state.step, ExplorerState.initial(session: session).step - 1, "big enough again: keys act")
  }

  /// Esc leaves search, help and the list focus and never quits; Enter on an empty search
  /// stays in search. Help and KEYS.md say so.
  func testEscapeLeavesModesAndNeverQuits() {
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    _ = s.handle(.character("/"), context: context)
    XCTAssertEqual(s.handle(.enter, context: context), .redraw)
    XCTAssertEqual(s.mode, .search(""))
    XCTAssertEqual(s.status, "type a user id first")
    let footer = Panes.footer(s, width: 80).map(\.text).joined()
    XCTAssertTrue(footer.contains("Esc cancel") && footer.contains("type a user id first") && cellWidth(footer) <= 80, footer)
    XCTAssertEqual(s.handle(.escape, context: context), .redraw)
    XCTAssertEqual(s.mode, .browse)
    _ = s.handle(.character("?"), context: context)
    XCTAssertEqual(s.handle(.escape, context: context), .redraw)
    XCTAssertEqual(s.mode, .browse)
    _ = s.handle(.tab, context: context)
    XCTAssertEqual(s.handle(.escape, context: context), .recompute)
    XCTAssertEqual(s.focus, .users)
    XCTAssertEqual(s.handle(.escape, context: context), .redraw)
    XCTAssertEqual(s.status, "nothing to back out of (q quits)")
    let esc = KeyBindings.binding(for: .escape)!
    XCTAssertEqual(esc.action, .back)
    XCTAssertTrue(esc.description.contains("never quits"))
    XCTAssertTrue(KeyBindings.markdown().contains("| `Esc` | \(esc.description) |"))
  }

  // MARK: - Snapshot text and errors

  /// `--snapshot` text: the window and target with a line for the rest; everything with
  /// `fullHistory`; no hints for interactive keys.
  func testSnapshotTextShowsTheWindowUnlessFullHistory() {
    let s = state()
    var view = ViewBuilder(session: session).view(for: s)
    view.timeline[0].role = .history
    view.timeline[1].role = .history
    let text = SnapshotText.render(view, state: s, width: 100)
    XCTAssertTrue(text.contains("… 2 earlier items"), text)
    XCTAssertTrue(text.contains("… 1 later item"), text)
    XCTAssertFalse(text.contains("Apple · fruit"), text)
    XCTAssertTrue(text.contains("Cherry · fruit"), text)
    XCTAssertFalse(text.contains("Tab"), text)
    let full = SnapshotText.render(view, state: s, width: 100, fullHistory: true)
    XCTAssertFalse(full.contains("earlier item"))
    for title in ["Apple", "Banana", "Cherry", "Elderberry", "Date · dried"] { XCTAssertTrue(full.contains(title), title) }
  }

  /// `explore --data DIR` without a checkpoint: the path once, and a runs/ folder for --ckpt.
  func testMissingDefaultCheckpointSuggestsARunsFolder() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let data = root.appendingPathComponent("demo-data").path
    guard FileManager.default.fileExists(atPath: data + "/train.csv") else { throw XCTSkip("no demo-data/") }
    let missing = NSTemporaryDirectory() + "timirec-no-checkpoint-\(getpid())/checkpoint"
    XCTAssertThrowsError(try ExplorerSession.load(data: data, checkpoint: missing, checkpointDefaulted: true)) { error in
      let text = "\(error)"
      XCTAssertEqual(text.components(separatedBy: missing).count - 1, 1, text)
      XCTAssertTrue(text.contains("--ckpt runs/demo-data"), text)
      XCTAssertFalse(text.contains("--out \(missing)"), text)
    }
  }
}
