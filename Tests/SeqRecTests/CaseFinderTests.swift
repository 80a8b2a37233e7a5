import Foundation
import Tensor
import TestSupport
import XCTest

@testable import SeqRec

/// The case finder on hand-computed cases, and against `CatalogueRanking` on random ones.
final class CaseFinderTests: XCTestCase {
  /// K = 2, D = 2. Interests v1 = (1, 0), v2 = (0, 1) for every history, except a history
  /// ending in item 6: then v1 = v2 = (1, 0) (a collapsed pair). z^q = (0, ln 3), so
  /// w = (¼, ¾) and u = (¼, ¾) (or (1, 0) when collapsed). T = 1.
  ///
  /// Items and their scores (best match max_k ⟨v_k, e⟩ / mix ⟨u, e⟩), all exact in Float:
  ///   1 (1, 0)       1   / 0.25
  ///   2 (0, 1)       1   / 0.75
  ///   3 (0.8, 0.6)   0.8 / 0.65
  ///   4 (0.5, 0.5)   0.5 / 0.5
  ///   5 (2, 0)       2   / 0.5
  ///   6 (0, 0.4)     0.4 / 0.3
  ///   7 … 16 (3, −1.5)  3 / −0.375   (ten items the best match loves and the mix does not)
  final class HandModel: MultiInterestRecommender {
    static let modelName = "Hand"
    let itemCount = 17
    let historyMax = 5
    let interestCount = 2
    let embeddingSize = 2
    let itemEmbeddings = Tensor(shape: [17, 2], data: [0, 0, 1, 0, 0, 1, 0.8, 0.6, 0.5, 0.5, 2, 0, 0, 0.4]
                                  + (7...16).flatMap { _ in [Float(3), -1.5] })
    let trainingTemperature: Float = 1
    let hasInterestLogits: Bool
    var namedParameters: [NamedParameter] { [] }
    init(mix: Bool = true) { hasInterestLogits = mix }
    func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput {
      let v = (0..<batch).flatMap { b -> [Float] in
        history[b * length + Int(lengths[b]) - 1] == 6 ? [1, 0, 1, 0] : [1, 0, 0, 1]
      }
      return InterestOutput(interests: Tensor(shape: [batch, 2, 2], data: v),
                            attention: Tensor(shape: [batch, 2, length], data: [Float](repeating: 0, count: batch * 2 * length)))
    }
    func interestLogits(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor? {
      hasInterestLogits ? Tensor(shape: [batch, 2], data: (0..<batch).flatMap { _ in [Float(0), Float(log(3.0))] }) : nil
    }
    func evaluationScores(_ input: ModelInput) -> Tensor { fatalError("not used") }
  }

  /// User 1: train 1, 2; dev 3 (negatives 5, 4); test 4 (negatives 5, 6).
  /// User 2: train 5, 6; dev 1 (negatives 2, 3); test 7 (negatives 1, 2).
  static func handCorpus() -> SequenceCorpus {
    let train = InteractionTable(users: [1, 1, 2, 2], items: [1, 2, 5, 6], times: [1, 2, 1, 2])
    let dev = InteractionTable(users: [1, 2], items: [3, 1], times: [3, 3], negatives: [5, 4, 2, 3], negativeCount: 2)
    let test = InteractionTable(users: [1, 2], items: [4, 7], times: [4, 4], negatives: [5, 6, 1, 2], negativeCount: 2)
    return SequenceCorpus(dataset: Dataset(name: "hand", train: train, dev: dev, test: test), historyMax: 5)
  }

  func testHandComputedRanksGainsAndDiagnostics() throws {
    let corpus = Self.handCorpus()
    let test = try CaseFinder.find(HandModel(), corpus: corpus, split: .test, threads: 1)
    XCTAssertEqual(test.rows.map { [$0.user, $0.step, $0.target] }, [[1, 3, 4], [2, 3, 7]])
    // User 1, target 4 (0.5 / 0.5), earlier items 1, 2, 3 left out.
    //   best match: 5 (2) and the ten 3s are above → rank 12; 6 (0.4) below.
    //   mix: 5 ties at 0.5 and counts against → rank 2; 6 and the fillers below.
    //   sampled [4, 5, 6]: best 0.5 vs 2, 0.4 → 2; mix 0.5 vs 0.5 (tie), 0.3 → 2.
    //   gain = 12 − 2 = 10; p over cos = (0.707, 0.707) = uniform: JS((¼, ¾), (½, ½)) = 0.048795.
    let a = test.rows[0]
    XCTAssertEqual(a.model, CaseRanks(mix: 2, mixSampled: 2, bestMatch: 12, bestMatchSampled: 2,
                                      jensenShannon: a.model.jensenShannon, strongestInterest: 1, collapsed: false))
    XCTAssertEqual(a.gain, 10)
    XCTAssertEqual(try XCTUnwrap(a.model.jensenShannon), 0.048795, accuracy: 1e-5)
    XCTAssertTrue(a.firstHit() && !a.secondHit())
    // User 2, target 7 (3 / −0.375), history 5, 6, 1 (not collapsed), earlier 5, 6, 1 left out.
    //   best match: the other nine 3s tie and count → rank 10 (a hit).
    //   mix: 2, 3, 4 above, nine ties → rank 13 (a miss). gain = 10 − 13 = −3.
    //   sampled [7, 1, 2] (a stored negative is ranked even if it was in the history):
    //   best 3 vs 1, 1 → 1; mix −0.375 vs 0.25, 0.75 → 3.
    //   p = softmax(cos) = softmax(0.894, −0.447) → JS = 0.224954.
    let b = test.rows[1]
    XCTAssertEqual([b.model.mix, b.model.bestMatch, b.model.mixSampled, b.model.bestMatchSampled], [13, 10, 3, 1])
    XCTAssertEqual(b.gain, -3)
    XCTAssertEqual(try XCTUnwrap(b.model.jensenShannon), 0.224954, accuracy: 1e-5)
    XCTAssertTrue(!b.firstHit() && b.secondHit())
    XCTAssertEqual(test.collapsedUsers().collapsed, 0)

    // Dev rows. User 1, target 3 (0.8 / 0.65), earlier 1, 2: best 5 and the ten 3s above →
    // 12; mix: nothing above → 1; sampled [3, 5, 4]: best 2, mix 1; JS with p = softmax(0.8,
    // 0.6) = 0.068852. User 2, history 5, 6 (ends in 6: collapsed, u = (1, 0)), target 1
    // (score 1 under both): the ten 3s above → 11 under both, gain 0, both miss; sampled
    // [1, 2, 3] → 1; p uniform (cos 1, 1) → JS 0.048795.
    let dev = try CaseFinder.find(HandModel(), corpus: corpus, split: .dev, threads: 2)
    XCTAssertEqual(dev.rows.map { [$0.user, $0.step, $0.target] }, [[1, 2, 3], [2, 2, 1]])
    XCTAssertEqual([dev.rows[0].model.mix, dev.rows[0].model.bestMatch, dev.rows[0].model.mixSampled,
                    dev.rows[0].model.bestMatchSampled], [1, 12, 1, 2])
    XCTAssertEqual(try XCTUnwrap(dev.rows[0].model.jensenShannon), 0.068852, accuracy: 1e-5)
    XCTAssertEqual([dev.rows[1].model.mix, dev.rows[1].model.bestMatch, dev.rows[1].model.mixSampled,
                    dev.rows[1].model.bestMatchSampled], [11, 11, 1, 1])
    XCTAssertEqual(dev.rows[1].gain, 0)
    XCTAssertTrue(dev.rows[1].model.collapsed && !dev.rows[0].model.collapsed)
    XCTAssertEqual(try XCTUnwrap(dev.rows[1].model.jensenShannon), 0.048795, accuracy: 1e-5)
    XCTAssertEqual(dev.collapsedUsers().collapsed, 1)
    XCTAssertEqual(dev.collapsedUsers().users, 2)

    // Every step: t = 1 … 3 of both users; train targets have no sampled rank. User 1 at
    // t = 1 (history 1, target 2: mix 0.75, nothing above → 1; best 1, 5 and the ten 3s above → 12).
    let all = try CaseFinder.find(HandModel(), corpus: corpus, split: .all, threads: 2)
    XCTAssertEqual(all.rows.map { [$0.user, $0.step] }, [[1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3]])
    XCTAssertEqual(all.rows.map(\.split), [.train, .dev, .test, .train, .dev, .test])
    XCTAssertEqual(all.rows[0].model.mix, 1)
    XCTAssertEqual(all.rows[0].model.bestMatch, 12)
    XCTAssertNil(all.rows[0].model.mixSampled)
    XCTAssertEqual(all.rows[1], dev.rows[0])
    XCTAssertEqual(all.rows[5], test.rows[1])
  }

  func testSortFilterAndCompare() throws {
    let corpus = Self.handCorpus()
    let dev = try CaseFinder.find(HandModel(), corpus: corpus, split: .dev, threads: 1)
    // Gains: user 1 11 (12 − 1), user 2 0.
    XCTAssertEqual(dev.order(by: .gain), [0, 1])
    XCTAssertEqual(dev.order(by: .gain, reversed: true), [1, 0])
    XCTAssertEqual(dev.order(by: .rank), [0, 1])
    XCTAssertEqual(dev.order(by: .js), [0, 1])  // 0.0689 before 0.0488
    XCTAssertEqual(dev.order(by: .gain, filter: .hitMiss), [0])
    XCTAssertEqual(dev.order(by: .gain, filter: .bothMiss), [1])
    XCTAssertEqual(dev.order(by: .gain, filter: .collapsed), [1])
    XCTAssertEqual(dev.order(by: .user, category: "x", categories: { $0 == 1 ? ["x"] : [] }), [1])
    XCTAssertEqual(CaseFilter(name: "timirec-hit-bestmatch-miss"), .hitMiss)

    // Pretrain (no mix): no TiMiRec rank, no gain, no JS; the best match as before.
    let pretrain = try CaseFinder.find(HandModel(mix: false), corpus: corpus, split: .dev, threads: 1)
    XCTAssertEqual(pretrain.rows.map(\.model.bestMatch), [12, 11])
    XCTAssertEqual(pretrain.rows.map(\.gain), [nil, nil])
    XCTAssertNil(pretrain.rows[0].model.jensenShannon)
    // No first ranking: the hit/miss filters keep nothing (a missing TiMiRec rank is not a
    // miss), rank and gain sort by the best match's rank, sampled by its sampled rank.
    XCTAssertFalse(pretrain.hasFirstRanking)
    XCTAssertTrue(dev.hasFirstRanking)
    for filter in [CaseFilter.hitMiss, .missHit, .bothHit, .bothMiss] {
      XCTAssertTrue(filter.needsFirstRanking)
      XCTAssertEqual(pretrain.order(by: .user, filter: filter), [], "\(filter)")
    }
    XCTAssertEqual(pretrain.order(by: .user, filter: .collapsed), [1])
    XCTAssertEqual(pretrain.order(by: .user, filter: .all), [0, 1])
    XCTAssertEqual(pretrain.sortColumn(for: .rank), .bestRank)
    XCTAssertEqual(pretrain.sortColumn(for: .gain), .bestRank)
    XCTAssertEqual(pretrain.sortColumn(for: .sampled), .bestSampled)
    XCTAssertEqual(pretrain.sortColumn(for: .js), .js)
    XCTAssertEqual(pretrain.order(by: pretrain.sortColumn(for: .rank)), [1, 0])  // best match 11 before 12
    XCTAssertEqual(dev.sortColumn(for: .rank), .rank)
    XCTAssertEqual(dev.sortColumn(for: .gain), .gain)

    // Compare finetune (model 1, the mix) with pretrain (model 2, the best match):
    // gain = model 2 − model 1 = the same numbers as the one-model gain here.
    let compared = try CaseFinder.compare(HandModel(), HandModel(mix: false), corpus: corpus, split: .dev, threads: 2)
    XCTAssertTrue(compared.compared)
    XCTAssertEqual(compared.rows.map(\.gain), [11, 0])
    XCTAssertEqual(compared.rows.map(\.firstRank), [1, 11])
    XCTAssertEqual(compared.rows.map(\.secondSampled), [2, 1])
    XCTAssertEqual(compared.collapsedUsers(model: 2).collapsed, 1)
    // Pretrain as model 1: its own rule (the best match) is a first ranking, so every filter runs.
    let pretrainFirst = try CaseFinder.compare(HandModel(mix: false), HandModel(), corpus: corpus, split: .dev, threads: 1)
    XCTAssertTrue(pretrainFirst.hasFirstRanking)
    XCTAssertEqual(pretrainFirst.rows.map(\.firstRank), [12, 11])
    XCTAssertEqual(pretrainFirst.sortColumn(for: .rank), .rank)
    XCTAssertEqual(pretrainFirst.order(by: .user, filter: .missHit), [0])  // model 2's mix ranks user 1's target 1st
    XCTAssertEqual(pretrainFirst.order(by: .user, filter: .bothMiss), [1])
  }

  /// `CategoryMatch`: the whole value (with / and | alike) or one label (split on | and
  /// on /), ignoring case and end spaces.
  func testCategoryMatchRule() throws {
    func match(_ query: String, _ value: String) -> Bool {
      CategoryMatch(query).matches(value.isEmpty ? [] : value.split(separator: "|").map(String.init))
    }
    XCTAssertTrue(match("Comedy", "Comedy|Romance"))
    XCTAssertTrue(match("romance", "Comedy|Romance"))
    XCTAssertTrue(match("Comedy|Romance", "Comedy|Romance"))
    XCTAssertTrue(match("comedy/romance", "Comedy|Romance"))
    XCTAssertTrue(match(" COMEDY ", "Comedy"))
    XCTAssertFalse(match("Comedy|Romance", "Comedy|Romance|War"))  // a whole value, not a prefix
    XCTAssertFalse(match("Romance|Comedy", "Comedy|Romance"))  // order counts in a whole value
    XCTAssertFalse(match("Com", "Comedy"))
    XCTAssertFalse(match("Comedy", ""))
    XCTAssertFalse(match("", "Comedy"))
    // A category path at any level; the explorer's "cartoon/preschool" is "cartoon|preschool".
    XCTAssertTrue(match("cartoon", "cartoon|preschool"))
    XCTAssertTrue(match("Preschool", "cartoon|preschool"))
    XCTAssertTrue(match("cartoon/preschool", "cartoon|preschool"))
    XCTAssertFalse(match("cartoon/animals", "cartoon|preschool"))
    // A label holding "/" matches as a whole and by its parts.
    XCTAssertTrue(match("Skin/Care", "Beauty|Skin/Care"))
    XCTAssertTrue(match("care", "Beauty|Skin/Care"))
    XCTAssertTrue(match("beauty/skin/care", "Beauty|Skin/Care"))
    XCTAssertFalse(match("Beauty/Skin", "Beauty|Skin/Care"))

    let counts = CategoryMatch.labelCounts([["Comedy", "Romance"], ["Comedy"], ["Drama"], ["Romance", "Comedy"], [], ["War"]])
    XCTAssertEqual(counts.map(\.label), ["Comedy", "Romance", "Drama", "War"])
    XCTAssertEqual(counts.map(\.items), [3, 2, 1, 1])

    // The table's category filter uses the rule (the explorer's F goes through `order` too).
    let corpus = Self.handCorpus()
    let dev = try CaseFinder.find(HandModel(), corpus: corpus, split: .dev, threads: 1)
    let labels: (Int) -> [String] = { dev.rows[0].target == $0 ? ["Comedy", "Romance"] : ["comedy"] }
    XCTAssertEqual(dev.order(by: .user, category: "COMEDY", categories: labels), [0, 1])
    XCTAssertEqual(dev.order(by: .user, category: "comedy|romance", categories: labels), [0])
  }

  /// Interests and logits drawn from each history's items, so rows differ; K = 3, D = 4,
  /// N = 40 with exact small-integer products (many ties).
  final class RandomModel: MultiInterestRecommender {
    static let modelName = "Random"
    let itemCount = 40
    let historyMax = 4
    let interestCount = 3
    let embeddingSize = 4
    let itemEmbeddings: Tensor
    let trainingTemperature: Float = 0.5
    let hasInterestLogits = true
    var namedParameters: [NamedParameter] { [] }
    init() {
      var g = TestGenerator(seed: 5)
      itemEmbeddings = Tensor(shape: [40, 4], data: (0..<160).map { _ in Float(Int(g.next() % 5)) - 2 })
    }
    func values(_ history: [Int32], _ lengths: [Int32], _ batch: Int, _ length: Int, count: Int, salt: UInt64) -> [Float] {
      (0..<batch).flatMap { b -> [Float] in
        var seed = salt
        for j in 0..<Int(lengths[b]) { seed = seed &* 31 &+ UInt64(history[b * length + j]) }
        var g = TestGenerator(seed: seed)
        return (0..<count).map { _ in Float(Int(g.next() % 5)) - 2 }
      }
    }
    func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput {
      InterestOutput(interests: Tensor(shape: [batch, 3, 4], data: values(history, lengths, batch, length, count: 12, salt: 1)),
                     attention: Tensor(shape: [batch, 3, length], data: [Float](repeating: 0, count: batch * 3 * length)))
    }
    func interestLogits(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor? {
      Tensor(shape: [batch, 3], data: values(history, lengths, batch, length, count: 3, salt: 2))
    }
    func evaluationScores(_ input: ModelInput) -> Tensor {
      let v = interests(history: input.history, lengths: input.lengths, batch: input.batchSize, length: input.historyLength).interests
      let z = interestLogits(history: input.history, lengths: input.lengths, batch: input.batchSize, length: input.historyLength)
      return Scoring.bestInnerProducts(queries: Scoring.evaluationQueries(interests: v, logits: z), table: itemEmbeddings,
                                       candidates: input.candidates, candidateCount: input.candidateCount)
    }
  }

  /// 300 users with 3–8 items each, 5 negatives per dev/test row.
  static func randomCorpus() -> SequenceCorpus {
    var g = TestGenerator(seed: 9)
    var train = InteractionTable(), dev = InteractionTable(negativeCount: 5), test = InteractionTable(negativeCount: 5)
    for user in 1...300 {
      let n = 3 + Int(g.next() % 6)
      for p in 0..<n {
        let item = Int32(1 + g.next() % 39)
        let table = p == n - 1 ? 2 : p == n - 2 ? 1 : 0
        let negatives = (0..<5).map { _ in Int32(1 + g.next() % 39) }
        switch table {
        case 0:
          train.users.append(Int32(user)); train.items.append(item); train.times.append(Int64(p))
        case 1:
          dev.users.append(Int32(user)); dev.items.append(item); dev.times.append(Int64(p)); dev.negatives += negatives
        default:
          test.users.append(Int32(user)); test.items.append(item); test.times.append(Int64(p)); test.negatives += negatives
        }
      }
    }
    return SequenceCorpus(dataset: Dataset(name: "random", train: train, dev: dev, test: test), historyMax: 4)
  }

  /// `isCancelled` is asked on the calling thread before each round of batches: true after
  /// the first round (256 of 300 rows with one thread) throws `CaseFinderCancelled` and no
  /// more progress is reported; in compare mode, true before model 2's first round stops
  /// after model 1's 300 rows (of 600 counted).
  func testIsCancelledStopsBetweenRounds() throws {
    let corpus = Self.randomCorpus()
    let model = RandomModel()
    var asked = 0
    var reported: [Int] = []
    XCTAssertThrowsError(try CaseFinder.find(model, corpus: corpus, split: .test, threads: 1,
                                             progress: { done, _ in reported.append(done) },
                                             isCancelled: { asked += 1; return asked == 2 })) { error in
      XCTAssertEqual(error as? CaseFinderCancelled, CaseFinderCancelled())
    }
    XCTAssertEqual(asked, 2)
    XCTAssertEqual(reported, [256])
    asked = 0
    reported = []
    XCTAssertThrowsError(try CaseFinder.compare(model, model, corpus: corpus, split: .test, threads: 2,
                                                progress: { done, _ in reported.append(done) },
                                                isCancelled: { asked += 1; return asked == 2 }))
    XCTAssertEqual(reported, [300], "model 1's one round (both batches), then stopped before model 2's")
    // Never cancelled: the same table as without the check.
    let plain = try CaseFinder.find(model, corpus: corpus, split: .test, threads: 2)
    XCTAssertEqual(try CaseFinder.find(model, corpus: corpus, split: .test, threads: 2, isCancelled: { false }).rows, plain.rows)
  }

  /// Two threads give the same table as one; the mix ranks are those of the explorer's
  /// formula (`Scoring.mixedScores` of one row's (K, N) scores, then `CatalogueRanking.rank`),
  /// the best-match ranks `CatalogueRanking`'s on the K interests, the sampled best-match
  /// ranks those of `Scoring.bestInnerProducts` over the stored candidates.
  func testTwoThreadsEqualOneAndRanksMatchTheExplorerAndCatalogueRanking() throws {
    let corpus = Self.randomCorpus()
    let model = RandomModel()
    let one = try CaseFinder.find(model, corpus: corpus, split: .test, threads: 1)
    var reported: [(Int, Int)] = []
    let two = try CaseFinder.find(model, corpus: corpus, split: .test, threads: 2) { reported.append(($0, $1)) }
    XCTAssertEqual(one.rows, two.rows)
    XCTAssertEqual(reported.map(\.0), [300], "one round: both batches at once")
    XCTAssertEqual(reported.map(\.1), [300])
    reported = []
    _ = try CaseFinder.find(model, corpus: corpus, split: .test, threads: 1) { reported.append(($0, $1)) }
    XCTAssertEqual(reported.map(\.0), [256, 300])

    let batches = corpus.evaluationBatches(split: .test, batchSize: 64)
    let rows = CatalogueRows(corpus: corpus, split: .test)
    let instances = corpus.instances(.test)
    // The case table is sorted by user; the split's rows are in file order (users ascending here).
    XCTAssertEqual(rows.users.map(Int.init), one.rows.map(\.user))
    var scratch: [Int32] = []
    for i in 0..<rows.count {
      let window = Array(corpus.history(user: Int(rows.users[i]), position: Int(instances.positions[i])))
      let length = Int32(window.count)
      let v = model.interests(history: window, lengths: [length], batch: 1, length: window.count).interests
      let z = model.interestLogits(history: window, lengths: [length], batch: 1, length: window.count)!.data
      let scores = v.reshape([3, 4]).matmul(model.itemEmbeddings, transposeOther: true).data  // (K, N), as ViewBuilder
      let mixed = Scoring.mixedScores(scores, weights: Scoring.softmax(z))
      let rank = mixed.withUnsafeBufferPointer {
        CatalogueRanking.rank(target: Int(rows.targets[i]), scores: $0, earlier: rows.earlierItems(i), scratch: &scratch)
      }
      XCTAssertEqual(one.rows[i].model.mix, rank, "row \(i)")
    }
    let bestRanks = CatalogueRanking.ranks(queries: Tensor(shape: [rows.count, 3, 4], data: batches.flatMap {
      model.interests(history: $0.history, lengths: $0.lengths, batch: $0.batchSize, length: $0.historyLength).interests.data
    }), table: model.itemEmbeddings, targets: rows.targets, earlier: { rows.earlierItems($0) }, threads: 1)
    XCTAssertEqual(one.rows.map(\.model.bestMatch), bestRanks)
    var best: [Int] = []
    for batch in batches {
      let v = model.interests(history: batch.history, lengths: batch.lengths, batch: batch.batchSize,
                              length: batch.historyLength).interests
      best += Scoring.ranks(scores: Scoring.bestInnerProducts(queries: v, table: model.itemEmbeddings,
                                                              candidates: batch.candidates,
                                                              candidateCount: batch.candidateCount).data,
                            candidates: batch.candidateCount)
    }
    XCTAssertEqual(one.rows.map { $0.model.bestMatchSampled! }, best)
    XCTAssertTrue(Set(one.rows.compactMap(\.gain)).count > 5)  // the rows really differ
  }
}
