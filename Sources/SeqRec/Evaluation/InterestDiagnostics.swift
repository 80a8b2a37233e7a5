import Foundation

// Whether a user's K interests are really distinct. A multi-interest extractor can "collapse":
// two attention heads learn the same weighting of the history, so two interest vectors point
// the same way and the model has fewer interests than K says. The measure used across the
// project (demo report, explorer diagnostics): the cosine between every pair of interests;
// a pair whose cosine is at least `collapseThreshold` is *collapsed*. Beside it, how each
// interest reads the history: the entropy of its attention over the window and the effective
// number of items it is built from (1/Σa², the inverse participation ratio): an interest
// built from one item has entropy 0 and 1 source; one spread evenly over L items ln L and L.

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

  /// The attention entropy of each interest over its source items, in **nats** (natural log):
  ///
  /// ```
  /// â_kj = a_kj / Σ_{j<n} a_kj   (j < n: the history slots, padding excluded)
  /// H_k  = −Σ_{j<n} â_kj ln â_kj,   0 · ln 0 = 0
  /// ```
  /// 0 when interest k reads one item; ln n when it reads n items evenly. The attention is
  /// the extractor's a (eq. 1); its rows already sum to 1 over the history (padding is masked),
  /// the renormalisation only guards against rounding.
  /// - Parameters:
  ///   - attention: (K, L) row-major attention weights of one user.
  ///   - count: K.
  ///   - length: n ≤ L, the history slots (the first n columns; the rest is padding); L when nil.
  /// - Returns: (K) entropies in nats; 0 for an interest with no positive weight (or n = 0).
  public static func attentionEntropy(_ attention: ArraySlice<Float>, count k: Int, length: Int? = nil) -> [Float] {
    sourceRows(attention, count: k, length: length).map { row in
      var h = 0.0
      for a in row where a > 0 { h -= a * Foundation.log(a) }
      return Float(Swift.max(0, h))
    }
  }

  /// The effective number of source items of each interest, 1/Σ_j â_kj² (the inverse
  /// participation ratio), with â as in ``attentionEntropy(_:count:length:)`` (padding
  /// excluded, renormalised): 1 when the interest reads one item, n when it reads n evenly.
  /// - Parameters: attention (K, L) row-major of one user; count K; length n ≤ L history slots
  ///   (L when nil).
  /// - Returns: (K) counts of items (1…n); 0 for an interest with no positive weight (or n = 0).
  public static func effectiveSources(_ attention: ArraySlice<Float>, count k: Int, length: Int? = nil) -> [Float] {
    sourceRows(attention, count: k, length: length).map { row in
      let s = row.reduce(0) { $0 + $1 * $1 }
      return s > 0 ? Float(1 / s) : 0
    }
  }

  /// Each interest's attention over the first `length` slots, renormalised to sum to 1 (in
  /// Double); all zeros when it has no positive weight.
  static func sourceRows(_ attention: ArraySlice<Float>, count k: Int, length: Int?) -> [[Double]] {
    precondition(k > 0 && attention.count % k == 0, "attention: \(attention.count) values are not K = \(k) rows")
    let l = attention.count / k, n = length ?? l, base = attention.startIndex
    precondition(n >= 0 && n <= l, "attention: history length \(n) outside 0…\(l)")
    return (0..<k).map { kk in
      let row = (0..<n).map { Swift.max(0, Double(attention[base + kk * l + $0])) }
      let total = row.reduce(0, +)
      return total > 0 ? row.map { $0 / total } : row
    }
  }
}
