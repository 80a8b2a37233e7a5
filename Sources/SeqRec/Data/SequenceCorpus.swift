// History windows (docs/MODEL.md §1.3): every user's full chronological sequence, and the
// instances (user, target, history) of each split.

/// One user's whole chronological sequence (train + dev + test rows), for the explorer.
public struct UserSequence: Sendable, Equatable {
  public let user: Int
  /// Items, oldest first, shape (n_u).
  public let items: [Int32]
  /// Times of those rows, shape (n_u).
  public let times: [Int64]
  /// Split of each row, shape (n_u); ReChorus order puts dev/test last.
  public let splits: [Split]
}

/// Instances of one split: parallel arrays, one entry per instance, in file order.
public struct InstanceList: Sendable, Equatable {
  /// User per instance, shape (N).
  public var users: [Int32] = []
  /// Target (positive) item per instance, shape (N).
  public var items: [Int32] = []
  /// Index of the target in `SequenceCorpus.sequenceItems`; the history is the up to
  /// `historyMax` entries before it within the user's range, shape (N).
  public var positions: [Int32] = []
  /// Row of the instance in its split table (to find dev/test negatives), shape (N).
  public var rows: [Int32] = []
  public var count: Int { users.count }
}

/// The sequences and instances of a dataset (docs/MODEL.md §1.3).
///
/// Train, dev and test rows are concatenated in that order and stably sorted by (time,
/// user); each row's `position` is the number of earlier rows of its user. An instance at
/// position p has history = the user's items at positions max(0, p - historyMax) ..< p,
/// oldest first. Instances with p = 0 are dropped (in every split, as the reference
/// does), so training has one instance per train row except each user's first.
public struct SequenceCorpus: Sendable {
  /// Longest history window (ReChorus `history_max`, 20 for TiMiRec).
  public let historyMax: Int
  /// n_users (max user id + 1).
  public let userCount: Int
  /// n_items (max item id + 1); training negatives are drawn from 1 ..< itemCount.
  public let itemCount: Int
  /// Start of each user's sequence in the flat arrays, shape (userCount + 1).
  public let sequenceOffsets: [Int]
  /// All rows, grouped by user, each user chronological, shape (total rows).
  public let sequenceItems: [Int32]
  public let sequenceTimes: [Int64]
  public let sequenceSplits: [Split]
  public let train: InstanceList
  public let dev: InstanceList
  public let test: InstanceList
  /// Each user's train items, sorted, with offsets (userCount + 1): the exclusion set of
  /// training negatives (docs/MODEL.md §1.4).
  let trainItemOffsets: [Int]
  let trainItemsSorted: [Int32]
  /// Dev and test negatives (flat, row-major) and their per-row counts.
  let devNegatives: [Int32]
  let devNegativeCount: Int
  let testNegatives: [Int32]
  let testNegativeCount: Int

  /// Builds sequences and instances from a loaded dataset.
  /// - Parameter historyMax: window length (> 0; 20 in the TiMiRec runs).
  public init(dataset: Dataset, historyMax: Int = 20) {
    precondition(historyMax > 0, "historyMax must be > 0, got \(historyMax)")
    self.historyMax = historyMax
    userCount = dataset.userCount
    itemCount = dataset.itemCount
    let tables = [dataset.train, dataset.dev, dataset.test]
    let total = tables.reduce(0) { $0 + $1.count }

    // Concatenate (train, dev, test) and sort by (time, user, concatenation index).
    var users = [Int32](), items = [Int32](), times = [Int64](), splits = [Split](), rows = [Int32]()
    users.reserveCapacity(total); items.reserveCapacity(total); times.reserveCapacity(total)
    splits.reserveCapacity(total); rows.reserveCapacity(total)
    for (s, table) in tables.enumerated() {
      users += table.users
      items += table.items
      times += table.times
      splits += repeatElement(Split(rawValue: UInt8(s))!, count: table.count)
      rows += (0..<Int32(table.count))
    }
    var order = Array(0..<Int32(total))
    order.sort { a, b in
      let ta = times[Int(a)], tb = times[Int(b)]
      if ta != tb { return ta < tb }
      let ua = users[Int(a)], ub = users[Int(b)]
      if ua != ub { return ua < ub }
      return a < b
    }

    // Group by user, keeping the sorted order (counting sort).
    var offsets = [Int](repeating: 0, count: userCount + 1)
    for u in users { offsets[Int(u) + 1] += 1 }
    for u in 1..<offsets.count { offsets[u] += offsets[u - 1] }
    var fill = offsets
    var seqItems = [Int32](repeating: 0, count: total)
    var seqTimes = [Int64](repeating: 0, count: total)
    var seqSplits = [Split](repeating: .train, count: total)
    var globalIndex = [Int32](repeating: 0, count: total)  // concat index -> sequence index
    for o in order {
      let r = Int(o)
      let u = Int(users[r])
      let g = fill[u]
      fill[u] += 1
      seqItems[g] = items[r]
      seqTimes[g] = times[r]
      seqSplits[g] = splits[r]
      globalIndex[r] = Int32(g)
    }
    sequenceOffsets = offsets
    sequenceItems = seqItems
    sequenceTimes = seqTimes
    sequenceSplits = seqSplits

    // Instances per split in file order; position 0 (empty history) dropped.
    var lists = [InstanceList(), InstanceList(), InstanceList()]
    var base = 0
    for (s, table) in tables.enumerated() {
      for r in 0..<table.count {
        let g = Int(globalIndex[base + r])
        let u = Int(table.users[r])
        if g == offsets[u] { continue }
        lists[s].users.append(table.users[r])
        lists[s].items.append(table.items[r])
        lists[s].positions.append(Int32(g))
        lists[s].rows.append(Int32(r))
      }
      base += table.count
    }
    train = lists[0]
    dev = lists[1]
    test = lists[2]

    // Train items per user, sorted (for negative rejection by binary search).
    var tOffsets = [Int](repeating: 0, count: userCount + 1)
    for u in dataset.train.users { tOffsets[Int(u) + 1] += 1 }
    for u in 1..<tOffsets.count { tOffsets[u] += tOffsets[u - 1] }
    var tFill = tOffsets
    var tItems = [Int32](repeating: 0, count: dataset.train.count)
    for r in 0..<dataset.train.count {
      let u = Int(dataset.train.users[r])
      tItems[tFill[u]] = dataset.train.items[r]
      tFill[u] += 1
    }
    for u in 0..<userCount { tItems[tOffsets[u]..<tOffsets[u + 1]].sort() }
    trainItemOffsets = tOffsets
    trainItemsSorted = tItems
    devNegatives = dataset.dev.negatives
    devNegativeCount = dataset.dev.negativeCount
    testNegatives = dataset.test.negatives
    testNegativeCount = dataset.test.negativeCount
  }

  /// The instances of `split`.
  public func instances(_ split: Split) -> InstanceList {
    switch split {
    case .train: return train
    case .dev: return dev
    case .test: return test
    }
  }

  /// User `user`'s full chronological sequence with the split of each row.
  public func userSequence(_ user: Int) -> UserSequence {
    precondition(user >= 0 && user < userCount, "user \(user) outside 0..<\(userCount)")
    let range = sequenceOffsets[user]..<sequenceOffsets[user + 1]
    return UserSequence(user: user, items: Array(sequenceItems[range]), times: Array(sequenceTimes[range]),
                        splits: Array(sequenceSplits[range]))
  }

  /// The history window of an instance whose target sits at `position` (index into
  /// `sequenceItems`) for `user`: up to `historyMax` items, oldest first.
  public func history(user: Int, position: Int) -> ArraySlice<Int32> {
    let start = max(sequenceOffsets[user], position - historyMax)
    return sequenceItems[start..<position]
  }

  /// True if `item` is among `user`'s train items (binary search).
  @inline(__always)
  func isTrainItem(_ item: Int32, user: Int) -> Bool {
    var lo = trainItemOffsets[user], hi = trainItemOffsets[user + 1]
    while lo < hi {
      let mid = (lo + hi) >> 1
      let v = trainItemsSorted[mid]
      if v == item { return true }
      if v < item { lo = mid + 1 } else { hi = mid }
    }
    return false
  }
}
