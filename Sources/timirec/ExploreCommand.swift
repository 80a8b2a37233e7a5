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
  @Flag(name: .customLong("tempered-mix"), help: "Mix the TiMiRec list with softmax(z^q/T) (the `m` key).")
  var temperedMix = false
  @Option(help: ArgumentHelp("Select a recommended item, LIST:ROW (1-based), to show its own p; LIST is \(ListSelection.List.allCases.map(\.rawValue).joined(separator: " or ")).",
                             valueName: "list:row"),
          transform: ListSelection.init(parsing:))
  var select: ListSelection?
  @Option(help: ArgumentHelp("What-if: item ids, oldest first, that replace the history before --step (the model reads the last history_max of them, its window; the lists exclude them all); the target stays the user's item at --step.",
                             valueName: "id,id,…"))
  var history: String?
  @Flag(help: "Print the key table as Markdown (docs/KEYS.md) and exit.") var keys = false

  /// The widest snapshot: wider than any screen (a 4K display in a tiny font is ~700 columns).
  static let widthRange = 40...1000

  func validate() throws {
    if let temp, !KeyBindings.temperatureRange.contains(temp) {
      let range = KeyBindings.temperatureRange
      throw ValidationError("--temp must be within \(formatTemperature(range.lowerBound))…\(formatTemperature(range.upperBound)) (the range of the [ ] keys), got \(temp)")
    }
    guard Self.widthRange.contains(width) else {
      throw ValidationError("--width must be within \(Self.widthRange.lowerBound)…\(Self.widthRange.upperBound) columns, got \(width)")
    }
    if !snapshot && (json || fullHistory) {
      throw ValidationError("--json and --full-history go with --snapshot")
    }
  }

  func run() throws {
    if keys { print(KeyBindings.markdown(), terminator: ""); return }
    let folder = data ?? DemoPaths.defaultDemoFolder()
    let checkpoint = ckpt ?? (folder as NSString).appendingPathComponent("checkpoint")
    let session = try ExplorerSession.load(data: folder, checkpoint: checkpoint, checkpointDefaulted: ckpt == nil)
    var userIndex = 0
    if let user {
      guard let index = session.userIndex(forId: user) else {
        throw ExplorerError.noSuchUser(user, available: session.users.first!...session.users.last!)
      }
      userIndex = index
    }
    var state = ExplorerState.initial(session: session, userIndex: userIndex)
    if let step {
      let id = session.users[userIndex]
      let n = session.sequenceLength(user: id)
      guard (0...n).contains(step) else { throw ExplorerError.stepOutOfRange(user: id, step: step, length: n) }
      state.step = step
    }
    if let history {
      state.historyEdit = try HistoryEdit.parse(history, session: session, userIndex: userIndex, step: state.step)
    }
    if let temp { state.temperature = temp }
    if temperedMix { state.mix = .tempered }
    if let select {
      state.focus = select.list.pane
      state.selection = select.row - 1
    }
    if snapshot {
      let view = ViewBuilder(session: session).view(for: state)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(view) } catch let EncodingError.invalidValue(value, context) {
          // NaN or ±inf: never printed as a number (docs/EXPLORER.md).
          let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
          throw ValidationError("the view has a value that is not a finite number (\(value) at \(path)); nothing was printed")
        }
        print(String(decoding: data, as: UTF8.self))
      } else {
        print(SnapshotText.render(view, state: state, width: width, fullHistory: fullHistory), terminator: "")
      }
      return
    }
    switch try ExplorerApp.run(session: session, state: state) {
    case .quit, .inputEnded: return
    case .signal(let s): throw ExitCode(128 + s)
    }
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
