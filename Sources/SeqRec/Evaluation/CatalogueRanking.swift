import Dispatch
import Foundation
import Tensor

// Full-catalogue ranking (`timirec evaluate --candidates all`): every evaluated row's target
// ranked against every item of the table, not against 1,000 sampled negatives.
//
//   score_i   = max_q ⟨query_q, e_i⟩            (Scoring.evaluationQueries: q = the K interests
//                                               for the best match, q = u for the mix)
//   ranked    = {1 … N−1} \ (earlier items of the row), the target always ranked
//   rank      = 1 + #{i ∈ ranked, i ≠ target : ¬(s_i < s_target)}     (Scoring.countsAgainst)
//
// "Earlier items" are everything in the user's sequence before the target (train rows, and
// the dev row for a test target), not only the history window the model reads; row 0 is
// padding and never ranked. Ties and NaN follow Scoring's one rule (a NaN target ranks last).
//
// Cost: one sgemm (B·Q, D)·(D, N) per block of users, then O(N) per user to count the items
// at or above the target (no sort).

/// A recommender whose evaluation score of item i is max_q ⟨query_q, E[i]⟩ for per-row
/// query vectors: full-catalogue ranking then runs through BLAS in blocks of users.
/// Models without this conformance are ranked through `evaluationScores` over every item
/// (`CatalogueRanking.ranks(_:batches:rows:threads:)`), correct but slower.
public protocol CatalogueScorable: Recommender {
  /// E (N, D), the table the queries are multiplied with.
  var scoringTable: Tensor { get }
  /// The queries of each row (B, Q, D), no gradient recorded, dropout off; the model's
  /// `evaluationScores` must equal `Scoring.bestInnerProducts` of them.
  func evaluationQueries(_ input: ModelInput) -> Tensor
}

extension TiMiRec: CatalogueScorable {
  public var scoringTable: Tensor { extractor.itemEmbeddings }
}

/// Per evaluated row (in the order of the split's evaluation batches): the user, the target
/// and everything the user had before it (the items full-catalogue ranking leaves out).
public struct CatalogueRows: Sendable {
  /// User of each row, (R).
  public let users: [Int32]
  /// Target item of each row, (R).
  public let targets: [Int32]
  /// Row of each instance in its split's table (0-based data row of dev.csv/test.csv), (R).
  public let splitRows: [Int32]
  private let corpus: SequenceCorpus
  private let positions: [Int32]

  /// The rows of `split` as `SequenceCorpus.evaluationBatches` orders them.
  public init(corpus: SequenceCorpus, split: Split) {
    let list = corpus.instances(split)
    self.corpus = corpus
    users = list.users
    targets = list.items
    splitRows = list.rows
    positions = list.positions
  }

  public var count: Int { targets.count }

  /// The items of row `row`'s user before its target, oldest first (train items included).
  public func earlierItems(_ row: Int) -> ArraySlice<Int32> {
    let user = Int(users[row])
    return corpus.sequenceItems[corpus.sequenceOffsets[user]..<Int(positions[row])]
  }
}

/// Ranks of targets among every item (the rules at the top of this file). Stateless; the
/// block functions use `threads` threads of their own for the counting, each on its own
/// rows, plus whatever threads BLAS is set to for the sgemm.
public enum CatalogueRanking {
  /// Users per sgemm block when Q = 1 (Q > 1: this many query rows); (128, N) floats = 6 MB
  /// for Beauty's N = 12,101, so a block's scores are still in cache when they are counted
  /// (measured on Beauty: 32–256 rows within noise for the sgemm, counting ~0.1 s).
  public static let blockQueryRows = 128

  /// Pessimistic rank of `target` among items 1 ..< N not in `earlier` (the target is
  /// ranked even when it occurs in `earlier`).
  /// - Parameters:
  ///   - scores: (N) scores of every item; row 0 is padding.
  ///   - earlier: item ids in 0 ..< N (repeats allowed).
  ///   - scratch: reused buffer for de-duplicating `earlier`.
  /// - Returns: 1 … (number of ranked items).
  @inlinable
  public static func rank(target: Int, scores: UnsafeBufferPointer<Float>, earlier: ArraySlice<Int32>,
                          scratch: inout [Int32]) -> Int {
    rank(target: target, scores: scores.baseAddress!, rows: 1, count: scores.count, earlier: earlier, scratch: &scratch)
  }

  /// ``rank(target:scores:earlier:scratch:)`` with item i's score the max over `rows` rows of
  /// N scores (`scores[q·N + i]`, the first kept unless a later one is strictly greater).
  @inlinable
  public static func rank(target: Int, scores s: UnsafePointer<Float>, rows q: Int, count n: Int,
                          earlier: ArraySlice<Int32>, scratch: inout [Int32]) -> Int {
    precondition(target >= 1 && target < n, "target \(target) outside the item table's rows 1..<\(n)")
    func score(_ i: Int) -> Float {
      var best = s[i]
      for k in 1..<max(q, 1) where s[k * n + i] > best { best = s[k * n + i] }
      return best
    }
    let t = score(target)
    // Every item at or above the target (the target itself counts once: the "1 +").
    var count = countAtOrAbove(s, rows: q, stride: n, count: n, target: t)
    // Minus the left-out items that were counted: padding and the earlier items, once each.
    scratch.removeAll(keepingCapacity: true)
    scratch.append(0)
    scratch.append(contentsOf: earlier)
    scratch.sort()
    var previous: Int32 = -1
    for item in scratch where item != previous {
      previous = item
      let i = Int(item)
      precondition(i >= 0 && i < n, "earlier item \(i) outside the item table's \(n) rows")
      if i != target && Scoring.countsAgainst(score(i), target: t) { count -= 1 }
    }
    return count
  }

  /// #{i < count : ¬(max_q values[q·stride + i] < target)}: how many items score at or
  /// above `target` (Scoring.countsAgainst), each item's score the max over `rows` rows
  /// `stride` apart (the first row kept unless a later one is strictly greater, as
  /// `Scoring.bestInnerProducts`). Eight lanes at a time (SIMD8), no branches.
  @inlinable
  public static func countAtOrAbove(_ values: UnsafePointer<Float>, rows: Int, stride: Int, count n: Int,
                                    target t: Float) -> Int {
    let lanes = 8
    let full = n / lanes * lanes
    let threshold = SIMD8<Float>(repeating: t)
    var counts = SIMD8<Int32>(repeating: 0)
    let raw = UnsafeRawPointer(values)
    var i = 0
    while i < full {
      var best = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
      for q in 1..<max(rows, 1) {
        let other = raw.loadUnaligned(fromByteOffset: (q * stride + i) * 4, as: SIMD8<Float>.self)
        best.replace(with: other, where: other .> best)
      }
      counts &+= SIMD8<Int32>(repeating: 1).replacing(with: 0, where: best .< threshold)
      i += lanes
    }
    var total = Int(counts.wrappedSum())
    while i < n {
      var best = values[i]
      for q in 1..<max(rows, 1) where values[q * stride + i] > best { best = values[q * stride + i] }
      total &+= best < t ? 0 : 1
      i += 1
    }
    return total
  }

  /// Full-catalogue ranks of rows given by their queries: for each block of rows, one sgemm
  /// (rows·Q, D)·(D, N) of the queries against the table, the max over each row's Q scores
  /// (the same order and rule as `Scoring.bestInnerProducts`), then ``rank(target:scores:earlier:scratch:)``.
  /// - Parameters:
  ///   - queries: (R, Q, D).
  ///   - table: E (N, D).
  ///   - targets: (R) items in 1 ..< N.
  ///   - earlier: row → the items left out of its ranking.
  ///   - threads: threads counting ranks (rows split between them); ≥ 1.
  /// - Returns: (R) ranks.
  public static func ranks(queries: Tensor, table: Tensor, targets: [Int32],
                           earlier: @Sendable (Int) -> ArraySlice<Int32>, threads: Int = 2) -> [Int] {
    precondition(queries.rank == 3 && table.rank == 2 && queries.shape[2] == table.shape[1],
                 "CatalogueRanking.ranks: queries \(queries.shape) and table \(table.shape) do not share D")
    let rowCount = queries.shape[0], q = queries.shape[1], d = queries.shape[2], n = table.shape[0]
    precondition(targets.count == rowCount, "CatalogueRanking.ranks: \(targets.count) targets for \(rowCount) rows")
    precondition(q >= 1 && threads >= 1, "CatalogueRanking.ranks: Q = \(q), threads = \(threads)")
    let block = max(1, blockQueryRows / q)
    var out = [Int](repeating: 0, count: rowCount)
    var scores = [Float](repeating: 0, count: min(block, rowCount) * q * n)  // (block·Q, N)
    table.data.withUnsafeBufferPointer { e in
      queries.data.withUnsafeBufferPointer { query in
        scores.withUnsafeMutableBufferPointer { s in
          out.withUnsafeMutableBufferPointer { ranks in
            // Shared with the counting threads: the block's scores are only read (the sgemm
            // that writes them has returned), and each thread writes only its own users' rank
            // slots; `e`, `query` and `targets` are read-only.
            nonisolated(unsafe) let s = s, ranks = ranks
            var lo = 0
            while lo < rowCount {
              let m = min(block, rowCount - lo)
              sgemm(transA: false, transB: true, m: m * q, n: n, k: d, a: query.baseAddress! + lo * q * d, lda: d,
                    b: e.baseAddress!, ldb: d, c: s.baseAddress!, ldc: n)
              let parts = min(threads, m)
              let first = lo
              DispatchQueue.concurrentPerform(iterations: parts) { part in
                var scratch: [Int32] = []
                for r in (part * m / parts)..<((part + 1) * m / parts) {
                  ranks[first + r] = rank(target: Int(targets[first + r]), scores: s.baseAddress! + r * q * n, rows: q,
                                          count: n, earlier: earlier(first + r), scratch: &scratch)
                }
              }
              lo += m
            }
          }
        }
      }
    }
    return out
  }

  /// Full-catalogue ranks of every row of `batches` (in order; `rows` describes the same
  /// rows). A ``CatalogueScorable`` model goes through ``ranks(queries:table:targets:earlier:threads:)``
  /// on its queries; any other model through its `evaluationScores` with every item as a
  /// candidate (a few rows at a time), then the same rank rule.
  /// - Returns: (R) ranks, and the sampled-candidate ranks (`Scoring.ranks` of the batches'
  ///   own candidates) computed from the same forward pass, with the times of both phases.
  public static func ranks(_ model: any Recommender, batches: [ModelInput], rows: CatalogueRows,
                           threads: Int = 2) -> Result {
    let total = batches.reduce(0) { $0 + $1.batchSize }
    precondition(total == rows.count, "CatalogueRanking.ranks: \(total) batch rows for \(rows.count) catalogue rows")
    let clock = ContinuousClock()
    if let scorable = model as? any CatalogueScorable {
      let start = clock.now
      let table = scorable.scoringTable
      var sampled: [Int] = []
      var all: [Float] = []
      var q = 0, d = 0
      for batch in batches {
        let queries = scorable.evaluationQueries(batch)  // (B, Q, D)
        q = queries.shape[1]
        d = queries.shape[2]
        let scores = Scoring.bestInnerProducts(queries: queries, table: table, candidates: batch.candidates,
                                               candidateCount: batch.candidateCount)
        sampled += Scoring.ranks(scores: scores.data, candidates: batch.candidateCount)
        all += queries.data
      }
      let forward = clock.now - start
      let rankStart = clock.now
      let cpuStart = processCPUSeconds()
      let catalogue = ranks(queries: Tensor(shape: [total, q, d], data: all), table: table, targets: rows.targets,
                            earlier: { rows.earlierItems($0) }, threads: threads)
      return Result(catalogue: catalogue, sampled: sampled, forwardSeconds: seconds(forward),
                    rankSeconds: seconds(clock.now - rankStart), rankCPUSeconds: processCPUSeconds() - cpuStart,
                    phasesTimedApart: true)
    }
    // Any other model: its own scores of every item, `chunk` rows at a time.
    let start = clock.now
    var sampled: [Int] = []
    var catalogue: [Int] = []
    var scratch: [Int32] = []
    let n = model.itemCount
    let chunk = 16
    var row = 0
    for batch in batches {
      sampled += Scoring.ranks(scores: model.evaluationScores(batch).data, candidates: batch.candidateCount)
      var lo = 0
      while lo < batch.batchSize {
        let m = min(chunk, batch.batchSize - lo)
        // The chunk's rows as they are (histories, lengths and TiSASRec's history times), with
        // every item as a candidate.
        var input = batch.rows(lo..<(lo + m))
        input.candidates = (0..<m).flatMap { _ in (0..<n).map(Int32.init) }
        input.candidateCount = n
        let scores = model.evaluationScores(input).data  // (m, N)
        scores.withUnsafeBufferPointer { s in
          for r in 0..<m {
            catalogue.append(rank(target: Int(rows.targets[row + r]), scores: UnsafeBufferPointer(rebasing: s[(r * n)..<((r + 1) * n)]),
                                  earlier: rows.earlierItems(row + r), scratch: &scratch))
          }
        }
        row += m
        lo += m
      }
    }
    return Result(catalogue: catalogue, sampled: sampled, forwardSeconds: seconds(clock.now - start), rankSeconds: 0,
                  rankCPUSeconds: 0, phasesTimedApart: false)
  }

  /// What ``ranks(_:batches:rows:threads:)`` gives.
  public struct Result: Sendable {
    /// Full-catalogue rank of each row, (R).
    public var catalogue: [Int]
    /// Rank among the row's sampled candidates (`Scoring.ranks`), (R).
    public var sampled: [Int]
    /// Wall seconds of the model's forward pass and the sampled ranking (for a model that is
    /// not ``CatalogueScorable``: everything).
    public var forwardSeconds: Double
    /// Wall seconds of the full-catalogue scoring and ranking (the sgemms and the counts).
    public var rankSeconds: Double
    /// CPU seconds (user + system, all threads of the process) of the same phase: on a
    /// machine shared with other jobs, rankCPUSeconds / threads is what the wall time
    /// would be on idle cores with perfect parallelism.
    public var rankCPUSeconds: Double
    /// Whether the full-catalogue phase was timed apart from the forward pass (a
    /// ``CatalogueScorable`` model); when false, `forwardSeconds` holds everything and the two
    /// rank times are 0, not measured.
    public var phasesTimedApart: Bool
  }

  /// User + system CPU seconds of this process so far, all threads (getrusage).
  static func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  private static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
  }
}
