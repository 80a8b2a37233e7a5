import Foundation

// The KL divergence of the finetune distillation term (docs/MODEL.md §3.4), a fused op with its own
// backward; it returns a scalar (shape []). The BPR ranking loss is a model rule and lives in
// SeqRec (Models/BPRLoss.swift), composed from engine ops.

extension Tensor {
  /// KL divergence KL(p ‖ q) averaged over the batch, as PyTorch
  /// `nn.KLDivLoss(reduction: "batchmean")(logQ, p)` (docs/MODEL.md §3.4).
  ///
  /// ```
  /// KL = (1/B) Σ_b Σ_k p_bk (log p_bk − logQ_bk),   with 0 · log 0 = 0
  /// ```
  /// - Parameters:
  ///   - p: target probabilities (B, K) (any shape whose first axis is B), entries ≥ 0.
  ///     It may require a gradient (the "no stop-gradient" variant): then
  ///     dKL/dp = (log p + 1 − logQ)/B where p > 0, and 0 where p = 0.
  ///   - logQ: log-probabilities of the prediction, same shape (e.g. from `logSoftmax`);
  ///     dKL/dlogQ = −p/B.
  /// - Returns: a scalar.
  public static func klDivergenceBatchMean(target p: Tensor, logProbabilities logQ: Tensor) -> Tensor {
    precondition(p.shape == logQ.shape && p.rank >= 1,
                 "klDivergenceBatchMean: target \(p.shape) and log-probabilities \(logQ.shape) must share a shape (B, …)")
    let batch = p.shape[0]
    let scale = batch > 0 ? 1 / Float(batch) : 0
    var total = 0.0
    p.data.withUnsafeBufferPointer { pv in
      logQ.data.withUnsafeBufferPointer { lq in
        for i in 0..<pv.count where pv[i] > 0 {
          total += Double(pv[i]) * (Double(Foundation.log(pv[i])) - Double(lq[i]))
        }
      }
    }
    return Tensor.result([], [Float(total) * scale], op: "kl_div_batchmean", parents: [p, logQ]) { result in
      // Forward: KL = (1/B) Σ p (log p − logQ)  ⇒  dlogQ += −g p / B,
      // dp += g (log p + 1 − logQ) / B where p > 0 (0 · log 0 is the constant 0).
      let g = result.grad[0] * scale
      let pData = p.data, lqData = logQ.data
      logQ.accumulateGrad { gq in
        for i in 0..<gq.count { gq[i] -= g * pData[i] }
      }
      p.accumulateGrad { gp in
        for i in 0..<gp.count where pData[i] > 0 {
          gp[i] += g * (Foundation.log(pData[i]) + 1 - lqData[i])
        }
      }
    }
  }
}
