import Foundation
import Tensor

/// Per-user ranks of one `timirec evaluate --per-user` file: test row's user → the target's
/// 1-based rank among its candidates (`Scoring.ranks`, ties against the model); one test row
/// per user (leave-one-out).
public typealias PerUserRanks = [Int: Int]

/// Reads per-user rank files, each once per modification time: `evaluate --per-user` files
/// (one JSON object per line with `user`, `rank` and, with `--candidates all`,
/// `catalogue_rank`) and the benchmark's ranks tables (`.tsv`: a header naming the columns,
/// `user` first, then one line of integers per test row; `writeRanksTable`).
///
/// Thread safety: the cache is read and written only while holding `lock`.
public final class PerUserReader: @unchecked Sendable {
  private let lock = NSLock()
  private var cache: [String: (modified: Date, ranks: [String: PerUserRanks])] = [:]

  public init() {}

  /// The ranks of `protocol` in `path`.
  /// - Throws: `BenchmarkError.badResult` naming the file and line that lacks a `user` or
  ///   the protocol's rank, or a missing file.
  public func ranks(_ path: String, protocol evaluationProtocol: EvaluationProtocol) throws -> PerUserRanks {
    let key = evaluationProtocol.perUserKey
    let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
    lock.lock()
    if let modified, let hit = cache[path], hit.modified == modified, let ranks = hit.ranks[key] { lock.unlock(); return ranks }
    lock.unlock()
    guard let data = FileManager.default.contents(atPath: path) else {
      throw BenchmarkError.badResult(path: path, reason: "the per-user file is missing")
    }
    let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let ranks = try path.hasSuffix(".tsv") ? Self.parseRanksTable(lines, path: path) : Self.parsePerUserLines(lines, path: path)
    guard let found = ranks[key] else {
      throw BenchmarkError.badResult(path: path, reason: "no line has \(key) (evaluate --per-user without --candidates all?)")
    }
    lock.lock()
    if let modified { cache[path] = (modified, ranks) }
    lock.unlock()
    return found
  }

  /// The ranks of `evaluate --per-user` JSON lines: `rank`/`catalogue_rank` → user → rank.
  /// - Throws: `BenchmarkError.badResult` naming file:line for a line without an integer user.
  static func parsePerUserLines(_ lines: [Data.SubSequence], path: String) throws -> [String: PerUserRanks] {
    var ranks: [String: PerUserRanks] = [:]
    for (offset, line) in lines.enumerated() where !line.isEmpty {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let user = (object["user"] as? NSNumber)?.intValue else {
        throw BenchmarkError.badResult(path: "\(path):\(offset + 1)", reason: "not a JSON object with an integer user")
      }
      for name in ["rank", "catalogue_rank"] {
        if let rank = (object[name] as? NSNumber)?.intValue { ranks[name, default: [:]][user] = rank }
      }
    }
    return ranks
  }

  /// The ranks table of a `.tsv` file's lines: column name → user → rank.
  /// - Throws: `BenchmarkError.badResult` naming file:line for a header without `user`, a
  ///   line whose field count differs from the header's, or a field that is not an integer.
  static func parseRanksTable(_ lines: [Data.SubSequence], path: String) throws -> [String: PerUserRanks] {
    guard let header = lines.first.map({ String(decoding: $0, as: UTF8.self).split(separator: "\t").map(String.init) }),
          header.first == "user", header.count > 1 else {
      throw BenchmarkError.badResult(path: "\(path):1", reason: "the header must name the columns, user first (user, rank, catalogue_rank)")
    }
    var ranks: [String: PerUserRanks] = [:]
    for (offset, line) in lines.dropFirst().enumerated() where !line.isEmpty {
      let fields = String(decoding: line, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false)
      let values = fields.compactMap { Int($0) }
      guard fields.count == header.count, values.count == fields.count else {
        throw BenchmarkError.badResult(path: "\(path):\(offset + 2)", reason: "expected \(header.count) integers separated by tabs")
      }
      for column in 1..<header.count { ranks[header[column], default: [:]][values[0]] = values[column] }
    }
    return ranks
  }

  /// Writes the ranks of an `evaluate --per-user` JSONL file as a ranks table (`user`, `rank`,
  /// and `catalogue_rank` when the file has it; one line per test row, in the file's order),
  /// atomically: about 18 bytes a row, the form results/ keeps.
  /// - Throws: `BenchmarkError.badResult` naming file:line for a line without `user` or `rank`.
  public static func writeRanksTable(from jsonl: String, to path: String) throws {
    guard let data = FileManager.default.contents(atPath: jsonl) else {
      throw BenchmarkError.badResult(path: jsonl, reason: "the per-user file is missing")
    }
    var rows: [[Int]] = []
    var withCatalogue = true
    for (offset, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let user = (object["user"] as? NSNumber)?.intValue, let rank = (object["rank"] as? NSNumber)?.intValue else {
        throw BenchmarkError.badResult(path: "\(jsonl):\(offset + 1)", reason: "not a JSON object with an integer user and rank")
      }
      let catalogue = (object["catalogue_rank"] as? NSNumber)?.intValue
      if catalogue == nil { withCatalogue = false }
      rows.append([user, rank, catalogue ?? 0])
    }
    var text = withCatalogue ? "user\trank\tcatalogue_rank\n" : "user\trank\n"
    for row in rows { text += (withCatalogue ? row : Array(row.prefix(2))).map(String.init).joined(separator: "\t") + "\n" }
    try AtomicWrite.writeFile(Data(text.utf8), to: path)
  }
}

/// A benchmark's table: per model, the mean and seed standard deviation of every metric under
/// every protocol, the best of each group, and the significance of TiMiRec/TiMiRec+ against
/// the best baseline of its group (Table 2's marks), built from results/<dataset>/runs/*.json.
public struct BenchmarkTable: Codable, Equatable, Sendable {
  /// Mean and spread of one metric over the seeds that have a result.
  public struct Cell: Codable, Equatable, Sendable {
    public var mean: Double
    /// Sample standard deviation over seeds; nil for one seed.
    public var sd: Double?
    /// Best mean of its group (of all rows when the table has no groups).
    public var best: Bool
    /// The paired t-test against the group's best baseline (proposed models only).
    public var test: Significance?
    /// Standard error of the mean over the test users of their values of this metric, each
    /// averaged across seeds (the metric's units); set by sensitivity tables for their error
    /// bars, nil elsewhere.
    public var standardError: Double? = nil
  }

  /// A two-sided paired t-test over per-user values averaged across seeds.
  public struct Significance: Codable, Equatable, Sendable {
    /// The baseline tested against: the best other model of the group by this column's mean.
    public var against: String
    public var users: Int
    public var t: Double
    public var p: Double
    /// "", "*" (p ≤ 0.05) or "**" (p ≤ 0.01); "" also when the model is the worse one.
    public var mark: String
    /// Mean over the users of the model's value minus the baseline's (the metric's units).
    public var meanDifference: Double
  }

  /// A proposed model against its group's extractor (`ModelGroup.extractorModel`): TiMiRec+
  /// against ComiRec+, TiMiRec against ComiRec, with the same paired t-test as the marks,
  /// whether or not that model is the group's best baseline.
  public struct Comparison: Codable, Equatable, Sendable {
    public var model: String
    public var against: String
    /// Protocol → metric → test; a column is absent when either model lacks it.
    public var tests: [String: [String: Significance]]
  }

  public struct Row: Codable, Equatable, Sendable {
    public var model: String
    public var group: ModelGroup?
    /// Seeds with a result, of `seedsPlanned`.
    public var seeds: [Int]
    /// How many seeds this row expects when fewer than `seedsPlanned` (Beauty's baselines:
    /// one, `Recipe.tableSeeds`); nil for all of them.
    public var expectedSeeds: Int?
    /// Protocol → metric → cell (absent without results).
    public var cells: [String: [String: Cell]]
    /// Means over seeds of the model's own stage: epochs run and the best epoch.
    public var epochs: Double?
    public var bestEpoch: Double?
    /// Mean seconds per seed of the whole chain (a finetune's pretrain included).
    public var seconds: Double?
    /// The model whose run this one starts from (`--init`), if any.
    public var startsFrom: String?
    /// Whether the figures match the reference code's (``ReferenceCheck``); nil: not checked.
    public var reproduced: Bool?
  }

  public var title: String
  public var dataset: String
  public var command: String
  public var generated: String
  public var seedsPlanned: [Int]
  public var maxEpochs: Int?
  public var protocols: [EvaluationProtocol]
  public var metrics: [String]
  public var rows: [Row]
  public var notes: [String]
  /// The first column's title: "model", or the swept parameter of a sensitivity table.
  public var rowTitle = "model"
  /// The models also trained by the reference code, beside ours (results/<dataset>/reference.json).
  public var referenceChecks: [ReferenceCheck] = []
  /// TiMiRec (TiMiRec+) against ComiRec (ComiRec+), for each group where both have results
  /// (only with `significance`); a sensitivity table sets its own (every point against the
  /// recipe's value) with their ``comparisonSection``.
  public var comparisons: [Comparison] = []
  /// The paper's own figures for this dataset and table, set beside our sampled-negative
  /// means; nil when the paper has none.
  public var paperFigures: PaperFigures?
  /// The heading and introduction of the comparisons' section; nil: Table 2's ("TiMiRec
  /// against the extractor it distils").
  public var comparisonSection: ComparisonSection?

  /// The heading and first paragraph of a table's comparison section.
  public struct ComparisonSection: Codable, Equatable, Sendable {
    public var heading: String
    public var introduction: String
    public init(heading: String, introduction: String) {
      self.heading = heading
      self.introduction = introduction
    }
  }

  /// The table's metric columns: HR@5/10/20 and NDCG@5/10/20 (Table 2).
  public static let tableMetrics = ["HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20"]

  /// Builds the table of `plan` from `results` (any subset of its evaluations).
  /// - Parameters:
  ///   - significance: mark TiMiRec/TiMiRec+ against their group's best baseline (needs the
  ///     per-user files the results name).
  ///   - reference: the reference code's runs to set beside ours (``ReferenceCheck``).
  ///   - grouped: rows keep their recipes' Table 2 groups (bold per group); false makes every
  ///     row one group (Table 4, whose rows are all plain TiMiRec: bold over the whole table).
  /// - Throws: `BenchmarkError.badResult` for an unreadable per-user file.
  public init(title: String, plan: BenchmarkPlan, results: [RunResult], protocols: [EvaluationProtocol],
              metrics: [String] = BenchmarkTable.tableMetrics, command: String, notes: [String] = [],
              significance: Bool, grouped: Bool = true, reference: ReferenceResults? = nil,
              perUser: PerUserReader = PerUserReader(), now: Date = Date()) throws {
    self.title = title
    dataset = plan.dataset
    self.command = command
    generated = ISO8601DateFormatter().string(from: now)
    seedsPlanned = plan.seeds
    maxEpochs = plan.runs.compactMap(\.maxEpochs).max()
    self.protocols = protocols
    self.metrics = metrics
    self.notes = notes
    var rows: [Row] = [], checks: [ReferenceCheck] = [], comparisons: [Comparison] = []
    for recipe in plan.models {
      let own = results.filter { $0.model == recipe.model && plan.seeds.contains($0.seed) }.sorted { $0.seed < $1.seed }
      var cells: [String: [String: Cell]] = [:]
      for p in protocols {
        var column: [String: Cell] = [:]
        for metric in metrics {
          let values = own.compactMap { $0.metrics[p.rawValue]?[metric] }
          guard values.count == own.count, let mean = Statistics.mean(values) else { continue }
          column[metric] = Cell(mean: mean, sd: Statistics.standardDeviation(values), best: false, test: nil)
        }
        if !column.isEmpty { cells[p.rawValue] = column }
      }
      rows.append(Row(model: recipe.model, group: grouped ? recipe.group : nil, seeds: own.map(\.seed),
                      expectedSeeds: recipe.tableSeeds.flatMap { $0 < plan.seeds.count ? $0 : nil }, cells: cells,
                      epochs: Statistics.mean(own.map { Double($0.epochs) }),
                      bestEpoch: Statistics.mean(own.compactMap { $0.chain.last?.bestEpoch.map(Double.init) }),
                      seconds: Statistics.mean(own.map(\.seconds)), startsFrom: recipe.initFrom))
      if let runs = reference?.models[recipe.model], let check = ReferenceCheck.check(rows[rows.count - 1], results: own, references: runs) {
        checks.append(check)
        rows[rows.count - 1].reproduced = check.reproduced
      }
    }
    // Best of each group (all rows form one group when no row has one).
    let groups: [ModelGroup?] = rows.contains { $0.group != nil } ? ModelGroup.table2 : [nil]
    for group in groups {
      let members = rows.indices.filter { rows[$0].group == group }
      for p in protocols {
        for metric in metrics {
          let scored = members.compactMap { i in rows[i].cells[p.rawValue]?[metric].map { (i, $0.mean) } }
          guard let top = scored.map(\.1).max() else { continue }
          for (i, mean) in scored where mean == top { rows[i].cells[p.rawValue]?[metric]?.best = true }
          guard significance, let group,
                let proposed = members.first(where: { rows[$0].model == group.proposedModel }),
                rows[proposed].cells[p.rawValue]?[metric] != nil else { continue }
          let baselines = scored.filter { $0.0 != proposed }
          guard let baseline = baselines.max(by: { $0.1 < $1.1 }),
                let test = try Self.pairedTest(results, model: rows[proposed].model, against: rows[baseline.0].model,
                                               seeds: plan.seeds, protocol: p, metric: metric, reader: perUser)
          else { continue }
          rows[proposed].cells[p.rawValue]?[metric]?.test = test
        }
      }
      // The proposed model against its extractor, every column both have.
      guard significance, let group, let proposed = group.proposedModel, let extractor = group.extractorModel,
            let a = rows.first(where: { $0.model == proposed }), let b = rows.first(where: { $0.model == extractor })
      else { continue }
      var tests: [String: [String: Significance]] = [:]
      for p in protocols {
        for metric in metrics where a.cells[p.rawValue]?[metric] != nil && b.cells[p.rawValue]?[metric] != nil {
          tests[p.rawValue, default: [:]][metric] = try Self.pairedTest(
            results, model: proposed, against: extractor, seeds: plan.seeds, protocol: p, metric: metric, reader: perUser)
        }
      }
      if !tests.isEmpty { comparisons.append(Comparison(model: proposed, against: extractor, tests: tests)) }
    }
    self.rows = rows
    referenceChecks = checks
    self.comparisons = comparisons
  }

  /// The two-sided paired t-test of `model` against `against` over the test users' values of
  /// `metric`, each averaged across seeds (users in every seed's file of both); nil when fewer
  /// than two users pair or every difference is 0. Marked only when `model` is the better.
  /// - Throws: `BenchmarkError.badResult` for an unreadable per-user file.
  static func pairedTest(_ results: [RunResult], model: String, against: String, seeds: [Int], protocol p: EvaluationProtocol,
                         metric: String, reader: PerUserReader) throws -> Significance? {
    let a = try perUserValues(results, model: model, seeds: seeds, protocol: p, metric: metric, reader: reader)
    let b = try perUserValues(results, model: against, seeds: seeds, protocol: p, metric: metric, reader: reader)
    let users = Set(a.keys).intersection(b.keys).sorted()
    guard let test = Statistics.pairedTTest(users.map { a[$0]! }, users.map { b[$0]! }) else { return nil }
    return Significance(against: against, users: users.count, t: test.t, p: test.p,
                        mark: test.meanDifference > 0 ? Statistics.significanceMark(test.p) : "",
                        meanDifference: test.meanDifference)
  }

  /// User → the metric's per-user value (1[r ≤ K] or 1[r ≤ K]/log2(r + 1), RankingMetrics),
  /// averaged over the seeds that have a result; users present in every seed's file.
  static func perUserValues(_ results: [RunResult], model: String, seeds: [Int], protocol p: EvaluationProtocol,
                            metric: String, reader: PerUserReader) throws -> [Int: Double] {
    guard let k = Int(metric.split(separator: "@").last ?? "") else { return [:] }
    var sums: [Int: Double] = [:], counts: [Int: Int] = [:]
    let own = results.filter { $0.model == model && seeds.contains($0.seed) }
    for result in own {
      guard let file = result.perUser[p.rawValue] else { return [:] }
      for (user, rank) in try reader.ranks(file, protocol: p) {
        sums[user, default: 0] += RankingMetrics.metrics(ranks: [rank], ks: [k])[metric] ?? 0
        counts[user, default: 0] += 1
      }
    }
    var values: [Int: Double] = [:]
    for (user, sum) in sums where counts[user] == own.count { values[user] = sum / Double(own.count) }
    return values
  }

  // MARK: writing

  /// The table as markdown: one section per protocol, then training epochs and time.
  public var markdown: String {
    var lines = ["# \(title)", ""]
    let planned = seedsPlanned.count
    let complete = rows.allSatisfy { $0.seeds.count >= ($0.expectedSeeds ?? planned) }
    lines.append("Written by `\(command)` on \(generated). Test split, leave-one-out; each cell is the mean over seeds "
                 + "± the seeds' standard deviation; **bold**: "
                 + (rows.contains { $0.group != nil }
                    ? "best of its group in that column (the paper's Table 2 groups: without and with a transformer layer)."
                    : "best of all rows in that column."))
    if rows.contains(where: { $0.group != nil }) {
      lines.append("`*`/`**`: TiMiRec (TiMiRec+) better than the best other model of its group in that column (by mean) "
                   + "with p ≤ 0.05/0.01, two-sided paired t-test over the test users' values of that metric, each averaged "
                   + "across seeds; the baseline and p of every test are in the JSON beside this file.")
    }
    if !complete {
      lines.append("")
      lines.append("**Partial:** runs are still missing; a model with fewer seeds than it expects says \"n of m seeds\", and its "
                   + "mean and the tests use the seeds it has.")
    }
    if let fewer = rows.compactMap(\.expectedSeeds).min() {
      lines.append("")
      lines.append("A row marked \"of \(fewer) seed\(fewer == 1 ? "" : "s")\" expects fewer seeds than the \(planned) asked: the recipe table "
                   + "plans \(fewer == 1 ? "one seed" : "\(fewer) seeds") for it on this dataset (issue 13: on Beauty the baselines and Table 4's variants one seed, ComiRec(+) and "
                   + "TiMiRec(+) three).")
    }
    if let maxEpochs {
      lines.append("")
      lines.append("**Shortened runs:** every training run was limited to \(maxEpochs) epochs (`--max-epochs \(maxEpochs)`), "
                   + "so these are not the paper's settings.")
    }
    for note in notes { lines += ["", note] }
    for p in protocols {
      lines += ["", "## \(p.title)", ""]
      let showGroup = rows.contains { $0.group != nil }
      lines.append("| " + (showGroup ? "group | " : "") + rowTitle + " | " + metrics.joined(separator: " | ") + " |")
      lines.append("|" + String(repeating: "---|", count: metrics.count + (showGroup ? 2 : 1)))
      for row in rows {
        let expected = row.expectedSeeds ?? planned, count = row.seeds.count
        var name = count == planned ? row.model
          : count > expected ? "\(row.model) (\(count) seeds)" : "\(row.model) (\(count) of \(expected) seed\(expected == 1 ? "" : "s"))"
        if row.reproduced == false { name += " (not reproduced)" }
        let cells = metrics.map { metric -> String in
          guard let cell = row.cells[p.rawValue]?[metric] else { return "–" }
          var text = String(format: "%.4f", cell.mean)
          if cell.best { text = "**\(text)**" }
          if let mark = cell.test?.mark, !mark.isEmpty { text += mark.replacingOccurrences(of: "*", with: "\\*") }
          if let sd = cell.sd { text += String(format: " ± %.4f", sd) }
          if let error = cell.standardError { text += String(format: " (SE %.4f)", error) }
          return text
        }
        lines.append("| " + (showGroup ? "\(row.group?.rawValue ?? "") | " : "") + name + " | " + cells.joined(separator: " | ") + " |")
      }
    }
    lines += comparisonMarkdown
    lines += paperMarkdown
    lines += ReferenceCheck.markdown(referenceChecks)
    lines += ["", "## Training", "",
              "Means per seed: epochs the model's own run trained (best dev-NDCG@5 epoch), and wall-clock training time of its "
              + "whole chain (a finetune's pretrain included) under whatever else the machine was running.", "",
              "| \(rowTitle) | seeds | epochs (best) | training time | starts from |", "|---|---|---|---|---|"]
    for row in rows {
      let epochs = row.epochs.map { String(format: "%.1f", $0) } ?? "–"
      let best = row.bestEpoch.map { String(format: " (%.1f)", $0) } ?? ""
      let time = row.seconds.map { String(format: "%.1f min", $0 / 60) } ?? "–"
      lines.append("| \(row.model) | \(row.seeds.count) of \(row.expectedSeeds ?? planned) | \(epochs)\(best) | \(time) | \(row.startsFrom ?? "–") |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The section of ``comparisons``: per comparison and protocol, each column's mean
  /// per-user difference with its p and mark; none without comparisons.
  var comparisonMarkdown: [String] {
    guard !comparisons.isEmpty else { return [] }
    let section = comparisonSection ?? ComparisonSection(
      heading: "TiMiRec against the extractor it distils",
      introduction: "The paper's question beside the marks above (which test the best other model of the group): is TiMiRec "
        + "(TiMiRec+) better than ComiRec (ComiRec+, TiMiRec+'s own pretrain)? " + Self.comparisonCells)
    var lines = ["", "## \(section.heading)", "", section.introduction, "",
                 "| comparison | protocol | " + metrics.joined(separator: " | ") + " |",
                 "|---|---|" + String(repeating: "---|", count: metrics.count)]
    for comparison in comparisons {
      for p in protocols {
        guard let tests = comparison.tests[p.rawValue] else { continue }
        let cells = metrics.map { metric -> String in
          guard let test = tests[metric] else { return "–" }
          return String(format: "%+.4f", test.meanDifference) + test.mark.replacingOccurrences(of: "*", with: "\\*")
            + " (p " + String(format: "%.2g", test.p) + ")"
        }
        lines.append("| \(comparison.model) − \(comparison.against) | \(p.shortTitle) | " + cells.joined(separator: " | ") + " |")
      }
    }
    return lines
  }

  /// The section of ``paperFigures``: per model with a result and a figure of the paper, each
  /// metric the paper reports as ours / the paper's (our relative difference); none without.
  var paperMarkdown: [String] {
    let sampled = EvaluationProtocol.sampled.rawValue
    guard let paper = paperFigures else { return [] }
    let columns = metrics.filter { metric in paper.values.values.contains { $0[metric] != nil } }
    let shown = rows.filter { row in paper.values[row.model] != nil && row.cells[sampled] != nil }
    guard !columns.isEmpty, !shown.isEmpty else { return [] }
    var lines = ["", "## Against the paper's \(paper.source) (sampled negatives)", "",
                 "The paper's own test figures (Wang et al., CIKM 2022, \(paper.source)) beside our means over seeds; each cell: "
                 + "ours / the paper's (our relative difference). The paper gives one figure per model, without seeds or "
                 + "standard errors.", "",
                 "| model | " + columns.joined(separator: " | ") + " |", "|---|" + String(repeating: "---|", count: columns.count)]
    for row in shown {
      let cells = columns.map { metric -> String in
        guard let ours = row.cells[sampled]?[metric]?.mean, let theirs = paper.values[row.model]?[metric], theirs > 0 else { return "–" }
        return String(format: "%.4f / %.4f (%+.1f %%)", ours, theirs, (ours / theirs - 1) * 100)
      }
      let seeds = row.seeds.count == 1 ? " (1 seed)" : " (\(row.seeds.count) seeds)"
      lines.append("| \(row.model)\(seeds) | " + cells.joined(separator: " | ") + " |")
    }
    return lines
  }

  /// What a cell of the comparison section holds.
  public static let comparisonCells = "Each cell: the mean over the test users of the first model's value minus the second's "
    + "(each averaged across seeds), `*`/`**` for p ≤ 0.05/0.01 when the first is better, and p of the same two-sided paired t-test."

  /// The table as JSON (sorted keys).
  public func json() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try encoder.encode(self)
  }

  /// Writes `<folder>/<name>.md` and `<name>.json`, each atomically.
  /// Hand-written notes for the table `name` in `folder`: the file `<name>-notes.md` beside it
  /// (e.g. results/ml-100k/table-notes.md), Markdown paragraphs separated by blank lines. The
  /// table is rewritten after every run, so what was checked about a result (a model that does
  /// not beat its baseline, a difference from the reference code) lives in this file and is
  /// printed after the table's own notes each time.
  /// - Returns: the paragraphs, trimmed; none when the file does not exist.
  /// - Throws: `BenchmarkError.badNotes` when the file exists but cannot be read as UTF-8.
  public static func handWrittenNotes(folder: String, name: String) throws -> [String] {
    let path = (folder as NSString).appendingPathComponent(name + "-notes.md")
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw BenchmarkError.badNotes(path: path, reason: "cannot be read")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw BenchmarkError.badNotes(path: path, reason: "is not UTF-8 text")
    }
    var paragraphs: [String] = [], current: [Substring] = []
    // "\r\n" is one Character in Swift: make Windows line ends plain before splitting.
    for line in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
      if line.allSatisfy(\.isWhitespace) {
        if !current.isEmpty { paragraphs.append(current.joined(separator: "\n")); current = [] }
      } else {
        current.append(line)
      }
    }
    if !current.isEmpty { paragraphs.append(current.joined(separator: "\n")) }
    return paragraphs.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
  }

  public func write(to folder: String, name: String) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try AtomicWrite.writeFile(Data(markdown.utf8), to: (folder as NSString).appendingPathComponent(name + ".md"))
    try AtomicWrite.writeFile(json(), to: (folder as NSString).appendingPathComponent(name + ".json"))
  }
}
