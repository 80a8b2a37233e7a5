import Foundation
import Tensor

/// The paper's Figure 3: TiMiRec+'s HR@10 and NDCG@10 as one hyper-parameter moves, the other
/// at the dataset's value — the number of interests K ∈ {1, 2, 4, 6, 8} at the dataset's T, and
/// the temperature T ∈ {0.1, 0.2, 0.5, 1, 2} at the dataset's K (`timirec analyze sensitivity`).
///
/// Each point is a benchmark plan of TiMiRec+ with one recipe change; a K point changes its
/// pretrain (ComiRec+) too, a T point does not, so all T points share the dataset's pretrain
/// runs, and the point at the dataset's own value is Table 2's TiMiRec+ run itself.
public struct SensitivitySweep: Sendable {
  /// The swept hyper-parameter.
  public enum Parameter: String, CaseIterable, Sendable {
    case K
    case T

    /// The `timirec train` option it sets.
    public var option: String { self == .K ? "--K" : "--temp" }
    /// Figure 3's values.
    public var paperValues: [String] { self == .K ? ["1", "2", "4", "6", "8"] : ["0.1", "0.2", "0.5", "1", "2"] }
    /// The axis label.
    public var title: String { self == .K ? "number of interests K" : "temperature T" }
  }

  public var parameter: Parameter
  /// The values as given ("0.5"), each a point.
  public var values: [String]
  /// The model swept (TiMiRec+).
  public var model: String
  /// One plan per value, in `values`' order.
  public let points: [BenchmarkPlan]
  /// The recipe's own value of the parameter on this dataset ("0.5"); nil when the recipe
  /// does not set it.
  public let recipeValue: String?

  /// Plans every point.
  /// - Throws: what `recipes` throws for an unknown model or dataset.
  public init(parameter: Parameter, values: [String], model: String = "TiMiRec+", dataset: String, seeds: [Int],
              recipes: RecipeBook, maxEpochs: Int? = nil) throws {
    self.parameter = parameter
    self.values = values
    self.model = model
    let arguments = try recipes(model, dataset).arguments
    recipeValue = arguments.firstIndex(of: parameter.option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
    points = try values.map { value in
      try BenchmarkPlan(dataset: dataset, models: [model], seeds: seeds, recipes: recipes,
                        changes: [RecipeChange(option: parameter.option, value: value, appliesToInit: parameter == .K)],
                        maxEpochs: maxEpochs)
    }
  }

  /// Every point's runs and evaluations as one plan (shared runs once).
  public var plan: BenchmarkPlan { BenchmarkPlan.union(points) }

  /// "K = 4".
  public func label(_ value: String) -> String { "\(parameter.rawValue) = \(value)" }

  /// The points of `parameter` that have a result of `model` among `resultNames` (the file
  /// names of results/<dataset>/runs: "TiMiRec+-temp0.2-s0.json" is T 0.2 with seed 0,
  /// "TiMiRec+-K4-s1.json" K 4 with seed 1; the plain "TiMiRec+-s0.json", the recipe's value
  /// and Table 2's run, is not listed). A `--values 0.2` run's table still shows the points and
  /// seeds recorded before it this way.
  public static func recordedPoints(_ parameter: Parameter, model: String, resultNames: [String]) -> [(value: String, seed: Int)] {
    let prefix = model + "-" + RecipeChange(option: parameter.option, value: "").label
    var points: [(value: String, seed: Int)] = []
    for name in resultNames {
      guard let parsed = Benchmark.resultName(name), parsed.run.hasPrefix(prefix) else { continue }
      let value = String(parsed.run.dropFirst(prefix.count))
      guard let number = Double(value), number.isFinite, number > 0, parameter == .T || Int(value) != nil else { continue }
      points.append((value, parsed.seed))
    }
    return points
  }

  /// `values` once each (numerically: "0.50" is "0.5", the first spelling kept), ascending.
  public static func merged(_ values: [String]) -> [String] {
    var kept: [(String, Double)] = []
    for value in values {
      guard let number = Double(value), !kept.contains(where: { $0.1 == number }) else { continue }
      kept.append((value, number))
    }
    return kept.sorted { $0.1 < $1.1 }.map(\.0)
  }

  /// `value` spelt as the first of `spellings` with the same number ("0.20" → "0.2"), so that
  /// a point trained and the point tabled name one run folder; `value` itself when none is.
  public static func canonical(_ value: String, among spellings: [String]) -> String {
    guard let number = Double(value) else { return value }
    return spellings.first { Double($0) == number } ?? value
  }

  /// The value of `values` that is the recipe's own (numerically equal: "0.50" is "0.5"), if any.
  public var recipePoint: String? {
    guard let recipeValue, let own = Double(recipeValue) else { return nil }
    return values.first { Double($0) == own }
  }

  /// The sweep's table: one row per value ("K = 4"), HR@10 and NDCG@10 over the sampled
  /// negatives (mean ± seed sd, best in bold), from `results` (Table 2's run serves its point).
  /// Each cell also has the standard error over the test users (printed as "SE", the plot's
  /// error bars), and
  /// every other point is compared with the recipe's (``recipePoint``) by the paired t-test of
  /// Table 2 (`BenchmarkTable.pairedTest`): the only measure of noise a one-seed sweep has.
  /// Both need the per-user files the results name and are left out without them.
  /// - Throws: `BenchmarkError.badResult` for a per-user file named but unreadable.
  public func table(results: [RunResult], command: String, perUser: PerUserReader = PerUserReader()) throws -> BenchmarkTable {
    var rows: [ModelRecipe] = [], evaluations: [PlannedEvaluation] = [], relabelled: [RunResult] = []
    for (value, point) in zip(values, points) {
      let label = self.label(value)
      let parent = point.models.first?.initFrom
      rows.append(ModelRecipe(model: label, group: nil, arguments: [],
                              initFrom: parent.map { parameter == .K ? "\($0) with \(label)" : $0 }))
      for evaluation in point.evaluations {
        evaluations.append(PlannedEvaluation(model: label, seed: evaluation.seed, run: evaluation.run))
        if var result = results.first(where: { $0.run == evaluation.run }) {
          result.model = label
          relabelled.append(result)
        }
      }
    }
    let plan = BenchmarkPlan(dataset: points.first?.dataset ?? "", models: rows, seeds: points.first?.seeds ?? [],
                             runs: self.plan.runs, evaluations: evaluations)
    let fixed = parameter == .K ? "T" : "K"
    var table = try BenchmarkTable(
      title: "Sensitivity of \(model) to \(parameter.rawValue) on \(plan.dataset) (Figure 3)", plan: plan, results: relabelled,
      protocols: [.sampled], metrics: ["HR@10", "NDCG@10"], command: command,
      notes: ["Each row trains \(model) with \(parameter.option) set to its value and every other setting the recipe's "
              + "(\(fixed) at the dataset's value)" + (parameter == .K ? "; its pretrain (ComiRec+) has the same K." : "; every T starts from the same pretrain (ComiRec+).")],
      significance: false)
    table.rowTitle = parameter.rawValue
    let metrics = table.metrics, sampled = EvaluationProtocol.sampled
    for (index, row) in table.rows.enumerated() {
      for metric in metrics where row.cells[sampled.rawValue]?[metric] != nil {
        let values = Array(try BenchmarkTable.perUserValues(relabelled, model: row.model, seeds: plan.seeds, protocol: sampled,
                                                           metric: metric, reader: perUser).values)
        guard values.count > 1, let sd = Statistics.standardDeviation(values) else { continue }
        table.rows[index].cells[sampled.rawValue]?[metric]?.standardError = sd / Double(values.count).squareRoot()
      }
    }
    if let own = recipePoint, table.rows.contains(where: { $0.model == label(own) && !$0.cells.isEmpty }) {
      for row in table.rows where row.model != label(own) && !row.cells.isEmpty {
        var tests: [String: BenchmarkTable.Significance] = [:]
        for metric in metrics {
          tests[metric] = try BenchmarkTable.pairedTest(relabelled, model: row.model, against: label(own), seeds: plan.seeds,
                                                        protocol: sampled, metric: metric, reader: perUser)
        }
        if !tests.isEmpty { table.comparisons.append(.init(model: row.model, against: label(own), tests: [sampled.rawValue: tests])) }
      }
      table.comparisonSection = .init(
        heading: "Each \(parameter.rawValue) against \(label(own)), the recipe's",
        introduction: "Does moving \(parameter.rawValue) away from the dataset's own value (Table 2's \(model) run) change the "
          + "test metrics by more than chance (a worse point shows its p without a mark)? "
          + (plan.seeds.count == 1 ? "With one seed the test users are the only measure of noise. " : "")
          + BenchmarkTable.comparisonCells)
    }
    if table.rows.contains(where: { $0.cells.values.contains { $0.values.contains { $0.standardError != nil } } }) {
      table.notes.append("SE: the standard error of the mean over the test users (each user's value averaged across seeds), "
                         + "drawn as error bars in the PNG; the ± in the table is the seeds' standard deviation.")
    }
    return table
  }

  /// HR@10 and NDCG@10 against the swept value: one series each (points with no result left
  /// out), with each point's standard error over the test users as its error bar (NaN where a
  /// point has none; no bars when none has).
  public func series(_ table: BenchmarkTable) -> [PlotSeries] {
    ["HR@10", "NDCG@10"].map { metric in
      var x: [Double] = [], y: [Double] = [], errors: [Double] = []
      for value in values {
        guard let number = Double(value),
              let cell = table.rows.first(where: { $0.model == label(value) })?.cells["sampled"]?[metric] else { continue }
        x.append(number)
        y.append(cell.mean)
        errors.append(cell.standardError ?? .nan)
      }
      return PlotSeries(label: metric, x: x, y: y, errors: errors.contains { !$0.isNaN } ? errors : nil)
    }
  }

  /// The terminal plot of `table` (Plot.terminal).
  public func terminalPlot(_ table: BenchmarkTable) -> String {
    Plot.terminal(title: "\(model) on \(table.dataset): HR@10 and NDCG@10 against \(parameter.rawValue)",
                  xLabel: parameter.title, yLabel: "test metric (1,000 sampled negatives)", series: series(table), kind: .lines)
  }

  /// Writes `<folder>/sensitivity-<K|T>.md` (the table and the terminal plot) and `.json`,
  /// atomically; with `png`, also `.png` (Plot.png, gnuplot; T on a logarithmic axis, as
  /// its values 0.1…2 are spaced).
  /// - Throws: what writing throws; `PlotError` from the PNG.
  public func write(_ table: BenchmarkTable, to folder: String, png: Bool) throws {
    let name = "sensitivity-\(parameter.rawValue)"
    try table.write(to: folder, name: name)
    let markdown = table.markdown + "\n## Plot\n\n```\n" + terminalPlot(table) + "```\n"
      + (png ? "\n![\(name)](\(name).png)\n" : "")
    try AtomicWrite.writeFile(Data(markdown.utf8), to: (folder as NSString).appendingPathComponent(name + ".md"))
    if png {
      try Plot.png(path: (folder as NSString).appendingPathComponent(name + ".png"),
                   title: "\(model) on \(table.dataset): sensitivity to \(parameter.rawValue)", xLabel: parameter.title,
                   yLabel: "test metric (1,000 sampled negatives)", series: series(table), kind: .lines,
                   logX: parameter == .T)
    }
  }
}
