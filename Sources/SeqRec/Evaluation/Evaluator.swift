/// Scores batches with a model's evaluation path and ranks the ground truth (docs/MODEL.md §2).
public enum Evaluator {
  /// HR@K and NDCG@K of `model` over `batches` (means over rows).
  /// - Parameters:
  ///   - batches: rows of candidates (B, C) with the ground truth in column 0.
  ///   - ks: cut-offs K.
  public static func evaluate(_ model: any Recommender, batches: [ModelInput], ks: [Int]) -> [String: Double] {
    RankingMetrics.metrics(ranks: ranks(model, batches: batches), ks: ks)
  }

  /// The pessimistic rank (1…C, `Scoring.ranks`) of the ground truth in every row of
  /// `batches`, in order.
  public static func ranks(_ model: any Recommender, batches: [ModelInput]) -> [Int] {
    var ranks: [Int] = []
    for batch in batches {
      let scores = model.evaluationScores(batch)  // (B, C)
      ranks += Scoring.ranks(scores: scores.data, candidates: batch.candidateCount)
    }
    return ranks
  }
}
