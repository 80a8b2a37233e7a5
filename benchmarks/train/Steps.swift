// bench-train --steps N: step throughput (instances/s from the median step) for each stage and
// three ways of using the 2 cores: 1 BLAS thread, 2 BLAS threads, the batch split over 2 workers.
import Foundation
import SeqRec
import Tensor

func runSteps(_ options: Options) {
  let steps = Int(options.value("--steps") ?? "30") ?? 30
  print("batches: \(options.dataRoot.map { "real, first 16 of epoch 0 from \($0)" } ?? "synthetic (history lengths uniform in 1…20)")")
  let configs = BenchDataset.selected(options).map { ($0.label, $0.config) }
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
        let batches = realBatches(options, folder, count: 16)
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
}
