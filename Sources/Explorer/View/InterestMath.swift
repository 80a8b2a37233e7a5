import Foundation

// Small numerics behind the explorer's distributions pane. Everything the *model* computes
// (interests, attention, z^q, item scores) comes from SeqRec; these helpers only turn those
// numbers into what the screen shows: tempered softmaxes, cosines, divergences, top-k.
//
// Shape letters as in Tensor/SeqRec: K interests, D embedding size, N item-table rows.

/// Numerics of the distributions and recommendation panes.
public enum InterestMath {
  /// Softmax of `logits / temperature`, computed in Double with the max subtracted.
  ///
  /// ```
  /// softmax_T(z)_k = exp((z_k − max z) / T) / Σ_j exp((z_j − max z) / T)
  /// ```
  /// Wang et al., CIKM 2022, eqs. 6–7 (q_T and p_T).
  /// - Parameters:
  ///   - logits: (K).
  ///   - temperature: T > 0.
  /// - Returns: (K), summing to 1; empty for empty input.
  public static func softmax(_ logits: [Float], temperature: Float = 1) -> [Float] {
    precondition(temperature > 0, "softmax: temperature must be > 0, got \(temperature)")
    guard let top = logits.max() else { return [] }
    let t = Double(temperature)
    let e = logits.map { Foundation.exp((Double($0) - Double(top)) / t) }
    let s = e.reduce(0, +)
    return e.map { Float($0 / s) }
  }

  /// Cosine similarity of each row of `rows` (K, D) with `vector` (D), norms clamped at 1e-12
  /// as in the teacher (docs/MODEL.md §3.4).
  /// - Returns: (K).
  public static func cosines(rows: [Float], count k: Int, with vector: [Float]) -> [Float] {
    let d = vector.count
    precondition(rows.count == k * d, "cosines: rows (\(rows.count)) is not (K, D) = (\(k), \(d))")
    let vn = Swift.max(Foundation.sqrt(vector.reduce(0) { $0 + Double($1) * Double($1) }), 1e-12)
    return (0..<k).map { kk in
      var dot = 0.0, nn = 0.0
      for j in 0..<d {
        let a = Double(rows[kk * d + j])
        dot += a * Double(vector[j])
        nn += a * a
      }
      return Float(dot / (Swift.max(Foundation.sqrt(nn), 1e-12) * vn))
    }
  }

  /// Jensen–Shannon divergence of two distributions, in bits (log base 2), so 0 ≤ JS ≤ 1.
  ///
  /// ```
  /// M = (P + Q) / 2,   JS(P, Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M),   0 · log 0 = 0
  /// ```
  /// Symmetric; 0 iff P = Q. (The paper's Figure 2 plots this divergence between interest
  /// distributions.)
  public static func jensenShannon(_ p: [Float], _ q: [Float]) -> Float {
    precondition(p.count == q.count, "jensenShannon: lengths differ (\(p.count) vs \(q.count))")
    var total = 0.0
    for k in p.indices {
      let a = Double(p[k]), b = Double(q[k])
      let m = (a + b) / 2
      if a > 0 { total += 0.5 * a * Foundation.log2(a / m) }
      if b > 0 { total += 0.5 * b * Foundation.log2(b / m) }
    }
    return Float(Swift.max(0, total))
  }

  /// Indices of the `count` largest values of `values`, best first; ties broken by the
  /// smaller index. Indices for which `excluded` is true are skipped.
  /// One pass with a small sorted buffer: O(N · count), fine for count ≤ 50.
  public static func topIndices(_ values: UnsafeBufferPointer<Float>, count: Int,
                                excluded: (Int) -> Bool = { _ in false }) -> [Int] {
    guard count > 0 else { return [] }
    var best: [(value: Float, index: Int)] = []
    best.reserveCapacity(count + 1)
    for i in 0..<values.count where !excluded(i) {
      let v = values[i]
      if v.isNaN { continue }
      if best.count == count, let last = best.last, !(v > last.value) { continue }
      var at = best.count
      while at > 0 && v > best[at - 1].value { at -= 1 }
      best.insert((v, i), at: at)
      if best.count > count { best.removeLast() }
    }
    return best.map(\.index)
  }

  /// Pessimistic 1-based rank of `target` among the non-excluded indices (ties count against
  /// the target, as in RankingMetrics): 1 + #{i ≠ target, not excluded : s_i ≥ s_target}.
  public static func rank(of target: Int, in values: UnsafeBufferPointer<Float>,
                          excluded: (Int) -> Bool) -> Int {
    let s = values[target]
    var r = 1
    for i in 0..<values.count where i != target && !excluded(i) && values[i] >= s { r += 1 }
    return r
  }
}
