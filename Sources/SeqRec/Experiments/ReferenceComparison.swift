import Foundation

/// The reference code's own runs of the table's models on the same split (ReChorus, branch
/// CIKM22, trained by benchmarks/reference-baselines.sh): results/<dataset>/reference.json,
/// `{"models": {"GRU4Rec": [{"seed": 0, "epochs": 61, "bestEpoch": 51, "seconds": 900,
/// "sampled": {"HR@10": 0.2, …}, "command": "python main.py …"}, …]}}`, one run per seed.
/// Issue 13, item 2: each baseline's figures stand beside the reference's (the mean over its
/// seeds), and a model more than two standard errors away is marked "not reproduced".
public struct ReferenceResults: Codable, Equatable, Sendable {
  public struct Run: Codable, Equatable, Sendable {
    public var seed: Int
    public var epochs: Int
    public var bestEpoch: Int
    /// Wall-clock seconds of the reference's training and evaluation.
    public var seconds: Double
    /// Metric ("HR@10") → the reference's test value over the sampled negatives.
    public var sampled: [String: Double]
    /// How it was run, for a reader who wants to run it again.
    public var command: String

    public init(seed: Int, epochs: Int, bestEpoch: Int, seconds: Double, sampled: [String: Double], command: String) {
      self.seed = seed
      self.epochs = epochs
      self.bestEpoch = bestEpoch
      self.seconds = seconds
      self.sampled = sampled
      self.command = command
    }
  }

  /// Model → its runs, one per seed (the script replaces a seed's run when it is run again).
  public var models: [String: [Run]]

  public init(models: [String: [Run]]) { self.models = models }

  /// The file's name in results/<dataset>/.
  public static let fileName = "reference.json"

  /// Reads `<folder>/reference.json`; nil when there is none.
  /// - Throws: `BenchmarkError.badReference` naming the file when it is not such JSON.
  public static func load(folder: String) throws -> ReferenceResults? {
    let path = (folder as NSString).appendingPathComponent(fileName)
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    do {
      return try JSONDecoder().decode(ReferenceResults.self, from: data)
    } catch {
      throw BenchmarkError.badReference(path: path, reason: CheckpointDirectory.describe(error))
    }
  }
}

/// One model's figures beside the reference code's: the criterion metrics HR@10 and NDCG@10
/// over the sampled negatives.
public struct ReferenceCheck: Codable, Equatable, Sendable {
  public struct Metric: Codable, Equatable, Sendable {
    public var metric: String
    /// Our mean over the seeds with a result.
    public var ours: Double
    /// Our standard error over the test rows (the mean of the seeds' standard errors).
    public var standardError: Double
    /// The reference's mean over its runs.
    public var reference: Double
    /// (ours − reference) / standardError.
    public var inStandardErrors: Double
  }

  public var model: String
  public var seeds: Int
  public var metrics: [Metric]
  public var epochs: Double?
  public var bestEpoch: Double?
  /// The reference's runs compared against (each seed once); its figures are their means.
  public var references: [ReferenceResults.Run]
  /// Every criterion metric within ``limit`` standard errors.
  public var reproduced: Bool

  /// The criterion: more than two of our standard errors apart is "not reproduced".
  public static let limit = 2.0
  /// The metrics compared (issue 13: test HR@10 and NDCG@10).
  public static let criterionMetrics = ["HR@10", "NDCG@10"]

  /// The check of a table row from its results (any seeds) and the reference's runs (any
  /// seeds; our mean against theirs); nil when either side has no run, or lacks a criterion
  /// metric or its standard error.
  public static func check(_ row: BenchmarkTable.Row, results: [RunResult], references: [ReferenceResults.Run]) -> ReferenceCheck? {
    guard !results.isEmpty, !references.isEmpty else { return nil }
    let sampled = EvaluationProtocol.sampled.rawValue
    var metrics: [Metric] = []
    for name in criterionMetrics {
      let values = results.compactMap { $0.metrics[sampled]?[name] }
      let errors = results.compactMap { $0.standardErrors[sampled]?[name] }
      let theirValues = references.compactMap { $0.sampled[name] }
      guard values.count == results.count, errors.count == results.count, theirValues.count == references.count,
            let ours = Statistics.mean(values), let error = Statistics.mean(errors), error > 0,
            let theirs = Statistics.mean(theirValues) else { return nil }
      metrics.append(Metric(metric: name, ours: ours, standardError: error, reference: theirs,
                            inStandardErrors: (ours - theirs) / error))
    }
    return ReferenceCheck(
      model: row.model, seeds: results.count, metrics: metrics, epochs: row.epochs, bestEpoch: row.bestEpoch,
      references: references.sorted { $0.seed < $1.seed }, reproduced: metrics.allSatisfy { abs($0.inStandardErrors) <= limit })
  }

  /// The Markdown section of a table: what was compared, then one row per check.
  static func markdown(_ checks: [ReferenceCheck]) -> [String] {
    guard !checks.isEmpty else { return [] }
    var lines = ["", "## Against the reference code (sampled negatives)", "",
                 "The reference code (ReChorus, branch CIKM22) trained on the same split with the same hyper-parameters "
                 + "and its own early stopping (`benchmarks/reference-baselines.sh`); its test figures (the mean over its seeds) "
                 + "beside ours (the mean over our seeds). SE: our standard error over the test rows (the seeds' mean). More than \(Int(limit)) SE apart on "
                 + "HR@10 or NDCG@10 is **not reproduced**, and the tables above say so beside the model.", "",
                 "| model (our seeds) | ours HR@10 | reference HR@10 (its seeds) | difference | ours NDCG@10 | reference NDCG@10 | difference "
                 + "| epochs (best), ours / reference | verdict |",
                 "|---|---|---|---|---|---|---|---|---|"]
    for check in checks {
      var cells = [check.model + (check.seeds == 1 ? " (1 seed)" : " (\(check.seeds) seeds)")]
      let theirSeeds = check.references.count == 1 ? "" : " (\(check.references.count) seeds)"
      for metric in check.metrics {
        cells.append(String(format: "%.4f ± %.4f", metric.ours, metric.standardError))
        cells.append(String(format: "%.4f", metric.reference) + theirSeeds)
        cells.append(String(format: "%+.4f (%+.1f SE)", metric.ours - metric.reference, metric.inStandardErrors))
      }
      let ours = check.epochs.map { String(format: "%.1f", $0) } ?? "–"
      let best = check.bestEpoch.map { String(format: " (%.1f)", $0) } ?? ""
      cells.append("\(ours)\(best) / " + Self.epochs(check.references))
      cells.append(check.reproduced ? "reproduced" : "**not reproduced**")
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    lines += ["", "Reference commands (from its src/, our split in its format):", ""]
    lines += checks.flatMap { check in
      check.references.map { "- \(check.model)" + (check.references.count == 1 ? "" : ", seed \($0.seed)") + ": `\($0.command)`" }
    }
    return lines
  }

  /// "42 (22)" for one run; the seeds' epochs and best epochs one by one for several
  /// ("42, 66 (22, 46)"), so that where each stopped stays visible.
  static func epochs(_ runs: [ReferenceResults.Run]) -> String {
    "\(runs.map { String($0.epochs) }.joined(separator: ", ")) (\(runs.map { String($0.bestEpoch) }.joined(separator: ", ")))"
  }
}
