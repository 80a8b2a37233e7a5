// bench-train: training throughput of TiMiRec (instances/s) per stage and thread count.
// Usage: swift run -c release bench-train [--steps N]
import Foundation
import SeqRec
import Tensor

func peakRSSMegabytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024
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

AllocatorTuning.keepFreedMemory()
/// `--data DIR` (a folder holding prepared `beauty` and `ml-100k`): time real batches of
/// epoch 0 instead of synthetic ones (real history lengths: Beauty mostly short, ML-100K 20).
let dataRoot = CommandLine.arguments.firstIndex(of: "--data").map { CommandLine.arguments[$0 + 1] }
func realBatches(_ folder: String, count: Int) -> [ModelInput]? {
  guard let root = dataRoot, let dataset = try? DatasetReader.load(folder: root + "/" + folder) else { return nil }
  let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
  return Array(corpus.trainBatches(batchSize: 256, seed: 0, epoch: 0).prefix(count))
}
let steps = CommandLine.arguments.firstIndex(of: "--steps").map { Int(CommandLine.arguments[$0 + 1])! } ?? 30
print("batches: \(dataRoot.map { "real, first 16 of epoch 0 from \($0)" } ?? "synthetic (history lengths uniform in 1…20)")")
print("CPU \((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("model name") }.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"); OpenBLAS \(BLAS.coreName), default threads \(BLAS.threads)")
print("OpenBLAS kernel \(BLAS.coreName); OPENBLAS_CORETYPE=\(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "unset")")
let only = CommandLine.arguments.firstIndex(of: "--only").map { CommandLine.arguments[$0 + 1] }
var configs: [(String, TiMiRecConfig)] = [
  ("Beauty (N 12,102, K 4, nLayers 1)", TiMiRecConfig(itemCount: 12_102, interestCount: 4, temperature: 0.1, projectionLayers: 1)),
  ("ML-100K (N 1,683, K 2, nLayers 2)", TiMiRecConfig(itemCount: 1_683, interestCount: 2, temperature: 0.5, projectionLayers: 2)),
]
if let only { configs = configs.filter { $0.0.lowercased().hasPrefix(only.lowercased()) } }
for (label, config) in configs {
  for stage in Stage.allCases {
    for (threads, split, slices) in [(1, false, 1), (1, false, 2), (1, false, 4), (2, false, 1), (2, true, 1)] {
      BLAS.setThreads(threads)
      var rng = RNG(seed: 0)
      let model = TiMiRec(config: config, stage: stage, rng: &rng)
      let stepper = DataParallelStepper(model: model, threads: split ? threads : 1)
      stepper.microBatches = slices
      if !split { BLAS.setThreads(threads) }
      let adam = Adam(parameters: model.namedParameters.map { ($0.name, $0.tensor) }, learningRate: 1e-4, weightDecay: 1e-6)
      let folder = config.itemCount == 12_102 ? "beauty" : "ml-100k"
      let batches = realBatches(folder, count: 16)
        ?? (0..<8).map { _ in syntheticBatch(batch: 256, length: 20, items: config.itemCount, rng: &rng) }
      var times: [Double] = []
      var forward = 0.0, backward = 0.0, update = 0.0
      for s in 0..<(steps + 3) {
        let t0 = Date()
        let t1 = Date()
        _ = stepper.computeGradients(batches[s % batches.count], rng: &rng)
        let t2 = Date()
        adam.step()
        let t3 = Date()
        if s >= 3 {
          times.append(t3.timeIntervalSince(t0))
          forward += t1.timeIntervalSince(t0); backward += t2.timeIntervalSince(t1); update += t3.timeIntervalSince(t2)
        }
      }
      times.sort()
      let median = times[times.count / 2]
      let n = Double(steps)
      print(String(format: "%@ %@ %@: %.0f instances/s (median step %.1f ms; forward+backward %.1f, adam %.1f ms)",
                   label, stage.rawValue, split ? "2 threads, batch split" : "\(threads) BLAS thread(s)\(slices > 1 ? ", \(slices) slices" : "")", 256 / median, median * 1000,
                   backward / n * 1000, update / n * 1000))
    }
  }
}
print(String(format: "peak RSS %.0f MB", peakRSSMegabytes()))
