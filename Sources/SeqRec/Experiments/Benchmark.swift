import Foundation
import Tensor

/// The evaluation protocols of the tables: each test row against its 1,000 stored negatives
/// (the paper's) or against every item (`timirec evaluate --candidates all`). One evaluate
/// call gives both: its JSON has the sampled metrics at the top and the full catalogue's under
/// "catalogue"; its `--per-user` lines hold `rank` and `catalogue_rank`.
public enum EvaluationProtocol: String, Codable, CaseIterable, Sendable {
  case sampled
  case all

  public var title: String {
    self == .sampled ? "sampled negatives (the paper's protocol: the 1,000 stored with each test row)"
      : "full catalogue (every item a candidate but the user's earlier items)"
  }

  /// The protocol in a table cell: "sampled" or "full catalogue".
  public var shortTitle: String { self == .sampled ? "sampled" : "full catalogue" }

  /// The key of this protocol's rank in an `evaluate --per-user` line.
  public var perUserKey: String { self == .sampled ? "rank" : "catalogue_rank" }

  /// The object of `evaluate --json`'s output holding this protocol's metrics.
  func metricsObject(_ json: [String: Any]) -> [String: Any]? {
    self == .sampled ? json : json["catalogue"] as? [String: Any]
  }
}

/// What results/<dataset>/runs/<run>.json holds: one model and seed, evaluated.
public struct RunResult: Codable, Equatable, Sendable {
  /// One training run of the chain that produced the model (pretrain first).
  public struct Stage: Codable, Equatable, Sendable {
    public var run: String
    public var epochs: Int
    public var bestEpoch: Int?
    /// Training and dev-evaluation seconds (resume.json), across resumptions.
    public var seconds: Double
    /// `timirec train` arguments (without --data, --out, --threads, --resume).
    public var arguments: [String]

    public init(run: String, epochs: Int, bestEpoch: Int?, seconds: Double, arguments: [String]) {
      self.run = run
      self.epochs = epochs
      self.bestEpoch = bestEpoch
      self.seconds = seconds
      self.arguments = arguments
    }
  }

  public var dataset: String
  public var model: String
  public var seed: Int
  public var run: String
  public var chain: [Stage]
  /// `--max-epochs` of the benchmark that trained it, nil when the recipes' own.
  public var maxEpochs: Int?
  /// Protocol → metric ("HR@10") → mean over the test rows.
  public var metrics: [String: [String: Double]]
  /// Protocol → metric → standard error over the test rows.
  public var standardErrors: [String: [String: Double]]
  /// Protocol → the file of per-user ranks: `ranks/<run>.tsv` relative to results/<dataset>/
  /// (committed with the result, so the significance tests survive the run folders; read with
  /// `PerUserReader`), or an absolute path (an `evaluate --per-user` JSONL file; results written
  /// before the ranks moved into results/). `Benchmark.results()` returns absolute paths.
  public var perUser: [String: String]
  /// When the evaluation finished (ISO 8601).
  public var evaluated: String

  public init(dataset: String, model: String, seed: Int, run: String, chain: [Stage], maxEpochs: Int?,
              metrics: [String: [String: Double]], standardErrors: [String: [String: Double]], perUser: [String: String],
              evaluated: String) {
    self.dataset = dataset
    self.model = model
    self.seed = seed
    self.run = run
    self.chain = chain
    self.maxEpochs = maxEpochs
    self.metrics = metrics
    self.standardErrors = standardErrors
    self.perUser = perUser
    self.evaluated = evaluated
  }

  /// The final run's epochs (the model's own stage).
  public var epochs: Int { chain.last?.epochs ?? 0 }
  /// Seconds of the whole chain (a finetune's pretrain included).
  public var seconds: Double { chain.reduce(0) { $0 + $1.seconds } }
}

/// Runs a `BenchmarkPlan`: trains every run that is not finished (resuming partial ones), as
/// child processes of `executable` (`timirec`), evaluates each model and seed, keeps
/// results/<dataset>/runs/<run>.json and rewrites the table after every job.
///
/// Layout: checkpoints in `<runs>/<dataset>/<run>/`, each child's output in
/// `<runs>/<dataset>/logs/<run>.{train,evaluate}.log`, evaluate's JSON and per-user lines in
/// `<runs>/<dataset>/eval/<run>.{json,jsonl}`, a training's lock in
/// `<runs>/<dataset>/locks/<run>.lock`; results in `<results>/<dataset>/`: `runs/<run>.json`
/// and the per-user ranks `ranks/<run>.tsv` (user, sampled rank, catalogue rank).
///
/// Run folders are disposable, results are not: a model and seed whose result and ranks are
/// in results/ is *recorded* and neither trained nor evaluated again when its run folder is
/// gone (a new machine), unless a run still to train starts from it (a finetune's pretrain),
/// which is then trained again.
public struct Benchmark: Sendable {
  public var plan: BenchmarkPlan
  /// The prepared dataset folder (`--data`).
  public var data: String
  /// The folder of run folders (`--runs`); the dataset's runs go to `<runs>/<dataset>/`.
  public var runsRoot: String
  /// The results folder (the repo's results/); tables go to `<results>/<dataset>/`.
  public var resultsRoot: String
  /// The `timirec` executable that runs each job.
  public var executable: String
  /// Jobs at once; with more than 1 each child runs with `--threads 1`.
  public var jobs: Int
  public var protocols: [EvaluationProtocol]
  /// Writes the table(s) from the results present; called after every job.
  public var report: @Sendable (Benchmark) throws -> Void

  public init(plan: BenchmarkPlan, data: String, runsRoot: String, resultsRoot: String, executable: String,
              jobs: Int, protocols: [EvaluationProtocol] = EvaluationProtocol.allCases,
              report: @escaping @Sendable (Benchmark) throws -> Void) {
    self.plan = plan
    self.data = data
    self.runsRoot = runsRoot
    self.resultsRoot = resultsRoot
    self.executable = executable
    self.jobs = max(1, jobs)
    self.protocols = protocols
    self.report = report
  }

  public var runsFolder: String { (runsRoot as NSString).appendingPathComponent(plan.dataset) }
  public var resultsFolder: String { (resultsRoot as NSString).appendingPathComponent(plan.dataset) }
  public func runFolder(_ name: String) -> String { (runsFolder as NSString).appendingPathComponent(name) }
  public func resultFile(_ name: String) -> String {
    ((resultsFolder as NSString).appendingPathComponent("runs") as NSString).appendingPathComponent(name + ".json")
  }
  /// The seeds of `models` with a result file in `resultsFolder`/runs (`<model>-s<seed>.json`),
  /// ascending; none when the folder does not exist. A table built after `--seeds 2` alone
  /// still holds seeds 0 and 1 this way.
  public func recordedSeeds(models: [String]) -> [Int] {
    let folder = (resultsFolder as NSString).appendingPathComponent("runs")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    var seeds = Set<Int>()
    for name in names {
      guard let parsed = Self.resultName(name), models.contains(parsed.run) else { continue }
      seeds.insert(parsed.seed)
    }
    return seeds.sorted()
  }

  /// A result file's name split into its run without the seed and the seed:
  /// "TiMiRec+-K4-s1.json" → ("TiMiRec+-K4", 1); nil for anything else (no `.json`, no
  /// `-s<seed ≥ 0>` before it).
  public static func resultName(_ name: String) -> (run: String, seed: Int)? {
    guard name.hasSuffix(".json") else { return nil }
    let stem = name.dropLast(5)
    guard let dash = stem.range(of: "-s", options: .backwards), let seed = Int(stem[dash.upperBound...]), seed >= 0 else { return nil }
    return (String(stem[..<dash.lowerBound]), seed)
  }

  /// The per-user ranks file of run `name`, relative to `resultsFolder`.
  public func ranksFile(_ name: String) -> String { "ranks/\(name).tsv" }
  func evalFile(_ name: String, _ suffix: String) -> String {
    ((runsFolder as NSString).appendingPathComponent("eval") as NSString).appendingPathComponent("\(name).\(suffix)")
  }
  func logFile(_ name: String) -> String {
    ((runsFolder as NSString).appendingPathComponent("logs") as NSString).appendingPathComponent(name + ".log")
  }

  /// `--threads` of a new child: 1 when jobs share the cores, else the command's default.
  var childThreads: Int? { jobs > 1 ? 1 : nil }

  // MARK: the plan's state

  /// A run or evaluation and what is left to do for it.
  public struct Step: Sendable {
    public var job: BenchmarkJob
    /// Nil when done (skipped).
    public var command: [String]?
    public var state: String
  }

  /// Every run and evaluation with its state and the command that would run it: each
  /// evaluation right after its run, so that the scheduler (which starts the first ready job)
  /// evaluates a finished run before it starts later trainings and the table fills in as runs
  /// finish.
  /// - Throws: `CheckpointError` for an unreadable checkpoint folder.
  public func steps() throws -> [Step] {
    var steps: [Step] = []
    let recorded = try recordedRuns()
    for run in plan.runs {
      let status = try RunStatus.of(runFolder(run.name), maxEpochs: run.maxEpochs)
      let dependencies = run.initRun.map { ["train \($0)"] } ?? []
      let job = BenchmarkJob(id: "train \(run.name)", kind: .train(run), dependencies: dependencies)
      if status == .toDo, recorded.contains(run.name) {
        steps.append(Step(job: job, command: nil, state: "recorded in results (no run folder here)"))
        for evaluation in plan.evaluations where evaluation.run == run.name {
          steps.append(Step(job: BenchmarkJob(id: "evaluate \(evaluation.run)", kind: .evaluate(evaluation),
                                              dependencies: ["train \(evaluation.run)"]), command: nil, state: "recorded"))
        }
        continue
      }
      steps.append(Step(job: job, command: status.isFinished ? nil : trainCommand(run, status: status), state: status.description))
      for evaluation in plan.evaluations where evaluation.run == run.name {
        let job = BenchmarkJob(id: "evaluate \(evaluation.run)", kind: .evaluate(evaluation),
                               dependencies: ["train \(evaluation.run)"])
        let done = isEvaluated(evaluation)
        steps.append(Step(job: job, command: done ? nil : evaluateCommand(evaluation.run),
                          state: done ? "evaluated" : "to evaluate"))
      }
    }
    return steps
  }

  /// The plan as text: one line per run and evaluation, with its state and command.
  public func describe() throws -> String {
    try steps().map { step in
      "\(step.job.id): \(step.state)" + (step.command.map { "\n    " + ([executable] + $0).joined(separator: " ") } ?? "")
    }.joined(separator: "\n")
  }

  /// The runs that need no run folder: every evaluation of the run has its result and ranks
  /// in results/, and every run that starts from it is recorded too (a pretrain whose finetune
  /// is still to train is not: the finetune needs its checkpoint).
  func recordedRuns() throws -> Set<String> {
    var recorded: Set<String> = []
    // Dependents come after the runs they start from in `plan.runs`: walk backwards.
    for run in plan.runs.reversed() {
      let evaluations = plan.evaluations.filter { $0.run == run.name }
      let dependents = plan.runs.filter { $0.initRun == run.name }
      guard !evaluations.isEmpty || !dependents.isEmpty else { continue }
      let ownRecorded = try evaluations.allSatisfy { evaluation in
        let file = resultFile(evaluation.run)
        guard FileManager.default.fileExists(atPath: file) else { return false }
        let result = try readResult(file)
        return hasEveryProtocol(result)
      }
      if ownRecorded && dependents.allSatisfy({ recorded.contains($0.name) }) { recorded.insert(run.name) }
    }
    return recorded
  }

  func trainCommand(_ run: PlannedRun, status: RunStatus) -> [String] {
    var command = ["train", "--data", data, "--out", runFolder(run.name)] + run.arguments
    if let initRun = run.initRun { command += ["--init", runFolder(initRun)] }
    switch status {
    case .partial(_, let threads), .extend(_, let threads):
      command += ["--threads", String(threads), "--resume"]
    case .toDo, .finished:
      if let threads = childThreads { command += ["--threads", String(threads)] }
    }
    return command
  }

  func evaluateCommand(_ run: String) -> [String] {
    ["evaluate", "--data", data, "--ckpt", runFolder(run), "--json", "--per-user", evalFile(run, "jsonl")]
      + (protocols.contains(.all) ? ["--candidates", "all"] : []) + ["--threads", String(childThreads ?? 2)]
  }

  /// Whether `evaluation` has a result for the checkpoint as it is now (same epochs) with
  /// every protocol and its per-user files.
  func isEvaluated(_ evaluation: PlannedEvaluation) -> Bool {
    guard let result = try? readResult(resultFile(evaluation.run)),
          let record = try? CheckpointRecord.read(AtomicWrite.readablePath(runFolder(evaluation.run))) else { return false }
    return result.epochs == record.epochsDone
      && hasEveryProtocol(result)
  }

  /// Whether `result` has the metrics and the per-user file of every protocol of this benchmark.
  func hasEveryProtocol(_ result: RunResult) -> Bool {
    protocols.allSatisfy { result.metrics[$0.rawValue] != nil && FileManager.default.fileExists(atPath: result.perUser[$0.rawValue] ?? "") }
  }

  // MARK: running

  /// Runs every job that is not done, `jobs` at a time, rewriting the tables after each.
  /// - Parameter stop: polled before each new job (Ctrl-C).
  /// - Throws: `BenchmarkError.interrupted` naming the jobs not done when `shouldStop` asked
  ///   to stop (Ctrl-C; the running trainings stopped after their batch, resumable), else
  ///   `.failedRuns` naming the jobs that failed or could not start; everything else has
  ///   been done and reported.
  public func run(log: @escaping @Sendable (String) -> Void, shouldStop: @escaping @Sendable () -> Bool = { false }) throws {
    let all = try steps()
    let toDo = all.filter { $0.command != nil }.map(\.job)
    let ids = Set(toDo.map(\.id))
    // Dependencies that are done already (finished runs) are not waited for.
    let jobs = toDo.map { job in
      var job = job
      job.dependencies = job.dependencies.filter(ids.contains)
      return job
    }
    for step in all where step.command == nil { log("skip \(step.job.id) (\(step.state))") }
    try FileManager.default.createDirectory(atPath: (runsFolder as NSString).appendingPathComponent("logs"),
                                            withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: (runsFolder as NSString).appendingPathComponent("eval"),
                                            withIntermediateDirectories: true)
    try report(self)
    let scheduler = JobScheduler(jobs: jobs, parallel: self.jobs)
    let children = ChildRegistry()
    let benchmark = self
    // Ctrl-C reaches only this process (Foundation starts each child in its own process
    // group): a watcher passes the interrupt on to every running child, which stops after
    // its batch, resumable; the scheduler starts no new job.
    let watcher = Thread {
      while !children.isClosed {
        if shouldStop() { children.interruptAll() }
        usleep(100_000)
      }
    }
    watcher.start()
    let failed = scheduler.run(execute: { job in
      benchmark.execute(job, children: children, log: log)
    }, finished: { job, ok in
      do { try benchmark.report(benchmark) } catch { log("cannot write the table: \(error)") }
    }, shouldStop: shouldStop)
    children.close()
    if !failed.isEmpty { throw children.wasInterrupted || shouldStop() ? BenchmarkError.interrupted(notDone: failed) : BenchmarkError.failedRuns(failed) }
  }

  /// Runs one job's child process(es); false when one fails.
  func execute(_ job: BenchmarkJob, children: ChildRegistry, log: @Sendable (String) -> Void) -> Bool {
    switch job.kind {
    case .train(let run):
      // One writer per run folder, also across benchmarks started side by side (Table 2 and
      // Table 4 share TiMiRec's pretrain): an exclusive flock on locks/<run>.lock for the training,
      // released by the kernel when this process ends however it ends.
      let lockPath = ((runsFolder as NSString).appendingPathComponent("locks") as NSString).appendingPathComponent(run.name + ".lock")
      try? FileManager.default.createDirectory(atPath: (lockPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      let lock = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
      guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
        if lock >= 0 { close(lock) }
        log("\(job.id): another timirec benchmark is training it (\(lockPath) is locked); run this command again when it is done")
        return false
      }
      defer { close(lock) }
      let status: RunStatus
      do { status = try RunStatus.of(runFolder(run.name), maxEpochs: run.maxEpochs) } catch {
        log("\(job.id): \(error)"); return false
      }
      if status.isFinished { return true }
      let command = trainCommand(run, status: status)
      log("start \(job.id) (\(status))")
      let started = Date()
      let end = ChildRun.run(executable, command, output: logFile(run.name + ".train"), append: true, registry: children)
      let minutes = String(format: "%.1f min", Date().timeIntervalSince(started) / 60)
      guard end == 0 else {
        if children.wasInterrupted {
          log("\(job.id) interrupted after \(minutes) (resumable); log: \(logFile(run.name + ".train"))")
          return false
        }
        log("\(job.id) failed (\(end.map { "exit \($0)" } ?? "killed by a signal")) after \(minutes); log: \(logFile(run.name + ".train"))")
        return false
      }
      log("done \(job.id) in \(minutes)")
      return true
    case .evaluate(let evaluation):
      do {
        try evaluate(evaluation, children: children, log: log)
        return true
      } catch {
        log("\(job.id) failed: \(error)")
        return false
      }
    }
  }

  /// Evaluates one model and seed (one `timirec evaluate` for every protocol) and writes its
  /// result JSON.
  func evaluate(_ evaluation: PlannedEvaluation, children: ChildRegistry, log: @Sendable (String) -> Void) throws {
    var metrics: [String: [String: Double]] = [:], errors: [String: [String: Double]] = [:], perUser: [String: String] = [:]
    let output = evalFile(evaluation.run, "json")
    let logPath = logFile(evaluation.run + ".evaluate")
    log("start evaluate \(evaluation.run)")
    let end = ChildRun.run(executable, evaluateCommand(evaluation.run), output: output, errors: logPath, registry: children)
    guard end == 0 else {
      throw BenchmarkError.badResult(path: output, reason: "timirec evaluate ended with \(end.map { "exit \($0)" } ?? "a signal"); its errors are in \(logPath)")
    }
    let json = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output)))) as? [String: Any] ?? [:]
    for evaluationProtocol in protocols {
      let object = evaluationProtocol.metricsObject(json) ?? [:]
      let values = object.compactMapValues { ($0 as? NSNumber)?.doubleValue }.filter { $0.key.hasPrefix("HR@") || $0.key.hasPrefix("NDCG@") }
      guard !values.isEmpty else {
        throw BenchmarkError.badResult(path: output, reason: "no \(evaluationProtocol.rawValue) HR@K/NDCG@K in evaluate's JSON")
      }
      metrics[evaluationProtocol.rawValue] = values
      errors[evaluationProtocol.rawValue] = (object["standard_error"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
      perUser[evaluationProtocol.rawValue] = ranksFile(evaluation.run)
    }
    // The per-user ranks go into results/ beside the result (a few hundred KB on Beauty), so
    // the paired tests do not depend on the run folders.
    let ranks = (resultsFolder as NSString).appendingPathComponent(ranksFile(evaluation.run))
    try FileManager.default.createDirectory(atPath: (ranks as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try PerUserReader.writeRanksTable(from: evalFile(evaluation.run, "jsonl"), to: ranks)
    var chain: [RunResult.Stage] = []
    var name: String? = evaluation.run
    while let current = name, let run = plan.runs.first(where: { $0.name == current }) {
      let record = try CheckpointRecord.read(AtomicWrite.readablePath(runFolder(current)))
      chain.insert(RunResult.Stage(run: current, epochs: record.epochsDone ?? 0, bestEpoch: record.bestEpoch,
                                   seconds: record.seconds ?? 0, arguments: run.arguments), at: 0)
      name = run.initRun
    }
    let result = RunResult(dataset: plan.dataset, model: evaluation.model, seed: evaluation.seed, run: evaluation.run,
                           chain: chain, maxEpochs: plan.runs.first { $0.name == evaluation.run }?.maxEpochs,
                           metrics: metrics, standardErrors: errors, perUser: perUser,
                           evaluated: ISO8601DateFormatter().string(from: Date()))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let file = resultFile(evaluation.run)
    try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try AtomicWrite.writeFile(encoder.encode(result), to: file)
    log("done evaluate \(evaluation.run): " + protocols.map { p in
      "\(p.rawValue) HR@10 \(String(format: "%.4f", metrics[p.rawValue]?["HR@10"] ?? .nan)) NDCG@10 \(String(format: "%.4f", metrics[p.rawValue]?["NDCG@10"] ?? .nan))"
    }.joined(separator: ", "))
  }

  /// The results present for this plan's evaluations (those whose file exists).
  /// - Throws: `BenchmarkError.badResult` for a file that does not parse.
  public func results() throws -> [RunResult] {
    try plan.evaluations.compactMap { evaluation in
      let file = resultFile(evaluation.run)
      guard FileManager.default.fileExists(atPath: file) else { return nil }
      return try readResult(file)
    }
  }

  /// Reads a result file, its relative per-user paths made absolute (under `resultsFolder`).
  func readResult(_ file: String) throws -> RunResult {
    var result: RunResult
    do {
      result = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
    } catch {
      throw BenchmarkError.badResult(path: file, reason: CheckpointDirectory.describe(error))
    }
    result.perUser = result.perUser.mapValues { $0.hasPrefix("/") ? $0 : (resultsFolder as NSString).appendingPathComponent($0) }
    return result
  }
}

/// A child process with its standard output and error going to files (no pipes: a file
/// never fills up and blocks the child), waited for to its end.
enum ChildRun {
  /// Runs `executable arguments`; stdout to `output` (truncated, or appended to with
  /// `append`), stderr to `errors` (default: the same file). Returns the exit code, or nil
  /// when it could not start or a signal ended it.
  static func run(_ executable: String, _ arguments: [String], output: String, errors: String? = nil,
                  append: Bool = false, registry: ChildRegistry? = nil) -> Int32? {
    let manager = FileManager.default
    for path in [output] + (errors.map { [$0] } ?? []) {
      try? manager.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      if !append || !manager.fileExists(atPath: path) { _ = manager.createFile(atPath: path, contents: nil) }
    }
    guard let out = FileHandle(forWritingAtPath: output) else { return nil }
    defer { try? out.close() }
    if append { _ = try? out.seekToEnd() }
    let err = errors.flatMap { FileHandle(forWritingAtPath: $0) } ?? out
    defer { if errors != nil { try? err.close() } }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return nil }
    let pid = process.processIdentifier
    registry?.add(pid)
    process.waitUntilExit()
    registry?.remove(pid)
    return process.terminationReason == .exit ? process.terminationStatus : nil
  }
}

/// The running children of a benchmark, so that an interrupt can be passed on to them.
///
/// Thread safety: every field is read and written only while holding `lock` (workers add and
/// remove pids, the watcher thread reads them).
final class ChildRegistry: @unchecked Sendable {
  private let lock = NSLock()
  private var running: Set<pid_t> = []
  private var interrupted: Set<pid_t> = []
  private var closed = false
  private var interruptRequested = false

  func add(_ pid: pid_t) { lock.lock(); running.insert(pid); lock.unlock() }
  func remove(_ pid: pid_t) { lock.lock(); running.remove(pid); interrupted.remove(pid); lock.unlock() }
  func close() { lock.lock(); closed = true; lock.unlock() }
  var isClosed: Bool { lock.lock(); defer { lock.unlock() }; return closed }
  /// Whether ``interruptAll()`` has been called (a child ending then was interrupted).
  var wasInterrupted: Bool { lock.lock(); defer { lock.unlock() }; return interruptRequested }

  /// Sends SIGINT once to every running child not sent one yet.
  func interruptAll() {
    lock.lock()
    interruptRequested = true
    for pid in running.subtracting(interrupted) { kill(pid, SIGINT) }
    interrupted.formUnion(running)
    lock.unlock()
  }
}
