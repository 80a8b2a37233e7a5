import Explorer
import Foundation
import TestSupport
import XCTest

/// End to end under tmux: the built `timirec` binary opens the bundled demo in a real
/// terminal (tmux pane, 100×30); keys step, change T, open help; the window is resized; `q`,
/// Ctrl-C and SIGTERM end it; each time the shell's terminal settings must be back (echo and
/// canonical mode on) and the exit code right.
///
/// Never flaky by construction: each test has its own tmux server (`tmux -L`, killed in
/// teardown); every assertion follows a wait for a complete frame (the footer, the last row
/// ncurses writes, is on the pane's last row) that already shows the awaited state, and the
/// same screen twice in a row; what must *not* happen is checked after a later key's effect
/// has appeared, never after a sleep.
final class TmuxEndToEndTests: XCTestCase {
  private var tmux: TmuxServer?
  private var scratch = ""

  /// The footer's first key hint (e.g. " ←→ step"), from the key table the footer is drawn from.
  static let footerStart: String = {
    guard let first = KeyBindings.footerItems.first else { return "" }
    return " \(first.keys) \(first.label)"
  }()

  override func setUpWithError() throws {
    let demo = packageRoot.appendingPathComponent("demo-data/checkpoint/model.safetensors").path
    guard FileManager.default.fileExists(atPath: demo) else {
      throw TestSupportError("the committed demo checkpoint \(demo) is missing (demo-data/regenerate.sh writes it)")
    }
    tmux = try TmuxServer(label: "timirec-e2e")
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-e2e-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
  }

  override func tearDown() {
    tmux?.kill()
    tmux = nil
    if !scratch.isEmpty { try? FileManager.default.removeItem(atPath: scratch) }
  }

  func testExploreTheDemoUnderTmux() throws {
    let session = "explore"
    try start(session)
    var screen = try waitForFrame(session, "the first frame")
    XCTAssertTrue(screen.text.contains("Recommendations"), screen.text)
    XCTAssertTrue(screen.text.contains("Distributions"), screen.text)
    XCTAssertEqual(screen.rows.count, 30, screen.text)
    let firstStep = try XCTUnwrap(screen.step, "no t= in the status bar:\n\(screen.text)")

    // Step back: t goes down by one.
    try keys(session, "Left")
    screen = try waitForFrame(session, "t to change from \(firstStep)") { $0.step != nil && $0.step != firstStep }
    XCTAssertEqual(screen.step, firstStep - 1, screen.text)

    // Temperature: ] raises T in the status bar.
    let firstT = try XCTUnwrap(screen.temperature, "no T= in the status bar:\n\(screen.text)")
    try keys(session, "]")
    screen = try waitForFrame(session, "T to change from \(firstT)") { $0.temperature != nil && $0.temperature != firstT }
    XCTAssertGreaterThan(try XCTUnwrap(screen.temperature), firstT, screen.text)
    XCTAssertEqual(screen.step, firstStep - 1, screen.text)

    // Help from the key table, then closed with Esc.
    try keys(session, "?")
    screen = try waitForFrame(session, "the help box") { $0.text.contains("Help: keys") && $0.text.contains("Mix the TiMiRec list") }
    XCTAssertTrue(screen.text.contains("Mix the TiMiRec list"), screen.text)
    try keys(session, "Escape")
    screen = try waitForFrame(session, "the help box to close") { !$0.text.contains("Help: keys") }
    XCTAssertTrue(screen.text.contains("Recommendations"), screen.text)

    // Resize: smaller still fits 80×24; too small shows a message; back to 100×30.
    try tmuxRun(["resize-window", "-t", session, "-x", "80", "-y", "24"])
    screen = try waitForFrame(session, "an 80×24 frame") { $0.rows.count == 24 && $0.rows[0].count <= 80 }
    XCTAssertTrue(screen.text.contains("Recommendations"), screen.text)
    let stepBeforeTooSmall = try XCTUnwrap(screen.step, "no t= in the status bar:\n\(screen.text)")
    let temperatureBeforeTooSmall = try XCTUnwrap(screen.temperature, "no T= in the status bar:\n\(screen.text)")
    try tmuxRun(["resize-window", "-t", session, "-x", "70", "-y", "20"])
    screen = try waitForScreen(session, "the too-small message") {
      $0.rows.count == 20 && $0.text.contains("Terminal too small: 70×20") && $0.text.contains("Enlarge the window")
    }
    // Keys pressed while too small do nothing unseen: no step, no help.
    try keys(session, "Left", "?")
    try tmuxRun(["resize-window", "-t", session, "-x", "100", "-y", "30"])
    screen = try waitForFrame(session, "a 100×30 frame again") { $0.rows.count == 30 && !$0.text.contains("Terminal too small") }
    // A later key's effect shows that the keys before it were read: ] raises T (it would
    // not with the help box open).
    try keys(session, "]")
    screen = try waitForFrame(session, "T to change from \(temperatureBeforeTooSmall) after the keys sent while too small") {
      $0.temperature != nil && $0.temperature != temperatureBeforeTooSmall
    }
    XCTAssertGreaterThan(try XCTUnwrap(screen.temperature), temperatureBeforeTooSmall, screen.text)
    XCTAssertFalse(screen.text.contains("Help: keys"), screen.text)
    XCTAssertEqual(screen.step, stepBeforeTooSmall, screen.text)

    // Quit: exit code 0 and the terminal restored.
    try keys(session, "q")
    try assertExitedAndRestored(session, code: 0)
  }

  func testCtrlCAndSIGTERMRestoreTheTerminal() throws {
    try start("interrupt")
    _ = try waitForFrame("interrupt", "the first frame")
    try keys("interrupt", "C-c")
    try assertExitedAndRestored("interrupt", code: 130)

    // A second session on the same server (the first one stays, so the server does too).
    let pidFile = (scratch as NSString).appendingPathComponent("explorer.pid")
    try start("terminate", pidFile: pidFile)
    _ = try waitForFrame("terminate", "the first frame")
    let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    let pid = try XCTUnwrap(pid_t(text), "pid file: '\(text)'")
    XCTAssertEqual(kill(pid, SIGTERM), 0)
    try assertExitedAndRestored("terminate", code: 143)
  }

  // MARK: The pane

  /// What the pane shows, one string per row (as many as the pane is high).
  struct Screen: Equatable {
    let rows: [String]
    var text: String { rows.joined(separator: "\n") }

    /// The status bar's value after `field`, e.g. "t=" → "44/45".
    func field(_ name: String) -> String? {
      guard let line = rows.first(where: { $0.contains("TiMiRec Explorer") }), let range = line.range(of: name) else { return nil }
      return String(line[range.upperBound...].prefix { !$0.isWhitespace })
    }

    /// t in the status bar's "t=t/n".
    var step: Int? { field("t=").flatMap { $0.split(separator: "/").first }.flatMap { Int($0) } }
    /// T in the status bar.
    var temperature: Float? { field("T=").flatMap { Float($0) } }

    /// The explorer's whole frame: the status bar on the first row and the footer on the
    /// last. ncurses sends rows top to bottom, so a footer drawn means every row above it is.
    var isCompleteFrame: Bool {
      // The footer shows the key hints, or a long status message in their place (then the
      // legend above it, drawn before it, must be there).
      (rows.first?.contains("TiMiRec Explorer") ?? false)
        && ((rows.last?.hasPrefix(TmuxEndToEndTests.footerStart) ?? false)
            || (rows.count > 2 && rows[rows.count - 2].hasSuffix("? keys") && !(rows.last ?? "").isEmpty))
    }
  }

  func capture(_ session: String) throws -> Screen {
    var rows = try tmuxRun(["capture-pane", "-p", "-t", session]).components(separatedBy: "\n")
    if rows.last == "" { rows.removeLast() }
    return Screen(rows: rows)
  }

  /// Waits until the pane shows a complete explorer frame for which `condition` holds.
  func waitForFrame(_ session: String, _ what: String, timeout: Double = 60,
                    _ condition: @escaping (Screen) -> Bool = { _ in true }) throws -> Screen {
    try waitForScreen(session, what, timeout: timeout) { $0.isCompleteFrame && condition($0) }
  }

  /// Waits until `condition` holds on two captures in a row (drawing has settled); throws
  /// with the last screen seen after `timeout` seconds (a bound for failures only).
  func waitForScreen(_ session: String, _ what: String, timeout: Double = 60,
                     _ condition: (Screen) -> Bool) throws -> Screen {
    var previous: Screen?
    var last = Screen(rows: [])
    let settled = try waitUntil(timeout: timeout, interval: 0.05) {
      last = try capture(session)
      defer { previous = last }
      return condition(last) && previous == last
    }
    guard settled else {
      throw TestSupportError("timed out after \(Int(timeout)) s waiting for \(what); the pane shows:\n\(last.text)")
    }
    return last
  }

  /// The pane's shell reports the exit code and the terminal settings after the explorer ends:
  /// the code must be `code`, echo and canonical mode back on, and the explorer's screen gone.
  func assertExitedAndRestored(_ session: String, code: Int, file: StaticString = #filePath, line: UInt = #line) throws {
    let screen = try waitForScreen(session, "the exit report") { screen in
      guard let exit = screen.rows.firstIndex(where: { $0.hasPrefix("EXIT=") }) else { return false }
      return screen.rows.dropFirst(exit + 1).contains { $0.contains("icanon") }
    }
    let exit = try XCTUnwrap(screen.rows.firstIndex { $0.hasPrefix("EXIT=") }, file: file, line: line)
    XCTAssertEqual(screen.rows[exit], "EXIT=\(code)", screen.text, file: file, line: line)
    let settings = Set(try XCTUnwrap(screen.rows.dropFirst(exit + 1).first { $0.contains("icanon") }, file: file, line: line)
      .split(separator: " ").map(String.init))
    XCTAssertEqual(settings, ["echo", "icanon"], "terminal settings after the explorer:\n\(screen.text)", file: file, line: line)
    XCTAssertFalse(screen.text.contains("Recommendations"), "the explorer's screen is still shown:\n\(screen.text)",
                   file: file, line: line)
  }

  /// The colour parameters (SGR 30–37, 40–47, 90–97, 100–107, 38, 48) of every escape
  /// sequence in a `capture-pane -e` capture.
  static func colourCodes(_ captured: String) -> [Int] {
    var codes: [Int] = []
    var rest = Substring(captured)
    while let start = rest.range(of: "\u{1B}[") {
      let body = rest[start.upperBound...].prefix { $0 != "m" && $0 != "\u{1B}" }
      rest = rest[start.upperBound...]
      for part in body.split(separator: ";") {
        if let n = Int(part), (30...37).contains(n) || (40...48).contains(n) || (90...97).contains(n) || (100...107).contains(n) {
          codes.append(n)
        }
      }
    }
    return codes
  }

  /// The first frame's escape sequences: colours on a colour terminal (tmux's own terminal
  /// type has 8 colours; tmux-256color 256), none with NO_COLOR=1 even on a 256-colour
  /// terminal, where bold and reverse video still mark the header and the selection; the
  /// terminal restored after `q` each time.
  func testColourOnAColourTerminalAndNoneWithNoColor() throws {
    // NO_COLOR is removed for the colour case: the test runner's own environment may set it.
    // tmux-256color: a 256-colour terminal that tmux draws faithfully.
    for (session, environment) in [("colour", "-u NO_COLOR"), ("colour256", "-u NO_COLOR TERM=tmux-256color"),
                                   ("mono", "NO_COLOR=1 TERM=tmux-256color")] {
      try start(session, environment: environment)
      _ = try waitForFrame(session, "the first frame (\(session))")
      let captured = try tmuxRun(["capture-pane", "-e", "-p", "-t", session])
      let colours = Self.colourCodes(captured)
      let shown = String(captured.unicodeScalars.prefix(300).map { $0 == "\u{1B}" ? "^[" : $0 == "\n" ? "⏎" : String($0) }.joined())
      if session.hasPrefix("colour") {
        XCTAssertFalse(colours.isEmpty, "no colour in the first frame (\(captured.count) characters): \(shown)")
      } else {
        XCTAssertEqual(colours, [], "colour despite NO_COLOR=1")
        XCTAssertTrue(captured.contains("\u{1B}[7m") || captured.contains(";7m") || captured.contains("[1;7m"),
                      "no reverse video for the monochrome header/selection: \(shown)")
      }
      try keys(session, "q")
      try assertExitedAndRestored(session, code: 0)
    }
  }

  // MARK: Issue 12: scrolling, Ctrl-\\, Ctrl-L, widths, refusals

  /// At 80×24 the TiMiRec list scrolls with the cursor: after Tab and 14 × ↓ the 15th row is
  /// drawn with the cursor on it; `t` jumps to the true next item (★), drawn too. The
  /// explorer opens at `--user/--step` interactively.
  func testListsScrollToTheCursorAt80x24() throws {
    let session = "scroll"
    try start(session, arguments: "--data demo-data --user 1239 --step 25", columns: 80, rows: 24)
    var screen = try waitForFrame(session, "the first frame at user 1239, t=25") { $0.step == 25 && $0.text.contains("user 1239") }
    XCTAssertFalse(screen.rows.contains { $0.contains("▸15") }, screen.text)
    try keys(session, "Tab")
    screen = try waitForFrame(session, "the cursor in the TiMiRec list") { $0.text.contains("▸ #1 TiMiRec") }
    for _ in 0..<14 { try keys(session, "Down") }
    screen = try waitForFrame(session, "the 15th row under the cursor") { $0.text.contains("▸ #15 TiMiRec") }
    XCTAssertTrue(screen.rows.contains { $0.contains("▸15") }, "the 15th row is not drawn:\n\(screen.text)")
    XCTAssertFalse(screen.rows.contains { $0.contains("│▸ 1") || $0.contains("  1★") }, screen.text)
    // t: the true next item's row, with its ★, and the status says which row.
    try keys(session, "t")
    screen = try waitForFrame(session, "the cursor on the true next item") { $0.text.contains("true next: row") }
    let row = try XCTUnwrap(screen.rows.first { $0.contains("true next: row") }.flatMap { line in
      line.range(of: #"row (\d+)"#, options: .regularExpression).map { Int(line[$0].dropFirst(4))! }
    })
    XCTAssertTrue(screen.rows.contains { $0.contains("▸\(String(format: "%2d", row))★") }, screen.text)
    XCTAssertTrue(screen.text.contains("▸ #\(row) TiMiRec"), screen.text)
    // Esc leaves the list focus and does not quit; a second Esc does not quit either.
    try keys(session, "Escape")
    screen = try waitForFrame(session, "the focus back on the users") { !$0.text.contains("▸ #") }
    try keys(session, "Escape", "Right")
    screen = try waitForFrame(session, "t=26 after Esc, Esc, →") { $0.step == 26 }
    // An arrow key split after its Esc (a slow link): Esc arrives alone, is read as Esc
    // (ESCDELAY passed: the status says so), then "[D" arrives: ← (t back to 25), not
    // "[" (T lower) and "D".
    let temperature = try XCTUnwrap(screen.temperature)
    try keys(session, "Escape")
    screen = try waitForFrame(session, "the lone Esc read") { $0.text.contains("nothing to back out of") }
    try tmuxRun(["send-keys", "-t", session, "-l", "[D"])
    screen = try waitForFrame(session, "t=25 after the rest of the split ← arrived") { $0.step == 25 }
    XCTAssertEqual(screen.temperature, temperature, screen.text)
    try keys(session, "q")
    try assertExitedAndRestored(session, code: 0)
  }

  /// Ctrl-\\ (SIGQUIT) restores the terminal and exits 131 with no crash report on the
  /// screen, and nothing is left in the temporary folder. Ctrl-L redraws cells written
  /// behind the explorer's back.
  func testCtrlBackslashQuitsCleanlyAndCtrlLRedraws() throws {
    let temporary = (scratch as NSString).appendingPathComponent("tmp")
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    let session = "quit"
    try start(session, environment: "TMPDIR=\(temporary)")
    _ = try waitForFrame(session, "the first frame")
    // Garbage written straight to the pane's terminal, which ncurses does not know about.
    let tty = try tmuxRun(["display-message", "-p", "-t", session, "#{pane_tty}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    try "\u{1B}[5;5HGARBAGE-GARBAGE".write(toFile: tty, atomically: false, encoding: .utf8)
    _ = try waitForScreen(session, "the garbage on screen") { $0.text.contains("GARBAGE-GARBAGE") }
    try keys(session, "C-l")
    let screen = try waitForFrame(session, "the garbage gone after Ctrl-L") { !$0.text.contains("GARBAGE") }
    XCTAssertTrue(screen.text.contains("Recommendations"), screen.text)
    try keys(session, "C-\\")
    try assertExitedAndRestored(session, code: 131)
    let after = try capture(session).text
    for word in ["Backtrace", "Crash", "Fatal", "fault", "Thread 0"] { XCTAssertFalse(after.contains(word), after) }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], "left in the temporary folder")
  }

  /// A fatal signal (what a Swift runtime error raises) while curses owns the screen: the
  /// terminal is restored first, then what the process wrote to its stderr meanwhile (where
  /// the runtime's fatal-error message goes) is shown, then the signal's default action
  /// ends it (exit 134); nothing is left in the temporary folder.
  func testFatalSignalRestoresThenShowsTheCapturedMessage() throws {
    let temporary = (scratch as NSString).appendingPathComponent("tmp-fatal")
    try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    let pidFile = (scratch as NSString).appendingPathComponent("fatal.pid")
    let session = "fatal"
    try start(session, pidFile: pidFile, environment: "TMPDIR=\(temporary)")
    _ = try waitForFrame(session, "the first frame")
    let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    let pid = try XCTUnwrap(pid_t(text), "pid file: '\(text)'")
    // Write to the explorer's own stderr (its captured file) as a runtime error would.
    let stderr = try XCTUnwrap(FileHandle(forWritingAtPath: "/proc/\(pid)/fd/2"), "cannot open the explorer's stderr")
    stderr.write(Data("Fatal error: the message the user must see\n".utf8))
    try stderr.close()
    XCTAssertEqual(kill(pid, SIGABRT), 0)
    try assertExitedAndRestored(session, code: 134)
    let screen = try capture(session)
    let message = try XCTUnwrap(screen.rows.firstIndex { $0.contains("the message the user must see") }, screen.text)
    let exit = try XCTUnwrap(screen.rows.firstIndex { $0.hasPrefix("EXIT=") })
    XCTAssertLessThan(message, exit, screen.text)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], "left in the temporary folder")
  }

  /// Titles with ZWJ sequences, skin tones, flags, variation selectors, CJK and full-width
  /// text: the pane separator stands in the same column on every row (as tmux drew it), and
  /// no row is wider than the window, at an odd and an even width.
  func testSeparatorsStayAlignedWithEmojiTitles() throws {
    let data = (scratch as NSString).appendingPathComponent("emoji-data")
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    let demo = packageRoot.appendingPathComponent("demo-data").path
    for file in ["train.csv", "dev.csv", "test.csv", "dataset.json"] {
      try FileManager.default.copyItem(atPath: "\(demo)/\(file)", toPath: "\(data)/\(file)")
    }
    try FileManager.default.createSymbolicLink(atPath: "\(data)/checkpoint", withDestinationPath: "\(demo)/checkpoint")
    let decorations = ["👨‍👩‍👧 ", "👍🏽 ", "🇯🇵 ", "☀️ ", "🖥 ", "漢字 ", "ＡＢＣ ", "🚀⚽ ", "e\u{301} ", ""]
    let lines = try String(contentsOfFile: "\(demo)/items.tsv", encoding: .utf8).split(separator: "\n")
    var out = [String(lines[0])]
    for (i, line) in lines.dropFirst().enumerated() {
      let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
      out.append("\(fields[0])\t\(decorations[i % decorations.count])\(fields[1]) \(decorations[(i + 3) % decorations.count])\t\(fields[2])")
    }
    try (out.joined(separator: "\n") + "\n").write(toFile: "\(data)/items.tsv", atomically: true, encoding: .utf8)
    for (columns, rows) in [(100, 30), (101, 31)] {
      let session = "emoji\(columns)"
      try start(session, arguments: "--data '\(data)' --user 1239 --step 25", columns: columns, rows: rows)
      _ = try waitForFrame(session, "the first frame")
      try keys(session, "Tab", "Down", "Down")
      let screen = try waitForFrame(session, "the cursor on row 3") { $0.text.contains("▸ #3 TiMiRec") }
      XCTAssertTrue(screen.text.contains("👨👩👧") || screen.text.contains("漢字"), screen.text)
      let separator = min(44, max(26, columns * 3 / 10))
      for (r, row) in screen.rows.enumerated() {
        XCTAssertLessThanOrEqual(CellWidthTests.wcswidth(row), columns, "row \(r) wider than the window: \(row)")
        guard r > 0 && r < rows - 2 else { continue }
        var used = 0
        var rest = Substring(row)
        while used < separator, let c = rest.first { used += CellWidthTests.wcswidth(String(c)); rest = rest.dropFirst() }
        XCTAssertEqual(used, separator, "\(columns)×\(rows) row \(r): \(row)")
        XCTAssertEqual(rest.first, "│", "\(columns)×\(rows) row \(r): the separator moved: \(row)")
      }
      try keys(session, "q")
      try assertExitedAndRestored(session, code: 0)
    }
  }

  /// A non-UTF-8 locale and TERM=dumb are refused before the screen changes, with what to do.
  func testNonUTF8LocaleAndDumbTerminalAreRefused() throws {
    for (session, environment, words) in [("ascii", "LC_ALL=C LANG=C", "UTF-8"), ("dumb", "TERM=dumb", "TERM is 'dumb'")] {
      try start(session, environment: environment)
      let screen = try waitForScreen(session, "the refusal") { $0.text.contains("EXIT=") && $0.text.contains("icanon") }
      XCTAssertTrue(screen.text.contains("cannot start the terminal UI"), screen.text)
      XCTAssertTrue(screen.text.contains(words), screen.text)
      XCTAssertTrue(screen.text.contains("--snapshot"), screen.text)
      try assertExitedAndRestored(session, code: 1)
    }
  }

  // MARK: tmux

  /// Starts the explorer on the demo in a new 100×30 session of this test's server, in a
  /// shell that then prints "EXIT=<code>" and the echo/icanon settings. The shell traps
  /// SIGINT and SIGQUIT (Ctrl-C and Ctrl-\\ reach the whole foreground group) so it survives
  /// to report.
  /// - Parameter environment: extra variables for the explorer, e.g. "NO_COLOR=1".
  func start(_ session: String, pidFile: String? = nil, environment: String = "", arguments: String = "--data demo-data",
             columns: Int = 100, rows: Int = 30) throws {
    let binary = try BuiltProducts.timirec.get()
    let record = pidFile.map { "echo $$ > \($0); " } ?? ""
    // `exec`: the explorer replaces the inner shell, so a signal to the foreground group
    // cannot end that shell (and let the outer one report) before the explorer has restored
    // the terminal.
    let script = """
      trap ':' INT QUIT; cd '\(packageRoot.path)' && sh -c '\(record)exec env \(environment) "\(binary)" explore \(arguments)'; \
      echo "EXIT=$?"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(echo|icanon)$' | tr '\\n' ' '; echo; sleep 600
      """
    try tmuxRun(["new-session", "-d", "-s", session, "-x", String(columns), "-y", String(rows), "sh", "-c", script])
  }

  func keys(_ session: String, _ names: String...) throws { try tmuxRun(["send-keys", "-t", session] + names) }

  @discardableResult
  func tmuxRun(_ arguments: [String]) throws -> String {
    guard let tmux else { throw TestSupportError("no tmux server (setUp failed)") }
    return try tmux.run(arguments)
  }
}
