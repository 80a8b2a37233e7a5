import Tensor

/// Bayesian personalised ranking loss, the recommendation loss of TiMiRec (docs/MODEL.md §3.5, eq. 10,
/// with one negative per positive as ReChorus trains).
///
/// ```
/// L = −mean_b log σ(positive_b − negative_b)
/// ```
/// Composed from the engine's `-`, `logSigmoid` (stable for large |x|) and `mean`, so its
/// gradient is theirs: dL/dpositive_b = −σ(negative_b − positive_b) / B = −dL/dnegative_b.
/// - Parameters:
///   - positive: scores of the positive items, (B) or (B, 1).
///   - negative: scores of the negative items, the same number of elements.
/// - Returns: a scalar (shape []).
/// - Precondition: both hold B elements laid out as (B) or (B, 1).
public func bprLoss(positive: Tensor, negative: Tensor) -> Tensor {
  precondition(positive.count == negative.count && positive.count == positive.shape.first ?? 1,
               "bprLoss: positive \(positive.shape) and negative \(negative.shape) must both be (B) or (B, 1)")
  let n = positive.count
  let difference = positive.reshape([n]) - negative.reshape([n])
  return -difference.logSigmoid().mean()
}
