// bench-explore: how fast the explorer answers a key, and how fast it starts.
//
//   swift run -c release bench-explore [--data DIR --ckpt CKPT] [--beauty DIR] [--keys 2000]
//
// Keypress: for a scripted mix of keys (step ←/→, temperature [/], user switch ↓/r, the
// cursor of the TiMiRec list ↓/↑ and `t`, and the what-if edits of the history pane: d < > u,
// each an edit that runs the model on the edited history, and the `i` prompt: typing a title
// search over the catalogue, Enter inserting, u undoing), times
// (a) the pure part, state.handle + ViewBuilder.view (the model forward, V·Eᵀ over the whole
// item table, top-N lists, ranks), (b) composing the frame (presentation + layout), and (c)
// ncurses drawing it (a real ncurses screen writing to /dev/null, TERM=xterm-256color, 100×30).
// Prints p50/p99/max of each and of their sum, per key kind.
//
// Data: --data/--ckpt (e.g. a Beauty checkpoint); or --beauty DIR, a prepared Beauty folder,
// with an *untrained* TiMiRec of the Beauty shape (K=4, D=64, 12,101 items: the cost of a
// key does not depend on the weights); default: the bundled demo.
//
// Start to first frame: from process start to the first frame on the terminal with the demo
// (load dataset + checkpoint, build the corpus, first view, first draw); exec time excluded.

import Explorer
import Foundation
import SeqRec
import Tensor

let processStart = DispatchTime.now().uptimeNanoseconds

func argument(_ name: String) -> String? {
  let args = CommandLine.arguments
  guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
  return args[i + 1]
}
func ms(_ ns: UInt64) -> Double { Double(ns) / 1e6 }
/// CPU time of this thread (user + system), ms: unlike the wall clock it does not count time
/// the thread spends descheduled, so on a loaded machine it shows the explorer's own cost.
func threadCPUms() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6
}
func percentile(_ values: [Double], _ p: Double) -> Double {
  let s = values.sorted()
  return s[min(s.count - 1, Int((p * Double(s.count - 1)).rounded()))]
}

/// ncurses on /dev/null, or in memory when that fails.
final class NullTerminal: Terminal {
  var size: (rows: Int, columns: Int) { (30, 100) }
  var cells = 0
  func beginFrame() { cells = 0 }
  func draw(row: Int, column: Int, text: String, style: Style) { cells += text.count }
  func endFrame() {}
  func readKey(timeoutMilliseconds: Int) -> Key? { nil }
}

setenv("TERM", "xterm-256color", 0)
BLAS.setThreads(1)
let demoFolder = argument("--demo") ?? "demo-data"

// 1. Start to first frame (demo).
var terminal: Terminal
var terminalKind: String
let startSession = try ExplorerSession.load(data: demoFolder, checkpoint: demoFolder + "/checkpoint")
let startLoop = ExplorerLoop(session: startSession, state: .initial(session: startSession))
if let t = try? NcursesTerminal(outputPath: "/dev/null", rows: 30, columns: 100) {
  terminal = t
  terminalKind = "ncurses → /dev/null, 100×30"
} else {
  terminal = NullTerminal()
  terminalKind = "in-memory (ncurses unavailable)"
}
startLoop.draw(on: terminal)
let firstFrame = ms(DispatchTime.now().uptimeNanoseconds - processStart)

// 2. Keypresses.
let session: ExplorerSession
let label: String
if let data = argument("--data") {
  let ckpt = argument("--ckpt") ?? data + "/checkpoint"
  session = try ExplorerSession.load(data: data, checkpoint: ckpt)
  label = "\(data) with \(ckpt) (\(session.checkpoint.stageLabel))"
} else if let beauty = argument("--beauty") {
  let dataset = try Dataset.load(folder: beauty)
  let config = TiMiRecConfig(itemCount: dataset.itemCount, embeddingSize: 64, interestCount: 4, historyMax: 20, temperature: 0.1)
  var rng = RNG(seed: 0)
  let model = TiMiRec(config: config, stage: .finetune, rng: &rng)
  let checkpoint = CheckpointConfig(
    stage: .finetune, modelConfig: config, training: TrainingConfig(),
    dataset: DatasetFingerprint(name: dataset.name, itemCount: dataset.itemCount, userCount: dataset.userCount,
                                trainRows: dataset.train.count, devRows: dataset.dev.count, testRows: dataset.test.count),
    initializedFrom: nil, bestEpoch: 0, bestDev: [:])
  session = ExplorerSession(dataset: dataset, model: model, checkpoint: checkpoint, datasetPath: beauty, checkpointPath: "(untrained)")
  label = "\(beauty) with an untrained finetune TiMiRec of its shape (K=4, D=64)"
} else {
  session = startSession
  label = "the demo (\(demoFolder))"
}
let keyCount = Int(argument("--keys") ?? "") ?? 2000
// As the terminal UI: a new user's timeline strip is filled in after its first frame, when no
// key waits (timed separately at the end).
let loop = ExplorerLoop(session: session, state: .initial(session: session), defersTimeline: true)
loop.draw(on: terminal)
let kinds: [(String, [Key])] = [
  ("step ←/→", [.left, .right]),
  ("temperature [/]", [.character("["), .character("]"), .character("]"), .character("[")]),
  ("user ↓/r", [.down, .character("r"), .down, .character("r")]),
  // Last: Tab moves the focus into the TiMiRec list, where ↓/↑ move (and scroll) its cursor.
  ("list cursor ↓/t/↑", [.down, .down, .character("t"), .up]),
]
var rows: [String] = []
var allTotals: [Double] = []
var allCPU: [Double] = []
/// Presses `keys` in turn `count` times on `loop` and adds a row of the table.
@MainActor func measure(_ name: String, _ loop: ExplorerLoop, _ keys: [Key], count: Int) {
  var compute: [Double] = [], frame: [Double] = [], screen: [Double] = [], cpu: [Double] = []
  for i in 0..<count {
    let cpuStart = threadCPUms()
    loop.press(keys[i % keys.count], terminal: terminal)
    cpu.append(threadCPUms() - cpuStart)
    let t = loop.timings.last!
    compute.append(t.compute * 1000)
    frame.append(t.frame * 1000)
    screen.append(t.terminal * 1000)
  }
  let total = (0..<compute.count).map { compute[$0] + frame[$0] + screen[$0] }
  allTotals += total
  allCPU += cpu
  rows.append(String(format: "| %@ | %d | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f | %.3f / **%.3f** / %.3f | %.3f / %.3f |", name, compute.count,
                     percentile(compute, 0.5), percentile(compute, 0.99), percentile(frame, 0.5), percentile(frame, 0.99),
                     percentile(screen, 0.5), percentile(screen, 0.99),
                     percentile(total, 0.5), percentile(total, 0.99), total.max()!, percentile(cpu, 0.5), percentile(cpu, 0.99)))
}
let perKind = keyCount / (kinds.count + 2)
for (name, keys) in kinds {
  loop.press(.end, terminal: terminal)
  if name.hasPrefix("list") { loop.press(.tab, terminal: terminal) }
  measure(name, loop, keys, count: perKind)
}
// What-if: a user with at least 10 items, at its test step, the focus on the history pane
// (cursor on the most recent item). d drops it, < and > move the next one, u ×3 undo back
// to the data: every key but the last u runs the forward on an edited history.
let editUser = session.users.firstIndex { session.sequenceLength(user: $0) >= 10 } ?? 0
let editLoop = ExplorerLoop(session: session, state: .initial(session: session, userIndex: editUser))
editLoop.draw(on: terminal)
while editLoop.state.focus != .history { editLoop.press(.tab, terminal: terminal) }
measure("what-if edit d/</>/u", editLoop, [.character("d"), .character("<"), .character(">"), .character("u"),
                                            .character("u"), .character("u")], count: perKind)
measure("what-if insert i/type/Enter/u", editLoop, [.character("i"), .character("b"), .character("r"), .enter, .character("u")],
        count: perKind)
(terminal as? NcursesTerminal)?.shutdown()

print("bench-explore: \(label)")
print("CPU \((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("model name") }.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"); OpenBLAS \(BLAS.coreName), threads \(BLAS.threads)")
print("items \(session.model.itemCount), users \(session.users.count), K \(session.interestCount), terminal \(terminalKind), BLAS threads 1")
print("")
print("| keys | n | view p50 / p99 (ms) | frame p50 / p99 (ms) | ncurses p50 / p99 (ms) | key→screen p50 / p99 / max (ms) | thread CPU p50 / p99 (ms) |")
print("|---|---|---|---|---|---|---|")
for r in rows { print(r) }
print(String(format: "| all | %d | | | | %.3f / **%.3f** / %.3f | %.3f / %.3f |", allTotals.count, percentile(allTotals, 0.5),
             percentile(allTotals, 0.99), allTotals.max()!, percentile(allCPU, 0.5), percentile(allCPU, 0.99)))
print("")
print(String(format: "start to first frame (demo, in process, exec excluded): %.0f ms", firstFrame))

// The timeline strip (issue 14): every step of a user in batched forwards, cached per user.
// A user's first view (strip + one step) against a second view of the same user at another
// step (strip cached), for the users with the most steps; thread CPU time, ms.
do {
  let longest = session.users.sorted { session.sequenceLength(user: $0) > session.sequenceLength(user: $1) }.prefix(20)
  var first: [Double] = [], again: [Double] = []
  for user in longest {
    let builder = ViewBuilder(session: session)
    var state = ExplorerState.initial(session: session, userIndex: session.userIndex(forId: user)!)
    var start = threadCPUms()
    _ = builder.view(for: state)
    first.append(threadCPUms() - start)
    state.step -= 1
    start = threadCPUms()
    _ = builder.view(for: state)
    again.append(threadCPUms() - start)
  }
  let steps = longest.map { session.sequenceLength(user: $0) }
  print(String(format: "timeline strip, the %d users with the most steps (%d–%d): first view p50 / max %.2f / %.2f ms, another step (strip cached) %.2f / %.2f ms (thread CPU)",
               longest.count, steps.last ?? 0, steps.first ?? 0, percentile(first, 0.5), first.max() ?? 0,
               percentile(again, 0.5), again.max() ?? 0))
}
