// docs/MODEL.md §1.2 steps 1–7: from raw interactions to a ReChorus dataset with dev/test negatives.

/// The result of a preparer: the dataset plus the id maps needed to attach metadata.
public struct PreparedDataset: Sendable {
  public var dataset: Dataset
  public var statistics: DatasetStatistics
  /// Original id (as text) of each final user id; index 0 is "" (padding).
  public var originalUserIds: [String]
  /// Original id (as text) of each final item id; index 0 is "" (padding).
  public var originalItemIds: [String]
  /// Final item id of an original item id, if the item occurs in the data.
  public var itemIdByOriginal: [String: Int32]
  /// Non-fatal findings to show the user (e.g. metadata that does not line up).
  public var warnings: [String] = []
}

/// Splits `raw` by leave-one-out and draws dev/test negatives (docs/MODEL.md §1.2 steps 1–7, §9).
///
/// 1. Drop exact duplicate (user, item, time) triples, keeping the first.
/// 2. Order rows by (time ascending, user ascending), ties kept in raw-file order (stable).
/// 3. Re-index users and items: ascending original ids map to 1...N.
/// 4. Each user's full clicked set = all their items.
/// 5. Each user's first interaction stays in train.
/// 6. Of the rest: each user's last row → test, then the last remaining → dev; the others →
///    train. Users with 2 interactions get train + test, with 1 train only (§9).
/// 7. Test rows first, then dev rows, each in step-2 order: `negatives` items uniform in
///    [1, n] (n = distinct items among the non-first rows), redrawn while in the user's
///    clicked set, with replacement. Random numbers: `SeededRandom(seed:)`.
///
/// Every table is written in step-2 order.
/// - Parameters:
///   - raw: interactions in raw-file order.
///   - name: dataset name for the result.
///   - negatives: negatives per dev/test row (ReChorus: 1000).
///   - seed: seed of the negative sampler.
///   - sourcePath: used in errors.
/// - Throws: `DataError.noInteractions` if `raw` is empty, `.cannotDrawNegatives` if a
///   user clicked every item of the pool.
public func leaveOneOutSplit(_ raw: RawInteractions, name: String, negatives: Int, seed: UInt64,
                             sourcePath: String) throws -> PreparedDataset {
  precondition(negatives >= 0, "negatives must be >= 0, got \(negatives)")
  guard raw.count > 0 else { throw DataError.noInteractions(path: sourcePath) }

  // Step 3 maps first (the order of new ids equals the order of original ids).
  let userRank = raw.users.ranks()
  let itemRank = raw.items.ranks()
  let userCount = raw.users.count
  let itemCount = raw.items.count

  // Step 1: drop exact duplicate triples (first occurrence wins).
  struct Triple: Hashable { let u: Int32, i: Int32, t: Int64 }
  var seen = Set<Triple>(minimumCapacity: raw.count)
  var kept: [Int32] = []
  kept.reserveCapacity(raw.count)
  for r in 0..<raw.count where seen.insert(Triple(u: raw.userIndex[r], i: raw.itemIndex[r], t: raw.times[r])).inserted {
    kept.append(Int32(r))
  }
  let duplicates = raw.count - kept.count

  // Step 2: stable sort by (time, user); the raw index breaks ties, so the order is total.
  let users = kept.map { userRank[Int(raw.userIndex[Int($0)])] }
  let items = kept.map { itemRank[Int(raw.itemIndex[Int($0)])] }
  let times = kept.map { raw.times[Int($0)] }
  var order = Array(0..<Int32(kept.count))
  order.sort { a, b in
    let ta = times[Int(a)], tb = times[Int(b)]
    if ta != tb { return ta < tb }
    let ua = users[Int(a)], ub = users[Int(b)]
    if ua != ub { return ua < ub }
    return a < b
  }
  let sUsers = order.map { users[Int($0)] }
  let sItems = order.map { items[Int($0)] }
  let sTimes = order.map { times[Int($0)] }
  let n = sUsers.count

  // Per-user row lists in sorted order (CSR).
  var perUser = [Int](repeating: 0, count: userCount + 2)
  for u in sUsers { perUser[Int(u) + 1] += 1 }
  var lengths = Array(perUser[2...(userCount + 1)])  // interactions of users 1...userCount (before the prefix sum)
  for u in 1...(userCount + 1) { perUser[u] += perUser[u - 1] }
  var fill = perUser
  var rowsOfUser = [Int32](repeating: 0, count: n)
  for r in 0..<n {
    let u = Int(sUsers[r])
    rowsOfUser[fill[u]] = Int32(r)
    fill[u] += 1
  }

  // Steps 5–6.
  var split = [Split](repeating: .train, count: n)
  var isFirst = [Bool](repeating: false, count: n)
  var twoCount = 0, oneCount = 0
  for u in 1...userCount {
    let start = perUser[u], end = perUser[u + 1]
    let count = end - start
    if count == 0 { continue }
    isFirst[Int(rowsOfUser[start])] = true
    if count == 1 { oneCount += 1 }
    if count == 2 { twoCount += 1 }
    if count >= 2 { split[Int(rowsOfUser[end - 1])] = .test }
    if count >= 3 { split[Int(rowsOfUser[end - 2])] = .dev }
  }

  // Step 7: the pool size n = distinct items among non-first rows.
  var inPool = [Bool](repeating: false, count: itemCount + 1)
  for r in 0..<n where !isFirst[r] { inPool[Int(sItems[r])] = true }
  let pool = inPool.lazy.filter { $0 }.count

  // Sorted clicked items per user (CSR, same offsets as perUser).
  var clicked = [Int32](repeating: 0, count: n)
  for u in 1...userCount {
    let start = perUser[u], end = perUser[u + 1]
    for k in start..<end { clicked[k] = sItems[Int(rowsOfUser[k])] }
    clicked[start..<end].sort()
  }

  var rng = SeededRandom(seed: seed)
  var stamp = [Int32](repeating: -1, count: itemCount + 1)
  func drawNegatives(for rows: [Int]) throws -> [Int32] {
    var out = [Int32](repeating: 0, count: rows.count * negatives)
    for (k, r) in rows.enumerated() {
      let u = Int(sUsers[r])
      var inRange = 0
      var previous: Int32 = -1
      for j in perUser[u]..<perUser[u + 1] {
        let item = clicked[j]
        stamp[Int(item)] = Int32(r)
        if item != previous && Int(item) <= pool { inRange += 1 }
        previous = item
      }
      if negatives > 0 && inRange >= pool {
        throw DataError.cannotDrawNegatives(user: raw.users.key(Int(userIndexOfRank(u))), clicked: inRange, pool: pool)
      }
      for j in 0..<negatives {
        var v: Int
        repeat { v = rng.uniform(1...pool) } while stamp[v] == Int32(r)
        out[k * negatives + j] = Int32(v)
      }
    }
    return out
  }
  // Maps a final user id back to its temporary index (for error messages only).
  func userIndexOfRank(_ u: Int) -> Int { userRank.firstIndex(of: Int32(u)) ?? 0 }

  let testRows = (0..<n).filter { split[$0] == .test }
  let devRows = (0..<n).filter { split[$0] == .dev }
  let trainRows = (0..<n).filter { split[$0] == .train }
  let testNegatives = try drawNegatives(for: testRows)
  let devNegatives = try drawNegatives(for: devRows)

  func table(_ rows: [Int], _ negs: [Int32], _ k: Int) -> InteractionTable {
    InteractionTable(users: rows.map { sUsers[$0] }, items: rows.map { sItems[$0] }, times: rows.map { sTimes[$0] },
                     negatives: negs, negativeCount: k)
  }
  let dataset = Dataset(name: name, train: table(trainRows, [], 0), dev: table(devRows, devNegatives, negatives),
                        test: table(testRows, testNegatives, negatives))

  lengths = lengths.filter { $0 > 0 }
  let mean = Double(n) / Double(max(lengths.count, 1))
  let statistics = DatasetStatistics(
    users: userCount, items: itemCount, interactions: n, trainRows: trainRows.count, devRows: devRows.count,
    testRows: testRows.count, trainInstances: trainRows.count - lengths.count,
    usersWithTwoInteractions: twoCount, usersWithOneInteraction: oneCount,
    minSequenceLength: lengths.min() ?? 0, maxSequenceLength: lengths.max() ?? 0,
    meanSequenceLength: (mean * 10_000).rounded() / 10_000,
    firstTime: sTimes.first ?? 0, lastTime: sTimes.last ?? 0, duplicatesDropped: duplicates, negativePool: pool)

  var originalUsers = [String](repeating: "", count: userCount + 1)
  for i in 0..<userCount { originalUsers[Int(userRank[i])] = raw.users.key(i) }
  var originalItems = [String](repeating: "", count: itemCount + 1)
  var byOriginal: [String: Int32] = [:]
  for i in 0..<itemCount {
    let key = raw.items.key(i)
    originalItems[Int(itemRank[i])] = key
    byOriginal[key] = itemRank[i]
  }
  return PreparedDataset(dataset: dataset, statistics: statistics, originalUserIds: originalUsers,
                         originalItemIds: originalItems, itemIdByOriginal: byOriginal)
}
