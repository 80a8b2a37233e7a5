import ArgumentParser
import Foundation
import SeqRec

/// `timirec analyze sensitivity`: the paper's Figure 3 — TiMiRec+'s HR@10/NDCG@10 as K or T
/// moves — trained and evaluated through the benchmark's resumable machinery.
struct AnalyzeSensitivity: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sensitivity",
    abstract: "Figure 3: TiMiRec+'s HR@10 and NDCG@10 over K (at the dataset's T) or T (at the dataset's K).",
    discussion: """
      Every point trains TiMiRec+ with the recipe's settings but the swept one (a K point also pretrains ComiRec+ with that K; all T points share the dataset's ComiRec+ runs), in the same run folders as `timirec benchmark`, so finished runs are skipped, interrupted ones resumed, and the point at the dataset's own value is Table 2's TiMiRec+ run. Writes <results>/<dataset>/sensitivity-K.md (or -T), .json and .png (gnuplot), and prints the plot; the table holds the paper's values, those given, and any recorded in results/, at the seeds given and recorded, so `--values` fills points in without shrinking it; hand-written notes in <results>/<dataset>/sensitivity-K-notes.md (-T-notes.md) are printed under its own.
      Examples:
        timirec analyze sensitivity --data $DATA/ml-100k --sweep K --seeds 0,1,2 --jobs 2
        timirec analyze sensitivity --data $DATA/ml-100k --sweep T --values 0.1,0.5,2 --dry-run
      """)

  @Option(help: "Prepared dataset folder; its name picks the recipe (Recipes.swift).") var data: String
  @Option(help: "The hyper-parameter swept: K (interests) or T (temperature).") var sweep: String
  @Option(help: "Comma-separated values (default: the paper's, K 1,2,4,6,8 or T 0.1,0.2,0.5,1,2).") var values: String?
  @Option(help: "Comma-separated seeds.") var seeds: String = "0"
  @Option(help: "Training runs at once; with more than 1 each runs with --threads 1.") var jobs: Int = 1
  @Option(help: "Folder of the run checkpoints (default: $\(ExperimentFolders.runsVariable)).") var runs: String?
  @Option(help: "Folder of the result tables and plots.") var results: String = "results"
  @Option(name: .customLong("max-epochs"), help: "Epoch limit of every run (a smoke test; the table says so).")
  var maxEpochs: Int?
  @Flag(name: .customLong("no-png"), help: "Skip the PNG (gnuplot).") var noPNG = false
  @Flag(name: .customLong("dry-run"), help: "Print which runs are finished, partial or to do, with their commands, and stop.")
  var dryRun = false

  func validate() throws {
    guard SensitivitySweep.Parameter(rawValue: sweep) != nil else { throw ValidationError("--sweep is K or T, not '\(sweep)'") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
    if let maxEpochs, maxEpochs < 1 { throw ValidationError("--max-epochs must be ≥ 1") }
    _ = try parseSeeds(seeds)
    for value in try values.map(parseList) ?? [] {
      guard let number = Double(value), number > 0, sweep != "K" || Int(value).map({ $0 >= 1 }) == true else {
        throw ValidationError("--values for --sweep \(sweep) must be \(sweep == "K" ? "integers ≥ 1" : "numbers > 0"), not '\(value)'")
      }
      _ = number
    }
  }

  func run() throws {
    let parameter = SensitivitySweep.Parameter(rawValue: sweep)!
    let dataset = ExperimentFolders.datasetName(data)
    let seedList = try parseSeeds(seeds)
    let model = "TiMiRec+"
    // The table is the whole figure: the paper's values, the ones given, and the points and
    // seeds recorded in results/ (so `--values 0.2` fills one point without shrinking it).
    // A given value is spelt as the paper's or a recorded one ("0.20" → "0.2") so that the run
    // trained is the run tabled.
    let recorded = SensitivitySweep.recordedPoints(
      parameter, model: model,
      resultNames: (try? FileManager.default.contentsOfDirectory(
        atPath: ((results as NSString).appendingPathComponent(dataset) as NSString).appendingPathComponent("runs"))) ?? [])
    let spellings = parameter.paperValues + recorded.map(\.value)
    let given = try (values.map(parseList) ?? parameter.paperValues).map { SensitivitySweep.canonical($0, among: spellings) }
    let sweep = try SensitivitySweep(parameter: parameter, values: given, model: model, dataset: dataset, seeds: seedList,
                                     recipes: Recipes.book, maxEpochs: maxEpochs)
    let figure = try SensitivitySweep(parameter: parameter, values: SensitivitySweep.merged(spellings + given), model: model,
                                      dataset: dataset, seeds: Array(Set(seedList + recorded.map(\.seed))).sorted(),
                                      recipes: Recipes.book, maxEpochs: maxEpochs)
    let command = "timirec " + CommandLine.arguments.dropFirst().joined(separator: " ")
    // Evaluated under both protocols like Table 2's runs, so a point's result file also serves
    // Table 2 (the point at the dataset's own value is its TiMiRec+ run); the table shows the
    // sampled metrics, Figure 3's.
    var benchmark = Benchmark(
      plan: sweep.plan, data: data, runsRoot: try ExperimentFolders.runs(runs), resultsRoot: results,
      executable: ExperimentFolders.executable, jobs: jobs, report: { _ in })
    let reader = PerUserReader()
    let figureTable: @Sendable (Benchmark) throws -> BenchmarkTable = { benchmark in
      var whole = benchmark
      whole.plan = figure.plan
      var table = try figure.table(results: try whole.results(), command: command, perUser: reader)
      table.notes += try BenchmarkTable.handWrittenNotes(folder: benchmark.resultsFolder, name: "sensitivity-\(parameter.rawValue)")
      return table
    }
    benchmark.report = { benchmark in try figure.write(try figureTable(benchmark), to: benchmark.resultsFolder, png: false) }
    guard !dryRun else { return try ExperimentFolders.runOrDescribe(benchmark, dryRun: true) }
    // The table and plots from whatever finished, also when a run failed (then rethrown).
    var failure: (any Error)? = nil
    do { try ExperimentFolders.runOrDescribe(benchmark, dryRun: false) } catch { failure = error }
    let table = try figureTable(benchmark)
    var png = !noPNG
    do {
      try figure.write(table, to: benchmark.resultsFolder, png: png)
    } catch let error as PlotError {
      // The table and terminal plot are written without the picture.
      try figure.write(table, to: benchmark.resultsFolder, png: false)
      say("no PNG: \(error)")
      png = false
    }
    say(figure.terminalPlot(table))
    say("wrote \(benchmark.resultsFolder)/sensitivity-\(parameter.rawValue).md, .json" + (png ? " and .png" : ""))
    if let failure { throw failure }
  }
}
