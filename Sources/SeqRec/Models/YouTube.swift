import Tensor

// YouTube DNN — Covington et al., "Deep Neural Networks for YouTube Recommendations",
// RecSys 2016, as the reference code has it (ReChorus branch CIKM22, YouTube.py;
// docs/MODEL.md §11.3): the history's mean embedding through one linear layer.
//
//   m   = (Σ_{j<L} E[h_j]) / len        (B, D)  over all L slots of the batch, padding included
//   u   = W m + b                       (B, D)  Linear(D → D), "layer"
//   s_c = ⟨u, E[c]⟩                     (B, C)
//
// As in the reference, the sum runs over the batch's L slots, so each padding slot adds
// E[0] (the padding row, trained like any other row), and divides by the true length.
// Trained with BPR over one sampled negative, Adam, the shared pipeline. Initialisation:
// E and the layer N(0, 0.01²). Hyper-parameters: its argparse defaults (its file has no
// command): emb 64, lr 1e-3, l2 0, history 20.
//
// Reproduce (ML-100K):
//   timirec train --model YouTube --data data/ml-100k --out runs/youtube --lr 1e-3 --l2 0 --threads 1

/// YouTube's hyper-parameters.
public struct YouTubeConfig: ModelConfiguration {
  /// Rows of the item table: max item id + 1 (row 0 is padding).
  public var itemCount: Int
  /// D, embedding size (emb_size, 64).
  public var embeddingSize: Int = 64
  /// Longest history used (history_max, 20).
  public var historyMax: Int = 20

  public static let options = ["embeddingSize": "--emb-size", "historyMax": "--history-max"]

  public init(itemCount: Int, embeddingSize: Int = 64, historyMax: Int = 20) {
    self.itemCount = itemCount
    self.embeddingSize = embeddingSize
    self.historyMax = historyMax
  }

  public init(itemCount: Int, given: ModelOptions) throws {
    self.init(itemCount: itemCount, embeddingSize: try given.value("--emb-size", default: 64),
              historyMax: try given.value("--history-max", default: 20))
  }

  public func invalidSetting() -> (field: String, requirement: String, value: String)? {
    Self.firstBelowOne([("itemCount", itemCount), ("embeddingSize", embeddingSize), ("historyMax", historyMax)])
  }
}

/// The YouTube model (parameters under the reference's `state_dict` names).
public final class YouTube: UserVectorRecommender {
  public static let modelName = "YouTube"
  public let config: YouTubeConfig
  public let itemEmbeddings: Tensor  // i_embeddings.weight (N, D)
  public let layer: Linear  // layer (D, D)

  public init(config: YouTubeConfig, rng: inout RNG) {
    self.config = config
    let d = config.embeddingSize
    itemEmbeddings = Init.normal([config.itemCount, d], name: "i_embeddings.weight", rng: &rng)
    layer = Linear("layer", inputs: d, outputs: d, rng: &rng)
  }

  public var namedParameters: [NamedParameter] { [(itemEmbeddings.name, itemEmbeddings)] + layer.namedParameters }
  public var itemCount: Int { config.itemCount }
  public var historyMax: Int { config.historyMax }

  /// The user vector u = layer(Σ_j E[h_j] / len) (B, 1, D), padding slots included in the sum.
  /// - Parameters: history (B, L) right-padded with 0, lengths (B) in 1…L.
  public func userVector(history: [Int32], lengths: [Int32], batch b: Int, length l: Int) -> Tensor {
    let x = Tensor.embedding(itemEmbeddings, indices: history, shape: [b, l])  // (B, L, D)
    var weights = [Float](repeating: 0, count: b * l)  // (B, 1, L): 1/len on every slot
    for row in 0..<b {
      let inverse = 1 / Float(max(lengths[row], 1))
      for j in 0..<l { weights[row * l + j] = inverse }
    }
    let mean = Tensor(shape: [b, 1, l], data: weights).bmm(x)  // (B, 1, D)
    return layer(mean)
  }

  public func makeReplica() -> YouTube {
    var scratch = RNG(seed: 0)
    return YouTube(config: config, rng: &scratch)
  }

  public var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { (nil, config) }
}
