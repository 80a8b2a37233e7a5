// The interactive loop: read a key, let the state handle it, recompute the view when the
// reaction asks for it, draw the frame (docs/EXPLORER.md, "Rules"). Drawing goes through `Terminal`, so
// tests can run the loop against an in-memory terminal.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why the loop ended.
public enum ExplorerExit: Equatable, Sendable {
  /// `q`.
  case quit
  /// A signal asked to stop (SIGINT, SIGTERM, SIGHUP, SIGQUIT); exit with 128 + signal.
  case signal(Int32)
  /// The terminal stopped delivering keys (`maxIdleReads` reached, tests only).
  case inputEnded
}

/// The explorer's event loop over any `Terminal`.
public final class ExplorerLoop {
  public let builder: ViewBuilder
  public private(set) var state: ExplorerState
  public private(set) var context: ExplorerContext
  public private(set) var view: ExplorerView
  /// The last frame sent to the terminal.
  public private(set) var lastFrame: Frame?
  /// Seconds per handled key (benchmarks): view computation (state + ViewBuilder), frame
  /// composition (presentation + layout), and the terminal's own drawing.
  public private(set) var timings: [(compute: Double, frame: Double, terminal: Double)] = []
  private var lastDraw: (frame: Double, terminal: Double) = (0, 0)
  /// The case tables (`c`, `p`), each split's computed on first use and kept (CaseTableCache.swift).
  public let cases = CaseTableCache()
  /// Polled between keys; returns a signal number to stop.
  public var stopRequested: () -> Int32? = { nil }
  /// What `e` runs (the loop writes files, handlers never do): export folders go to the
  /// current directory unless `--export-dir` chose another.
  public var export = ExportEffect(directory: FileManager.default.currentDirectoryPath)

  /// - Parameters:
  ///   - comparison: the second model of `explore --compare`.
  ///   - defersTimeline: compute a new user's timeline strip in `run` when no key is waiting,
  ///     after the user's first frame is drawn (the terminal UI), not in `press`.
  public init(session: ExplorerSession, state: ExplorerState, listLength: Int = 20, comparison: ExplorerSession? = nil,
              defersTimeline: Bool = false) {
    builder = ViewBuilder(session: session, listLength: listLength)
    builder.defersTimeline = defersTimeline
    builder.comparison = comparison.map { ViewBuilder(session: $0, listLength: listLength) }
    self.state = state
    context = ExplorerContext(session: session, listLength: listLength)
    context.hasComparison = comparison != nil
    // With --compare the case table's gain is model 2's rank − model 1's.
    cases.second = comparison?.model
    view = builder.fullView(for: state)
    context.targetRows = Self.targetRows(view)
  }

  /// Where the view's true next item stands in its lists (for the `t` key).
  static func targetRows(_ view: ExplorerView) -> (timirec: Int?, timirecRank: Int?, bestMatch: Int?, bestMatchRank: Int?)? {
    guard view.target != nil, let r = view.recommendations else { return nil }
    return (r.timirecTargetRow, r.timirecTargetRank, r.bestMatchTargetRow, r.bestMatchTargetRank)
  }

  /// Draws the current frame on `terminal`.
  public func draw(on terminal: Terminal) {
    let (rows, columns) = terminal.size
    let k = builder.session.interestCount
    let layout = ScreenLayout.compute(rows: rows, columns: columns, interestCount: k)
    if let layout { context.pageSize = layout.usersPageSize }
    context.tooSmall = layout == nil
    let help = ScreenRenderer.helpBox(rows: rows, columns: columns)
    context.helpPageRows = help.visible
    context.helpMaxScroll = max(0, help.lines.count - help.visible)
    let start = DispatchTime.now().uptimeNanoseconds
    context.cases?.pageSize = CaseTableScreen.tableRows(screenRows: rows)
    let frame = state.mode == .cases && layout != nil && cases.table != nil
      ? CaseTableScreen.render(cases.table!, order: cases.order, categories: cases.categories, state: state,
                               session: builder.session, rows: rows, columns: columns)
      : ScreenRenderer.render(view: view, state: state, context: context, rows: rows, columns: columns, interestCount: k)
    let composed = DispatchTime.now().uptimeNanoseconds
    terminal.show(frame)
    lastFrame = frame
    lastDraw = (Double(composed - start) / 1e9, Double(DispatchTime.now().uptimeNanoseconds - composed) / 1e9)
  }

  /// Applies one key; returns false when the explorer should quit.
  @discardableResult
  public func press(_ key: Key, terminal: Terminal?) -> Bool {
    let start = DispatchTime.now().uptimeNanoseconds
    let reaction = state.handle(key, context: context)
    if reaction.contains(.quit) { return false }
    if reaction.contains(.recompute) {
      view = builder.fullView(for: state)
      context.targetRows = Self.targetRows(view)
    }
    if reaction.contains(.refresh) { terminal?.invalidate() }
    if reaction.contains(.export) {
      do {
        let path = try export.run(builder: builder, view: view)
        state.status = ExportEffect.message(path: path, columns: terminal?.size.columns ?? 80)
      } catch {
        state.status = ExportEffect.message(failure: error, columns: terminal?.size.columns ?? 80)
      }
    }
    if state.mode == .cases { prepareCases(terminal: terminal) }
    let computed = DispatchTime.now().uptimeNanoseconds
    lastDraw = (0, 0)
    if !reaction.isEmpty, let terminal { draw(on: terminal) }
    timings.append((Double(computed - start) / 1e9, lastDraw.frame, lastDraw.terminal))
    return true
  }

  /// Computes (with a progress frame per block) and orders the case table of the state's split.
  private func prepareCases(terminal: Terminal?) {
    let size = terminal?.size ?? (rows: 24, columns: 80)
    let split = state.caseTable.split, threads = cases.threads
    let (prepared, error) = cases.prepare(session: builder.session, state: state.caseTable,
                                          pageSize: CaseTableScreen.tableRows(screenRows: size.rows)) { done, total in
      terminal?.show(CaseTableScreen.progress(done: done, total: total, split: split, threads: threads,
                                              rows: size.rows, columns: size.columns))
    }
    context.cases = prepared
    if let error { state.leaveCaseTable(status: error) }
  }

  /// Runs until `q`, a signal, or (with `maxIdleReads`) that many empty reads in a row.
  public func run(on terminal: Terminal, maxIdleReads: Int? = nil) -> ExplorerExit {
    draw(on: terminal)
    var idle = 0
    while true {
      if let signal = stopRequested() { return .signal(signal) }
      // A new user's timeline strip (StepTimeline.swift) is filled in when no key is waiting:
      // a waiting key goes first, so holding ↓ through users never waits for strips.
      let pending = builder.timelinePending(for: state)
      guard let key = terminal.readKey(timeoutMilliseconds: pending ? 0 : 100) else {
        if pending {
          builder.fillTimeline(for: state)
          view = builder.fullView(for: state)
          draw(on: terminal)
          continue
        }
        idle += 1
        if let maxIdleReads, idle >= maxIdleReads { return .inputEnded }
        continue
      }
      idle = 0
      if !press(key, terminal: terminal) { return .quit }
    }
  }
}

/// The full-screen explorer on the process's terminal.
public enum ExplorerApp {
  /// Runs the UI until the person quits; the terminal is restored on every way out.
  /// - Parameter export: where `e` writes (nil: the current directory).
  /// - Returns: how it ended (the caller maps `.signal(s)` to exit code 128 + s).
  /// - Throws: `ExplorerError.notATerminal`, `.cannotDraw` (not a UTF-8 locale, or TERM
  ///   unset or dumb) or `.terminal`, all before the screen changes.
  public static func run(session: ExplorerSession, state: ExplorerState, export: ExportEffect? = nil,
                         comparison: ExplorerSession? = nil) throws -> ExplorerExit {
    guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw ExplorerError.notATerminal }
    if let reason = cannotDrawReason() { throw ExplorerError.cannotDraw(reason) }
    let loop = ExplorerLoop(session: session, state: state, comparison: comparison, defersTimeline: true)
    if let export { loop.export = export }
    loop.stopRequested = { NcursesTerminal.pendingSignal }
    let capture = StderrCapture()
    defer { capture.finish() }
    let terminal = try NcursesTerminal()
    defer { terminal.shutdown() }
    return loop.run(on: terminal)
  }
}

extension ExplorerApp {
  /// Why this process's terminal cannot show the explorer, or nil when it can. The explorer
  /// refuses (no ASCII fallback, docs/EXPLORER.md "Terminals"): it needs a UTF-8 locale
  /// (box lines, bars, ★ and titles are UTF-8; ncurses draws them through the locale) and a
  /// terminal that can move its cursor (TERM set, not `dumb`).
  /// Sets the process locale from the environment, as ncurses needs.
  public static func cannotDrawReason(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
    let term = environment["TERM"] ?? ""
    if term.isEmpty || term == "dumb" || term == "unknown" {
      return "TERM is \(term.isEmpty ? "not set" : "'\(term)'"), a terminal that cannot move its cursor; run it in a terminal emulator (TERM=xterm-256color or similar), or use `timirec explore --snapshot` for text"
    }
    setlocale(LC_ALL, "")
    let codeset = nl_langinfo(nl_item(CODESET)).map { String(cString: $0) } ?? ""
    guard codeset == "UTF-8" else {
      let locale = ["LC_ALL", "LC_CTYPE", "LANG"].compactMap { name in environment[name].flatMap { $0.isEmpty ? nil : "\(name)=\($0)" } }.first ?? "no LANG/LC_ALL set"
      return "the locale's character set is \(codeset.isEmpty ? "unknown" : codeset) (\(locale)), and the explorer draws in UTF-8; run it with a UTF-8 locale, e.g. `LANG=C.UTF-8 timirec explore`, or use `timirec explore --snapshot` for text"
    }
    return nil
  }
}

/// Sends stderr to a temporary file while curses owns the screen and replays it afterwards
/// (docs/EXPLORER.md, "Rules": never print while curses is active).
final class StderrCapture {
  /// The captured stderr: a temporary file unlinked as soon as it is opened, so nothing is
  /// left in the temporary folder however the process ends.
  private var fd: Int32 = -1
  private var saved: Int32 = -1
  private var finished = false

  init() {
    var template = Array((NSTemporaryDirectory() + "/timirec-explore-stderr.XXXXXX").utf8CString)
    let file = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard file >= 0 else { return }
    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
    fflush(nil)
    saved = dup(STDERR_FILENO)
    fd = file
    dup2(fd, STDERR_FILENO)
    // For the fatal-signal handler, which replays it after restoring the terminal.
    NcursesTerminal.originalStderr = saved
    NcursesTerminal.capturedStderr = fd
  }

  /// Restores stderr and prints what was written meanwhile.
  func finish() {
    guard !finished, saved >= 0 else { return }
    finished = true
    fflush(nil)
    NcursesTerminal.capturedStderr = -1
    NcursesTerminal.originalStderr = -1
    dup2(saved, STDERR_FILENO)
    close(saved)
    lseek(fd, 0, SEEK_SET)
    let captured = FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile()
    if !captured.isEmpty { FileHandle.standardError.write(captured) }
  }

  deinit { finish() }
}
