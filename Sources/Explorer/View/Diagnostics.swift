// Interest diagnostics of one (user, step): are the K interests distinct, and how many history
// items does each read? The measures are SeqRec's (`InterestDiagnostics`, the one definition
// the demo report uses too); this file only packs them into the view.

import SeqRec

/// Collapse and attention-spread measures of the current user's interests.
public struct DiagnosticsSummary: Codable, Equatable, Sendable {
  /// cos(v_a, v_b) for every pair of interests, K rows of K (1 on the diagonal).
  public var cosines: [[Float]]
  /// The collapsed pairs [a, b] (0-based interest indices, a < b): cosine ≥ `collapseThreshold`.
  public var collapsedPairs: [[Int]]
  /// The cosine at or above which a pair counts as collapsed (0.95).
  public var collapseThreshold: Float
  /// Each interest's attention entropy over its source items (the history window, padding
  /// excluded), in nats: 0 when it reads one item, ln L when it reads L evenly, (K).
  public var attentionEntropy: [Float]
  /// Each interest's effective number of source items 1/Σ_j a_kj², from 1 to L, (K).
  public var effectiveSources: [Float]

  /// The diagnostics of one forward.
  /// - Parameters:
  ///   - interests: v (K, D) row-major.
  ///   - attention: a (K, L) row-major over a window of L items (no padding).
  ///   - count: K.
  public init(interests: [Float], attention: [Float], count k: Int) {
    let flat = InterestDiagnostics.pairwiseCosines(interests[...], count: k)
    cosines = (0..<k).map { Array(flat[($0 * k)..<(($0 + 1) * k)]) }
    collapseThreshold = InterestDiagnostics.collapseThreshold
    collapsedPairs = InterestDiagnostics.collapsedPairs(interests[...], count: k).map { [$0.0, $0.1] }
    attentionEntropy = InterestDiagnostics.attentionEntropy(attention[...], count: k)
    effectiveSources = InterestDiagnostics.effectiveSources(attention[...], count: k)
  }

  /// The interest (0-based) that interest `k` has collapsed onto, with their cosine: of the
  /// collapsed pairs k is in, the partner with the largest cosine (the lowest index on ties);
  /// nil when k is in no collapsed pair.
  public func collapsedPartner(of k: Int) -> (interest: Int, cosine: Float)? {
    let partners = collapsedPairs.compactMap { $0[0] == k ? $0[1] : $0[1] == k ? $0[0] : nil }
    guard let best = partners.max(by: { cosines[k][$0] < cosines[k][$1] }) else { return nil }
    return (best, cosines[k][best])
  }
}
