import Foundation
import XCTest
@testable import SeqRec

final class RankingMetricsTests: XCTestCase {
  /// Hand-computed: row 1 positive best (rank 1); row 2 one negative above and one tied
  /// (pessimistic rank 3); row 3 positive last of 4 (rank 4).
  func testRanksWithTiesArePessimistic() {
    let scores: [Float] = [0.9, 0.1, 0.2, 0.3,
                           0.5, 0.7, 0.5, 0.1,
                           0.0, 0.1, 0.2, 0.3]
    XCTAssertEqual(Scoring.ranks(scores: scores, candidates: 4), [1, 3, 4])
  }

  func testHitRateAndNDCGHandComputed() {
    let m = RankingMetrics.metrics(ranks: [1, 3, 4], ks: [1, 3, 5])
    XCTAssertEqual(m["HR@1"]!, 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(m["NDCG@1"]!, 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(m["HR@3"]!, 2.0 / 3, accuracy: 1e-12)
    // (1/log2(2) + 1/log2(4)) / 3 = (1 + 0.5) / 3
    XCTAssertEqual(m["NDCG@3"]!, 0.5, accuracy: 1e-12)
    // + 1/log2(5) for the rank-4 row
    XCTAssertEqual(m["NDCG@5"]!, (1 + 0.5 + 1 / log2(5.0)) / 3, accuracy: 1e-12)
    XCTAssertEqual(m["HR@5"]!, 1, accuracy: 1e-12)
  }

  func testAllTiedRowRanksLastAndNaNIsWorst() {
    XCTAssertEqual(Scoring.ranks(scores: [1, 1, 1], candidates: 3), [3])
    XCTAssertEqual(Scoring.ranks(scores: [.nan, 0, 1], candidates: 3), [3])
    XCTAssertEqual(Scoring.ranks(scores: [1, .nan, 0], candidates: 3), [2])
  }

  /// Ranks [1, 3, 4]. HR@3 values 1, 1, 0: mean 2/3, sample variance ((1/3)² · 2 + (2/3)²) / 2
  /// = 1/3, SE = √(1/3 / 3) = 1/3. NDCG@3 values 1, 0.5, 0: mean 0.5, variance
  /// (0.25 + 0 + 0.25) / 2 = 0.25, SE = √(0.25 / 3).
  func testStandardErrorsHandComputed() {
    let se = RankingMetrics.standardErrors(ranks: [1, 3, 4], ks: [3, 5])
    XCTAssertEqual(se["HR@3"]!, 1.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(se["NDCG@3"]!, (0.25 / 3).squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(se["HR@5"]!, 0, accuracy: 1e-12)  // every row a hit
    XCTAssertEqual(RankingMetrics.standardErrors(ranks: [2], ks: [5])["HR@5"], 0)
  }
}
