import Foundation
import Tensor

/// The post-LN transformer layer of TiSASRec (Li, Wang & McAuley, "Time Interval Aware
/// Self-Attention for Sequential Recommendation", WSDM 2020, eqs. 3–4), with H heads and
/// relative key/value terms; also SASRec's layer when it runs more than one head (then
/// without the relative terms). Same layout as ``TransformerLayer`` (no output projection,
/// d_ff = D, dropout 0) and the same parameter names as the reference code's
/// `TimeIntervalTransformerLayer`, so a reference state_dict loads as it is.
///
/// Per head h (size d = D / H), for query slot i and key slot j:
/// ```
/// q_i = x_i W_qᵀ + b_q,  k_j = x_j W_kᵀ + b_k + P^K_j,  v_j = x_j W_vᵀ + b_v + P^V_j
/// e_ij = (q_i · k_j + q_i · R^K_ij) / √d,      R = interval embeddings (B, L, L, D)
/// a_ij = softmax_j(e_ij) over the keys `mask` allows
/// z_i = Σ_j a_ij (v_j + R^V_ij)                                         heads concatenated
/// y = LayerNorm1(z + x),   out = LayerNorm2(Linear2(ReLU(Linear1(y))) + y)
/// ```
/// Without P and R this is plain multi-head self-attention (SASRec, Kang & McAuley 2018).
public struct TimeIntervalTransformerLayer: ParameterContainer {
  public let value: Linear  // masked_attn_head.v_linear (D, D)
  public let key: Linear  // masked_attn_head.k_linear (D, D)
  public let query: Linear  // masked_attn_head.q_linear (D, D)
  public let norm1: LayerNorm  // layer_norm1 (D)
  public let feedForward1: Linear  // linear1 (D, D)
  public let feedForward2: Linear  // linear2 (D, D)
  public let norm2: LayerNorm  // layer_norm2 (D)
  /// D.
  public let size: Int
  /// H; D must be a multiple of it.
  public let heads: Int

  /// - Precondition: `heads` ≥ 1 divides `size` (the configs check this first with a message).
  init(_ prefix: String, size d: Int, heads: Int, rng: inout RNG) {
    precondition(heads >= 1 && d % heads == 0, "TimeIntervalTransformerLayer: \(heads) heads do not divide D = \(d)")
    size = d
    self.heads = heads
    value = Linear(prefix + ".masked_attn_head.v_linear", inputs: d, outputs: d, rng: &rng)
    key = Linear(prefix + ".masked_attn_head.k_linear", inputs: d, outputs: d, rng: &rng)
    query = Linear(prefix + ".masked_attn_head.q_linear", inputs: d, outputs: d, rng: &rng)
    norm1 = LayerNorm(prefix + ".layer_norm1", size: d)
    feedForward1 = Linear(prefix + ".linear1", inputs: d, outputs: d, rng: &rng)
    feedForward2 = Linear(prefix + ".linear2", inputs: d, outputs: d, rng: &rng)
    norm2 = LayerNorm(prefix + ".layer_norm2", size: d)
  }

  /// (B, L, D) → (B·H, L, D/H): each head's slice as its own batch entry.
  func splitHeads(_ t: Tensor, batch b: Int, length l: Int) -> Tensor {
    if heads == 1 { return t }
    return t.reshape([b, l, heads, size / heads]).permute([0, 2, 1, 3]).reshape([b * heads, l, size / heads])
  }

  /// (B, L, L, D) → (B·H·L, L, D/H): for query slot i of head h, the L relative vectors R_i·.
  func splitPairs(_ t: Tensor, batch b: Int, length l: Int) -> Tensor {
    let dk = size / heads
    if heads == 1 { return t.reshape([b * l, l, dk]) }
    return t.reshape([b, l, l, heads, dk]).permute([0, 3, 1, 2, 4]).reshape([b * heads * l, l, dk])
  }

  /// - Parameters:
  ///   - x: (B, L, D), the history's vectors.
  ///   - keyMask: (B, L, L) row-major, true where query i may attend to key j (the models
  ///     pass the causal mask j ≤ i); every row needs at least one true entry.
  ///   - positionKeys, positionValues: P^K, P^V (B, L, D), or nil for none.
  ///   - intervalKeys, intervalValues: R^K, R^V (B, L, L, D), or nil for none.
  /// - Returns: (B, L, D).
  public func callAsFunction(_ x: Tensor, keyMask: [Bool], positionKeys: Tensor? = nil, positionValues: Tensor? = nil,
                             intervalKeys: Tensor? = nil, intervalValues: Tensor? = nil) -> Tensor {
    let b = x.shape[0], l = x.shape[1], h = heads, dk = size / heads
    precondition(keyMask.count == b * l * l, "TimeIntervalTransformerLayer: mask has \(keyMask.count) entries for (B, L, L) = (\(b), \(l), \(l))")
    var k = key(x), v = value(x)  // (B, L, D)
    if let positionKeys { k = k + positionKeys }
    if let positionValues { v = v + positionValues }
    let q = splitHeads(query(x), batch: b, length: l)  // (B·H, L, d)
    var logits = q.bmm(splitHeads(k, batch: b, length: l), transposeOther: true)  // (B·H, L, L)
    if let intervalKeys {
      let perQuery = q.reshape([b * h * l, 1, dk])  // (B·H·L, 1, d)
      logits = logits + perQuery.bmm(splitPairs(intervalKeys, batch: b, length: l), transposeOther: true)
        .reshape([b * h, l, l])
    }
    let mask = h == 1 ? keyMask : (0..<b).flatMap { row in
      Array(repeating: keyMask[(row * l * l)..<((row + 1) * l * l)], count: h).flatMap { $0 }
    }
    let attention = (logits * (1 / Float(dk).squareRoot())).softmax(axis: -1, mask: mask)  // (B·H, L, L)
    var context = attention.bmm(splitHeads(v, batch: b, length: l))  // (B·H, L, d)
    if let intervalValues {
      context = context + attention.reshape([b * h * l, 1, l]).bmm(splitPairs(intervalValues, batch: b, length: l))
        .reshape([b * h, l, dk])
    }
    let merged = h == 1 ? context : context.reshape([b, h, l, dk]).permute([0, 2, 1, 3]).reshape([b, l, size])
    let y = norm1(merged + x)
    return norm2(feedForward2(feedForward1(y).relu()) + y)
  }

  public var namedParameters: [NamedParameter] {
    [value, key, query].flatMap(\.namedParameters) + norm1.namedParameters
      + feedForward1.namedParameters + feedForward2.namedParameters + norm2.namedParameters
  }
}
