import Foundation
import Tensor

/// The single-head, post-LN transformer layer of ReChorus `utils/layers.TransformerLayer`
/// as used by TiMiRec's extractor (docs/MODEL.md §3.1, "TRM"): no output projection, no causal mask,
/// d_ff = D, dropout 0.
///
/// ```
/// Q = x W_qᵀ + b_q,  K = x W_kᵀ + b_k,  V = x W_vᵀ + b_v           (B, L, D)
/// S = softmax_keys(Q Kᵀ / √D)   with padded keys masked out         (B, L, L)
/// y = LayerNorm1(S V + x)
/// out = LayerNorm2(Linear2(ReLU(Linear1(y))) + y)                    (B, L, D)
/// ```
public struct TransformerLayer: ParameterContainer {
  public let query: Linear  // masked_attn_head.q_linear (D, D)
  public let key: Linear  // masked_attn_head.k_linear (D, D)
  public let value: Linear  // masked_attn_head.v_linear (D, D)
  public let norm1: LayerNorm  // layer_norm1 (D)
  public let feedForward1: Linear  // linear1 (D, D)
  public let feedForward2: Linear  // linear2 (D, D)
  public let norm2: LayerNorm  // layer_norm2 (D)
  let size: Int

  init(_ prefix: String, size d: Int, rng: inout RNG) {
    size = d
    query = Linear(prefix + ".masked_attn_head.q_linear", inputs: d, outputs: d, rng: &rng)
    key = Linear(prefix + ".masked_attn_head.k_linear", inputs: d, outputs: d, rng: &rng)
    value = Linear(prefix + ".masked_attn_head.v_linear", inputs: d, outputs: d, rng: &rng)
    norm1 = LayerNorm(prefix + ".layer_norm1", size: d)
    feedForward1 = Linear(prefix + ".linear1", inputs: d, outputs: d, rng: &rng)
    feedForward2 = Linear(prefix + ".linear2", inputs: d, outputs: d, rng: &rng)
    norm2 = LayerNorm(prefix + ".layer_norm2", size: d)
  }

  /// - Parameters:
  ///   - x: (B, L, D).
  ///   - keyMask: (B, L, L) row-major, true where key j of query i is a valid (non-padding) item.
  /// - Returns: (B, L, D).
  public func callAsFunction(_ x: Tensor, keyMask: [Bool]) -> Tensor {
    let q = query(x), k = key(x), v = value(x)  // (B, L, D)
    let logits = q.bmm(k, transposeOther: true) * (1 / Float(size).squareRoot())  // (B, L, L)
    let attention = logits.softmax(axis: -1, mask: keyMask)  // (B, L, L)
    let context = attention.bmm(v)  // (B, L, D)
    let y = norm1(context + x)
    return norm2(feedForward2(feedForward1(y).relu()) + y)
  }

  public var namedParameters: [NamedParameter] {
    [query, key, value].flatMap(\.namedParameters) + norm1.namedParameters
      + feedForward1.namedParameters + feedForward2.namedParameters + norm2.namedParameters
  }
}
