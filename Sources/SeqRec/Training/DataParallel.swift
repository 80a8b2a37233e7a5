import Dispatch
import Tensor

extension ModelInput {
  /// Rows `range` of the batch (history length L and candidates per row unchanged).
  public func rows(_ range: Range<Int>) -> ModelInput {
    let l = historyLength, c = candidateCount
    var slice = ModelInput(
      history: Array(history[(range.lowerBound * l)..<(range.upperBound * l)]),
      lengths: Array(lengths[range]),
      candidates: Array(candidates[(range.lowerBound * c)..<(range.upperBound * c)]),
      batchSize: range.count, historyLength: l, candidateCount: c)
    if !historyTimes.isEmpty {
      slice.historyTimes = Array(historyTimes[(range.lowerBound * l)..<(range.upperBound * l)])
      slice.timeUnits = Array(timeUnits[range])
    }
    return slice
  }
}

/// Computes one training step's gradients with the batch split across threads, for any
/// `TrainableRecommender` (its `trainingLoss` and `makeReplica`).
///
/// Each extra thread owns a replica of the model whose parameter arrays share storage with
/// the main model's (copy-on-write, so no copy is made while nobody writes) and whose
/// gradients are its own. Thread i runs forward and backward on its slice of rows with the
/// loss scaled by rows_i / B, so the summed gradients equal those of the whole batch (the
/// loss must be a mean over rows, as TiMiRec's BPR and KL batchmean are). OpenBLAS runs
/// single-threaded while the workers run (the thread count is OpenBLAS's process-wide
/// setting: it is set to 1 for the parallel part of each step and restored afterwards, so
/// evaluation between steps keeps its threads).
///
/// Thread safety: a stepper is used from one thread at a time; inside a step each worker
/// touches only its own replica, its own RNG and its own slot of the loss array. Gradient
/// recording (`GradMode`) is per thread, so the pretrain forward's `withoutGrad` on one worker
/// does not switch recording off on the other.
public final class DataParallelStepper<Model: TrainableRecommender> {
  public let model: Model
  let replicas: [Model]
  public let threads: Int
  /// With one thread: slices a batch is processed in, one after the other (1 = whole batch).
  public var microBatches = 1

  /// - Parameter threads: data-parallel workers (1 runs the step on the calling thread,
  ///   unsplit, with whatever BLAS threads the process has; N > 1 runs N workers, each
  ///   with one BLAS thread).
  public init(model: Model, threads: Int) {
    self.model = model
    self.threads = max(threads, 1)
    replicas = (1..<self.threads).map { _ in model.makeReplica() }
  }

  /// Clears the gradients, runs forward and backward, and leaves the batch's gradient in the
  /// main model's parameters. A parameter no gradient reached keeps an empty `grad` (Adam
  /// reads that as zero); clearing instead of zero-filling saves writing every table.
  /// - Returns: the batch's loss (row-weighted mean of the slices' losses).
  public func computeGradients(_ batch: ModelInput, rng: inout RNG) -> Float {
    let parameters = model.namedParameters.map(\.tensor)
    for p in parameters { p.grad = [] }
    if threads == 1 || batch.batchSize < 2 * threads {
      guard microBatches > 1, batch.batchSize >= 2 * microBatches else {
        let loss = model.trainingLoss(batch, rng: &rng)
        loss.backward()
        return loss.item()
      }
      // Sequential slices on one thread: the same gradient (losses weighted by rows), with
      // each slice's activations small enough to stay in cache.
      var total: Float = 0
      let b = batch.batchSize
      for i in 0..<microBatches {
        let slice = batch.rows((i * b / microBatches)..<((i + 1) * b / microBatches))
        let weighted = model.trainingLoss(slice, rng: &rng) * (Float(slice.batchSize) / Float(b))
        weighted.backward()
        total += weighted.item()
      }
      return total
    }
    let replicaParameters = replicas.map { $0.namedParameters.map(\.tensor) }
    for list in replicaParameters {
      for (mine, main) in zip(list, parameters) {
        mine.data = main.data  // shares storage until someone writes
        mine.grad = []
      }
    }
    let b = batch.batchSize
    let bounds = (0...threads).map { $0 * b / threads }
    let seeds = (0..<threads).map { _ in rng.next() }
    var losses = [Float](repeating: 0, count: threads)
    // Shared with the workers below: worker i reads workers[i] and slices[i] only and writes
    // out[i] only, so no element is touched by two threads (models are non-Sendable classes,
    // hence the unchecked capture).
    nonisolated(unsafe) let workers: [Model] = [model] + replicas
    nonisolated(unsafe) let slices = (0..<threads).map { batch.rows(bounds[$0]..<bounds[$0 + 1]) }
    let blasThreads = BLAS.threads
    BLAS.setThreads(1)
    defer { BLAS.setThreads(blasThreads) }
    losses.withUnsafeMutableBufferPointer { out in
      nonisolated(unsafe) let out = out
      DispatchQueue.concurrentPerform(iterations: threads) { i in
        var local = RNG(seed: seeds[i])
        let slice = slices[i]
        let loss = workers[i].trainingLoss(slice, rng: &local)
        let weighted = loss * (Float(slice.batchSize) / Float(b))
        weighted.backward()
        out[i] = weighted.item()
      }
    }
    // Sum the replicas' gradients into the main model and release the shared storage before
    // the optimiser writes the main parameters.
    for list in replicaParameters {
      for (mine, main) in zip(list, parameters) {
        mine.data = []
        guard !mine.grad.isEmpty else { continue }
        if main.grad.isEmpty { main.grad = mine.grad; mine.grad = []; continue }
        main.grad.withUnsafeMutableBufferPointer { g in
          mine.grad.withUnsafeBufferPointer { r in
            let n = g.count
            guard n >= 65_536 else { for j in 0..<n { g[j] += r[j] }; return }
            // The item tables: both threads add, each its own half (disjoint ranges).
            nonisolated(unsafe) let (g, r) = (g.baseAddress!, r.baseAddress!)
            let threads = self.threads
            DispatchQueue.concurrentPerform(iterations: threads) { i in
              for j in (i * n / threads)..<((i + 1) * n / threads) { g[j] += r[j] }
            }
          }
        }
      }
    }
    return losses.reduce(0, +)
  }
}
