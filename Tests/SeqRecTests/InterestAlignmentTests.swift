import Foundation
import Tensor
import TestSupport
import XCTest

@testable import SeqRec

/// Figure 2's math on hand-computed cases.
final class InterestAlignmentTests: XCTestCase {
  func testJensenShannonInBits() {
    XCTAssertEqual(InterestAlignment.jensenShannon([0.3, 0.7], [0.3, 0.7]), 0, accuracy: 1e-12)
    // Disjoint supports: exactly 1 bit, the maximum.
    XCTAssertEqual(InterestAlignment.jensenShannon([1, 0], [0, 1]), 1, accuracy: 1e-12)
    // p = (1, 0), q = (½, ½): m = (¾, ¼); KL(p‖m) = log2(4/3) = 0.415037,
    // KL(q‖m) = ½ log2(2/3) + ½ log2 2 = 0.207519; JS = ½ (0.415037 + 0.207519) = 0.311278.
    XCTAssertEqual(InterestAlignment.jensenShannon([1, 0], [0.5, 0.5]), 0.311278124459, accuracy: 1e-7)
    XCTAssertEqual(InterestAlignment.jensenShannon([0.5, 0.5], [1, 0]), 0.311278124459, accuracy: 1e-7)
    // Three outcomes, one zero in each: p = (½, ½, 0), q = (0, ½, ½): m = (¼, ½, ¼);
    // KL(p‖m) = ½ log2 2 + ½ log2 1 = ½ = KL(q‖m); JS = ½.
    XCTAssertEqual(InterestAlignment.jensenShannon([0.5, 0.5, 0], [0, 0.5, 0.5]), 0.5, accuracy: 1e-7)
    XCTAssertTrue(InterestAlignment.jensenShannon([.nan, 1], [0.5, 0.5]).isNaN)
  }

  func testInterestDistributionIsTheTemperedSoftmaxOfCosines() {
    // V = (1, 0), (0, 2); e = (3, 0): cosines (1, 0); T = 0.5 → softmax(2, 0) = (e²/(e² + 1), 1/(e² + 1)).
    let p = InterestAlignment.interestDistribution(interests: [1, 0, 0, 2], item: [3, 0], temperature: 0.5)
    assertClose(p, [0.880797077978, 0.119202922022], relative: 1e-6, absolute: 1e-7)
    // e at 45°: equal cosines, uniform whatever T.
    assertClose(InterestAlignment.interestDistribution(interests: [1, 0, 0, 2], item: [1, 1], temperature: 0.1),
                [0.5, 0.5], relative: 1e-6, absolute: 1e-7)
  }

  func testHistogramBinsOverTheUnitInterval() {
    XCTAssertEqual(InterestAlignment.histogram([0, 0.05, 0.25, 0.5, 0.999, 1, .nan], bins: 4), [2, 1, 1, 2])
    XCTAssertEqual(InterestAlignment.histogram([], bins: 2), [0, 0])
    // Over [0, 0.02]: bins of 0.005; 0.02 and 0.3 fall in the last.
    XCTAssertEqual(InterestAlignment.histogram([0, 0.004, 0.005, 0.012, 0.02, 0.3], bins: 4, upper: 0.02), [2, 1, 1, 2])
    XCTAssertEqual(InterestAlignment.niceUpperEdge([0.0013, 0.0007, .nan], quantile: 1), 0.002, accuracy: 1e-15)
    XCTAssertEqual(InterestAlignment.niceUpperEdge([0.03], quantile: 1), 0.05, accuracy: 1e-15)
    XCTAssertEqual(InterestAlignment.niceUpperEdge([0.2]), 0.2, accuracy: 1e-15)
    XCTAssertEqual(InterestAlignment.niceUpperEdge([0.7]), 1)
    XCTAssertEqual(InterestAlignment.niceUpperEdge([0, .nan]), 1)
    // 99th percentile (nearest rank) of 0.001, 0.002, …, 0.1 and one outlier 0.9 at rank 101:
    // rank ⌈0.99 · 101⌉ = 100 → 0.1; without the outlier, rank 99 → 0.099 → 0.1 too.
    let spread = (1...100).map { Double($0) / 1000 }
    XCTAssertEqual(InterestAlignment.niceUpperEdge(spread + [0.9]), 0.1, accuracy: 1e-15)
    XCTAssertEqual(InterestAlignment.niceUpperEdge(spread, quantile: 0.5), 0.05, accuracy: 1e-15)
  }

  /// K = 2 fixed interests v1 = (1, 0), v2 = (0, 1) for every history; z^q = (0, ln 3), so
  /// the mix is u = (¼, ¾). Items: 1 = (1, 0), 2 = (0, 1), 3 = (0.8, 0.6).
  final class Fixed: MultiInterestRecommender {
    static let modelName = "Fixed"
    let itemCount = 4
    let historyMax = 3
    let interestCount = 2
    let embeddingSize = 2
    let itemEmbeddings = Tensor(shape: [4, 2], data: [0, 0, 1, 0, 0, 1, 0.8, 0.6])
    let trainingTemperature: Float = 1
    let hasInterestLogits = true
    var namedParameters: [NamedParameter] { [] }
    func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput {
      InterestOutput(interests: Tensor(shape: [batch, 2, 2], data: (0..<batch).flatMap { _ in [Float(1), 0, 0, 1] }),
                     attention: Tensor(shape: [batch, 2, length], data: [Float](repeating: 0, count: batch * 2 * length)))
    }
    func interestLogits(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor? {
      Tensor(shape: [batch, 2], data: (0..<batch).flatMap { _ in [Float(0), Float(log(3.0))] })
    }
    func evaluationScores(_ input: ModelInput) -> Tensor { fatalError("not used") }
  }

  func testDivergencesOfTheTopOneUnderEachRule() {
    // Row 0: candidates [1 (target), 2, 3]. Mix scores ⟨u, e⟩ = 0.25, 0.75, 0.65 → top-1 = 2;
    // best match max_k ⟨v_k, e⟩ = 1, 1, 0.8 → a tie, the first (the target) wins → JS = 0.
    // Row 1: candidates [3 (target), 1]: mix 0.65, 0.25 → top-1 = target; best match 0.8, 1 → item 1.
    // T = 1: p(1) = softmax(1, 0) = (σ(1), σ(−1)), p(2) its mirror; JS(p(1), p(2)) = 0.160058 bits.
    // p(3) = softmax(0.8, 0.6) = (0.549834, 0.450166); JS(p(3), p(1)) = 0.025930 bits.
    let batch = ModelInput(history: [1, 0, 0, 2, 0, 0], lengths: [1, 1], candidates: [1, 2, 3, 3, 1, 0],
                           batchSize: 2, historyLength: 3, candidateCount: 3)
    // Row 1's third candidate is padding 0 (e = 0): its scores are 0, never the top-1.
    let model = Fixed()
    let mix = InterestAlignment.divergences(model, rule: .mix, batches: [batch], temperature: 1)
    let best = InterestAlignment.divergences(model, rule: .bestMatch, batches: [batch], temperature: 1)
    XCTAssertEqual(mix.count, 2)
    XCTAssertEqual(mix[0], 0.160058462017, accuracy: 1e-6)
    XCTAssertEqual(mix[1], 0, accuracy: 1e-12)
    XCTAssertEqual(best[0], 0, accuracy: 1e-12)
    XCTAssertEqual(best[1], 0.025930127808, accuracy: 1e-6)
  }
}
