import ArgumentParser
import Foundation
import SeqRec

/// `timirec benchmark`: the paper's Table 2 (or Table 4) on one dataset — trains every model ×
/// seed resumably as child processes, evaluates each, and writes results/<dataset>/table.md
/// and table.json (table4.md/json for `--table 4`).
struct BenchmarkCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "benchmark",
    abstract: "Train and evaluate models × seeds resumably and write the paper's Table 2 (or 4) for one dataset.",
    discussion: """
      Each training is a child process (`timirec train`, `--resume` for an interrupted run), so killing one loses nothing else; running the same command again skips finished runs and evaluations and resumes the rest. Checkpoints go to <runs>/<dataset>/<model>-s<seed>/ (outside the repository), results to <results>/<dataset>/: runs/<model>-s<seed>.json, the per-user ranks ranks/<model>-s<seed>.tsv and the table (every model of the table and every seed recorded for it, also with --models or --seeds), rewritten after every job; the reference code's runs in <results>/<dataset>/reference.json (benchmarks/reference-baselines.sh) stand beside ours, a model more than two standard errors away marked not reproduced, and so do the paper's own figures where it has them (Beauty: Tables 2 and 4); hand-written notes in <results>/<dataset>/table-notes.md (table4-notes.md) are printed under the table's own. A model and seed recorded in results/ is not trained again when its run folder is gone (a new machine). Hyper-parameters: the recipe table (Sources/SeqRec/Experiments/Recipes.swift). Ctrl-C is passed on to the running trainings (resumable).
      Examples:
        timirec benchmark --data $DATA/ml-100k --seeds 0,1,2 --jobs 2
        timirec benchmark --data $DATA/ml-100k --table 4 --seeds 0,1,2 --dry-run
      """)

  @Option(help: "Prepared dataset folder; its name (ml-100k, beauty) picks the recipes and names results/<dataset>/.")
  var data: String
  @Option(help: "Comma-separated models to train and evaluate now (default: every model of the table; the table lists them all either way).") var models: String?
  @Option(help: "Comma-separated seeds to train and evaluate now; the table also keeps every seed recorded in results/.") var seeds: String = "0"
  @Option(help: "Which of the paper's tables: 2 (every model, with significance) or 4 (TiMiRec's training variants).")
  var table: Int = 2
  @Option(help: "Training runs at once; with more than 1 each runs with --threads 1.") var jobs: Int = 1
  @Option(help: "Folder of the run checkpoints (default: $\(ExperimentFolders.runsVariable)).") var runs: String?
  @Option(help: "Folder of the result tables.") var results: String = "results"
  @Option(name: .customLong("max-epochs"), help: "Epoch limit of every run (a smoke test; the tables say so).")
  var maxEpochs: Int?
  @Flag(name: .customLong("dry-run"), help: "Print which runs are finished, partial or to do, with their commands, and stop.")
  var dryRun = false

  /// Table 2's rows in the paper's order, and Table 4's.
  static let table2Models = ["GRU4Rec", "YouTube", "MIND", "ComiRec", "TiMiRec", "SASRec", "TiSASRec", "ComiRec+", "TiMiRec+"]
  static let table4Models = ["TiMiRec-joint", "TiMiRec-nostopgrad", "TiMiRec"]

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
    guard table == 2 || table == 4 else { throw ValidationError("--table is 2 (Table 2) or 4 (Table 4), not \(table)") }
    if let maxEpochs, maxEpochs < 1 { throw ValidationError("--max-epochs must be ≥ 1") }
    _ = try parseSeeds(seeds)
  }

  func run() throws {
    let dataset = ExperimentFolders.datasetName(data)
    let tableModels = table == 4 ? Self.table4Models : Self.table2Models
    let modelList = try models.map(parseList) ?? tableModels
    guard Set(modelList).count == modelList.count else { throw ValidationError("--models lists a model twice: \(modelList.joined(separator: ","))") }
    let plan = try BenchmarkPlan(dataset: dataset, models: modelList, seeds: try parseSeeds(seeds), recipes: Recipes.book,
                                 maxEpochs: maxEpochs)
    let tableName = table == 4 ? "table4" : "table"
    let title = table == 4
      ? "Table 4 on \(dataset): TiMiRec's training (joint, without stop-gradient, two-stage)"
      : "Table 2 on \(dataset)"
    let command = "timirec " + CommandLine.arguments.dropFirst().joined(separator: " ")
    let significance = table == 2
    let reader = PerUserReader()
    // The table is always the whole table (every model of Table 2 or 4, and every seed, with
    // the results present), also when --models or --seeds runs only some of them now.
    let allModels = tableModels + modelList.filter { !tableModels.contains($0) }
    var benchmark = Benchmark(plan: plan, data: data, runsRoot: try ExperimentFolders.runs(runs), resultsRoot: results,
                              executable: ExperimentFolders.executable, jobs: jobs, report: { _ in })
    let tableSeeds = Set(try parseSeeds(seeds) + benchmark.recordedSeeds(models: allModels)).sorted()
    let tablePlan = try BenchmarkPlan(dataset: dataset, models: allModels, seeds: tableSeeds, recipes: Recipes.book,
                                      maxEpochs: maxEpochs)
    benchmark.report = { benchmark in
      var whole = benchmark
      whole.plan = tablePlan
      var written = try BenchmarkTable(title: title, plan: tablePlan, results: try whole.results(),
                                       protocols: benchmark.protocols, command: command,
                                       notes: try BenchmarkTable.handWrittenNotes(folder: benchmark.resultsFolder, name: tableName),
                                       significance: significance, grouped: table == 2,
                                       reference: try ReferenceResults.load(folder: benchmark.resultsFolder), perUser: reader)
      written.paperFigures = PaperFigures.of(dataset: dataset, table: table)
      try written.write(to: benchmark.resultsFolder, name: tableName)
    }
    try ExperimentFolders.runOrDescribe(benchmark, dryRun: dryRun)
    if !dryRun { say("wrote \(benchmark.resultsFolder)/\(tableName).md and \(tableName).json") }
  }
}

/// What `benchmark` and `analyze sensitivity` share: where runs and results go, the
/// executable the children run, and running a benchmark with Ctrl-C handling.
enum ExperimentFolders {
  /// The environment variable naming the runs folder when `--runs` is not given.
  static let runsVariable = "TIMIREC_RUNS"

  /// `--runs`, else $TIMIREC_RUNS.
  /// - Throws: `BenchmarkError.noRunsFolder` when neither is set.
  static func runs(_ option: String?) throws -> String {
    if let option, !option.isEmpty { return option }
    if let value = ProcessInfo.processInfo.environment[runsVariable], !value.isEmpty { return value }
    throw BenchmarkError.noRunsFolder(variable: runsVariable)
  }

  /// The dataset folder's name ("ml-100k" for data/ml-100k/).
  static func datasetName(_ data: String) -> String {
    URL(fileURLWithPath: data).standardizedFileURL.lastPathComponent
  }

  /// This `timirec` binary, which every child runs.
  static var executable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// Prints the plan (`--dry-run`), or runs it: Ctrl-C starts no new job (the running
  /// children get the same SIGINT and stop after their batch, resumable).
  static func runOrDescribe(_ benchmark: Benchmark, dryRun: Bool) throws {
    if dryRun {
      say(try benchmark.describe())
      return
    }
    Interrupt.install()
    try benchmark.run(log: { say($0) }, shouldStop: { Interrupt.requested })
  }
}

/// Parses "a,b,c" into its non-empty, trimmed parts.
func parseList(_ text: String) throws -> [String] {
  let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  guard !parts.isEmpty else { throw ValidationError("expected a comma-separated list, not '\(text)'") }
  return parts
}

/// Parses "0,1,2" into seeds ≥ 0.
func parseSeeds(_ text: String) throws -> [Int] {
  let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
  let values = parts.compactMap { Int($0) }
  guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }), Set(values).count == values.count else {
    throw ValidationError("--seeds takes distinct comma-separated integers ≥ 0 such as 0,1,2, not '\(text)'")
  }
  return values
}
