// Whether a user's K interests are really distinct. A multi-interest extractor can "collapse":
// two attention heads learn the same weighting of the history, so two interest vectors point
// the same way and the model has fewer interests than K says. The measure used across the
// project (demo report, explorer diagnostics): the cosine between every pair of interests;
// a pair whose cosine is at least `collapseThreshold` is *collapsed*.

/// Pairwise similarity of one user's interest vectors.
public enum InterestDiagnostics {
  /// Cosine at or above which two interests count as collapsed (0.95).
  public static let collapseThreshold: Float = 0.95

  /// Cosines of every pair of interests, (K, K) row-major, with 1 on the diagonal.
  ///
  /// - Parameters:
  ///   - interests: (K, D) row-major interest vectors v_k of one user (eq. 1's output).
  ///   - count: K.
  /// - Returns: K·K cosines; a pair with a zero vector gets 0 (no direction to compare).
  public static func pairwiseCosines(_ interests: ArraySlice<Float>, count k: Int) -> [Float] {
    precondition(k > 0 && interests.count % k == 0, "pairwiseCosines: \(interests.count) values are not K = \(k) rows")
    let d = interests.count / k, base = interests.startIndex
    var norms = [Float](repeating: 0, count: k)
    for a in 0..<k {
      var s: Float = 0
      for j in 0..<d { s += interests[base + a * d + j] * interests[base + a * d + j] }
      norms[a] = s.squareRoot()
    }
    var out = [Float](repeating: 0, count: k * k)
    for a in 0..<k {
      out[a * k + a] = 1
      for b in (a + 1)..<max(a + 1, k) {
        var dot: Float = 0
        for j in 0..<d { dot += interests[base + a * d + j] * interests[base + b * d + j] }
        let denominator = norms[a] * norms[b]
        let c = denominator > 0 ? dot / denominator : 0
        out[a * k + b] = c
        out[b * k + a] = c
      }
    }
    return out
  }

  /// The pairs (a, b), a < b, whose cosine is ≥ `threshold`.
  /// - Parameters: interests (K, D) row-major, count K.
  public static func collapsedPairs(_ interests: ArraySlice<Float>, count k: Int,
                                    threshold: Float = collapseThreshold) -> [(Int, Int)] {
    let cos = pairwiseCosines(interests, count: k)
    var pairs: [(Int, Int)] = []
    for a in 0..<k { for b in (a + 1)..<max(a + 1, k) where cos[a * k + b] >= threshold { pairs.append((a, b)) } }
    return pairs
  }
}
