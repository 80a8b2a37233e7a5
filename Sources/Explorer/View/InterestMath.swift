import Foundation

// Numerics of the distributions pane that only the explorer shows. Everything the *model*
// computes (interests, attention, z^q) and the rules that turn it into scores, softmaxes,
// lists and ranks come from SeqRec (`Scoring`); this adds the divergence between q and p.

/// Numerics of the distributions pane.
public enum InterestMath {
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
}
