// bench-train --profile: one training step of each stage, op by op.
//
// The step runs on one thread with one BLAS thread (what each of the two data-parallel workers
// does, on the whole batch), after 3 warm-up steps; the table is the mean of `--repeat` profiled
// steps (default 5). Each row is one (phase, op, output shape) key of `OpProfiler`; a forward
// row's time includes the model code just before the op (see Profiler.swift). For rows that
// issue sgemm calls, "GF/s" is their sgemm FLOPs over the row's time and "sgemm GF/s" the same
// FLOPs over the time of those sgemm calls run alone (same shapes, cache-warm): the ratio says
// how much of the row is sgemm and how much is everything around it.
import Foundation
import SeqRec
import Tensor

func runProfile(_ options: Options) {
  let batchSize = Int(options.value("--batch") ?? "256") ?? 256
  let repeats = Int(options.value("--repeat") ?? "5") ?? 5
  BLAS.setThreads(1)
  for dataset in BenchDataset.selected(options) {
    var rng = RNG(seed: 0)
    let batches = (realBatches(options, dataset.name, count: 8)
      ?? (0..<8).map { _ in syntheticBatch(batch: 256, length: 20, items: dataset.config.itemCount, rng: &rng) })
      .map { $0.batchSize > batchSize ? $0.rows(0..<batchSize) : $0 }
    for stage in Stage.allCases {
      let model = TiMiRec(config: dataset.config, stage: stage, rng: &rng)
      let stepper = DataParallelStepper(model: model, threads: 1)
      let adam = Adam(parameters: model.namedParameters.map { ($0.name, $0.tensor) }, learningRate: 1e-4, weightDecay: 1e-6)
      for s in 0..<3 { _ = stepper.computeGradients(batches[s % batches.count], rng: &rng); adam.step() }
      let profiler = OpProfiler()
      var wall = 0.0
      OpProfiler.$current.withValue(profiler) {
        for s in 0..<repeats {
          let t0 = Date()
          profiler.start()
          profiler.region("step: clear gradients, split batch") {}
          _ = stepper.computeGradients(batches[(s + 3) % batches.count], rng: &rng)
          profiler.region("adam") { adam.step() }
          wall += Date().timeIntervalSince(t0)
        }
      }
      printProfile(profiler, title: "\(dataset.label) \(stage.rawValue), batch \(batches[0].batchSize), 1 thread, 1 BLAS thread",
                   steps: repeats, wall: wall / Double(repeats))
    }
  }
}

func printProfile(_ profiler: OpProfiler, title: String, steps: Int, wall: Double) {
  let n = Double(steps)
  let total = profiler.totalSeconds / n
  print("\n## \(title)")
  print(String(format: "step %.2f ms (wall %.2f ms; %d steps averaged)", total * 1000, wall * 1000, steps))
  print("phase     op                    shape            calls      ms   share     GF/s  sgemm GF/s  op/sgemm")
  var sgemmCache: [OpProfiler.Gemm: Double] = [:]
  var byPhase: [OpProfiler.Phase: Double] = [:]
  for key in profiler.order {
    let record = profiler.records[key]!
    let seconds = record.seconds / n
    byPhase[key.phase, default: 0] += seconds
    var rate = "", sgemmRate = "", ratio = ""
    if !record.gemms.isEmpty {
      var alone = 0.0
      for (gemm, count) in record.gemms {
        if sgemmCache[gemm] == nil { sgemmCache[gemm] = gemm.sgemmSeconds() }
        alone += sgemmCache[gemm]! * Double(count)
      }
      let flops = record.gemmFlops
      rate = String(format: "%.1f", flops / record.seconds * 1e-9)
      sgemmRate = String(format: "%.1f", flops / alone * 1e-9)
      ratio = String(format: "%.2f", alone / record.seconds)
    }
    let shape = key.shape.isEmpty ? "" : "(" + key.shape.map(String.init).joined(separator: ",") + ")"
    print(key.phase.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + " "
          + key.op.padding(toLength: 21, withPad: " ", startingAt: 0) + " "
          + shape.padding(toLength: 16, withPad: " ", startingAt: 0)
          + String(format: " %5.0f %8.3f %6.1f%%", Double(record.calls) / n, seconds * 1000, 100 * seconds / total)
          + rate.leftPad(9) + sgemmRate.leftPad(12) + ratio.leftPad(10))
  }
  print("totals: " + [OpProfiler.Phase.forward, .backward, .region].map {
    String(format: "%@ %.2f ms (%.0f%%)", $0.rawValue, (byPhase[$0] ?? 0) * 1000, 100 * (byPhase[$0] ?? 0) / total)
  }.joined(separator: ", "))
  print("top 10 by time:")
  for key in profiler.order.sorted(by: { profiler.records[$0]!.seconds > profiler.records[$1]!.seconds }).prefix(10) {
    let seconds = profiler.records[key]!.seconds / n
    print(String(format: "  %5.1f%%  %.3f ms  %@ %@ %@", 100 * seconds / total, seconds * 1000, key.phase.rawValue, key.op,
                 key.shape.map(String.init).joined(separator: "×")))
  }
}

extension String {
  func leftPad(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
