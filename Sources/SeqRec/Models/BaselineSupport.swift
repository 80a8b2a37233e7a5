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

/// A recommender that sums a history up in one user vector u and scores a candidate by
/// ⟨u, E[c]⟩ with its item table (GRU4Rec, YouTube): it gives u, the protocol gives the
/// training loss (BPR over [positive, negative]) and the evaluation scores.
public protocol UserVectorRecommender: TrainableRecommender {
  /// E (N, D), the item table candidates are scored with.
  var itemEmbeddings: Tensor { get }
  /// u (B, 1, D), gradients recorded when recording is on.
  /// - Parameters: history (B, L) right-padded with 0, lengths (B) in 1…L.
  func userVector(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor
}

extension UserVectorRecommender {
  /// Training scores (B, C) = ⟨u, E[c]⟩ with gradients recorded.
  func trainingScores(_ input: ModelInput) -> Tensor {
    let u = userVector(history: input.history, lengths: input.lengths, batch: input.batchSize, length: input.historyLength)
    return Baseline.scores(u, items: Baseline.candidates(itemEmbeddings, input))
  }

  /// BPR over [positive, negative]; `rng` is not used (these models draw nothing).
  public func trainingLoss(_ input: ModelInput, rng: inout RNG) -> Tensor { Baseline.bpr(trainingScores(input)) }

  /// ⟨u, E[c]⟩ (B, C), no gradient recorded.
  public func evaluationScores(_ input: ModelInput) -> Tensor {
    GradMode.withoutGrad {
      let u = userVector(history: input.history, lengths: input.lengths, batch: input.batchSize, length: input.historyLength)
      return Scoring.bestInnerProducts(queries: u, table: itemEmbeddings, candidates: input.candidates,
                                       candidateCount: input.candidateCount)
    }
  }
}

/// A multi-interest baseline scored by the best-matching interest (ComiRec, MIND; eq. 2's
/// rule): training picks k* = argmax_k ⟨v_k, E[pos]⟩ without gradient and scores with v_k*;
/// evaluation scores max_k ⟨v_k, E[c]⟩ with ``MultiInterestRecommender/interests(history:lengths:batch:length:)``.
/// There are no logits over interests and no temperature.
public protocol BestMatchRecommender: MultiInterestRecommender, TrainableRecommender {
  /// The interests v (B, K, D) of a training batch, gradients recorded; `rng` supplies any
  /// random draws of the forward (MIND's routing logits).
  func trainingInterests(_ input: ModelInput, rng: inout RNG) -> Tensor
}

extension BestMatchRecommender {
  /// Training scores (B, C) = ⟨v_k*, E[c]⟩ from interests v (B, K, D).
  func bestMatchScores(_ v: Tensor, _ input: ModelInput) -> Tensor {
    let items = Baseline.candidates(itemEmbeddings, input)
    return Baseline.scores(Baseline.bestMatchingInterest(v, items: items), items: items)
  }

  /// BPR over [positive, negative] scored by the positive's best-matching interest.
  public func trainingLoss(_ input: ModelInput, rng: inout RNG) -> Tensor {
    Baseline.bpr(bestMatchScores(trainingInterests(input, rng: &rng), input))
  }

  /// max_k ⟨v_k, E[c]⟩ (B, C), no gradient recorded.
  public func evaluationScores(_ input: ModelInput) -> Tensor {
    GradMode.withoutGrad {
      let v = interests(history: input.history, lengths: input.lengths, batch: input.batchSize,
                        length: input.historyLength).interests
      return Scoring.bestInnerProducts(queries: v, table: itemEmbeddings, candidates: input.candidates,
                                       candidateCount: input.candidateCount)
    }
  }

  /// 1: these models have no temperature.
  public var trainingTemperature: Float { 1 }
  /// False: scored by the best-matching interest, there are no logits over interests.
  public var hasInterestLogits: Bool { false }
  public func interestLogits(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor? { nil }
}
