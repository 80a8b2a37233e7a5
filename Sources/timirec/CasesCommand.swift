import ArgumentParser
import Foundation
import SeqRec
import Tensor

/// `timirec cases`: the case finder headless — one row per (user, step) with where the true
/// next item ranks under TiMiRec's mix and under the best match (or under two checkpoints).
struct CasesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cases",
    abstract: "Find the users where TiMiRec's mix and the best-matching interest disagree (or two checkpoints do).",
    discussion: """
      One row per (user, step) of the split: the true next item's full-catalogue rank under TiMiRec's mix softmax(z^q) (eq. 4) and under the best-matching interest max_k <v_k,e> (eq. 2), each user's earlier items left out and ties counted against the model (the ranks the explorer's lists show; `evaluate --candidates all` ranks alike, its mix scores equal up to rounding); on dev/test rows also its rank among the row's sampled negatives; gain = best-match rank − TiMiRec rank (positive: TiMiRec ranks it higher); JS(q,p) in bits at the checkpoint's temperature; the strongest mix interest (argmax softmax(z^q), 1-based); hit@10 of each (full-catalogue rank ≤ 10); whether the row's interests have a collapsed pair (cosine ≥ 0.95). The second line says the share of users with a collapsed pair at their latest row (with --split all, their test row: at step 1 every interest is the same vector).

      With --compare CKPT2 the two rankings are the two checkpoints' own (the mix when finetuned, the best match when pretrain): gain = rank of CKPT2 − rank of CKPT.

      Each row's step is the explorer's --step: `timirec explore --data DIR --ckpt CKPT --user U --step T` opens the row.

      --filter keeps: all, hit-miss (the first ranking — TiMiRec, or CKPT — has the target in its top 10, the second does not; also spelled timirec-hit-bestmatch-miss), miss-hit (also bestmatch-hit-timirec-miss), both-hit, both-miss, collapsed. --category keeps rows whose target has that category label (items.tsv, exact).

      --json prints one object: split, rows, kept (after the filters), printed, users, collapsed_users, sort, reversed, filter, checkpoint, stage, seconds, hit_cutoff (10), and cases: one object per printed row with user, step, target, split, title, timirec_rank, bestmatch_rank, gain, timirec_sampled_rank, bestmatch_sampled_rank (dev/test rows), js, strongest_interest (1-based), timirec_hit10, bestmatch_hit10, collapsed; with --compare the rank fields are model1_… and model2_…, plus model2_collapsed, compare and compare_collapsed_users. A field without a value (a pretrain checkpoint's mix, a train row's sampled rank) is left out.

      --csv FILE writes every kept row (no --top unless given) with a header row, atomically: the same fields, empty where there is no value, the title and category quoted as RFC 4180 asks.
      """)

  @Option(help: "Prepared dataset folder.") var data: String
  @Option(help: "Checkpoint folder (a multi-interest model).") var ckpt: String
  @Option(help: "Rows: each user's test row, dev row, or every step of every user (≤ 100,000 interactions).")
  var split: CaseSplit = .test
  @Option(help: "Sort by: \(CaseColumn.allCases.map(\.rawValue).joined(separator: ", ")) (gain and js largest first, the others smallest first).")
  var sort: CaseColumn = .gain
  @Flag(help: "Reverse the sort order.") var reverse = false
  @Option(help: "Rows to print (default: 20 in the table, all with --json or --csv).") var top: Int?
  @Option(name: .customLong("filter"), help: "Keep only: \(CaseFilter.allCases.map(\.rawValue).joined(separator: ", ")).")
  var filterName = CaseFilter.all.rawValue
  @Option(help: "Keep only rows whose target has this category label.") var category: String?
  @Flag(help: "Print JSON (a summary and the rows) instead of a table.") var json = false
  @Option(help: ArgumentHelp("Also write the kept rows as CSV to this file.", valueName: "file")) var csv: String?
  @Option(help: ArgumentHelp("A second checkpoint on the same dataset: gain = its rank − CKPT's.", valueName: "ckpt2"))
  var compare: String?
  @Option(help: "Threads (BLAS, and the per-row counting).") var threads: Int = 2

  /// `--filter`, checked in `run` so a bad name is one error line (no usage text).
  static func parseFilter(_ text: String) throws -> CaseFilter {
    guard let filter = CaseFilter(name: text) else {
      throw CommandError("--filter must be one of \(CaseFilter.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
    }
    return filter
  }

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, not \(threads)") }
    if let top, top < 1 { throw ValidationError("--top must be at least 1, not \(top)") }
  }

  func run() throws {
    let filter = try Self.parseFilter(filterName)
    AllocatorTuning.keepFreedMemory()
    BLAS.setThreads(threads)
    if let csv { try checkWritableFile(csv, option: "--csv") }
    let dataset = try DatasetReader.load(folder: data)
    let model = try Self.openMultiInterest(ckpt, dataset: dataset)
    let second = try compare.map { try Self.openMultiInterest($0, dataset: dataset) }
    let corpus = SequenceCorpus(dataset: dataset, historyMax: model.model.historyMax)
    let clock = ContinuousClock()
    let start = clock.now
    let table: CaseTable
    if let second {
      table = try CaseFinder.compare(model.model, second.model, corpus: corpus, split: split, threads: threads)
    } else {
      table = try CaseFinder.find(model.model, corpus: corpus, split: split, threads: threads)
    }
    let elapsed = clock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let catalog = dataset.catalog
    let order = table.order(by: sort, reversed: reverse, filter: filter, category: category,
                            categories: { catalog?.categoryLabels($0) ?? [] })
    let collapsed = table.collapsedUsers()
    let names = CaseTableText.names(compared: table.compared)
    if let csv {
      let kept = top.map { Array(order.prefix($0)) } ?? order
      let text = CaseTableText.csv(table, rows: kept, names: names, title: { catalog?.title($0) ?? "" },
                                   category: { catalog?.categoryLabels($0).joined(separator: "|") ?? "" })
      try AtomicWrite.writeFile(Data(text.utf8), to: csv)
    }
    if json {
      let kept = top.map { Array(order.prefix($0)) } ?? order
      var summary: [String: Any] = [
        "split": split.rawValue, "rows": table.rows.count, "kept": order.count, "printed": kept.count,
        "users": collapsed.users, "collapsed_users": collapsed.collapsed, "sort": sort.rawValue, "reversed": reverse,
        "filter": filter.rawValue, "checkpoint": ckpt, "stage": model.config.stageLabel, "seconds": seconds,
        "hit_cutoff": CaseTable.hitCutoff,
      ]
      if let category { summary["category"] = category }
      if let compare, let second {
        summary["compare"] = compare
        summary["compare_stage"] = second.config.stageLabel
        let other = table.collapsedUsers(model: 2)
        summary["compare_collapsed_users"] = other.collapsed
      }
      summary["cases"] = kept.map { CaseTableText.object(table.rows[$0], names: names, title: catalog?.title(table.rows[$0].target)) }
      let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    let against = second.map { " against \(compare!) (\($0.config.stageLabel))" } ?? ""
    print("\(ckpt) (\(model.config.stageLabel), K=\(model.model.interestCount))\(against) on \(dataset.name) \(split.rawValue): \(table.rows.count) rows in \(String(format: "%.2f", seconds)) s on \(threads) thread\(threads == 1 ? "" : "s")")
    print("users with a collapsed pair of interests (cosine ≥ \(InterestDiagnostics.collapseThreshold), at their latest row): \(collapsed.collapsed) of \(collapsed.users) (\(table.collapsedShare()) %)")
    print("\(filter.summary(compare: table.compared))\(category.map { ", target category \($0)" } ?? ""): \(order.count) rows; sorted by \(sort.rawValue)\(reverse ? " (reversed)" : "")")
    let shown = Array(order.prefix(top ?? 20))
    for line in CaseTableText.table(table, rows: shown, title: { catalog?.title($0) ?? "" }) { print(line) }
    if shown.count < order.count { print("… \(order.count - shown.count) more (--top N)") }
  }

  /// Opens a checkpoint as `evaluate` does; it must be a multi-interest model.
  static func openMultiInterest(_ path: String, dataset: Dataset) throws
    -> (model: any MultiInterestRecommender, config: CheckpointConfig) {
    let (opened, config) = try CheckpointDirectory.openModel(path, for: dataset.fingerprint)
    guard let model = opened as? any MultiInterestRecommender else {
      throw CommandError("\(path): \(config.model) is not a multi-interest model; the case finder compares interests (TiMiRec, ComiRec, MIND)")
    }
    return (model, config)
  }
}

extension CaseSplit: ExpressibleByArgument {}
extension CaseColumn: ExpressibleByArgument {}

/// The case table as text, JSON objects and CSV (shared by `timirec cases`).
enum CaseTableText {
  /// Field names of the two rankings: TiMiRec/best-match, or model 1/model 2.
  static func names(compared: Bool) -> (first: String, second: String) {
    compared ? ("model1", "model2") : ("timirec", "bestmatch")
  }

  static func object(_ row: CaseRow, names: (first: String, second: String), title: String?) -> [String: Any] {
    var o: [String: Any] = [
      "user": row.user, "step": row.step, "target": row.target, "split": splitName(row.split),
      "\(names.second)_rank": row.secondRank, "\(names.first)_hit10": row.firstHit(),
      "\(names.second)_hit10": row.secondHit(), "collapsed": row.model.collapsed,
    ]
    if let title, !title.isEmpty { o["title"] = title }
    if let r = row.firstRank { o["\(names.first)_rank"] = r }
    if let g = row.gain { o["gain"] = g }
    if let r = row.firstSampled { o["\(names.first)_sampled_rank"] = r }
    if let r = row.secondSampled { o["\(names.second)_sampled_rank"] = r }
    if let js = row.model.jensenShannon, js.isFinite { o["js"] = js }
    if let k = row.model.strongestInterest { o["strongest_interest"] = k + 1 }
    if let other = row.other { o["model2_collapsed"] = other.collapsed }
    return o
  }

  static func csv(_ table: CaseTable, rows: [Int], names: (first: String, second: String), title: (Int) -> String,
                  category: (Int) -> String) -> String {
    var columns = ["user", "step", "target", "split", "title", "category", "\(names.first)_rank", "\(names.second)_rank",
                   "gain", "\(names.first)_sampled_rank", "\(names.second)_sampled_rank", "js", "strongest_interest",
                   "\(names.first)_hit10", "\(names.second)_hit10", "collapsed"]
    if table.compared { columns.append("model2_collapsed") }
    var out = columns.joined(separator: ",") + "\n"
    func number(_ value: Int?) -> String { value.map(String.init) ?? "" }
    for i in rows {
      let r = table.rows[i]
      var fields = [String(r.user), String(r.step), String(r.target), splitName(r.split), quoted(title(r.target)),
                    quoted(category(r.target)), number(r.firstRank), String(r.secondRank), number(r.gain),
                    number(r.firstSampled), number(r.secondSampled),
                    r.model.jensenShannon.flatMap { $0.isFinite ? String(format: "%.6f", $0) : nil } ?? "",
                    number(r.model.strongestInterest.map { $0 + 1 }), String(r.firstHit()), String(r.secondHit()),
                    String(r.model.collapsed)]
      if let other = r.other { fields.append(String(other.collapsed)) }
      out += fields.joined(separator: ",") + "\n"
    }
    return out
  }

  /// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
  static func quoted(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// The printed table: a header row and one line per row.
  static func table(_ table: CaseTable, rows: [Int], title: (Int) -> String) -> [String] {
    let (a, b) = table.compared ? ("ckpt1", "ckpt2") : ("TiMiRec", "best")
    func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: max(0, w - s.count)) + s }
    func number(_ v: Int?) -> String { v.map(String.init) ?? "—" }
    var lines = [[right("user", 7), right("step", 5), right(a, 8), right(b, 7), right("gain", 7), right("\(a)@smp", 12),
                  right("\(b)@smp", 10), right("JS", 6), right("int", 4), right("coll", 5), "  target"].joined(separator: " ")]
    for i in rows {
      let r = table.rows[i]
      let js = r.model.jensenShannon.flatMap { $0.isFinite ? String(format: "%.3f", $0) : nil } ?? "—"
      let gain = r.gain.map { $0 > 0 ? "+\($0)" : String($0) } ?? "—"
      lines.append([right(String(r.user), 7), right(String(r.step), 5), right(number(r.firstRank), 8),
                    right(String(r.secondRank), 7), right(gain, 7), right(number(r.firstSampled), 12),
                    right(number(r.secondSampled), 10), right(js, 6),
                    right(r.model.strongestInterest.map { "i\($0 + 1)" } ?? "—", 4),
                    right(r.model.collapsed ? "yes" : "no", 5), "  \(r.target) \(clipped(title(r.target), 60))"].joined(separator: " "))
    }
    return lines
  }

  /// `text` cut to `width` characters with "…" (the table's titles; JSON and CSV keep them whole).
  static func clipped(_ text: String, _ width: Int) -> String {
    text.count <= width ? text : String(text.prefix(width - 1)) + "…"
  }

  static func splitName(_ split: Split) -> String {
    switch split {
    case .train: return "train"
    case .dev: return "dev"
    case .test: return "test"
    }
  }
}
