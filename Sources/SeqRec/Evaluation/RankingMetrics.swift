import Foundation

/// Leave-one-out ranking metrics over sampled candidates (docs/MODEL.md §2; ReChorus
/// `BaseRunner.evaluate_method` with the pessimistic tie rule of later ReChorus).
///
/// Each row holds the scores of C candidates with the ground truth in column 0. Its rank is
/// `Scoring.ranks`: r = #{c : ¬(score_c < score_0)} (1-based; ties and NaN count against the
/// model, a NaN ground truth ranks C). Then
/// ```
/// HR@K   = mean over rows of 1[r ≤ K]
/// NDCG@K = mean over rows of 1[r ≤ K] / log2(r + 1)     (one relevant item, IDCG = 1)
/// ```
public enum RankingMetrics {
  /// HR@K and NDCG@K for each K, keyed "HR@5", "NDCG@5", … (means over rows; 0 for no rows).
  public static func metrics(ranks: [Int], ks: [Int]) -> [String: Double] {
    var result: [String: Double] = [:]
    let n = Double(max(ranks.count, 1))
    for k in ks {
      var hits = 0.0, gain = 0.0
      for r in ranks where r <= k {
        hits += 1
        gain += 1 / log2(Double(r) + 1)
      }
      result["HR@\(k)"] = hits / n
      result["NDCG@\(k)"] = gain / n
    }
    return result
  }

  /// Standard error of each metric of `metrics(ranks:ks:)`, same keys: the sample standard
  /// deviation of the per-row values (1[r ≤ K] for HR, 1[r ≤ K]/log2(r + 1) for NDCG, with
  /// n − 1 in the denominator) divided by √n. It measures the test-set sampling noise of one
  /// run (e.g. 943 ML-100K users), not the spread over seeds. 0 for fewer than 2 rows.
  public static func standardErrors(ranks: [Int], ks: [Int]) -> [String: Double] {
    let n = Double(ranks.count)
    func standardError(_ values: [Double]) -> Double {
      guard n >= 2 else { return 0 }
      let mean = values.reduce(0, +) / n
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
      return (variance / n).squareRoot()
    }
    var result: [String: Double] = [:]
    for k in ks {
      let hits = ranks.map { $0 <= k ? 1.0 : 0.0 }
      let gains = ranks.map { $0 <= k ? 1 / log2(Double($0) + 1) : 0.0 }
      result["HR@\(k)"] = standardError(hits)
      result["NDCG@\(k)"] = standardError(gains)
    }
    return result
  }

  /// Metric names in report order: for each K, HR then NDCG.
  public static func names(ks: [Int]) -> [String] { ks.flatMap { ["HR@\($0)", "NDCG@\($0)"] } }
}
