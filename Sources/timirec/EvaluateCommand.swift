import ArgumentParser
import Foundation
import SeqRec
import Tensor

/// `timirec evaluate`: HR@K and NDCG@K of a checkpoint on the dev or test split (docs/MODEL.md §2).
struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate",
    abstract: "HR@K and NDCG@K of a checkpoint (pessimistic ties; pretrain: best interest, finetune: q-mixture).",
    discussion: "Each metric comes with its standard error over the evaluated rows (± in the table, standard_error in --json): the sampling noise of one run on this test set.")

  @Option(help: "Prepared dataset folder.") var data: String
  @Option(help: "Checkpoint folder written by `timirec train` or `timirec import`.") var ckpt: String
  @Option(help: "Split to rank (each row against its stored negatives).") var split: EvaluationSplit = .test
  @Option(help: "Cut-offs K, comma-separated.") var topk: String = EvaluateCommand.cutoffs.map(String.init).joined(separator: ",")
  @Flag(help: "Print JSON instead of a table.") var json = false
  @Option(help: "Threads (BLAS).") var threads: Int = 2

  /// The cut-offs reported by default (and by `train` at its end).
  static let cutoffs = [5, 10, 20, 50]

  func run() throws {
    AllocatorTuning.keepFreedMemory()
    BLAS.setThreads(threads)
    let ks = try parseTopK(topk)
    let dataset = try DatasetReader.load(folder: data)
    // The same opening as `explore`: the model its config.json names, the dataset check,
    // then the weights strictly.
    let (model, config) = try CheckpointDirectory.openModel(ckpt, for: dataset.fingerprint)
    let source = SequenceCorpus(dataset: dataset, historyMax: model.historyMax)
    let batches = source.evaluationBatches(split: split.split, batchSize: TrainingConfig().evalBatchSize)
    let start = Date()
    let ranks = Evaluator.ranks(model, batches: batches)
    let metrics = RankingMetrics.metrics(ranks: ranks, ks: ks)
    let errors = RankingMetrics.standardErrors(ranks: ranks, ks: ks)
    let seconds = Date().timeIntervalSince(start)
    let rows = batches.reduce(0) { $0 + $1.batchSize }
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
      object["standard_error"] = errors
      let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print("\(ckpt) (\(config.stageLabel), \(config.originSummary)) on \(dataset.name) \(split.rawValue): \(rows) rows, \(batches.first?.candidateCount ?? 0) candidates each, \(String(format: "%.1f", seconds)) s")
      for k in ks {
        print(String(format: "  HR@%-3d %.4f ± %.4f   NDCG@%-3d %.4f ± %.4f", k, metrics["HR@\(k)"] ?? 0,
                     errors["HR@\(k)"] ?? 0, k, metrics["NDCG@\(k)"] ?? 0, errors["NDCG@\(k)"] ?? 0))
      }
    }
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
