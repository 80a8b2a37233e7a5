import Foundation
// The only file that calls ncurses (docs/ARCHITECTURE.md): maps `Style` roles to colour pairs and
// attributes, raw key codes to `Key`, and owns setup/teardown of the screen.
//
// Teardown runs on every way out (docs/EXPLORER.md, "Rules"): `shutdown()` from the caller's `defer`
// (normal exit and thrown errors), SIGINT/SIGTERM/SIGHUP/SIGQUIT (the loop sees
// `pendingSignal` within 100 ms and unwinds; a second signal restores and exits at once; our
// SIGQUIT handler also keeps the Swift runtime's backtracer off the screen), and fatal traps
// (SIGILL/SIGTRAP/SIGSEGV/SIGBUS/SIGFPE/SIGABRT: restore, replay the captured stderr, which
// holds the fatal error's message, then re-raise with the default action).

@preconcurrency import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// ncursesw behind the `Terminal` protocol.
public final class NcursesTerminal: Terminal {
  /// Set by the signal handler: the signal that asked the explorer to stop (0 = none).
  nonisolated(unsafe) static var requestedSignal: Int32 = 0
  /// True while curses owns the screen (read by the signal handlers).
  nonisolated(unsafe) static var active = false

  private var attributes: [Int32]
  private var stopped = false

  /// Takes over the terminal (alternate screen, no echo, keypad, hidden cursor).
  /// - Throws: `ExplorerError.terminal` when TERM is unknown or the terminal cannot be set up.
  public init() throws {
    _ = cn_set_locale()
    guard let screen = newterm(nil, cn_stdout(), cn_stdin()) else {
      let term = getenv("TERM").map { String(cString: $0) } ?? "(unset)"
      throw ExplorerError.terminal("ncurses does not know TERM=\(term); try TERM=xterm-256color")
    }
    _ = set_term(screen)
    NcursesTerminal.active = true
    NcursesTerminal.requestedSignal = 0
    cbreak()
    noecho()
    nonl()
    _ = keypad(cn_stdscr(), true)
    _ = curs_set(0)
    // How long a lone Esc waits for the rest of an escape sequence: ESCDELAY from the
    // environment if set (ncurses' own variable), else 200 ms, long enough for the arrow
    // keys of a slow SSH link to arrive whole, short enough for Esc to feel immediate.
    let escDelay = ProcessInfo.processInfo.environment["ESCDELAY"].flatMap { Int32($0) } ?? 200
    cn_set_escdelay(max(0, escDelay))
    attributes = Array(repeating: 0, count: Style.allCases.count)
    setUpStyles()
    NcursesTerminal.installSignalHandlers()
  }

  /// A screen that writes to a file instead of the terminal (benchmarks): same drawing
  /// work, no TTY needed. Uses TERM (default xterm-256color) and a fixed size.
  public init(outputPath: String, rows: Int, columns: Int) throws {
    _ = cn_set_locale()
    if getenv("TERM") == nil { setenv("TERM", "xterm-256color", 1) }
    setenv("LINES", String(rows), 1)
    setenv("COLUMNS", String(columns), 1)
    guard let output = fopen(outputPath, "w"), let input = fopen("/dev/null", "r"),
          let screen = newterm(nil, output, input) else {
      throw ExplorerError.terminal("cannot open an ncurses screen on \(outputPath)")
    }
    _ = set_term(screen)
    NcursesTerminal.active = true
    attributes = Array(repeating: 0, count: Style.allCases.count)
    setUpStyles()
  }

  deinit { shutdown() }

  /// Gives the terminal back: cursor shown, attributes reset, main screen restored. Safe to
  /// call twice.
  public func shutdown() {
    guard !stopped else { return }
    stopped = true
    _ = curs_set(1)
    endwin()
    NcursesTerminal.active = false
    for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { signal(s, SIG_DFL) }
  }

  /// Ctrl-L: the next refresh rewrites every cell.
  public func invalidate() { _ = clearok(cn_curscr(), true) }

  /// The signal that asked to stop, if any (SIGINT, SIGTERM, SIGHUP).
  public static var pendingSignal: Int32? { requestedSignal == 0 ? nil : requestedSignal }

  // MARK: Terminal

  public var size: (rows: Int, columns: Int) {
    (Int(getmaxy(cn_stdscr())), Int(getmaxx(cn_stdscr())))
  }

  public func beginFrame() { werase(cn_stdscr()) }

  public func draw(row: Int, column: Int, text: String, style: Style) {
    _ = wattrset(cn_stdscr(), attributes[style.rawValue])
    _ = mvwaddstr(cn_stdscr(), Int32(row), Int32(column), text)
  }

  public func endFrame() {
    _ = wattrset(cn_stdscr(), 0)
    wrefresh(cn_stdscr())
  }

  public func readKey(timeoutMilliseconds: Int) -> Key? {
    wtimeout(cn_stdscr(), Int32(timeoutMilliseconds))
    var value: Int32 = 0, code: Int32 = 0
    guard cn_get_key(&value, &code) == OK else { return nil }
    if code != 0 {
      switch value {
      case KEY_UP: return .up
      case KEY_DOWN: return .down
      case KEY_LEFT: return .left
      case KEY_RIGHT: return .right
      case KEY_HOME: return .home
      case KEY_END: return .end
      case KEY_PPAGE: return .pageUp
      case KEY_NPAGE: return .pageDown
      case KEY_BTAB: return .backTab
      case KEY_ENTER: return .enter
      case KEY_BACKSPACE: return .backspace
      case KEY_RESIZE: return .resize
      default: return nil
      }
    }
    if value == 27 && code == 0 { lastEscape = DispatchTime.now().uptimeNanoseconds }
    if code == 0 && (value == 0x5B || value == 0x4F), let key = splitSequence(introducer: value) { return key }
    switch value {
    case 9: return .tab
    case 10, 13: return .enter
    case 27: return .escape
    case 8, 127: return .backspace
    case 1...26: return .control(Character(Unicode.Scalar(UInt8(96 + value))))
    default:
      guard value >= 32, let scalar = Unicode.Scalar(UInt32(value)) else { return nil }
      return .character(Character(scalar))
    }
  }

  /// When the last lone Esc was read (uptime ns; 0 = never).
  private var lastEscape: UInt64 = 0

  /// The rest of an escape sequence that arrived after ncurses had given up waiting (ESCDELAY)
  /// and returned a lone Esc: within 5 s of that Esc, `[` or `O` followed at once by the
  /// bytes of a cursor or editing key is that key, not `[` (colder) and letters. Returns nil
  /// (the `[`/`O` is then an ordinary key) when no such bytes are waiting.
  private func splitSequence(introducer: Int32) -> Key? {
    guard lastEscape != 0, DispatchTime.now().uptimeNanoseconds - lastEscape < 5_000_000_000 else { return nil }
    lastEscape = 0
    wtimeout(cn_stdscr(), 0)
    var body: [Int32] = []
    var value: Int32 = 0, code: Int32 = 0
    while body.count < 8, cn_get_key(&value, &code) == OK, code == 0 {
      body.append(value)
      if value >= 0x40 && value <= 0x7E { break }  // the final byte
    }
    guard let final = body.last, final >= 0x40 && final <= 0x7E else {
      // Not a sequence: give the bytes back in order, the introducer first.
      for v in body.reversed() { _ = cn_unget_key(v) }
      return nil
    }
    let parameters = String(decoding: body.dropLast().map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    switch (Unicode.Scalar(UInt8(final)), parameters) {
    case ("A", _): return .up
    case ("B", _): return .down
    case ("C", _): return .right
    case ("D", _): return .left
    case ("H", _): return .home
    case ("F", _): return .end
    case ("Z", _): return .backTab
    case ("~", "1"), ("~", "7"): return .home
    case ("~", "4"), ("~", "8"): return .end
    case ("~", "5"): return .pageUp
    case ("~", "6"): return .pageDown
    default: return .resize  // an unknown sequence: swallowed, the screen redrawn
    }
  }

  // MARK: Styles

  private func setUpStyles() {
    let bold = Int32(cn_attr_bold()), reverse = Int32(cn_attr_reverse()), dim = Int32(cn_attr_dim())
    // COLORS is 0 until start_color() has run, so colour support is asked after starting it.
    // NO_COLOR (no-color.org): present and not empty turns colour off; the monochrome
    // attributes below then tell the roles apart.
    let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    let colour = has_colors() && !noColor && start_color() != ERR && cn_colors() >= 8
    if colour { use_default_colors() }
    // (foreground, background, extra attributes, monochrome attributes) per role.
    let d = Int16(-1)
    let spec: [Style: (Int16, Int16, Int32, Int32)] = [
      .normal: (d, d, 0, 0),
      .header: (Int16(COLOR_WHITE), Int16(COLOR_BLUE), bold, reverse | bold),
      .paneTitle: (Int16(COLOR_BLACK), Int16(COLOR_WHITE), 0, reverse),
      .paneTitleFocused: (Int16(COLOR_BLACK), Int16(COLOR_CYAN), bold, reverse | bold),
      .selectionFocused: (Int16(COLOR_BLACK), Int16(COLOR_YELLOW), 0, reverse | bold),
      .selection: (d, d, reverse, reverse),
      .dim: (d, d, dim, dim),
      .window: (Int16(COLOR_CYAN), d, 0, 0),
      .target: (Int16(COLOR_YELLOW), d, bold, bold),
      .barQ: (Int16(COLOR_GREEN), d, 0, 0),
      .barP: (Int16(COLOR_MAGENTA), d, 0, 0),
      .barW: (Int16(COLOR_CYAN), d, bold, bold),
      .legend: (d, d, dim, dim),
      .emphasis: (d, d, bold, bold),
      .warning: (Int16(COLOR_YELLOW), d, 0, bold),
      .error: (Int16(COLOR_RED), d, bold, bold),
      .footerKey: (Int16(COLOR_BLACK), Int16(COLOR_CYAN), 0, reverse),
      .footer: (d, d, 0, 0),
    ]
    for style in Style.allCases {
      let (fg, bg, extra, mono) = spec[style] ?? (d, d, 0, 0)
      if colour {
        let pair = Int16(style.rawValue + 1)
        init_pair(pair, fg, bg)
        attributes[style.rawValue] = Int32(cn_color_pair(pair)) | extra
      } else {
        attributes[style.rawValue] = mono
      }
    }
  }

  // MARK: Signals

  /// The descriptors the fatal-signal handler replays the captured stderr with (−1: none).
  /// Set once before the handlers are installed and cleared after they are removed; the
  /// handler only reads them, so the plain statics are safe.
  nonisolated(unsafe) static var capturedStderr: Int32 = -1
  nonisolated(unsafe) static var originalStderr: Int32 = -1

  static func installSignalHandlers() {
    for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
      signal(s) { sig in
        if NcursesTerminal.requestedSignal != 0 {
          // Second signal: the loop did not get to unwind; restore and leave now.
          if NcursesTerminal.active { endwin() }
          _exit(128 + sig)
        }
        NcursesTerminal.requestedSignal = sig
      }
    }
    for s in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
      signal(s) { sig in
        if NcursesTerminal.active { endwin(); NcursesTerminal.active = false }
        // The fatal error's message went to the captured stderr: show it now that the
        // terminal is restored (read/write only: async-signal-safe).
        if NcursesTerminal.capturedStderr >= 0 && NcursesTerminal.originalStderr >= 0 {
          dup2(NcursesTerminal.originalStderr, STDERR_FILENO)
          lseek(NcursesTerminal.capturedStderr, 0, SEEK_SET)
          var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
          withUnsafeMutableBytes(of: &buffer) { b in
            while true {
              let n = read(NcursesTerminal.capturedStderr, b.baseAddress, b.count)
              if n <= 0 { break }
              _ = write(STDERR_FILENO, b.baseAddress, n)
            }
          }
        }
        signal(sig, SIG_DFL)
        raise(sig)
      }
    }
  }
}
