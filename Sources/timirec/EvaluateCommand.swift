import ArgumentParser
import Foundation
import SeqRec
import Tensor

/// `timirec evaluate`: HR@K and NDCG@K of a checkpoint on the dev or test split (docs/MODEL.md §2),
/// against the sampled negatives and, with `--candidates all`, against the whole catalogue.
struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract: "HR@K and NDCG@K of a checkpoint (pessimistic ties; pretrain: best interest, finetune: q-mixture).",
    discussion: """
      Each metric comes with its standard error over the evaluated rows (± in the table, standard_error in --json): the sampling noise of one run on this test set.

      --candidates all also ranks each target against every item of the catalogue (row 0, the padding, and every item the user had before the target, train items included, left out; the target is always ranked; ties and NaN count against the model), through BLAS in blocks of users; the sampled metrics are printed too, from the same forward pass. --json then adds a "catalogue" object with the same keys.

      --per-user FILE writes one JSON object per evaluated row, one per line, in the split's row order (written atomically: FILE is the old or the complete new file):
        {"index": 0, "user": 17, "row": 16, "target": 523, "rank": 4, "catalogue_rank": 211}
      index: 0-based position among the evaluated rows (the same for every checkpoint of one dataset and split; rows whose user has no earlier item are not evaluated); user: user id; row: 0-based data row of dev.csv/test.csv; target: the ground-truth item; rank: its pessimistic rank (1 = best) among the row's sampled candidates; catalogue_rank: its rank in the whole catalogue (only with --candidates all). HR@K of a row is rank <= K; NDCG@K is 1/log2(rank + 1) when rank <= K, else 0.
      """)

  @Option(help: "Prepared dataset folder.") var data: String
  @Option(help: "Checkpoint folder written by `timirec train` or `timirec import`.") var ckpt: String
  @Option(help: "Split to rank (each row against its stored negatives).") var split: EvaluationSplit = .test
  @Option(help: "Candidates to rank the target among: the split's sampled negatives, or every item as well (the whole catalogue).")
  var candidates: CandidateSet = .sampled
  @Option(help: "Cut-offs K, comma-separated.") var topk: String = EvaluateCommand.cutoffs.map(String.init).joined(separator: ",")
  @Flag(help: "Print JSON instead of a table.") var json = false
  @Option(name: .customLong("per-user"), help: ArgumentHelp("Write each row's ranks to this file, one JSON line per row (format above).", valueName: "file"))
  var perUser: String?
  @Option(help: "Threads (BLAS, and the full-catalogue rank counting).") var threads: Int = 2

  /// The cut-offs reported by default (and by `train` at its end).
  static let cutoffs = [5, 10, 20, 50]

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, not \(threads)") }
  }

  func run() throws {
    AllocatorTuning.keepFreedMemory()
    BLAS.setThreads(threads)
    let ks = try parseTopK(topk)
    if let perUser { try checkWritableFile(perUser, option: "--per-user") }
    let clock = ContinuousClock()
    let loadStart = clock.now
    let dataset = try DatasetReader.load(folder: data)
    // The same opening as `explore`: the model its config.json names, the dataset check,
    // then the weights strictly.
    let (model, config) = try CheckpointDirectory.openModel(ckpt, for: dataset.fingerprint)
    let source = SequenceCorpus(dataset: dataset, historyMax: model.historyMax)
    let batches = source.evaluationBatches(split: split.split, batchSize: TrainingConfig().evalBatchSize)
    let rowsOfSplit = CatalogueRows(corpus: source, split: split.split)
    let loadSeconds = seconds(clock.now - loadStart)

    let start = clock.now
    let ranks: [Int]
    var catalogue: CatalogueRanking.Result? = nil
    switch candidates {
    case .sampled:
      ranks = Evaluator.ranks(model, batches: batches)
    case .all:
      let result = CatalogueRanking.ranks(model, batches: batches, rows: rowsOfSplit, threads: threads)
      ranks = result.sampled
      catalogue = result
    }
    let metrics = RankingMetrics.metrics(ranks: ranks, ks: ks)
    let errors = RankingMetrics.standardErrors(ranks: ranks, ks: ks)
    let seconds = self.seconds(clock.now - start)
    let rows = batches.reduce(0) { $0 + $1.batchSize }
    if let perUser {
      try writePerUser(perUser, rows: rowsOfSplit, ranks: ranks, catalogueRanks: catalogue?.catalogue)
    }
    if json {
      var object: [String: Any] = metrics
      object["rows"] = rows
      object["split"] = split.rawValue
      object["stage"] = config.stageLabel
      object["model"] = config.model
      object["checkpoint"] = ckpt
      if let bestEpoch = config.bestEpoch { object["best_epoch"] = bestEpoch }
      if let imported = config.importedFrom { object["imported_from"] = imported.file }
      object["seconds"] = seconds
      object["load_seconds"] = loadSeconds
      object["standard_error"] = errors
      if let result = catalogue {
        let catalogueRanks = result.catalogue
        var catalogue: [String: Any] = RankingMetrics.metrics(ranks: catalogueRanks, ks: ks)
        catalogue["standard_error"] = RankingMetrics.standardErrors(ranks: catalogueRanks, ks: ks)
        catalogue["items"] = model.itemCount - 1
        catalogue["forward_seconds"] = result.forwardSeconds
        if result.phasesTimedApart {
          catalogue["rank_seconds"] = result.rankSeconds
          catalogue["rank_cpu_seconds"] = result.rankCPUSeconds
        }
        object["catalogue"] = catalogue
      }
      let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print("\(ckpt) (\(config.stageLabel), \(config.originSummary)) on \(dataset.name) \(split.rawValue): \(rows) rows, \(batches.first?.candidateCount ?? 0) candidates each, \(String(format: "%.1f", seconds)) s (loading \(String(format: "%.1f", loadSeconds)) s)")
      printTable(metrics, errors, ks)
      if let result = catalogue {
        let catalogueRanks = result.catalogue
        let items = "whole catalogue (\(model.itemCount - 1) items less each user's earlier items)"
        if result.phasesTimedApart {
          print("\(items): scoring and ranking \(String(format: "%.3f", result.rankSeconds)) s on \(threads) thread\(threads == 1 ? "" : "s") (\(String(format: "%.3f", result.rankCPUSeconds)) s CPU), after \(String(format: "%.3f", result.forwardSeconds)) s of model forward and sampled ranking")
        } else {
          // A model without a scoring table (GRU4Rec, SASRec, …) scores every item through its
          // own forward pass: one time for everything, not a ranking phase of 0 s.
          print("\(items): \(String(format: "%.3f", result.forwardSeconds)) s for the model's forward with every item a candidate, scoring and ranking together")
        }
        printTable(RankingMetrics.metrics(ranks: catalogueRanks, ks: ks), RankingMetrics.standardErrors(ranks: catalogueRanks, ks: ks), ks)
      }
    }
  }

  private func printTable(_ metrics: [String: Double], _ errors: [String: Double], _ ks: [Int]) {
    for k in ks {
      print(String(format: "  HR@%-3d %.4f ± %.4f   NDCG@%-3d %.4f ± %.4f", k, metrics["HR@\(k)"] ?? 0,
                   errors["HR@\(k)"] ?? 0, k, metrics["NDCG@\(k)"] ?? 0, errors["NDCG@\(k)"] ?? 0))
    }
  }

  /// The `--per-user` file: one JSON object per row (format in the command's discussion).
  private func writePerUser(_ path: String, rows: CatalogueRows, ranks: [Int], catalogueRanks: [Int]?) throws {
    var text = ""
    text.reserveCapacity(rows.count * 80)
    for i in 0..<rows.count {
      text += "{\"index\": \(i), \"user\": \(rows.users[i]), \"row\": \(rows.splitRows[i]), \"target\": \(rows.targets[i]), \"rank\": \(ranks[i])"
      if let catalogueRanks { text += ", \"catalogue_rank\": \(catalogueRanks[i])" }
      text += "}\n"
    }
    try AtomicWrite.writeFile(Data(text.utf8), to: path)
  }

  private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
  }
}

/// `--candidates`: what the target is ranked among.
enum CandidateSet: String, CaseIterable, ExpressibleByArgument {
  /// The split's stored negatives (the paper's protocol).
  case sampled
  /// The sampled negatives and, separately, every item of the catalogue.
  case all
}

/// Fails early (before any work) when `path`'s folder does not exist, so a long evaluation
/// does not end in an error: what, where, and what to do.
func checkWritableFile(_ path: String, option: String) throws {
  let folder = (path as NSString).deletingLastPathComponent
  var isFolder: ObjCBool = false
  let parent = folder.isEmpty ? "." : folder
  guard FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
    throw CommandError("\(option) \(path): the folder \(parent) does not exist; create it first")
  }
  if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
    throw CommandError("\(option) \(path) is a folder; give a file name")
  }
}

/// Parses "5,10,20,50" into cut-offs ≥ 1.
func parseTopK(_ text: String) throws -> [Int] {
  let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
  let values = parts.compactMap { Int($0) }
  guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 1 }) else {
    throw ValidationError("--topk takes comma-separated integers ≥ 1 such as 5,10,20,50, not '\(text)'")
  }
  return values
}

/// `--split`: the splits that have negatives to rank against (train has none). Its own
/// type because ArgumentParser shows a raw value as the default, and `Split`'s are numbers.
enum EvaluationSplit: String, CaseIterable, ExpressibleByArgument {
  case test, dev

  var split: Split {
    switch self {
    case .test: return .test
    case .dev: return .dev
    }
  }
}
