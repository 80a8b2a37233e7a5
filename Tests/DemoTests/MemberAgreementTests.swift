import SeqRec
import Tensor
import XCTest

@testable import Demo

/// A model with set interests, written against the protocols alone (a second model is one
/// type): v_0 = (1, 0) and v_1 = (0, 1) for every history; z^q = (0, 1) when the last
/// history item is a cartoon (items 1, 2, 3, 7), else (1, 0).
final class FixedInterestModel: MultiInterestRecommender {
  static let modelName = "FixedInterests"
  /// Items (id: embedding, category): 1 (1,0) 2 (2,0) 3 (3,0) 7 (4,0) cartoons; 4 (0,1)
  /// 5 (0,2) 6 (0,3) movies.
  let itemEmbeddings = Tensor(shape: [8, 2], data: [0, 0, 1, 0, 2, 0, 3, 0, 0, 1, 0, 2, 0, 3, 4, 0])
  static let cartoons: Set<Int32> = [1, 2, 3, 7]
  var namedParameters: [NamedParameter] { [] }
  var itemCount: Int { 8 }
  var historyMax: Int { 20 }
  var interestCount: Int { 2 }
  var embeddingSize: Int { 2 }
  var trainingTemperature: Float { 1 }
  var hasInterestLogits: Bool { true }

  func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput {
    InterestOutput(interests: Tensor(shape: [batch, 2, 2], data: Array([[Float]](repeating: [1, 0, 0, 1], count: batch).joined())),
                   attention: Tensor(shape: [batch, 2, length], data: [Float](repeating: 0, count: batch * 2 * length)))
  }

  func interestLogits(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor? {
    let z = (0..<batch).flatMap { b -> [Float] in
      Self.cartoons.contains(history[b * length + Int(lengths[b]) - 1]) ? [0, 1] : [1, 0]
    }
    return Tensor(shape: [batch, 2], data: z)
  }

  func evaluationScores(_ input: ModelInput) -> Tensor {
    let v = interests(history: input.history, lengths: input.lengths, batch: input.batchSize, length: input.historyLength)
    return Scoring.bestInnerProducts(queries: v.interests, table: itemEmbeddings, candidates: input.candidates,
                                     candidateCount: input.candidateCount)
  }
}

final class MemberAgreementTests: XCTestCase {
  /// One household: items 4, 5 (movies, the parent = member 1), 1, 2, 3 (cartoons, the child
  /// = member 0) in train, 6 (movie, parent) in dev, 7 (cartoon, child) in test.
  func corpus() -> (SequenceCorpus, ItemCatalog, [[UInt8]]) {
    let train = InteractionTable(users: [1, 1, 1, 1, 1], items: [4, 5, 1, 2, 3], times: [10, 20, 30, 40, 50])
    let dev = InteractionTable(users: [1], items: [6], times: [60])
    let test = InteractionTable(users: [1], items: [7], times: [70])
    let catalog = ItemCatalog(titles: ["", "a", "b", "c", "d", "e", "f", "g"],
                              categories: ["", "cartoon", "cartoon", "cartoon", "movie", "movie", "movie", "cartoon"])
    let dataset = Dataset(name: "one household", train: train, dev: dev, test: test, catalog: catalog)
    return (SequenceCorpus(dataset: dataset, historyMax: 20), catalog, [[], [1, 1, 0, 0, 0, 1, 0]])
  }

  /// By hand. Training steps (targets 5, 1, 2, 3): the teacher picks argmax_k cos(v_k, e):
  /// 5 → k1 (member 1), 1, 2, 3 → k0 (member 0); so k0 ↦ child, k1 ↦ parent; 4 mapping steps.
  /// Member frequencies: child 4, parent 3, so the majority is the child.
  /// Dev step (target 6, parent; history 4 5 1 2 3): z from cartoon 3 = (0, 1) → k1 → parent ✓;
  /// best match outside the history: item 6 scores 3 (k1), item 7 scores 4 (k0) → 7 → child ✗;
  /// teacher on 6 → k1 ✓; previous member (of 3) child ✗; majority child ✗; 3 cartoons
  /// before it → a run step (q ✓, best match ✗).
  /// Test step (target 7, child; history … 6): z from movie 6 = (1, 0) → k0 → child ✓; best
  /// match: only 7 left → k0 ✓; teacher ✓; previous (of 6) parent ✗; majority ✓; no run.
  /// Shares over 2 steps: q 1, best match 1/2, teacher 1, previous 0, majority 1/2; runs:
  /// 1 step, q 1, best match 0. v_0 ⟂ v_1: no collapsed pair at the 1 test step.
  func testReportOnAHandComputedHousehold() {
    let (corpus, catalog, members) = corpus()
    let r = MemberAgreement.report(model: FixedInterestModel(), corpus: corpus, catalog: catalog, members: members,
                                   runCategory: "cartoon")
    XCTAssertEqual(r, MemberAgreementReport(
      households: 1, steps: 2, mappingSteps: 4, qTopInterest: 1, bestMatchTopItem: 0.5, teacherOracle: 1,
      previousMember: 0, majorityMember: 0.5, runCategory: "cartoon", afterRunSteps: 1, afterRunQ: 1,
      afterRunBestMatch: 0, collapsedAtTest: 0, testSteps: 1))
    XCTAssertEqual(r.text, """
      Who watches next? 2 dev+test steps of 1 households (interest → member maps from 4 training steps)
        q's top interest (TiMiRec predictor)       100.0 %
        best-matching interest of the top-1 item   50.0 %
        previous item's member watches again       0.0 %
        household's most frequent member           50.0 %
        teacher argmax p (sees the target; oracle) 100.0 %
      Right after a run of ≥ 3 cartoons (1 steps):
        q's top interest                           100.0 %
        best-matching interest of the top-1 item   0.0 %
      Households with a collapsed interest pair at their test step (cosine ≥ 0.95):
        0 of 1                               0.0 %

      """)
  }

  /// The run category is a parameter: no step follows 3 movies, so "movie" gives no run steps.
  func testRunCategoryIsAParameter() {
    let (corpus, catalog, members) = corpus()
    let r = MemberAgreement.report(model: FixedInterestModel(), corpus: corpus, catalog: catalog, members: members,
                                   runCategory: "movie")
    XCTAssertEqual(r.afterRunSteps, 0)
    XCTAssertTrue(r.text.contains("Right after a run of ≥ 3 movies (0 steps):"))
  }

  func testFixedPointRoundsHalfAwayFromZero() {
    XCTAssertEqual(fixedPoint(61.44, digits: 1), "61.4")
    XCTAssertEqual(fixedPoint(0.95, digits: 2), "0.95")
    XCTAssertEqual(fixedPoint(6.05, digits: 0), "6")
    XCTAssertEqual(fixedPoint(-0.04, digits: 1), "0.0")
    XCTAssertEqual(fixedPoint(-2.25, digits: 1), "-2.3")
  }
}
