import Foundation
import SeqRec
import Tensor

// Shared pieces of bench-train: options, the machine header, the two dataset configurations.

/// Command-line options (see benchmarks/README.md, "bench-train").
struct Options {
  let arguments = CommandLine.arguments
  func value(_ name: String) -> String? { arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
  func flag(_ name: String) -> Bool { arguments.contains(name) }
  /// `--data DIR`: folder holding prepared `ml-100k` and `beauty` (default: DATA, else /work/data).
  var dataRoot: String? { value("--data") ?? ProcessInfo.processInfo.environment["DATA"] }
  var only: String? { value("--only") }
}

/// Prints a line and flushes it at once (progress stays visible when stdout is a file).
func say(_ line: String) {
  print(line)
  fflush(nil)
}

func peakRSSMegabytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024
}

/// The 1-, 5- and 15-minute load averages, as /proc/loadavg prints them.
func loadAverage() -> String {
  guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
  return text.split(separator: " ").prefix(3).joined(separator: " ")
}

func cpuModel() -> String {
  (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
    .first { $0.hasPrefix("model name") }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
    .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
}

func printMachine() {
  print("CPU \(cpuModel()); OpenBLAS core \(BLAS.coreName), default threads \(BLAS.threads); OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset"); load average \(loadAverage())")
}

/// One dataset's benchmark configuration: the paper's settings for it (docs/MODEL.md §3.8).
struct BenchDataset {
  let name: String  // folder name under the data root
  let label: String
  let config: TiMiRecConfig  // itemCount filled from the data (or the known count)

  static let all = [
    BenchDataset(name: "ml-100k", label: "ML-100K (K 2, temp 0.5, n_layers 2)",
                 config: TiMiRecConfig(itemCount: 1_683, interestCount: 2, temperature: 0.5, projectionLayers: 2)),
    BenchDataset(name: "beauty", label: "Beauty (K 4, temp 0.1, n_layers 1)",
                 config: TiMiRecConfig(itemCount: 12_102, interestCount: 4, temperature: 0.1, projectionLayers: 1)),
  ]

  static func selected(_ options: Options) -> [BenchDataset] {
    guard let only = options.only?.lowercased() else { return all }
    return all.filter { $0.name.hasPrefix(only) || $0.label.lowercased().hasPrefix(only) }
  }
}

/// Synthetic batch with the shapes of real data: B histories of length L over `items` items.
func syntheticBatch(batch b: Int, length l: Int, items: Int, rng: inout RNG) -> ModelInput {
  var history = [Int32](repeating: 0, count: b * l), lengths = [Int32](repeating: 0, count: b)
  var candidates = [Int32](repeating: 0, count: b * 2)
  for row in 0..<b {
    let len = rng.uniformInt(in: 1...l)
    lengths[row] = Int32(len)
    for j in 0..<len { history[row * l + j] = Int32(rng.uniformInt(in: 1...(items - 1))) }
    candidates[row * 2] = Int32(rng.uniformInt(in: 1...(items - 1)))
    candidates[row * 2 + 1] = Int32(rng.uniformInt(in: 1...(items - 1)))
  }
  return ModelInput(history: history, lengths: lengths, candidates: candidates, batchSize: b, historyLength: l, candidateCount: 2)
}

/// The first `count` training batches of epoch 0 of a prepared dataset, nil without data.
func realBatches(_ options: Options, _ folder: String, count: Int) -> [ModelInput]? {
  guard let root = options.dataRoot, let dataset = try? DatasetReader.load(folder: root + "/" + folder) else { return nil }
  let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
  return Array(corpus.trainBatches(batchSize: 256, seed: 0, epoch: 0).prefix(count))
}

func median(_ values: [Double]) -> Double {
  guard !values.isEmpty else { return .nan }
  let sorted = values.sorted()
  return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
