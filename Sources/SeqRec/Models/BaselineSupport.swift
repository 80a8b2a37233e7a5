import Tensor

// Pieces the baselines share (Models/GRU4Rec.swift, YouTube.swift, ComiRec.swift, MIND.swift):
// BPR over [positive, negative] scores, the best-matching interest of a positive, the
// history's validity mask, and the one-vector scoring path.

enum Baseline {
  /// BPR (docs/MODEL.md §3.5, eq. 10) of training scores (B, 2) = [positive, negative].
  static func bpr(_ scores: Tensor) -> Tensor {
    let b = scores.shape[0]
    let split = scores.reshape([b, 2]).split([1, 1], axis: 1)
    return bprLoss(positive: split[0], negative: split[1])
  }

  /// Item embeddings of the candidates, (B, C, D).
  static func candidates(_ table: Tensor, _ input: ModelInput) -> Tensor {
    Tensor.embedding(table, indices: input.candidates, shape: [input.batchSize, input.candidateCount])
  }

  /// The interest each row's positive matches best, k* = argmax_k ⟨v_k, e_pos⟩, chosen
  /// without a gradient (ComiRec's training rule, MIND's label-aware attention with p = ∞).
  /// - Parameters: interests v (B, K, D); items (B, C, D) with the positive in column 0.
  /// - Returns: v_k* (B, 1, D), differentiable in v.
  static func bestMatchingInterest(_ v: Tensor, items: Tensor) -> Tensor {
    let b = v.shape[0], d = v.shape[2]
    let positive = items.narrow(axis: 1, start: 0, length: 1)  // (B, 1, D)
    let best = GradMode.withoutGrad { v.bmm(positive, transposeOther: true) }.argmax(axis: 1)  // (B)
    var index = [Int](repeating: 0, count: b * d)
    for row in 0..<b { for j in 0..<d { index[row * d + j] = best[row] } }
    return v.gather(axis: 1, indices: index, count: 1)
  }

  /// Training scores (B, C) = ⟨u_b, e_c⟩ of one query vector per row.
  /// - Parameters: u (B, 1, D); items (B, C, D).
  static func scores(_ u: Tensor, items: Tensor) -> Tensor {
    u.bmm(items, transposeOther: true).reshape([items.shape[0], items.shape[1]])
  }

  /// 1 where the history slot holds an item (id > 0), per (B, L) slot.
  static func validSlots(_ history: [Int32]) -> [Bool] { history.map { $0 > 0 } }
}
