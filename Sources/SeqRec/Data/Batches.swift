// Batches (docs/MODEL.md §1.3–1.4): typed, flat, row-major arrays — no dictionaries.

/// A batch of instances, ready for a model's forward pass.
///
/// Shapes: B = `size`, L = `historyLength` (the longest true history in this batch, <= 20),
/// C = `candidateCount` (2 for training: [positive, negative]; 1 + stored negatives for
/// dev/test). Histories are right-padded with item 0.
public struct SequenceBatch: Sendable, Equatable {
  public let split: Split
  /// B.
  public let size: Int
  /// L.
  public let historyLength: Int
  /// C.
  public let candidateCount: Int
  /// User ids, shape (B).
  public let users: [Int32]
  /// History item ids, oldest first, right-padded with 0, shape (B, L) row-major.
  public let history: [Int32]
  /// True history lengths (>= 1), shape (B).
  public let lengths: [Int32]
  /// Candidate item ids, column 0 = the positive, shape (B, C) row-major.
  public let candidates: [Int32]
  /// Index of each instance in `SequenceCorpus.instances(split)`, shape (B).
  public let instances: [Int32]
  /// Times of the history items (the dataset's time column), right-padded with 0, shape
  /// (B, L) row-major. TiSASRec's time intervals come from these.
  public let historyTimes: [Int64]
  /// Each row's user's time unit (``SequenceCorpus/timeUnit(user:)``), shape (B).
  public let timeUnits: [Int64]
}

/// One epoch of training batches: negatives drawn and order shuffled up front, batches
/// built on demand (`batch(at:)` is independent per index, so batches can be prefetched
/// on another thread).
public struct TrainEpoch: Sendable, RandomAccessCollection {
  public let corpus: SequenceCorpus
  public let batchSize: Int
  /// Instance order of this epoch, shape (N).
  public let order: [Int32]
  /// One negative per instance (indexed by instance, not by order), shape (N).
  public let negatives: [Int32]

  public var startIndex: Int { 0 }
  /// Number of batches: ceil(N / batchSize); the last partial batch is kept.
  public var endIndex: Int { (order.count + batchSize - 1) / batchSize }
  public subscript(i: Int) -> SequenceBatch { batch(at: i) }

  /// Batch `i`: instances `order[i*batchSize ..< min(N, (i+1)*batchSize)]`, candidates
  /// [positive, negative].
  public func batch(at i: Int) -> SequenceBatch {
    precondition(i >= 0 && i < endIndex, "batch \(i) outside 0..<\(endIndex)")
    let lo = i * batchSize, hi = Swift.min(order.count, lo + batchSize)
    let picked = order[lo..<hi]
    let list = corpus.train
    return corpus.assemble(split: .train, instances: picked, list: list, candidateCount: 2) { k, out in
      out[0] = list.items[k]
      out[1] = negatives[k]
    }
  }
}

extension SequenceCorpus {
  /// Draws one training negative per train instance: uniform in [1, itemCount - 1],
  /// redrawn while in the user's train items (docs/MODEL.md §1.4; dev/test items may be drawn).
  /// - Returns: negatives indexed by instance, shape (N).
  public func drawTrainNegatives(using rng: inout SeededRandom) -> [Int32] {
    let n = train.count
    var out = [Int32](repeating: 0, count: n)
    let upper = itemCount - 1
    precondition(upper >= 1, "no items to draw negatives from")
    for k in 0..<n {
      let u = Int(train.users[k])
      precondition(trainItemOffsets[u + 1] - trainItemOffsets[u] < upper, "user \(u) clicked every item in training")
      var v: Int32
      repeat { v = Int32(rng.uniform(1...upper)) } while isTrainItem(v, user: u)
      out[k] = v
    }
    return out
  }

  /// The training batches of one epoch (docs/MODEL.md §1.4): negatives re-drawn, instances shuffled
  /// (Fisher–Yates), `batchSize` per batch with the last partial batch kept.
  ///
  /// Random numbers come from `SeededRandom(seed: seed, stream: epoch)`: epoch `e` of a run
  /// can be rebuilt alone (e.g. after resuming from a checkpoint). Negatives are drawn in
  /// instance order first, then the order is shuffled.
  /// - Parameters:
  ///   - seed: the run's seed.
  ///   - epoch: 0-based epoch number.
  ///   - batchSize: instances per batch (256 in the reference runs).
  public func trainEpoch(seed: UInt64, epoch: Int, batchSize: Int = 256) -> TrainEpoch {
    var rng = SeededRandom(seed: seed, stream: UInt64(epoch))
    return trainEpoch(using: &rng, batchSize: batchSize)
  }

  /// As `trainEpoch(seed:epoch:batchSize:)`, drawing from a caller-owned generator.
  public func trainEpoch(using rng: inout SeededRandom, batchSize: Int = 256) -> TrainEpoch {
    precondition(batchSize > 0, "batchSize must be > 0, got \(batchSize)")
    let negatives = drawTrainNegatives(using: &rng)
    var order = Array(0..<Int32(train.count))
    rng.shuffle(&order)
    return TrainEpoch(corpus: self, batchSize: batchSize, order: order, negatives: negatives)
  }

  /// Dev or test batches in file order (docs/MODEL.md §2): candidates = [positive] + the row's stored
  /// negatives, C = 1 + negatives per row. Deterministic, so build once and cache.
  public func evaluationBatches(_ split: Split, batchSize: Int = 256) -> [SequenceBatch] {
    precondition(split != .train, "evaluationBatches is for .dev or .test")
    precondition(batchSize > 0, "batchSize must be > 0, got \(batchSize)")
    let list = instances(split)
    let negs = split == .dev ? devNegatives : testNegatives
    let k = split == .dev ? devNegativeCount : testNegativeCount
    var batches: [SequenceBatch] = []
    var lo = 0
    let all = Array(0..<Int32(list.count))
    while lo < list.count {
      let hi = min(list.count, lo + batchSize)
      batches.append(assemble(split: split, instances: all[lo..<hi], list: list, candidateCount: 1 + k) { i, out in
        out[0] = list.items[i]
        let row = Int(list.rows[i])
        for j in 0..<k { out[1 + j] = negs[row * k + j] }
      })
      lo = hi
    }
    return batches
  }

  /// Builds one batch from instance indices; `fill(i, row)` writes instance i's C candidates.
  func assemble(split: Split, instances picked: ArraySlice<Int32>, list: InstanceList, candidateCount c: Int,
                fill: (Int, UnsafeMutableBufferPointer<Int32>) -> Void) -> SequenceBatch {
    let b = picked.count
    var lengths = [Int32](repeating: 0, count: b)
    var users = [Int32](repeating: 0, count: b)
    var longest = 0
    for (j, k) in picked.enumerated() {
      let i = Int(k)
      let u = Int(list.users[i])
      let p = Int(list.positions[i])
      let len = min(historyMax, p - sequenceOffsets[u])
      lengths[j] = Int32(len)
      users[j] = Int32(u)
      longest = max(longest, len)
    }
    var history = [Int32](repeating: 0, count: b * longest)
    var times = [Int64](repeating: 0, count: b * longest)
    var candidates = [Int32](repeating: 0, count: b * c)
    history.withUnsafeMutableBufferPointer { h in
      candidates.withUnsafeMutableBufferPointer { cand in
        sequenceItems.withUnsafeBufferPointer { seq in
          for (j, k) in picked.enumerated() {
            let i = Int(k)
            let p = Int(list.positions[i])
            let len = Int(lengths[j])
            for t in 0..<len {
              h[j * longest + t] = seq[p - len + t]
              times[j * longest + t] = sequenceTimes[p - len + t]
            }
            fill(i, UnsafeMutableBufferPointer(rebasing: cand[(j * c)..<((j + 1) * c)]))
          }
        }
      }
    }
    return SequenceBatch(split: split, size: b, historyLength: longest, candidateCount: c, users: users,
                         history: history, lengths: lengths, candidates: candidates, instances: Array(picked),
                         historyTimes: times, timeUnits: users.map { timeUnit(user: Int($0)) })
  }

  /// The unit TiSASRec divides a user's time gaps by (Li et al., WSDM 2020, §3.2, as the
  /// ReChorus code computes it): the smallest positive gap between any two of the user's
  /// times over all splits, capped at 65,535 (0xFFFF, the reference's stand-in for "no
  /// positive gap"). A user whose times are all equal gets 65,535.
  /// - Returns: the unit, in the time column's units (seconds for MovieLens; for the
  ///   `sequences` format, whose times are positions, 1 unless the user has one item).
  public func timeUnit(user u: Int) -> Int64 {
    var unit: Int64 = 0xFFFF
    let lo = sequenceOffsets[u], hi = sequenceOffsets[u + 1]
    guard hi - lo > 1 else { return unit }
    for i in (lo + 1)..<hi {  // times are sorted within a user: the smallest gap is between neighbours
      let gap = sequenceTimes[i] - sequenceTimes[i - 1]
      if gap > 0 && gap < unit { unit = gap }
    }
    return unit
  }
}
