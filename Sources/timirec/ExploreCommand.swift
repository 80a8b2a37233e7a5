import ArgumentParser
import Explorer
import Foundation

/// `timirec explore`: the full-screen explorer, or `--snapshot` for the same view as text/JSON.
struct ExploreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explore",
    abstract: "Explore a trained TiMiRec in the terminal (default: the bundled demo in demo-data/).",
    discussion: """
      Interactive: timirec explore [--data DIR --ckpt CKPT] [--user U --step T]   (press ? for the keys)
      Text:        timirec explore --snapshot --user 7 --step 30 --temp 0.5 --width 100 [--json]
      Compare:     timirec explore --data DIR --ckpt CKPT --compare CKPT2   (two checkpoints of DIR side by side)
      What-if:     timirec explore --snapshot --user 7 --step 30 --history 12,7,40 [--json]
      --ckpt defaults to DIR/checkpoint. Steps run 0…n_u: at step t the model reads the items \
      before t and the item at t is the target (t = n_u: after the last item, no target).
      """)

  @Option(help: "Dataset folder (train.csv, dev.csv, test.csv, items.tsv).") var data: String?
  @Option(help: "Checkpoint folder (default: <data>/checkpoint).") var ckpt: String?
  @Flag(help: "Print the view as text (or --json) instead of opening the UI.") var snapshot = false
  @Option(help: "User id to open at (default: the first user).") var user: Int?
  @Option(help: "Step t in 0…n_u to open at (default: n_u − 1, the test item as target).") var step: Int?
  @Option(help: "Temperature T in 0.01…100, the range of the [ ] keys (default: the checkpoint's training temperature).")
  var temp: Float?
  @Option(help: "Snapshot: width in columns, 40…1000.") var width: Int = 100
  @Flag(help: "Snapshot: print JSON with every number of the view (always the whole history).") var json = false
  @Flag(name: .customLong("full-history"), help: "Snapshot text: every history item, not just the window and target.")
  var fullHistory = false
  @OptionGroup var shape: ViewOptions
  @Option(name: .customLong("export-dir"),
          help: "Folder where the `e` key writes its timirec-export-… folders (default: the current directory; never inside the dataset or checkpoint folder).")
  var exportDir: String?
  @Flag(help: "Print the key table as Markdown (docs/KEYS.md) and exit.") var keys = false

  /// The widest snapshot: wider than any screen (a 4K display in a tiny font is ~700 columns).
  static let widthRange = 40...1000

  /// `--temp` must lie in the keys' range (also checked by `timirec export`).
  static func validateTemperature(_ temp: Float?) throws {
    if let temp, !KeyBindings.temperatureRange.contains(temp) {
      let range = KeyBindings.temperatureRange
      throw ValidationError("--temp must be within \(formatTemperature(range.lowerBound))…\(formatTemperature(range.upperBound)) (the range of the [ ] keys), got \(temp)")
    }
  }

  func validate() throws {
    try Self.validateTemperature(temp)
    guard Self.widthRange.contains(width) else {
      throw ValidationError("--width must be within \(Self.widthRange.lowerBound)…\(Self.widthRange.upperBound) columns, got \(width)")
    }
    if !snapshot && (json || fullHistory) {
      throw ValidationError("--json and --full-history go with --snapshot")
    }
    if snapshot && exportDir != nil {
      throw ValidationError("--export-dir is where the `e` key writes, in the interactive explorer; for --snapshot use `timirec export view`")
    }
  }

  func run() throws {
    if keys { print(KeyBindings.markdown(), terminator: ""); return }
    let session = try DemoPaths.openSession(data: data, ckpt: ckpt)
    let comparison = try shape.comparison(session: session)
    let state = try shape.state(session: session, user: user, step: step, temperature: temp)
    if snapshot {
      let view = ViewOptions.view(session: session, state: state, comparison: comparison)
      if json {
        // The one encoder, shared with `timirec export view` and the `e` key; NaN or ±inf is
        // refused with its field's path (docs/EXPLORER.md).
        FileHandle.standardOutput.write(try ViewExport.jsonFile(view))
      } else {
        print(SnapshotText.render(view, state: state, width: width, fullHistory: fullHistory), terminator: "")
      }
      return
    }
    // A bad --export-dir is refused before the screen opens rather than at the first `e`.
    var export: ExportEffect?
    if let exportDir { export = try ExportEffect.checked(directory: exportDir, session: session) }
    switch try ExplorerApp.run(session: session, state: state, export: export, comparison: comparison) {
    case .quit, .inputEnded: return
    case .signal(let s): throw ExitCode(128 + s)
    }
  }
}

/// What shapes the view beyond (user, step, T): the mix, a selected row, a compared checkpoint
/// and an edited history. `explore` and `export view` share these options and build the view
/// through them, so `export view` writes what `explore --snapshot --json` prints.
struct ViewOptions: ParsableArguments {
  @Flag(name: .customLong("tempered-mix"), help: "Mix the TiMiRec list with softmax(z^q/T) (the `m` key).")
  var temperedMix = false
  @Option(help: ArgumentHelp("Select a recommended item, LIST:ROW (1-based), to show its own p; LIST is \(ListSelection.List.allCases.map(\.rawValue).joined(separator: " or ")).",
                             valueName: "list:row"),
          transform: ListSelection.init(parsing:))
  var select: ListSelection?
  @Option(help: ArgumentHelp("A second checkpoint on the same dataset, shown beside --ckpt (its interests, list and ranks; `v` toggles).",
                             valueName: "ckpt2"))
  var compare: String?
  // Unconditional: the next argument is the list even when it starts with "-" (`--history -3`
  // then names -3 as not an item id rather than failing as a missing value).
  @Option(parsing: .unconditional,
          help: ArgumentHelp("What-if: item ids, oldest first, that replace the history before --step (the model reads the last history_max of them, its window; the lists exclude them all; '' is the empty history); the target stays the user's item at --step.",
                             valueName: "id,id,…"))
  var history: String?

  /// The session of `--compare` (nil without it).
  /// - Throws: `ExplorerError` (ExplorerSession.comparison).
  func comparison(session: ExplorerSession) throws -> ExplorerSession? {
    try compare.map { try session.comparison(checkpoint: $0) }
  }

  /// The opening state at (user, step, T) with `--history`, `--tempered-mix` and `--select`.
  /// - Throws: `ExplorerError` (an unknown user, a step out of range, a bad history).
  func state(session: ExplorerSession, user: Int?, step: Int?, temperature: Float?) throws -> ExplorerState {
    var state = try ExplorerState.opening(session: session, user: user, step: step, temperature: temperature)
    if let history {
      state.historyEdit = try HistoryEdit.parse(history, session: session, userIndex: state.userIndex, step: state.step)
    }
    if temperedMix { state.mix = .tempered }
    if let select {
      state.focus = select.list.pane
      state.selection = select.row - 1
    }
    return state
  }

  /// The view `explore --snapshot` prints and `export view` writes (with the compared model).
  static func view(session: ExplorerSession, state: ExplorerState, comparison: ExplorerSession?) -> ExplorerView {
    let builder = ViewBuilder(session: session)
    builder.comparison = comparison.map { ViewBuilder(session: $0) }
    return builder.fullView(for: state)
  }
}

/// `--select LIST:ROW`: a row of one of the two recommendation lists.
struct ListSelection {
  enum List: String, CaseIterable {
    case timirec, best

    var pane: FocusPane {
      switch self {
      case .timirec: return .timirec
      case .best: return .bestMatch
      }
    }
  }

  let list: List
  /// 1-based.
  let row: Int

  init(parsing text: String) throws {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    let lists = List.allCases.map(\.rawValue).joined(separator: " or ")
    guard parts.count == 2, let row = Int(parts[1]), row >= 1 else {
      throw ValidationError("--select takes LIST:ROW (LIST \(lists)) with ROW ≥ 1, not '\(text)'")
    }
    // "best-match" is accepted as the pane's full name.
    guard let list = List(rawValue: parts[0] == "best-match" ? "best" : String(parts[0])) else {
      throw ValidationError("--select list must be \(lists), not '\(parts[0])'")
    }
    self.list = list
    self.row = row
  }
}

/// Where the bundled demo lives.
enum DemoPaths {
  /// The session of `--data` (default: the demo) and `--ckpt` (default: DATA/checkpoint).
  /// - Throws: `ExplorerError` (ExplorerSession.load).
  static func openSession(data: String?, ckpt: String?) throws -> ExplorerSession {
    let folder = data ?? defaultDemoFolder()
    let checkpoint = ckpt ?? (folder as NSString).appendingPathComponent("checkpoint")
    return try ExplorerSession.load(data: folder, checkpoint: checkpoint, checkpointDefaulted: ckpt == nil)
  }

  /// `demo-data` in the current directory, else beside the package the binary was built in
  /// (`.build/<config>/timirec` → `../../demo-data`), else `demo-data`.
  static func defaultDemoFolder() -> String {
    let fm = FileManager.default
    if fm.fileExists(atPath: "demo-data/train.csv") { return "demo-data" }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<5 {
      let candidate = url.appendingPathComponent("demo-data")
      if fm.fileExists(atPath: candidate.appendingPathComponent("train.csv").path) { return candidate.path }
      url.deleteLastPathComponent()
    }
    return "demo-data"
  }
}
