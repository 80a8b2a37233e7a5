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
      Without --data and --ckpt: the bundled demo (demo-data/ and its checkpoint), as `timirec explore`. --ckpt defaults to DATA/checkpoint.

      One row per (user, step) of the split: the true next item's full-catalogue rank under TiMiRec's mix softmax(z^q) (eq. 4) and under the best-matching interest max_k <v_k,e> (eq. 2), each user's earlier items left out and ties counted against the model (the ranks the explorer's lists show; `evaluate --candidates all` ranks alike, its mix scores equal up to rounding); on dev/test rows also its rank among the row's sampled negatives; gain = best-match rank − TiMiRec rank (positive: TiMiRec ranks it higher); JS(q,p) in bits at the checkpoint's temperature; the strongest mix interest (argmax softmax(z^q), 1-based); hit@10 of each (full-catalogue rank ≤ 10); whether the row's interests have a collapsed pair (cosine ≥ 0.95). The second line says the share of users with a collapsed pair at their latest row (with --split all, their test row: at step 1 every interest is the same vector).

      A pretrain checkpoint (or ComiRec, MIND) alone has no TiMiRec mix: its TiMiRec rank, gain, JS and strongest interest are empty (— in the table); --sort rank and --sort gain then sort by the best match's rank and --sort sampled by its sampled rank (the header says so); --sort js and --sort interest, and the filters hit-miss, miss-hit, both-hit and both-miss, are refused (compare it with a finetuned checkpoint by --compare, or use --filter collapsed).

      With --compare CKPT2 the two rankings are the two checkpoints' own (the mix when finetuned, the best match when pretrain): gain = rank of CKPT2 − rank of CKPT. The columns JS, int (strongest interest) and coll (collapsed) are model 1's (CKPT's); the header gives both models' collapsed users, and JSON's model2_collapsed each row's model 2 value.

      Each row's step is the explorer's --step: `timirec explore --data DIR --ckpt CKPT --user U --step T` opens the row.

      --filter keeps: all, hit-miss (the first ranking — TiMiRec, or CKPT — has the target in its top 10, the second does not; also spelled timirec-hit-bestmatch-miss), miss-hit (also bestmatch-hit-timirec-miss), both-hit, both-miss, collapsed (model 1's interests).

      --category LABEL keeps rows whose target's category (items.tsv) matches LABEL, ignoring case: the whole value (Comedy|Romance; / and | alike, so the explorer's cartoon/preschool is cartoon|preschool), or one of its labels — the parts between | (a genre, or a level of a category path at any level: on the demo comedy matches movie|comedy), and the parts of those between /. The explorer's F matches by the same rule. A LABEL no item of the dataset has is an error listing the dataset's labels.

      --json prints one object: data, checkpoint, stage, split, rows, kept (after the filters), printed, users, collapsed_users, sort (the column sorted by; sort_requested when that differs from --sort), reversed, filter, category (with --category), threads, seconds, hit_cutoff (10), and cases: one object per printed row with user, step, target, split, title, category, timirec_rank, bestmatch_rank, gain, timirec_sampled_rank, bestmatch_sampled_rank (dev/test rows), js, strongest_interest (1-based), timirec_hit10, bestmatch_hit10, collapsed; with --compare the rank and hit fields are model1_… and model2_…, plus model2_collapsed, compare, compare_stage and compare_collapsed_users. A field without a value (a pretrain checkpoint's mix rank and its hit10, a train row's sampled rank) is left out.

      --csv FILE writes every kept row (no --top unless given) with a header row, atomically: the same fields as JSON's cases, empty where there is no value, the title and category quoted as RFC 4180 asks; then one line "wrote N rows to FILE" (on standard error with --json). An existing FILE is replaced only with --force, and never inside the --data, --ckpt or --compare folders (they are only read).

      --threads above the machine's cores is clamped to them (the header says so).
      """)

  @Option(help: "Prepared dataset folder (default: the bundled demo, demo-data/).") var data: String?
  @Option(help: "Checkpoint folder, a multi-interest model (default: <data>/checkpoint).") var ckpt: String?
  @Option(help: "Rows: each user's test row, dev row, or every step of every user (≤ 100,000 interactions).")
  var split: CaseSplit = .test
  @Option(help: "Sort by: \(CaseColumn.allCases.map(\.rawValue).joined(separator: ", ")) (gain and js largest first, the others smallest first; when the checkpoint has no TiMiRec mix, rank and gain sort by best-rank and sampled by best-sampled).")
  var sort: CaseColumn = .gain
  @Flag(help: "Reverse the sort order.") var reverse = false
  // .unconditional: "--top -1" reaches validate() (a clear "at least 1") instead of being
  // read as an unknown option "-1".
  @Option(parsing: .unconditional, help: "Rows to print (default: 20 in the table, all with --json or --csv).") var top: Int?
  @Option(name: .customLong("filter"), help: "Keep only: \(CaseFilter.allCases.map(\.rawValue).joined(separator: ", ")) (the hit/miss ones need a TiMiRec mix or --compare).")
  var filterName = CaseFilter.all.rawValue
  @Option(help: "Keep only rows whose target's category (items.tsv) is this value or has it as a label, ignoring case (see above).")
  var category: String?
  @Flag(help: "Print JSON (a summary and the rows) instead of a table.") var json = false
  @Option(help: ArgumentHelp("Also write the kept rows as CSV to this file (not inside the --data, --ckpt or --compare folders).", valueName: "file"))
  var csv: String?
  @Flag(help: "Replace an existing --csv file.") var force = false
  @Option(help: ArgumentHelp("A second checkpoint on the same dataset: gain = its rank − CKPT's (JS, int and coll stay CKPT's).", valueName: "ckpt2"))
  var compare: String?
  @Option(help: "Threads (BLAS, and the per-row counting); at most the machine's cores (more are clamped).") var threads: Int = 2

  /// `--filter`, checked in `run` so a bad name is one error line (no usage text).
  static func parseFilter(_ text: String) throws -> CaseFilter {
    guard let filter = CaseFilter(name: text) else {
      throw CommandError("--filter must be one of \(CaseFilter.allCases.map(\.rawValue).joined(separator: ", ")) (or the long forms timirec-hit-bestmatch-miss, bestmatch-hit-timirec-miss), not '\(text)'")
    }
    return filter
  }

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, not \(threads)") }
    if let top, top < 1 { throw ValidationError("--top must be at least 1, not \(top)") }
  }

  func run() throws {
    let filter = try Self.parseFilter(filterName)
    if force && csv == nil { throw CommandError("--force replaces an existing --csv file; give --csv FILE too") }
    let folder = data ?? DemoPaths.defaultDemoFolder()
    let checkpoint = ckpt ?? (folder as NSString).appendingPathComponent("checkpoint")
    if data == nil && !FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("train.csv")) {
      throw CommandError("no --data given and the bundled demo (demo-data/ with train.csv) is not in the current folder or beside this build; pass --data DIR (a folder of `timirec prepare`) with --ckpt CKPT, or run `timirec demo generate` to rebuild demo-data/")
    }
    let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let threads = min(self.threads, cores)
    AllocatorTuning.keepFreedMemory()
    BLAS.setThreads(threads)
    if let csv {
      try checkWritableFile(csv, option: "--csv")
      try Self.checkCSVDestination(csv, force: force,
                                   inputs: [(checkpoint, "checkpoint folder (--ckpt)")]
                                     + (compare.map { [($0, "checkpoint folder (--compare)")] } ?? [])
                                     + [(folder, "dataset folder (--data)")])
    }
    let dataset = try DatasetReader.load(folder: folder)
    let model = try Self.openMultiInterest(checkpoint, dataset: dataset, data: folder, defaulted: ckpt == nil)
    let second = try compare.map { try Self.openMultiInterest($0, dataset: dataset, data: folder, defaulted: false) }
    let catalog = dataset.catalog
    // Refused before the ranking runs (it takes seconds on ML-100K, a minute on Beauty).
    let hasFirstRanking = second != nil || model.model.hasInterestLogits
    if filter.needsFirstRanking && !hasFirstRanking {
      throw CommandError("--filter \(filter.rawValue) compares TiMiRec's top 10 with the best match's, but \(checkpoint) (\(model.config.stageLabel)) has no TiMiRec mix (no interest predictor), so its rows have no TiMiRec rank; pass --compare with a finetuned checkpoint of the same dataset (then model 1 is this one's best match, model 2 that one's mix), give a finetuned checkpoint as --ckpt, or use --filter collapsed")
    }
    if (sort == .js || sort == .interest) && !model.model.hasInterestLogits {
      throw CommandError("--sort \(sort.rawValue) needs the interest predictor's q, but \(checkpoint) (\(model.config.stageLabel)) has none, so its rows have no \(sort == .js ? "JS(q,p)" : "strongest interest"); sort by best-rank, best-sampled, user or step\(second == nil ? "" : ", rank, sampled or gain"), or give a finetuned checkpoint as --ckpt")
    }
    if let category { try Self.checkCategory(category, catalog: catalog, data: folder) }
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
    let column = table.sortColumn(for: sort)
    let order = table.order(by: column, reversed: reverse, filter: filter, category: category,
                            categories: { catalog?.categoryLabels($0) ?? [] })
    let collapsed = table.collapsedUsers()
    let names = CaseTableText.names(compared: table.compared)
    func categoryValue(_ item: Int) -> String { catalog?.categoryLabels(item).joined(separator: "|") ?? "" }
    var wrote: String?
    if let csv {
      let kept = top.map { Array(order.prefix($0)) } ?? order
      let text = CaseTableText.csv(table, rows: kept, names: names, title: { catalog?.title($0) ?? "" },
                                   category: categoryValue)
      try AtomicWrite.writeFile(Data(text.utf8), to: csv)
      wrote = "wrote \(kept.count) row\(kept.count == 1 ? "" : "s") to \(csv)"
    }
    if json {
      let kept = top.map { Array(order.prefix($0)) } ?? order
      var summary: [String: Any] = [
        "data": folder, "split": split.rawValue, "rows": table.rows.count, "kept": order.count, "printed": kept.count,
        "users": collapsed.users, "collapsed_users": collapsed.collapsed, "sort": column.rawValue, "reversed": reverse,
        "filter": filter.rawValue, "checkpoint": checkpoint, "stage": model.config.stageLabel, "seconds": seconds,
        "hit_cutoff": CaseTable.hitCutoff, "threads": threads,
      ]
      if column != sort { summary["sort_requested"] = sort.rawValue }
      if let category { summary["category"] = category }
      if let compare, let second {
        summary["compare"] = compare
        summary["compare_stage"] = second.config.stageLabel
        let other = table.collapsedUsers(model: 2)
        summary["compare_collapsed_users"] = other.collapsed
      }
      summary["cases"] = kept.map {
        CaseTableText.object(table.rows[$0], names: names, title: catalog?.title(table.rows[$0].target),
                             category: categoryValue(table.rows[$0].target))
      }
      let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      if let wrote { FileHandle.standardError.write(Data((wrote + "\n").utf8)) }
      return
    }
    let against = second.map { " against \(compare!) (\($0.config.stageLabel))" } ?? ""
    let clamped = threads < self.threads ? " (--threads \(self.threads) clamped to this machine's \(cores) core\(cores == 1 ? "" : "s"))" : ""
    print("\(checkpoint) (\(model.config.stageLabel), K=\(model.model.interestCount))\(against) on \(dataset.name) \(split.rawValue): \(table.rows.count) rows in \(String(format: "%.2f", seconds)) s on \(threads) thread\(threads == 1 ? "" : "s")\(clamped)")
    let collapseHeader = "users with a collapsed pair of interests (cosine ≥ \(InterestDiagnostics.collapseThreshold), at their latest row)"
    if let compare {
      let other = table.collapsedUsers(model: 2)
      let (one, two) = Self.shortNames(checkpoint, compare)
      print("\(collapseHeader): model 1 (\(one)): \(collapsed.collapsed) of \(collapsed.users) (\(table.collapsedShare()) %), model 2 (\(two)): \(other.collapsed) of \(other.users) (\(table.collapsedShare(model: 2)) %)")
    } else {
      print("\(collapseHeader): \(collapsed.collapsed) of \(collapsed.users) (\(table.collapsedShare()) %)")
    }
    var sorted = "sorted by \(column.rawValue)"
    if column != sort {
      sorted += " (--sort \(sort.rawValue): a \(model.config.stageLabel) checkpoint has no TiMiRec mix, so by the best match's \(column == .bestSampled ? "sampled rank" : "rank"))"
    }
    let kept = [filter == .all ? nil : filter.summary(compare: table.compared), category.map { "target category \($0)" }].compactMap { $0 }
    print((kept.isEmpty ? "" : kept.joined(separator: ", ") + ": ") + "\(order.count) rows; \(sorted)\(reverse ? " (reversed)" : "")")
    let shown = Array(order.prefix(top ?? 20))
    for line in CaseTableText.table(table, rows: shown, title: { catalog?.title($0) ?? "" }) { print(line) }
    if shown.count < order.count { print("… \(order.count - shown.count) more (--top N)") }
    if let wrote { print(wrote) }
  }

  /// The two checkpoints' folder names for the header, or the paths as given when the names
  /// are the same (a checkpoint compared with itself, or two runs/…/TiMiRec-s0).
  static func shortNames(_ first: String, _ second: String) -> (String, String) {
    let a = URL(fileURLWithPath: first).standardizedFileURL.lastPathComponent
    let b = URL(fileURLWithPath: second).standardizedFileURL.lastPathComponent
    return a == b ? (first, second) : (a, b)
  }

  /// Opens a checkpoint as `evaluate` does; it must be a multi-interest model. A missing
  /// default --ckpt (DATA/checkpoint) is told as such, with where to train one.
  static func openMultiInterest(_ path: String, dataset: Dataset, data: String, defaulted: Bool) throws
    -> (model: any MultiInterestRecommender, config: CheckpointConfig) {
    let opened: any Recommender, config: CheckpointConfig
    do { (opened, config) = try CheckpointDirectory.openModel(path, for: dataset.fingerprint) } catch CheckpointError.missing where defaulted {
      let name = URL(fileURLWithPath: data).standardizedFileURL.lastPathComponent
      throw CommandError("\(path): no checkpoint here, the default for --ckpt (a checkpoint folder holds config.json and model.safetensors); pass --ckpt with a checkpoint trained on \(data), e.g. one from `timirec train --data \(data) --out runs/\(name.isEmpty || name == "/" ? "model" : name)`")
    }
    guard let model = opened as? any MultiInterestRecommender else {
      throw CommandError("\(path): \(config.model) is not a multi-interest model; the case finder compares interests (TiMiRec, ComiRec, MIND)")
    }
    return (model, config)
  }

  /// Refuses a --category no item of the dataset matches (`CategoryMatch`), listing the
  /// dataset's labels (the 30 most common, and how many more).
  static func checkCategory(_ category: String, catalog: ItemCatalog?, data: String) throws {
    let items = catalog.map { c in (1..<max(1, c.itemCount)).map { c.categoryLabels($0) } } ?? []
    let labels = CategoryMatch.labelCounts(items)
    guard !labels.isEmpty else {
      throw CommandError("--category \(category): the items of \(data) have no categories (\(catalog == nil ? "no items.tsv" : "items.tsv's category column is empty")), so no row can match; leave out --category")
    }
    let match = CategoryMatch(category)
    guard !items.contains(where: { match.matches($0) }) else { return }
    let shown = labels.prefix(30).map(\.label).joined(separator: ", ")
    let more = labels.count > 30 ? " and \(labels.count - 30) more" : ""
    // A whole value of several labels as an example, the most common one.
    var values: [String: Int] = [:]
    for item in items where item.count > 1 { values[item.joined(separator: "|"), default: 0] += 1 }
    let example = values.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }
      .map { " or a whole value such as '\($0.key)'" } ?? ""
    throw CommandError("--category '\(category)' matches no item of \(data) (items.tsv; case is ignored): give one of its \(labels.count) label\(labels.count == 1 ? "" : "s")\(example); most common first: \(shown)\(more)")
  }

  /// Refuses a --csv destination inside one of `inputs` (folder, what: only read), an existing
  /// file without `force`, and an existing entry that is not a regular file (the atomic
  /// rename would replace a link, not its file). Symbolic links are resolved on both sides.
  static func checkCSVDestination(_ path: String, force: Bool, inputs: [(String, String)]) throws {
    let target = AtomicWrite.resolvedPath(path)
    for (folder, what) in inputs {
      let inside = AtomicWrite.resolvedPath(folder)
      if target == inside || target.hasPrefix(inside.hasSuffix("/") ? inside : inside + "/") {
        throw CommandError("--csv \(path) is inside the \(what) \(folder), which timirec cases only reads; write the CSV elsewhere, e.g. --csv cases.csv")
      }
    }
    guard let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else { return }
    guard type == .typeRegular else {
      throw CommandError("--csv \(path) exists and is not a regular file; it is never replaced; choose another file")
    }
    guard force else { throw CommandError("--csv \(path) exists; pass --force to replace it, or choose another file") }
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

  /// One row as JSON: a field without a value (no first rank: neither its rank nor its hit10;
  /// no title or category; no sampled rank on a train row) is left out.
  static func object(_ row: CaseRow, names: (first: String, second: String), title: String?,
                     category: String = "") -> [String: Any] {
    var o: [String: Any] = [
      "user": row.user, "step": row.step, "target": row.target, "split": splitName(row.split),
      "\(names.second)_rank": row.secondRank, "\(names.second)_hit10": row.secondHit(), "collapsed": row.model.collapsed,
    ]
    if let title, !title.isEmpty { o["title"] = title }
    if !category.isEmpty { o["category"] = category }
    if let r = row.firstRank {
      o["\(names.first)_rank"] = r
      o["\(names.first)_hit10"] = row.firstHit()
    }
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
                    number(r.model.strongestInterest.map { $0 + 1 }), r.firstRank == nil ? "" : String(r.firstHit()),
                    String(r.secondHit()),
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
    // A split column only when the rows mix splits (--split all): train steps, then dev, test.
    let showSplit = Set(rows.map { table.rows[$0].split }).count > 1
    var header = [right("user", 7), right("step", 5)] + (showSplit ? [right("split", 5)] : [])
    header += [right(a, 8), right(b, 7), right("gain", 7), right("\(a)@smp", 12),
               right("\(b)@smp", 10), right("JS", 6), right("int", 4), right("coll", 5), "  target"]
    var lines = [header.joined(separator: " ")]
    for i in rows {
      let r = table.rows[i]
      let js = r.model.jensenShannon.flatMap { $0.isFinite ? String(format: "%.3f", $0) : nil } ?? "—"
      let gain = r.gain.map { $0 > 0 ? "+\($0)" : String($0) } ?? "—"
      var fields = [right(String(r.user), 7), right(String(r.step), 5)] + (showSplit ? [right(splitName(r.split), 5)] : [])
      fields += [right(number(r.firstRank), 8), right(String(r.secondRank), 7), right(gain, 7), right(number(r.firstSampled), 12),
                 right(number(r.secondSampled), 10), right(js, 6), right(r.model.strongestInterest.map { "i\($0 + 1)" } ?? "—", 4),
                 right(r.model.collapsed ? "yes" : "no", 5), "  \(r.target) \(clipped(title(r.target), 60))"]
      lines.append(fields.joined(separator: " "))
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
