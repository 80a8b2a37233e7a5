import Foundation
import Tensor

// Interest alignment (the paper's Figure 2, `timirec analyze js`): does the item a model
// ranks first draw on the same interests as the item the user really chose next?
//
//   p(x)  = softmax(cos(V, e_x) / T)   over the K interests V of the row's history
//           (the teacher distribution of eqs. 5 and 7, for any item x)
//   JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m),  m = ½ (p + q),  in bits (log base 2), so 0 ≤ JS ≤ 1
//   per test row: JS(p(target), p(top-1 of the model's ranking over the row's candidates))
//
// Low values mean the recommendation comes from the interest the target came from. Log base
// 2 bounds the divergence by 1 (the natural-log value is this times ln 2 ≈ 0.693); the
// slides we have of the paper do not give Figure 2's axis, so the unit is stated with every
// output instead.

/// Interest distributions of items and the Jensen–Shannon divergence between them.
public enum InterestAlignment {
  /// How a model ranks the candidates of a row (`Scoring`'s rules).
  public enum Rule: String, Sendable, CaseIterable {
    /// TiMiRec: the mixed interest u = Σ_k softmax(z^q)_k v_k (eq. 4); needs z^q (finetune).
    case mix
    /// ComiRec: each candidate's best interest, max_k ⟨v_k, e⟩ (eq. 2).
    case bestMatch
  }

  /// p(x) = softmax(cos(v_k, e_x) / T) over the interests (eqs. 5 and 7; `Scoring.teacherCosines`
  /// then `Scoring.softmax`).
  /// - Parameters:
  ///   - interests: V (K, D) row-major.
  ///   - item: e_x (D).
  ///   - temperature: T > 0.
  /// - Returns: (K), summing to 1 (NaN when V or e_x holds NaN).
  public static func interestDistribution(interests: ArraySlice<Float>, item: ArraySlice<Float>,
                                          temperature: Float) -> [Float] {
    Scoring.softmax(Scoring.teacherCosines(Array(interests), item: item), temperature: temperature)
  }

  /// JS(p, q) = ½ Σ_k p_k log2(p_k / m_k) + ½ Σ_k q_k log2(q_k / m_k), m = ½ (p + q), with
  /// 0 · log 0 = 0; computed in Double and clamped to [0, 1] (rounding can leave −1e-17).
  /// - Parameters: p, q: distributions over the same K outcomes.
  /// - Returns: bits in [0, 1]; NaN when p or q holds NaN.
  public static func jensenShannon(_ p: [Float], _ q: [Float]) -> Double {
    precondition(p.count == q.count, "jensenShannon: \(p.count) and \(q.count) outcomes")
    var sum = 0.0
    for k in p.indices {
      let a = Double(p[k]), b = Double(q[k])
      if a.isNaN || b.isNaN { return .nan }
      let m = (a + b) / 2
      if a > 0 { sum += a * log2(a / m) }
      if b > 0 { sum += b * log2(b / m) }
    }
    return min(1, max(0, sum / 2))
  }

  /// For every row of `batches`: JS(p(target), p(top-1)) with p over `model`'s interests of
  /// the row's history at temperature `temperature`, the top-1 being the best of the row's
  /// candidates under `rule` (`Scoring.topIndices`: the first on ties, NaN scores never).
  /// - Parameters:
  ///   - batches: rows with the target in candidate column 0.
  ///   - temperature: T > 0 (the TiMiRec run's).
  /// - Returns: one value per row in order; NaN when the row has no top-1 (every score NaN)
  ///   or a distribution is NaN.
  /// - Precondition: `rule == .mix` needs a model with interest logits (`hasInterestLogits`).
  public static func divergences(_ model: any MultiInterestRecommender, rule: Rule, batches: [ModelInput],
                                 temperature: Float) -> [Double] {
    precondition(rule == .bestMatch || model.hasInterestLogits, "the mix rule needs a model with interest logits (finetune)")
    let table = model.itemEmbeddings
    let d = model.embeddingSize, k = model.interestCount
    var out: [Double] = []
    for batch in batches {
      let b = batch.batchSize, c = batch.candidateCount
      let v = model.interests(history: batch.history, lengths: batch.lengths, batch: b, length: batch.historyLength).interests
      let logits = rule == .mix
        ? model.interestLogits(history: batch.history, lengths: batch.lengths, batch: b, length: batch.historyLength) : nil
      let queries = Scoring.evaluationQueries(interests: v, logits: logits)
      let scores = GradMode.withoutGrad {
        Scoring.bestInnerProducts(queries: queries, table: table, candidates: batch.candidates, candidateCount: c).data
      }
      for row in 0..<b {
        let top = scores.withUnsafeBufferPointer {
          Scoring.topIndices(UnsafeBufferPointer(rebasing: $0[(row * c)..<((row + 1) * c)]), count: 1)
        }
        guard let best = top.first else { out.append(.nan); continue }
        let interests = v.data[(row * k * d)..<((row + 1) * k * d)]
        func distribution(_ item: Int32) -> [Float] {
          interestDistribution(interests: interests, item: table.data[(Int(item) * d)..<((Int(item) + 1) * d)],
                               temperature: temperature)
        }
        out.append(jensenShannon(distribution(batch.candidates[row * c]), distribution(batch.candidates[row * c + best])))
      }
    }
    return out
  }

  /// Counts of `values` in `bins` equal bins over [0, upper] (bin i holds
  /// [i·w, (i+1)·w), w = upper / bins; the last bin also holds `upper` and anything above it);
  /// NaN values are not counted.
  public static func histogram(_ values: [Double], bins: Int, upper: Double = 1) -> [Int] {
    precondition(bins >= 1 && upper > 0, "histogram: bins must be ≥ 1 and upper > 0, got \(bins), \(upper)")
    var counts = [Int](repeating: 0, count: bins)
    for value in values where !value.isNaN {
      counts[min(bins - 1, max(0, Int(value / upper * Double(bins))))] += 1
    }
    return counts
  }

  /// The histogram's default upper edge: the smallest 1, 2 or 5 × 10^k at or above the
  /// `quantile` of the values (nearest rank; 1 when it is not above 0, and never above 1,
  /// the bound of JS in bits). Trained models put most rows far below 1 bit with a few
  /// outliers, so neither [0, 1] nor [0, max] shows the shape; the last bin holds the rest.
  public static func niceUpperEdge(_ values: [Double], quantile: Double = 0.99) -> Double {
    let defined = values.filter { !$0.isNaN }.sorted()
    guard !defined.isEmpty else { return 1 }
    let at = defined[min(defined.count - 1, max(0, Int((quantile * Double(defined.count)).rounded(.up)) - 1))]
    guard at > 0 else { return 1 }
    var scale = pow(10, floor(log10(at)))
    while true {
      for step in [1.0, 2, 5] where step * scale >= at * (1 - 1e-12) { return min(1, step * scale) }
      scale *= 10
    }
  }
}
