import Tensor

// The rules that turn a multi-interest forward into item scores, and scores into ranks and
// lists. They live here once; the model's evaluation path (`TiMiRec.evaluationScores`), the
// evaluator (`RankingMetrics`, `Evaluator`), the explorer (`ViewBuilder`, `InterestMath`)
// and the demo report (`MemberAgreement`) all call them. Equation numbers are those of
// Wang et al., "Target Interest Distillation for Multi-Interest Recommendation", CIKM 2022.
//
//   best match     score_i = max_k ⟨v_k, e_i⟩                          (eq. 2, ComiRec)
//   model mix      w = softmax(z^q),  u = Σ_k w_k v_k,  score_i = ⟨u, e_i⟩   (eq. 4)
//   tempered mix   w = softmax(z^q / T), otherwise as the model mix    (eq. 6's q_T as weights)
//   teacher        p_T = softmax(cos(v_k, e_target) / T)               (eqs. 5, 7)
//   contribution   c_k(i) = w_k ⟨v_k, e_i⟩, Σ_k c_k(i) = the mixed score of item i (eq. 4 split by k)
//   rank           pessimistic, 1-based: 1 + #{other ranked c : ¬(s_c < s_target)}
//   queries        what evaluation scores items with: the K interests without z^q (best
//                  match), u with it (mix) — `evaluationQueries`, shared by the sampled
//                  candidates (`bestInnerProducts`) and the whole catalogue (`CatalogueRanking`)
//
// The one tie and NaN rule of the rank: a candidate counts against the target unless its
// score is strictly below the target's. So ties count against the model, a NaN candidate
// counts against it (it is not known to be below), and a NaN target ranks last among the
// ranked candidates (nothing is known to be below it). Lists (`topIndices`) never show a
// NaN item.
//
// Shape letters: B batch, K interests, D embedding size, C candidates per row, N item-table
// rows, Q query vectors per row (K for the best match, 1 for a mix).

/// Scores, mix weights and ranks of multi-interest recommendation.
///
/// The per-item loops (best match, rank, top indices, argmax) are `@inlinable`: the explorer
/// calls them from another module over all N items with an `excluded` closure, and without
/// inlining each item costs an indirect call (measured: the explorer's view step ~20 %
/// slower than when these loops lived in the Explorer module).
public enum Scoring {
  // MARK: Softmax and mix weights

  /// Mix weights w = softmax(z / T) over the interests of each row (eq. 4 with T = 1, the
  /// tempered mix and q_T of eq. 6 otherwise; also p_T of eq. 7 from cosines).
  /// Differentiable: training and evaluation both use it.
  /// - Parameters:
  ///   - logits: (B, K), e.g. z^q.
  ///   - temperature: T > 0; 1 leaves the logits undivided.
  /// - Returns: (B, K), each row summing to 1.
  public static func mixWeights(_ logits: Tensor, temperature: Float = 1) -> Tensor {
    precondition(temperature > 0, "mixWeights: temperature must be > 0, got \(temperature)")
    return (temperature == 1 ? logits : logits / temperature).softmax(axis: 1)
  }

  /// softmax(z / T) of one row, through the same op as ``mixWeights(_:temperature:)``.
  ///
  /// ```
  /// softmax_T(z)_k = exp((z_k − max z) / T) / Σ_j exp((z_j − max z) / T)
  /// ```
  /// - Parameters:
  ///   - logits: (K).
  ///   - temperature: T > 0.
  /// - Returns: (K), summing to 1; empty for empty input.
  public static func softmax(_ logits: [Float], temperature: Float = 1) -> [Float] {
    precondition(temperature > 0, "softmax: temperature must be > 0, got \(temperature)")
    guard !logits.isEmpty else { return [] }
    return GradMode.withoutGrad {
      mixWeights(Tensor(shape: [1, logits.count], data: logits), temperature: temperature).data
    }
  }

  /// The mixed interest u = Σ_k w_k v_k of each row (eq. 4).
  /// - Parameters:
  ///   - interests: v (B, K, D).
  ///   - weights: w (B, K), e.g. ``mixWeights(_:temperature:)`` of z^q.
  /// - Returns: u (B, 1, D). Differentiable.
  public static func mixedInterest(_ interests: Tensor, weights: Tensor) -> Tensor {
    let b = interests.shape[0], k = interests.shape[1]
    precondition(weights.shape == [b, k], "mixedInterest: weights \(weights.shape), expected \([b, k])")
    return weights.reshape([b, 1, k]).bmm(interests)
  }

  /// The teacher's similarities cos(v_k, e) of one row's interests with one item (eq. 5):
  /// p_T is ``softmax(_:temperature:)`` of these.
  /// - Parameters:
  ///   - interests: v (K, D) row-major.
  ///   - item: e (D).
  /// - Returns: (K), with the engine's cosine (norms clamped as in training).
  public static func teacherCosines(_ interests: [Float], item: ArraySlice<Float>) -> [Float] {
    let d = item.count
    precondition(d > 0 && interests.count % d == 0, "teacherCosines: \(interests.count) values are not (K, \(d))")
    return GradMode.withoutGrad {
      Tensor.cosineSimilarity(Tensor(shape: [interests.count / d, d], data: interests),
                              Tensor(shape: [1, d], data: Array(item)), axis: -1).data
    }
  }

  // MARK: Evaluation queries

  /// The query vectors a multi-interest model scores items with at evaluation:
  /// score_i = max_q ⟨query_q, e_i⟩ (``bestInnerProducts(queries:table:candidates:candidateCount:)``
  /// over sampled candidates, `CatalogueRanking` over every item).
  ///
  /// Without logits (the pretrain stage, ComiRec's rule): the K interests themselves, so the
  /// score is the best match (eq. 2). With logits z^q (finetune): the one mixed interest
  /// u = Σ_k softmax(z^q)_k v_k (eq. 4, no temperature).
  /// - Parameters:
  ///   - interests: v (B, K, D).
  ///   - logits: z^q (B, K), or nil.
  /// - Returns: (B, K, D) without logits, (B, 1, D) with them. No gradient is needed.
  public static func evaluationQueries(interests: Tensor, logits: Tensor?) -> Tensor {
    guard let logits else { return interests }
    return mixedInterest(interests, weights: mixWeights(logits))
  }

  // MARK: Scores of candidates (evaluation)

  /// score[b, c] = max_q ⟨queries[b, q], E[candidates[b, c]]⟩: the best match (eq. 2) with the
  /// K interests as queries, the mix (eq. 4) with u as the one query.
  ///
  /// Per row, the C candidate rows are copied into one reused (C, D) buffer (L2-resident: 256
  /// KB for C = 1001) and multiplied by the row's (Q, D) queries with one sgemm; ~10× faster
  /// with 1,001 candidates than gathering the whole (B, C, D) first. No gradient.
  /// - Parameters:
  ///   - queries: (B, Q, D).
  ///   - table: E (N, D), the item embeddings.
  ///   - candidates: (B, C) item ids in 0..<N.
  /// - Returns: (B, C).
  public static func bestInnerProducts(queries: Tensor, table: Tensor, candidates: [Int32], candidateCount c: Int) -> Tensor {
    precondition(queries.shape.count == 3 && table.shape.count == 2 && queries.shape[2] == table.shape[1],
                 "bestInnerProducts: queries \(queries.shape) and table \(table.shape) do not share D")
    let b = queries.shape[0], q = queries.shape[1], d = queries.shape[2]
    precondition(candidates.count == b * c, "bestInnerProducts: \(candidates.count) candidates are not (B, C) = (\(b), \(c))")
    let rows = table.shape[0]
    var out = [Float](repeating: 0, count: b * c)
    var buffer = [Float](repeating: 0, count: c * d)  // (C, D) candidate rows of one batch row
    var products = [Float](repeating: 0, count: c * q)  // (C, Q)
    table.data.withUnsafeBufferPointer { e in
      queries.data.withUnsafeBufferPointer { query in
        buffer.withUnsafeMutableBufferPointer { rowsOf in
          products.withUnsafeMutableBufferPointer { p in
            for row in 0..<b {
              for j in 0..<c {
                let item = Int(candidates[row * c + j])
                precondition(item >= 0 && item < rows, "candidate \(item) outside the item table's \(rows) rows")
                (rowsOf.baseAddress! + j * d).update(from: e.baseAddress! + item * d, count: d)
              }
              sgemm(transA: false, transB: true, m: c, n: q, k: d, a: rowsOf.baseAddress!, lda: d,
                    b: query.baseAddress! + row * q * d, ldb: d, c: p.baseAddress!, ldc: q)
              for j in 0..<c {
                var best = p[j * q]
                for k in 1..<max(q, 1) where p[j * q + k] > best { best = p[j * q + k] }
                out[row * c + j] = best
              }
            }
          }
        }
      }
    }
    return Tensor(shape: [b, c], data: out)
  }

  // MARK: Scores of every item (explorer, demo report)

  /// The best match (eq. 2) of every item from its per-interest scores.
  /// - Parameters:
  ///   - interestScores: ⟨v_k, e_i⟩ (K, N) row-major.
  ///   - interests: K.
  /// - Returns: max_k ⟨v_k, e_i⟩ (N) and the k that attains it (N; the lowest k on ties, 0
  ///   when every score is NaN).
  @inlinable
  public static func bestMatch(_ interestScores: [Float], interests k: Int) -> (scores: [Float], interest: [Int]) {
    precondition(k > 0 && interestScores.count % k == 0, "bestMatch: \(interestScores.count) scores are not K = \(k) rows")
    let n = interestScores.count / k
    var best = [Float](repeating: -.infinity, count: n)
    var interest = [Int](repeating: 0, count: n)
    for kk in 0..<k {
      for i in 0..<n where interestScores[kk * n + i] > best[i] {
        best[i] = interestScores[kk * n + i]
        interest[i] = kk
      }
    }
    return (best, interest)
  }

  /// The mix (eq. 4) of every item from its per-interest scores:
  /// ⟨Σ_k w_k v_k, e_i⟩ = Σ_k w_k ⟨v_k, e_i⟩, one (1, K)·(K, N) product.
  /// - Parameters:
  ///   - interestScores: ⟨v_k, e_i⟩ (K, N) row-major.
  ///   - weights: w (K), from ``softmax(_:temperature:)`` of z^q (T = 1: model mix; else tempered).
  /// - Returns: (N).
  public static func mixedScores(_ interestScores: [Float], weights: [Float]) -> [Float] {
    let k = weights.count
    precondition(k > 0 && interestScores.count % k == 0, "mixedScores: \(interestScores.count) scores are not K = \(k) rows")
    return GradMode.withoutGrad {
      Tensor(shape: [1, k], data: weights).matmul(Tensor(shape: [k, interestScores.count / k], data: interestScores)).data
    }
  }

  /// One item's mixed score split by interest: c_k = w_k ⟨v_k, e_i⟩, so Σ_k c_k is the item's
  /// score under the mix (eq. 4). It shows which interest a mixed recommendation comes from
  /// (a large w_k can still contribute little when ⟨v_k, e_i⟩ is small or negative).
  /// - Parameters:
  ///   - interestScores: ⟨v_k, e_i⟩ (K, N) row-major.
  ///   - weights: w (K), as for ``mixedScores(_:weights:)``.
  ///   - item: i in 0..<N.
  /// - Returns: (K) contributions c_k; their sum equals `mixedScores(...)[item]` up to
  ///   rounding (the product there is one BLAS sgemm, summed in another order).
  @inlinable
  public static func interestContributions(_ interestScores: [Float], weights: [Float], item: Int) -> [Float] {
    let k = weights.count
    precondition(k > 0 && interestScores.count % k == 0, "interestContributions: \(interestScores.count) scores are not K = \(k) rows")
    let n = interestScores.count / k
    precondition(item >= 0 && item < n, "interestContributions: item \(item) outside 0..<\(n)")
    var out = [Float](repeating: 0, count: k)
    for kk in 0..<k { out[kk] = weights[kk] * interestScores[kk * n + item] }
    return out
  }

  // MARK: Ranks and lists

  /// The tie and NaN rule: true when `candidate` ranks at or above `target` — unless it is
  /// strictly below. Ties, a NaN candidate and a NaN target all count against the target.
  @inline(__always)
  @inlinable
  public static func countsAgainst(_ candidate: Float, target: Float) -> Bool { !(candidate < target) }

  /// Pessimistic 1-based rank of column 0 in each row (docs/MODEL.md §2, the leave-one-out protocol):
  /// r = #{c : ¬(s_c < s_0)}, the target itself included. A NaN target ranks C.
  /// - Parameters:
  ///   - scores: (B, C) row-major.
  ///   - candidates: C (≥ 1).
  /// - Returns: (B) ranks in 1…C.
  public static func ranks(scores: [Float], candidates c: Int) -> [Int] {
    precondition(c >= 1 && scores.count % c == 0, "ranks: \(scores.count) scores do not form rows of \(c)")
    let rows = scores.count / c
    var out = [Int](repeating: 0, count: rows)
    scores.withUnsafeBufferPointer { s in
      for row in 0..<rows {
        let base = row * c
        let truth = s[base]
        var rank = 0
        for j in 0..<c where countsAgainst(s[base + j], target: truth) { rank += 1 }
        out[row] = rank
      }
    }
    return out
  }

  /// Pessimistic 1-based rank of item `target` among the items not `excluded` (the target
  /// itself must not be excluded): 1 + #{i ≠ target, not excluded : ¬(s_i < s_target)}.
  /// A NaN target ranks last among the ranked items.
  /// - Parameter values: (N) scores.
  @inlinable
  public static func rank(of target: Int, in values: UnsafeBufferPointer<Float>, excluded: (Int) -> Bool) -> Int {
    let s = values[target]
    var r = 1
    for i in 0..<values.count where i != target && !excluded(i) && countsAgainst(values[i], target: s) { r += 1 }
    return r
  }

  /// Indices of the `count` largest values, best first; ties go to the smaller index; NaN
  /// values and indices for which `excluded` is true are skipped.
  /// One pass with a small sorted buffer: O(N · count), fine for count ≤ 50.
  @inlinable
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

  /// The index of the largest value (the first on ties; 0 for an empty or all-NaN row),
  /// e.g. q's top interest argmax_k z^q_k.
  @inlinable
  public static func argmax(_ values: ArraySlice<Float>) -> Int {
    var best = values.startIndex
    for i in values.indices where values[i] > values[best] || (values[best].isNaN && !values[i].isNaN) { best = i }
    return values.isEmpty ? 0 : best - values.startIndex
  }
}
