import XCTest

@testable import Explorer

/// Key sequences fed to the state machine and the loop, with no terminal: assertions on the
/// state, the reactions and the visible lines of the frame.
final class ExplorerStateTests: XCTestCase {
  let session = TinyExplorer.session()

  func testInitialStateIsTheTestStepAtTheTrainingTemperature() {
    let s = ExplorerState.initial(session: session)
    XCTAssertEqual(s.userIndex, 0)
    XCTAssertEqual(s.step, 4)
    XCTAssertEqual(s.temperature, 0.5)
    XCTAssertEqual(s.mix, .model)
  }

  func testStepKeysAndBounds() {
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    XCTAssertEqual(s.handle(.left, context: context), .recompute)
    XCTAssertEqual(s.step, 3)
    _ = s.handle(.character("l"), context: context)
    _ = s.handle(.right, context: context)
    XCTAssertEqual(s.step, 5)
    // Past the end: disabled, with the reason in the status bar.
    XCTAssertEqual(s.handle(.right, context: context), .redraw)
    XCTAssertEqual(s.status, "already after the last item")
    _ = s.handle(.home, context: context)
    XCTAssertEqual(s.step, 0)
    XCTAssertEqual(s.handle(.character("h"), context: context), .redraw)
    _ = s.handle(.end, context: context)
    XCTAssertEqual(s.step, 4)
    XCTAssertNil(s.status)
  }

  func testTemperatureKeysWorkOnALogScaleAndReset() {
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    _ = s.handle(.character("]"), context: context)
    XCTAssertEqual(s.temperature, 0.5 * KeyBindings.temperatureFactor, accuracy: 1e-6)
    for _ in 0..<10 { _ = s.handle(.character("["), context: context) }
    XCTAssertEqual(s.temperature, 0.5 / KeyBindings.temperatureFactor / KeyBindings.temperatureFactor / KeyBindings.temperatureFactor
                   / KeyBindings.temperatureFactor / KeyBindings.temperatureFactor / KeyBindings.temperatureFactor
                   / KeyBindings.temperatureFactor / KeyBindings.temperatureFactor / KeyBindings.temperatureFactor, accuracy: 1e-4)
    XCTAssertEqual(s.temperature, 0.5 * Float(pow(10, -0.9)), accuracy: 1e-5)  // net nine steps of 10^-0.1
    _ = s.handle(.character("+"), context: context)
    _ = s.handle(.character("-"), context: context)
    _ = s.handle(.character("0"), context: context)
    XCTAssertEqual(s.temperature, 0.5)
    _ = s.handle(.character("m"), context: context)
    XCTAssertEqual(s.mix, .tempered)
  }

  func testUsersFocusSearchAndRandom() {
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    _ = s.handle(.down, context: context)
    XCTAssertEqual(s.userIndex, 1)
    XCTAssertEqual(s.step, 2)  // user 2 has 3 items: its test item is at t = 2
    _ = s.handle(.character("/"), context: context)
    XCTAssertEqual(s.mode, .search(""))
    for c in "3" { _ = s.handle(.character(c), context: context) }
    _ = s.handle(.enter, context: context)
    XCTAssertEqual(s.mode, .browse)
    XCTAssertEqual(session.users[s.userIndex], 3)
    _ = s.handle(.character("/"), context: context)
    for c in "99" { _ = s.handle(.character(c), context: context) }
    _ = s.handle(.enter, context: context)
    XCTAssertEqual(s.status, "no user 99 (ids 1…3)")
    XCTAssertEqual(session.users[s.userIndex], 3)
    // Tab moves the focus to the lists; ↓ then moves the selection, not the user.
    _ = s.handle(.tab, context: context)
    XCTAssertEqual(s.focus, .timirec)
    _ = s.handle(.down, context: context)
    XCTAssertEqual(s.selection, 1)
    XCTAssertEqual(session.users[s.userIndex], 3)
    _ = s.handle(.backTab, context: context)
    XCTAssertEqual(s.focus, .users)
    // r is reproducible from the state.
    var a = s, b = s
    _ = a.handle(.character("r"), context: context)
    _ = b.handle(.character("r"), context: context)
    XCTAssertEqual(a, b)
  }

  func testHelpAndQuit() {
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    XCTAssertEqual(s.handle(.character("?"), context: context), .redraw)
    XCTAssertEqual(s.mode, .help)
    XCTAssertEqual(s.handle(.character("x"), context: context), [])
    XCTAssertEqual(s.handle(.escape, context: context), .redraw)
    XCTAssertEqual(s.mode, .browse)
    // Esc never quits (htop, lazygit, k9s): from the plain view it only says how to quit.
    XCTAssertEqual(s.handle(.escape, context: context), .redraw)
    XCTAssertEqual(s.status, "nothing to back out of (q quits)")
    XCTAssertEqual(s.handle(.escape, context: context), .redraw)
    XCTAssertEqual(s.handle(.character("q"), context: context), .quit)
    XCTAssertEqual(s.handle(.resize, context: context), [.relayout, .redraw])
    XCTAssertEqual(s.handle(.control("l"), context: context), [.refresh, .redraw])
  }

  /// Every research tool is built (no key is reserved any more); Ctrl-S stays unbound.
  func testCtrlSIsNeverBound() {
    XCTAssertNil(KeyBindings.binding(for: .control("s")), "Ctrl-S freezes terminals with flow control: never bound")
  }

  /// Ctrl-L makes the loop forget the terminal's contents and draw the same frame again.
  func testCtrlLRedrawsTheSameFrame() {
    let terminal = MemoryTerminal(rows: 30, columns: 100, keys: [.control("l"), .character("q")])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    XCTAssertEqual(loop.run(on: terminal, maxIdleReads: 3), .quit)
    XCTAssertEqual(terminal.invalidations, 1)
    XCTAssertEqual(terminal.frames.count, 2)
    XCTAssertEqual(terminal.frames[0], terminal.frames[1])
  }

  /// `t` puts the cursor on the true next item of the focused list (from the users: the
  /// TiMiRec list), or says where it ranks.
  func testTJumpsToTheTrueNextItem() throws {
    let terminal = MemoryTerminal(rows: 30, columns: 100, keys: [])
    var state = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    state.focus = .users
    let loop = ExplorerLoop(session: session, state: state)
    loop.draw(on: terminal)
    loop.press(.character("t"), terminal: terminal)
    XCTAssertEqual(loop.state.focus, .timirec)
    let row = try XCTUnwrap(loop.view.recommendations?.timirecTargetRow)
    XCTAssertEqual(loop.state.selection, row)
    XCTAssertTrue(loop.view.recommendations!.timirec![row].isTarget)
    XCTAssertEqual(loop.state.status, "true next: row \(row + 1) of the TiMiRec list")
    loop.press(.tab, terminal: terminal)
    loop.press(.character("t"), terminal: terminal)
    let bestRow = try XCTUnwrap(loop.view.recommendations?.bestMatchTargetRow)
    XCTAssertEqual(loop.state.selection, bestRow)
    XCTAssertTrue(loop.view.recommendations!.selected!.item.id == loop.view.target!.id)
  }

  /// ↑ on the first user (and ↓ on the last) keeps the step: no user change, no reset.
  func testMovingPastTheFirstUserKeepsTheStep() {
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    s.step = 1
    _ = s.handle(.up, context: context)
    XCTAssertEqual(s.userIndex, 0)
    XCTAssertEqual(s.step, 1)
  }

  func testPretrainSkipsTheTiMiRecListAndDisablesTheMix() {
    let session = TinyExplorer.session(stage: .pretrain)
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    _ = s.handle(.tab, context: context)
    XCTAssertEqual(s.focus, .bestMatch)
    _ = s.handle(.character("m"), context: context)
    XCTAssertEqual(s.mix, .model)
    XCTAssertEqual(s.status, "no mix to change: pretrain has no q")
  }

  /// Every binding's keys are unique, and help and footer come from the same table.
  func testKeyTableDrivesHelpAndFooter() {
    var seen: [Key: ExplorerAction] = [:]
    for b in KeyBindings.all {
      for key in b.keys {
        XCTAssertNil(seen[key], "\(key) bound twice")
        seen[key] = b.action
      }
    }
    XCTAssertEqual(Set(KeyBindings.all.map(\.action)), Set(ExplorerAction.allCases))
    let help = Panes.help().map { $0.map(\.text).joined() }.joined(separator: "\n")
    for b in KeyBindings.all { XCTAssertTrue(help.contains(b.description), b.description) }
    let markdown = KeyBindings.markdown()
    for b in KeyBindings.all { XCTAssertTrue(markdown.contains("`\(b.keyLabel)`")) }
  }

  /// docs/KEYS.md is the generated table (regenerate with `timirec explore --keys > docs/KEYS.md`).
  func testKeysMarkdownIsUpToDate() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/KEYS.md")
    let stored = try String(contentsOf: url, encoding: .utf8)
    XCTAssertEqual(stored, KeyBindings.markdown(), "docs/KEYS.md is stale: run `timirec explore --keys > docs/KEYS.md`")
  }

  /// The loop on an in-memory terminal: keys in, frames out.
  func testLoopDrawsFramesForKeys() {
    let terminal = MemoryTerminal(rows: 30, columns: 100,
                                  keys: [.left, .character("["), .character("?"), .escape, .resize, .character("q")])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    XCTAssertEqual(loop.run(on: terminal, maxIdleReads: 3), .quit)
    XCTAssertEqual(loop.state.step, 3)
    XCTAssertLessThan(loop.state.temperature, 0.5)
    XCTAssertEqual(terminal.frames.count, 6)  // first frame + one per key before q
    let helpFrame = terminal.frames[3]
    XCTAssertTrue(helpFrame.contains("Help: keys"))
    XCTAssertFalse(terminal.frames[4].contains("Help: keys"))
    XCTAssertTrue(terminal.frames[1].contains("t=3/5"))
    // A smaller terminal shows a message instead of the panes.
    terminal.rows = 20
    loop.draw(on: terminal)
    XCTAssertTrue(terminal.frames.last!.contains("Terminal too small: 100×20"))
  }

  func testLayoutFitsTheMinimumAndRefusesLess() {
    XCTAssertNotNil(ScreenLayout.compute(rows: 24, columns: 80, interestCount: 4))
    XCTAssertNil(ScreenLayout.compute(rows: 23, columns: 80, interestCount: 4))
    XCTAssertNil(ScreenLayout.compute(rows: 24, columns: 79, interestCount: 4))
    let l = ScreenLayout.compute(rows: 30, columns: 100, interestCount: 2)!
    XCTAssertEqual(l.users.height + l.history.height + l.timeline.height, 27)
    XCTAssertEqual(l.timeline.height, 5)
    XCTAssertEqual(l.timeline.row, l.history.row + l.history.height)
    XCTAssertEqual(l.distributions.height + l.interests.height + l.recommendations.height, 27)
    XCTAssertEqual(l.legend.row, 28)
    XCTAssertEqual(l.footer.row, 29)
    XCTAssertEqual(l.users.width + 1 + l.distributions.width, 100)
    XCTAssertTrue(l.detailedInterests)
    XCTAssertTrue(ScreenLayout.compute(rows: 24, columns: 80, interestCount: 2)!.detailedInterests)
    XCTAssertFalse(ScreenLayout.compute(rows: 24, columns: 80, interestCount: 4)!.detailedInterests)
    XCTAssertTrue(ScreenLayout.compute(rows: 26, columns: 80, interestCount: 4)!.detailedInterests)
    // K = 6 needs 3 + (6 + 2) + (1 + 6) + 8 = 26 rows; K = 8 30.
    XCTAssertEqual(ScreenLayout.minimumRows(interestCount: 6), 26)
    XCTAssertEqual(ScreenLayout.minimumRows(interestCount: 8), 30)
    XCTAssertEqual(ScreenLayout.minimumRows(interestCount: 2), 24)
    XCTAssertNil(ScreenLayout.compute(rows: 25, columns: 80, interestCount: 6))
    let small = ScreenLayout.compute(rows: 26, columns: 80, interestCount: 6)!
    XCTAssertFalse(small.detailedInterests)
    XCTAssertEqual(small.recommendations.height, 8)
  }

  func testTextHelpers() {
    XCTAssertEqual(clip("abcdef", to: 4), "abc…")
    XCTAssertEqual(clip("abc", to: 4), "abc")
    XCTAssertEqual(cellWidth("漢字"), 4)
    XCTAssertEqual(pad("漢字x", to: 4), "漢… ")
    XCTAssertEqual(bar(0.5, width: 4), "██  ")
    XCTAssertEqual(bar(1, width: 3), "███")
    XCTAssertEqual(format(0.12345, 3), "0.123")
    XCTAssertEqual(format(-1.5, 1), "-1.5")
    XCTAssertEqual(formatTemperature(0.1), "0.100")
    var frame = Frame(rows: 1, columns: 6)
    frame.put([Span("a漢字bcd")], row: 0, column: 0)
    XCTAssertEqual(frame.text, "a漢字…")
  }
}

/// A terminal in memory: keys from a list, frames kept as text.
final class MemoryTerminal: Terminal {
  var rows: Int
  var columns: Int
  var keys: [Key]
  var frames: [String] = []
  /// How often Ctrl-L asked to forget the screen.
  var invalidations = 0
  /// When set, keys are held back until a drawn frame satisfies it (e.g. a progress frame), so
  /// a key can be typed "during" a computation deterministically.
  var holdKeysUntil: ((String) -> Bool)?
  private var current = Frame(rows: 0, columns: 0)

  init(rows: Int, columns: Int, keys: [Key]) {
    self.rows = rows
    self.columns = columns
    self.keys = keys
  }

  var size: (rows: Int, columns: Int) { (rows, columns) }
  func beginFrame() { current = Frame(rows: rows, columns: columns) }
  func draw(row: Int, column: Int, text: String, style: Style) { current.put([Span(text, style)], row: row, column: column) }
  func endFrame() {
    frames.append(current.text)
    if let gate = holdKeysUntil, gate(current.text) { holdKeysUntil = nil }
  }
  func readKey(timeoutMilliseconds: Int) -> Key? { holdKeysUntil != nil || keys.isEmpty ? nil : keys.removeFirst() }
  func invalidate() { invalidations += 1 }
}
