import Foundation
import Tensor
import XCTest

@testable import SeqRec

/// Each scoring rule on a case small enough to compute by hand (K = 2, D = 2).
final class ScoringTests: XCTestCase {
  /// Per-interest scores ⟨v_k, e_i⟩ (K = 2, N = 3): k0 = (1, 5, 2), k1 = (3, 4, 2).
  let interestScores: [Float] = [1, 5, 2,
                                 3, 4, 2]

  /// Eq. 2: max over k per item = (3, 5, 2), served by k = (1, 0, 0) (item 2 ties: lowest k).
  func testBestMatchTakesTheBestInterestPerItem() {
    let (scores, interest) = Scoring.bestMatch(interestScores, interests: 2)
    XCTAssertEqual(scores, [3, 5, 2])
    XCTAssertEqual(interest, [1, 0, 0])
  }

  /// Eq. 4 with w = (0.25, 0.75): (0.25·1 + 0.75·3, 0.25·5 + 0.75·4, 0.25·2 + 0.75·2) = (2.5, 4.25, 2).
  func testMixedScoresWeighTheInterests() {
    XCTAssertEqual(Scoring.mixedScores(interestScores, weights: [0.25, 0.75]), [2.5, 4.25, 2])
  }

  /// Eq. 4 split by interest, w = (0.25, 0.75): item 1 → (0.25·5, 0.75·4) = (1.25, 3), summing
  /// to its mixed score 4.25; item 0 → (0.25, 2.25), sum 2.5. A negative ⟨v_k, e_i⟩ gives a
  /// negative share: scores (−2, 1) with w = (0.8, 0.2) → (−1.6, 0.2).
  func testInterestContributionsSplitTheMixedScore() {
    let w: [Float] = [0.25, 0.75]
    XCTAssertEqual(Scoring.interestContributions(interestScores, weights: w, item: 1), [1.25, 3])
    XCTAssertEqual(Scoring.interestContributions(interestScores, weights: w, item: 0), [0.25, 2.25])
    let mixed = Scoring.mixedScores(interestScores, weights: w)
    for i in 0..<3 {
      XCTAssertEqual(Scoring.interestContributions(interestScores, weights: w, item: i).reduce(0, +), mixed[i], accuracy: 1e-6)
    }
    XCTAssertEqual(Scoring.interestContributions([-2, 1], weights: [0.8, 0.2], item: 0), [-1.6, 0.2])
  }

  /// z = (ln 3, 0): softmax = (3/4, 1/4); at T = 0.5 the logits double: (9/10, 1/10).
  func testSoftmaxAndTemperedSoftmax() {
    let z: [Float] = [Float(log(3.0)), 0]
    let model = Scoring.softmax(z)
    XCTAssertEqual(model[0], 0.75, accuracy: 1e-6)
    XCTAssertEqual(model[1], 0.25, accuracy: 1e-6)
    let tempered = Scoring.softmax(z, temperature: 0.5)
    XCTAssertEqual(tempered[0], 0.9, accuracy: 1e-6)
    XCTAssertEqual(tempered[1], 0.1, accuracy: 1e-6)
    XCTAssertEqual(Scoring.softmax([]), [])
    // The batch form gives the same rows.
    let rows = Scoring.mixWeights(Tensor(shape: [2, 2], data: z + z), temperature: 0.5).data
    XCTAssertEqual(rows, tempered + tempered)
  }

  /// v = ((1, 0), (0, 2)), w = (0.75, 0.25): u = (0.75, 0.5).
  func testMixedInterest() {
    let v = Tensor(shape: [1, 2, 2], data: [1, 0, 0, 2])
    let u = Scoring.mixedInterest(v, weights: Tensor(shape: [1, 2], data: [0.75, 0.25]))
    XCTAssertEqual(u.shape, [1, 1, 2])
    XCTAssertEqual(u.data, [0.75, 0.5])
  }

  /// E: 1 (1, 0), 2 (0, 1), 3 (1, 1). Best match with v = ((1, 0), (0, 2)): item 1 max(1, 0) =
  /// 1, item 2 max(0, 2) = 2, item 3 max(1, 2) = 2. With u = (0.75, 0.5): 0.75, 0.5, 1.25.
  func testBestInnerProductsOfCandidates() {
    let table = Tensor(shape: [4, 2], data: [0, 0, 1, 0, 0, 1, 1, 1])
    let v = Tensor(shape: [1, 2, 2], data: [1, 0, 0, 2])
    XCTAssertEqual(Scoring.bestInnerProducts(queries: v, table: table, candidates: [1, 2, 3], candidateCount: 3).data, [1, 2, 2])
    let u = Tensor(shape: [1, 1, 2], data: [0.75, 0.5])
    XCTAssertEqual(Scoring.bestInnerProducts(queries: u, table: table, candidates: [1, 2, 3], candidateCount: 3).data, [0.75, 0.5, 1.25])
  }

  /// cos((1, 0), (3, 4)) = 3/5; cos((0, 2), (3, 4)) = 8/10.
  func testTeacherCosines() {
    let c = Scoring.teacherCosines([1, 0, 0, 2], item: [3, 4][...])
    XCTAssertEqual(c[0], 0.6, accuracy: 1e-6)
    XCTAssertEqual(c[1], 0.8, accuracy: 1e-6)
  }

  /// The one rule: ¬(s_c < s_target) counts against the target. Row (0.5 | 0.7, 0.5, NaN):
  /// itself, 0.7, the tie and the NaN: rank 4. (NaN | 1, 2): NaN target ranks last, 3.
  /// (2 | NaN, 1): the NaN candidate counts, 1 does not: rank 2.
  func testRanksArePessimisticWithOneNaNRule() {
    XCTAssertEqual(Scoring.ranks(scores: [0.5, 0.7, 0.5, .nan,
                                          .nan, 1, 2, 0,
                                          2, .nan, 1, 0], candidates: 4), [4, 4, 2])
    XCTAssertTrue(Scoring.countsAgainst(1, target: 1))
    XCTAssertTrue(Scoring.countsAgainst(.nan, target: 1))
    XCTAssertTrue(Scoring.countsAgainst(0, target: .nan))
    XCTAssertFalse(Scoring.countsAgainst(0, target: 1))
  }

  /// Values (0.2, 0.9, 0.5, NaN, 0.5). Item 2 (0.5): 0.9, the NaN and the tie at 4 count →
  /// rank 4; without item 3 → 3. The NaN item 3 with item 0 excluded: items 1, 2, 4 all
  /// count → 4, last of the 4 ranked — as in `ranks`.
  func testRankAmongItemsUsesTheSameRule() {
    let values: [Float] = [0.2, 0.9, 0.5, .nan, 0.5]
    values.withUnsafeBufferPointer { s in
      XCTAssertEqual(Scoring.rank(of: 2, in: s) { _ in false }, 4)
      XCTAssertEqual(Scoring.rank(of: 2, in: s) { $0 == 3 }, 3)
      XCTAssertEqual(Scoring.rank(of: 3, in: s) { $0 == 0 }, 4)
    }
  }

  /// Top-2 of (0.2, NaN, 0.9, 0.5) = items 2, 3 (NaN never listed); ties → smaller index.
  func testTopIndicesAndArgmax() {
    [Float(0.2), .nan, 0.9, 0.5].withUnsafeBufferPointer { XCTAssertEqual(Scoring.topIndices($0, count: 2), [2, 3]) }
    [Float(1), 3, 3].withUnsafeBufferPointer { XCTAssertEqual(Scoring.topIndices($0, count: 1), [1]) }
    XCTAssertEqual(Scoring.argmax([0.1, 0.3, 0.3][...]), 1)
    XCTAssertEqual(Scoring.argmax([Float]()[...]), 0)
  }

  /// The registry opens TiMiRec by its config.json name; the checkpoint reader accepts
  /// exactly the registered names.
  func testRegistryKnowsTiMiRec() throws {
    XCTAssertTrue(ModelRegistry.names.contains("TiMiRec"))
    XCTAssertEqual(ModelRegistry.names, ModelRegistry.names.sorted())
    XCTAssertEqual(CheckpointConfig.supportedModels, ModelRegistry.names)
    let config = CheckpointConfig(
      stage: .finetune, modelConfig: TiMiRecConfig(itemCount: 5, embeddingSize: 4, interestCount: 2),
      training: TrainingConfig(), dataset: DatasetFingerprint(name: "x", itemCount: 5, userCount: 2, trainRows: 1, devRows: 1, testRows: 1),
      initializedFrom: nil, bestEpoch: 1, bestDev: [:])
    let model = try XCTUnwrap(try ModelRegistry.make(config, file: "config.json") as? TiMiRec)
    XCTAssertEqual(model.stage, .finetune)
    XCTAssertEqual(model.interestCount, 2)
    var other = config
    other.model = "NoSuchModel"
    XCTAssertThrowsError(try ModelRegistry.make(other, file: "config.json"))
  }
}
