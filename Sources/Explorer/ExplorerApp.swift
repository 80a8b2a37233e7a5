// The interactive loop: read a key, let the state handle it, recompute the view when the
// reaction asks for it, draw the frame (docs/EXPLORER.md, "Rules"). Drawing goes through `Terminal`, so
// tests can run the loop against an in-memory terminal.

import Foundation
import SeqRec
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
    context.helpCaseTableLine = help.lines.firstIndex { $0.first?.text == BindingGroup.caseTable.rawValue } ?? 0
    let start = DispatchTime.now().uptimeNanoseconds
    context.cases?.pageSize = CaseTableScreen.tableRows(screenRows: rows)
    // The table, or the table under the help `?` opened from it.
    let tableShown = state.mode == .cases || (state.mode == .help && state.caseTable.helpOverTable)
    var frame: Frame
    if tableShown && layout != nil, let table = cases.table {
      frame = CaseTableScreen.render(table, order: cases.order, categories: cases.categories, state: state,
                                     session: builder.session, checkpoints: checkpointNames, rows: rows, columns: columns)
      if state.mode == .help { ScreenRenderer.drawHelp(&frame, scroll: state.helpScroll) }
    } else {
      frame = ScreenRenderer.render(view: view, state: state, context: context, rows: rows, columns: columns, interestCount: k)
    }
    let composed = DispatchTime.now().uptimeNanoseconds
    terminal.show(frame)
    lastFrame = frame
    lastDraw = (Double(composed - start) / 1e9, Double(DispatchTime.now().uptimeNanoseconds - composed) / 1e9)
  }

  /// Applies one key; returns false when the explorer should quit.
  @discardableResult
  public func press(_ key: Key, terminal: Terminal?) -> Bool {
    let start = DispatchTime.now().uptimeNanoseconds
    // Where Esc on the progress screen goes back to: the mode and split before this key.
    let before = (mode: state.mode, split: state.caseTable.split)
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
    if state.mode == .cases, !prepareCases(terminal: terminal, backTo: before) { return false }
    let computed = DispatchTime.now().uptimeNanoseconds
    lastDraw = (0, 0)
    if !reaction.isEmpty, let terminal { draw(on: terminal) }
    timings.append((Double(computed - start) / 1e9, lastDraw.frame, lastDraw.terminal))
    return true
  }

  /// The checkpoint folders' names in compare mode (model 1, model 2), for the case table.
  var checkpointNames: (first: String, second: String)? {
    builder.comparison.map {
      (Panes.checkpointName(builder.session.checkpointPath), Panes.checkpointName($0.session.checkpointPath))
    }
  }

  /// Computes (with a progress frame per block) and orders the case table of the state's split.
  ///
  /// Between blocks it reads the keys typed meanwhile: Esc cancels (back to `backTo`: the
  /// browsing screen after `c`, the table shown before `p`; nothing of the cancelled split is
  /// kept), q quits, a stop signal ends the computation (the run loop then sees the signal),
  /// a resize redraws the progress at the new size; other keys are dropped. All of it runs
  /// on this thread, between the finder's rounds of work, so no state is shared with its
  /// workers.
  /// - Returns: false when q asked to quit.
  private func prepareCases(terminal: Terminal?, backTo before: (mode: InputMode, split: CaseSplit)) -> Bool {
    let split = state.caseTable.split, threads = cases.threads, names = checkpointNames
    var quit = false, stopped = false, last = (done: 0, total: 0)
    let (prepared, error, cancelled) = cases.prepare(
      session: builder.session, state: state.caseTable,
      pageSize: CaseTableScreen.tableRows(screenRows: (terminal?.size ?? (rows: 24, columns: 80)).rows),
      progress: { done, total in
        last = (done, total)
        guard let terminal else { return }
        let size = terminal.size
        terminal.show(CaseTableScreen.progress(done: done, total: total, split: split, threads: threads,
                                               checkpoints: names, rows: size.rows, columns: size.columns))
      },
      isCancelled: {
        if stopRequested() != nil { stopped = true; return true }
        while let key = terminal?.readKey(timeoutMilliseconds: 0) {
          switch key {
          case .escape: return true
          case .character("q"): quit = true; return true
          case .resize:
            if let terminal, last.total > 0 {
              let size = terminal.size
              terminal.show(CaseTableScreen.progress(done: last.done, total: last.total, split: split, threads: threads,
                                                     checkpoints: names, rows: size.rows, columns: size.columns))
            }
          default: continue
          }
        }
        return false
      })
    if quit { return false }
    if cancelled {
      let what = CaseTableScreen.cancelledStatus(split: split, done: last.done, total: last.total, compared: names != nil)
      let back = stopped || cases.computed(before.split) == nil ? InputMode.browse : before.mode
      state.cancelCaseTable(backTo: back, split: before.split,
                            status: before.mode == .cases ? "\(what); p computes it again" : "\(what); c computes it again")
      if state.mode == .cases {
        // The table shown before `p` is kept: show it again.
        (context.cases, _, _) = cases.prepare(session: builder.session, state: state.caseTable,
                                              pageSize: CaseTableScreen.tableRows(screenRows: (terminal?.size ?? (rows: 24, columns: 80)).rows),
                                              progress: { _, _ in })
      } else {
        context.cases = nil
      }
      return true
    }
    context.cases = prepared
    if let error { state.leaveCaseTable(status: error) }
    return true
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
