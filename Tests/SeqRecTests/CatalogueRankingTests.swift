import Foundation
import Tensor
import TestSupport
import XCTest

@testable import SeqRec

/// Full-catalogue ranking against a naive full sort of every item.
final class CatalogueRankingTests: XCTestCase {
  /// The naive rule, written as a sort: the ranked items (1 ..< N minus `earlier`, the target
  /// kept) in order best first, where a NaN item sorts above everything and the target sorts
  /// after every item whose score equals its own; a NaN target goes last. Rank = its place.
  /// Each row's full-catalogue rank by the model's own `evaluationScores` of every item for
  /// the whole batch at once (its times kept), then ``naiveRank``.
  static func naiveCatalogueRanks(_ model: any Recommender, batches: [ModelInput], rows: CatalogueRows) -> [Int] {
    let n = model.itemCount
    var ranks: [Int] = [], row = 0
    for batch in batches {
      var input = batch
      input.candidates = (0..<batch.batchSize).flatMap { _ in (0..<n).map(Int32.init) }
      input.candidateCount = n
      let scores = model.evaluationScores(input).data
      for r in 0..<batch.batchSize {
        ranks.append(naiveRank(scores: Array(scores[(r * n)..<((r + 1) * n)]), target: Int(rows.targets[row]),
                               earlier: Array(rows.earlierItems(row))))
        row += 1
      }
    }
    return ranks
  }

  static func naiveRank(scores: [Float], target: Int, earlier: [Int32]) -> Int {
    let left = Set(earlier.map(Int.init)).subtracting([target])
    let ranked = (1..<scores.count).filter { !left.contains($0) }
    let t = scores[target]
    if t.isNaN { return ranked.count }
    let ordered = ranked.sorted { a, b in
      let x = scores[a], y = scores[b]
      if x.isNaN != y.isNaN { return x.isNaN }
      if x.isNaN { return a < b }
      if x != y { return x > y }
      if (a == target) != (b == target) { return b == target }  // the target after its ties
      return a < b
    }
    return ordered.firstIndex(of: target)! + 1
  }

  func testKernelEqualsANaiveFullSortWithTiesNaNRepeatsAndSeveralBlocks() {
    var g = TestGenerator(seed: 11)
    func small() -> Float { Float(Int(g.next() % 5)) - 2 }  // −2 … 2: exact products, many ties
    let n = 37, d = 4, rows = 200
    for q in [1, 3] {  // Q = 3: blocks of 85 users, so 200 rows take three sgemms
      var table = (0..<(n * d)).map { _ in small() }
      for j in 0..<d { table[5 * d + j] = .nan }  // item 5 scores NaN for everyone
      var queries = (0..<(rows * q * d)).map { _ in small() }
      if q == 3 { for j in 0..<d { queries[(7 * q + 1) * d + j] = .nan } }  // row 7: one NaN interest
      for j in 0..<(q * d) { queries[9 * q * d + j] = .nan }  // row 9: a NaN target (and all else)
      let targets = (0..<rows).map { _ in Int32(1 + g.next() % UInt64(n - 1)) }
      let earlier: [[Int32]] = (0..<rows).map { r in
        var items = (0..<(Int(g.next() % 12))).map { _ in Int32(g.next() % UInt64(n)) }  // 0 and repeats included
        if r % 10 == 0 { items.append(targets[r]) }  // the target earlier too: still ranked
        return items
      }
      let ranks = CatalogueRanking.ranks(queries: Tensor(shape: [rows, q, d], data: queries),
                                         table: Tensor(shape: [n, d], data: table), targets: targets,
                                         earlier: { earlier[$0][...] }, threads: 2)
      var expected: [Int] = []
      for r in 0..<rows {
        // Naive scores: max over the Q queries in order, the first kept unless beaten.
        let scores = (0..<n).map { i -> Float in
          var best: Float = 0
          for k in 0..<q {
            var dot: Float = 0
            for j in 0..<d { dot += queries[(r * q + k) * d + j] * table[i * d + j] }
            if k == 0 || dot > best { best = dot }
          }
          return best
        }
        expected.append(Self.naiveRank(scores: scores, target: Int(targets[r]), earlier: earlier[r]))
      }
      XCTAssertEqual(ranks, expected, "Q = \(q)")
      // The cases the rule is about really occur: the NaN target ranks last; ties happen.
      let ranked9 = (1..<n).filter { !Set(earlier[9].map(Int.init)).subtracting([Int(targets[9])]).contains($0) }.count
      XCTAssertEqual(ranks[9], ranked9)
      XCTAssertTrue(expected.contains { $0 > 1 } && Set(expected).count > 5)
    }
  }

  func testRankOfOneRowByHand() {
    // Items 0 … 5 with scores; target 3 (score 2); earlier items 1 (3, above) and 0 (padding).
    // Ranked: 2 (2, a tie: counts), 3, 4 (NaN: counts), 5 (1: below) → rank 3.
    let scores: [Float] = [9, 3, 2, 2, .nan, 1]
    var scratch: [Int32] = []
    let rank = scores.withUnsafeBufferPointer {
      CatalogueRanking.rank(target: 3, scores: $0, earlier: [1, 0, 1], scratch: &scratch)
    }
    XCTAssertEqual(rank, 3)
    let nanTarget: [Float] = [0, 1, .nan, 5, 4]
    XCTAssertEqual(nanTarget.withUnsafeBufferPointer {
      CatalogueRanking.rank(target: 2, scores: $0, earlier: [3, 2], scratch: &scratch)  // ranked 1, 2, 4
    }, 3)
  }

  /// A recommender that is not `CatalogueScorable`: the same TiMiRec behind the plain
  /// protocol, so `CatalogueRanking` takes its every-item `evaluationScores` path.
  final class Opaque: Recommender {
    static let modelName = "Opaque"
    let inner: TiMiRec
    init(_ inner: TiMiRec) { self.inner = inner }
    var itemCount: Int { inner.itemCount }
    var historyMax: Int { inner.historyMax }
    var namedParameters: [NamedParameter] { inner.namedParameters }
    func evaluationScores(_ input: ModelInput) -> Tensor { inner.evaluationScores(input) }
  }

  func testModelRanksEqualANaiveRankingOfEvaluationScoresForBothStages() {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let rows = CatalogueRows(corpus: corpus, split: .test)
    // Every test target has its user's 6 train items and the dev item before it.
    XCTAssertEqual(rows.count, 60)
    XCTAssertTrue((0..<rows.count).allSatisfy { rows.earlierItems($0).count == 7 })
    XCTAssertEqual(Array(rows.earlierItems(0)), corpus.userSequence(Int(rows.users[0])).items.dropLast().map { $0 })
    let batches = corpus.evaluationBatches(split: .test, batchSize: 7)  // 9 batches, the last short
    for stage in [Stage.pretrain, .finetune] {
      var rng = RNG(seed: 3)
      let model = TiMiRec(config: TrainingTests.smallConfig(dataset), stage: stage, rng: &rng)
      let n = model.itemCount
      let naive = Self.naiveCatalogueRanks(model, batches: batches, rows: rows)
      let fast = CatalogueRanking.ranks(model, batches: batches, rows: rows, threads: 2)
      XCTAssertEqual(fast.catalogue, naive, "\(stage)")
      XCTAssertEqual(fast.sampled, Evaluator.ranks(model, batches: batches), "\(stage)")
      let slow = CatalogueRanking.ranks(Opaque(model), batches: batches, rows: rows, threads: 1)
      XCTAssertEqual(slow.catalogue, naive, "\(stage), every-item path")
      XCTAssertEqual(slow.sampled, fast.sampled)
      XCTAssertTrue(naive.allSatisfy { $0 >= 1 && $0 <= n - 1 - 7 } && Set(naive).count > 10)
    }
  }

  /// TiSASRec (not `CatalogueScorable`) ranks the whole catalogue through its own scores, a
  /// few rows at a time, each chunk keeping its rows' history times. A regression: the chunks
  /// once dropped the times, and `evaluate --candidates all` stopped on TiSASRec's
  /// precondition after a 50-minute training.
  func testTiSASRecRanksTheCatalogueWithItsRowsHistoryTimes() {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let rows = CatalogueRows(corpus: corpus, split: .test)
    let batches = corpus.evaluationBatches(split: .test, batchSize: 40)  // 40 + 20 rows: chunks of 16 inside each
    XCTAssertFalse(batches[0].historyTimes.isEmpty)
    var rng = RNG(seed: 4)
    let model = TiSASRec(config: TiSASRecConfig(itemCount: dataset.itemCount, embeddingSize: 8, historyMax: 20, timeMax: 8), rng: &rng)
    let expected = Self.naiveCatalogueRanks(model, batches: batches, rows: rows)
    let result = CatalogueRanking.ranks(model, batches: batches, rows: rows, threads: 1)
    XCTAssertEqual(result.catalogue, expected)
    XCTAssertEqual(result.sampled, Evaluator.ranks(model, batches: batches))
    // The times matter here: with every history time 0 the same rows rank otherwise, so
    // chunks that lost or mixed up their times would not pass the check above.
    let timeless = batches.map { batch -> ModelInput in
      var copy = batch
      copy.historyTimes = [Int64](repeating: 0, count: batch.historyTimes.count)
      return copy
    }
    XCTAssertNotEqual(Self.naiveCatalogueRanks(model, batches: timeless, rows: rows), expected)
  }

  func testEvaluationQueriesFollowTheStage() {
    let v = Tensor(shape: [1, 2, 2], data: [1, 0, 0, 1])
    XCTAssertEqual(Scoring.evaluationQueries(interests: v, logits: nil).data, [1, 0, 0, 1])
    // z = (0, ln 3): w = (1/4, 3/4), u = (1/4, 3/4).
    let u = Scoring.evaluationQueries(interests: v, logits: Tensor(shape: [1, 2], data: [0, Float(log(3.0))]))
    XCTAssertEqual(u.shape, [1, 1, 2])
    assertClose(u.data, [0.25, 0.75], relative: 1e-6, absolute: 1e-7)
  }
}
