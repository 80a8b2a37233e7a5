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
    XCTAssertEqual(RankingMetrics.ranks(scores: scores, candidates: 4), [1, 3, 4])
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
    XCTAssertEqual(RankingMetrics.ranks(scores: [1, 1, 1], candidates: 3), [3])
    XCTAssertEqual(RankingMetrics.ranks(scores: [.nan, 0, 1], candidates: 3), [3])
    XCTAssertEqual(RankingMetrics.ranks(scores: [1, .nan, 0], candidates: 3), [2])
  }
}
