import Tensor

// GRU4Rec — Hidasi et al., "Session-based Recommendations with Recurrent Neural Networks",
// ICLR 2016, as the reference code has it (ReChorus branch CIKM22, GRU4Rec.py;
// docs/MODEL.md §11.2):
//
//   h   = GRU(E[history]) at each history's true length      (B, H)
//   u   = W h + b                                             (B, D)   Linear(H → D), "out"
//   s_c = ⟨u, E[c]⟩                                           (B, C)
//
// One item table E scores and reads (the reference's separate prediction table is commented
// out). Trained with BPR over one sampled negative, Adam, the shared pipeline.
// Initialisation: E and `out` N(0, 0.01²); the GRU PyTorch's U(−1/√H, 1/√H).
// Hyper-parameters (its docstring command): emb 64, hidden 128, lr 1e-3, l2 1e-4, history 20.
//
// Reproduce (ML-100K):
//   timirec train --model GRU4Rec --data data/ml-100k --out runs/gru4rec \
//                 --hidden-size 128 --lr 1e-3 --l2 1e-4 --threads 1

/// GRU4Rec's hyper-parameters.
public struct GRU4RecConfig: ModelConfiguration {
  /// Rows of the item table: max item id + 1 (row 0 is padding).
  public var itemCount: Int
  /// D, embedding size (emb_size, 64).
  public var embeddingSize: Int = 64
  /// H, the GRU's hidden size (hidden_size; default 64, its command 128).
  public var hiddenSize: Int = 64
  /// Longest history used (history_max, 20).
  public var historyMax: Int = 20

  public static let options = ["embeddingSize": "--emb-size", "hiddenSize": "--hidden-size", "historyMax": "--history-max"]

  public init(itemCount: Int, embeddingSize: Int = 64, hiddenSize: Int = 64, historyMax: Int = 20) {
    self.itemCount = itemCount
    self.embeddingSize = embeddingSize
    self.hiddenSize = hiddenSize
    self.historyMax = historyMax
  }

  public init(itemCount: Int, given: ModelOptions) throws {
    let d = GRU4RecConfig(itemCount: itemCount)
    self.init(itemCount: itemCount, embeddingSize: try given.value("--emb-size", default: d.embeddingSize),
              hiddenSize: try given.value("--hidden-size", default: d.hiddenSize),
              historyMax: try given.value("--history-max", default: d.historyMax))
  }

  public func invalidSetting() -> (field: String, requirement: String, value: String)? {
    Self.firstBelowOne([("itemCount", itemCount), ("embeddingSize", embeddingSize), ("hiddenSize", hiddenSize),
                        ("historyMax", historyMax)])
  }
}

/// The GRU4Rec model (parameters under the reference's `state_dict` names).
public final class GRU4Rec: UserVectorRecommender {
  public static let modelName = "GRU4Rec"
  public let config: GRU4RecConfig
  public let itemEmbeddings: Tensor  // i_embeddings.weight (N, D)
  public let weightIH: Tensor  // rnn.weight_ih_l0 (3H, D), gates r, z, n
  public let weightHH: Tensor  // rnn.weight_hh_l0 (3H, H)
  public let biasIH: Tensor  // rnn.bias_ih_l0 (3H)
  public let biasHH: Tensor  // rnn.bias_hh_l0 (3H)
  public let out: Linear  // out (D, H)

  public init(config: GRU4RecConfig, rng: inout RNG) {
    self.config = config
    let d = config.embeddingSize, h = config.hiddenSize
    itemEmbeddings = Init.normal([config.itemCount, d], name: "i_embeddings.weight", rng: &rng)
    let bound = 1 / Float(h).squareRoot()
    weightIH = Init.uniform([3 * h, d], bound: bound, name: "rnn.weight_ih_l0", rng: &rng)
    weightHH = Init.uniform([3 * h, h], bound: bound, name: "rnn.weight_hh_l0", rng: &rng)
    biasIH = Init.bias(Init.uniform([3 * h], bound: bound, name: "rnn.bias_ih_l0", rng: &rng))
    biasHH = Init.bias(Init.uniform([3 * h], bound: bound, name: "rnn.bias_hh_l0", rng: &rng))
    out = Linear("out", inputs: h, outputs: d, rng: &rng)
  }

  public var namedParameters: [NamedParameter] {
    [(itemEmbeddings.name, itemEmbeddings), (weightIH.name, weightIH), (weightHH.name, weightHH),
     (biasIH.name, biasIH), (biasHH.name, biasHH)] + out.namedParameters
  }

  public var itemCount: Int { config.itemCount }
  public var historyMax: Int { config.historyMax }

  /// The user vector u = out(GRU(E[history])) (B, 1, D).
  /// - Parameters: history (B, L) right-padded with 0, lengths (B) in 1…L.
  public func userVector(history: [Int32], lengths: [Int32], batch b: Int, length l: Int) -> Tensor {
    let x = Tensor.embedding(itemEmbeddings, indices: history, shape: [b, l])  // (B, L, D)
    let h = Tensor.gru(x, lengths: lengths.map(Int.init), weightIH: weightIH, weightHH: weightHH,
                       biasIH: biasIH, biasHH: biasHH)  // (B, H)
    return out(h).reshape([b, 1, config.embeddingSize])
  }

  public func makeReplica() -> GRU4Rec {
    var scratch = RNG(seed: 0)
    return GRU4Rec(config: config, rng: &scratch)
  }

  public var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { (nil, config) }
}
