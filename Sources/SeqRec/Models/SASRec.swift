import Tensor

// SASRec — Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018, as the
// reference code (ReChorus, branch CIKM22, src/models/sequential/SASRec.py) implements it
// (docs/MODEL.md §12):
//   x_j = E[h_j] + P[(len − j)·m_j]      positions counted from the most recent item (1), 0 on padding
//   x   = TRM_n(… TRM_1(x) …)             causal mask: slot i attends to slots j ≤ i
//   u   = x_{len−1}                        the output at the last valid step
//   score_c = ⟨u, E[c]⟩                    trained with BPR over one sampled negative, Adam
//                                          (scores and loss: UserVectorRecommender, BaselineSupport.swift)
// The transformer layer is TiMiRec's (`TransformerLayer`: post-LN, no output projection,
// d_ff = D, dropout 0) with the causal mask; with H > 1 heads the multi-head variant
// `TimeIntervalTransformerLayer` without relative terms.
//
// Hyper-parameters (the reference's command, untuned): emb_size 64, num_layers 1,
// num_heads 1, lr 1e-4, l2 1e-6, history_max 20, batch 256, one negative, early stop 10.
//
// Reproduce (ML-100K):
//   timirec train --model SASRec --data data/ml-100k --out runs/ml100k-sasrec-s0 \
//                 --lr 1e-4 --l2 1e-6 --num-layers 1 --num-heads 1 --seed 0

/// SASRec's hyper-parameters (defaults: the reference command's values).
public struct SASRecConfig: Codable, Equatable, Sendable {
  /// Rows of the item table: max item id + 1 (row 0 is padding).
  public var itemCount: Int
  /// D, embedding size (emb_size, 64).
  public var embeddingSize: Int = 64
  /// Transformer layers (num_layers, 1).
  public var layerCount: Int = 1
  /// Attention heads H, dividing D (num_heads: 1 in the reference command, 4 its default).
  public var headCount: Int = 1
  /// Longest history used (history_max, 20).
  public var historyMax: Int = 20

  public init(itemCount: Int, embeddingSize: Int = 64, layerCount: Int = 1, headCount: Int = 1, historyMax: Int = 20) {
    self.itemCount = itemCount
    self.embeddingSize = embeddingSize
    self.layerCount = layerCount
    self.headCount = headCount
    self.historyMax = historyMax
  }

  /// The value the first impossible setting breaks, as (field, requirement, value), or nil.
  /// `timirec train` names the field by its option (``options``).
  public func invalidSetting() -> (field: String, requirement: String, value: String)? {
    if let bad = Self.firstBelowOne([("itemCount", itemCount), ("embeddingSize", embeddingSize), ("layerCount", layerCount),
                                     ("headCount", headCount), ("historyMax", historyMax)]) { return bad }
    if embeddingSize % headCount != 0 {
      return ("headCount", "must divide the embedding size \(embeddingSize)", "\(headCount)")
    }
    return nil
  }
}

extension SASRecConfig: ModelConfiguration {
  /// SASRec's `timirec train` options.
  public static let options = [
    "embeddingSize": "--emb-size", "layerCount": "--num-layers", "headCount": "--num-heads", "historyMax": "--history-max",
  ]

  public init(itemCount: Int, given: ModelOptions) throws {
    let d = SASRecConfig(itemCount: itemCount)
    self.init(itemCount: itemCount, embeddingSize: try given.value("--emb-size", default: d.embeddingSize),
              layerCount: try given.value("--num-layers", default: d.layerCount),
              headCount: try given.value("--num-heads", default: d.headCount),
              historyMax: try given.value("--history-max", default: d.historyMax))
  }
}

/// Helpers both self-attentive baselines (SASRec, TiSASRec) share.
enum CausalHistory {
  /// Position of each slot counted from the most recent item: slot j of a history of length
  /// len gets len − j (newest 1, oldest len), padding 0. - Returns: (B, L).
  static func positions(lengths: [Int32], batch b: Int, length l: Int) -> [Int32] {
    var out = [Int32](repeating: 0, count: b * l)
    for row in 0..<b {
      let n = Int(lengths[row])
      for j in 0..<min(n, l) { out[row * l + j] = Int32(n - j) }
    }
    return out
  }

  /// The causal mask (B, L, L): query i may attend to key j iff j ≤ i. With right padding
  /// a valid slot only sees valid slots, so no padding mask is needed (as the reference).
  static func mask(batch b: Int, length l: Int) -> [Bool] {
    var one = [Bool](repeating: false, count: l * l)
    for i in 0..<l { for j in 0...i { one[i * l + j] = true } }
    return Array([[Bool]](repeating: one, count: b).joined())
  }

  /// x[b, len_b − 1, :] of each row. - Parameters: x (B, L, D). - Returns: (B, 1, D).
  /// - Precondition: every length is in 1…L.
  static func lastValid(_ x: Tensor, lengths: [Int32]) -> Tensor {
    let b = x.shape[0], l = x.shape[1], d = x.shape[2]
    var index = [Int](repeating: 0, count: b * d)
    for row in 0..<b {
      let n = Int(lengths[row])
      precondition(n >= 1 && n <= l, "history length \(n) of row \(row) outside 1…\(l)")
      for j in 0..<d { index[row * d + j] = n - 1 }
    }
    return x.gather(axis: 1, indices: index, count: 1)
  }
}

/// SASRec: a causal self-attentive encoder of the history; its output at the last valid step
/// is the user vector (Kang & McAuley, ICDM 2018, §III; the header above gives the equations).
public final class SASRec: ParameterContainer {
  public let config: SASRecConfig
  public let itemEmbeddings: Tensor  // i_embeddings (N, D), row 0 = padding
  public let positionEmbeddings: Tensor  // p_embeddings (historyMax + 1, D)
  /// One per layer: the shared single-head layer (H = 1) …
  public let layers: [TransformerLayer]
  /// … or the multi-head one (H > 1); the other list is empty.
  public let multiHeadLayers: [TimeIntervalTransformerLayer]

  /// A freshly initialised model: embeddings and linear layers N(0, 0.01²), LayerNorm 1/0
  /// (docs/MODEL.md §3.7). - Precondition: `config.invalidSetting()` is nil.
  public init(config: SASRecConfig, rng: inout RNG) {
    if let bad = config.invalidSetting() { preconditionFailure("SASRec: \(bad.field) \(bad.requirement), got \(bad.value)") }
    self.config = config
    let d = config.embeddingSize
    itemEmbeddings = Init.normal([config.itemCount, d], name: "i_embeddings.weight", rng: &rng)
    positionEmbeddings = Init.normal([config.historyMax + 1, d], name: "p_embeddings.weight", rng: &rng)
    var single: [TransformerLayer] = [], multi: [TimeIntervalTransformerLayer] = []
    for n in 0..<config.layerCount {
      if config.headCount == 1 {
        single.append(TransformerLayer("transformer_block.\(n)", size: d, rng: &rng))
      } else {
        multi.append(TimeIntervalTransformerLayer("transformer_block.\(n)", size: d, heads: config.headCount, rng: &rng))
      }
    }
    layers = single
    multiHeadLayers = multi
  }

  public var namedParameters: [NamedParameter] {
    [(itemEmbeddings.name, itemEmbeddings), (positionEmbeddings.name, positionEmbeddings)]
      + layers.flatMap(\.namedParameters) + multiHeadLayers.flatMap(\.namedParameters)
  }

  /// The encoder's output at every slot (valid slots only are meaningful).
  /// - Parameters: history (B, L) right-padded with 0, lengths (B) in 1…L.
  /// - Returns: (B, L, D).
  public func encode(history: [Int32], lengths: [Int32], batch b: Int, length l: Int) -> Tensor {
    precondition(history.count == b * l && lengths.count == b,
                 "SASRec: history has \(history.count) ids and lengths \(lengths.count) for (B, L) = (\(b), \(l))")
    let positions = CausalHistory.positions(lengths: lengths, batch: b, length: l)
    var x = Tensor.embedding(itemEmbeddings, indices: history, shape: [b, l])
      + Tensor.embedding(positionEmbeddings, indices: positions, shape: [b, l])  // (B, L, D)
    let mask = CausalHistory.mask(batch: b, length: l)
    for layer in layers { x = layer(x, keyMask: mask) }
    for layer in multiHeadLayers { x = layer(x, keyMask: mask) }
    return x
  }

  /// u (B, 1, D): the output at each row's last valid step (training scores, BPR and
  /// evaluation scores come from `UserVectorRecommender`: ⟨u, E[c]⟩).
  public func userVector(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor {
    CausalHistory.lastValid(encode(history: history, lengths: lengths, batch: batch, length: length), lengths: lengths)
  }
}

extension SASRec: UserVectorRecommender {
  public static let modelName = "SASRec"
  public var itemCount: Int { config.itemCount }
  public var historyMax: Int { config.historyMax }

  public func makeReplica() -> SASRec {
    var scratch = RNG(seed: 0)
    return SASRec(config: config, rng: &scratch)
  }

  public var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { (nil, config) }
}
