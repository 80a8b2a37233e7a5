import Tensor

// ComiRec (ComiRec-SA) — Cen et al., "Controllable Multi-Interest Framework for
// Recommendation", KDD 2020, as the reference code has it (ReChorus branch CIKM22,
// ComiRec.py; docs/MODEL.md §11.4): self-attentive multi-interest extraction on the
// item embeddings, no transformer, diversity λ = 0.
//
//   m_j = 1[h_j > 0]                                             (B, L)
//   e_j = E[h_j];  x_j = e_j (+ P[(len − j)·m_j] if add_pos)      (B, L, D)
//   a   = softmax_L(W2 tanh(W1 x))  with padding masked           (B, K, L)
//   v_k = Σ_j a_kj e_j                                            (B, K, D)
//   train: k* = argmax_k ⟨v_k, E[pos]⟩ (no gradient through the choice), s_c = ⟨v_k*, E[c]⟩
//   eval:  s_c = max_k ⟨v_k, E[c]⟩
//
// Not TiMiRec's extractor with add_trm 0 (MultiInterestExtractor): there the interests
// aggregate the position-enhanced x; here they aggregate the raw item embeddings e, and the
// parameters have no "interest_extractor." prefix. Trained with BPR over one sampled
// negative, Adam, the shared pipeline. Initialisation: every table and linear N(0, 0.01²).
// Hyper-parameters (its docstring command): emb 64, attn 8, add_pos 1, lr 1e-3, l2 1e-6,
// history 20; K is the dataset's (Beauty 4 as in the command, ML-100K 2).
//
// Reproduce (ML-100K):
//   timirec train --model ComiRec --data data/ml-100k --out runs/comirec \
//                 --K 2 --attn-size 8 --add-pos 1 --lr 1e-3 --l2 1e-6 --threads 1

/// ComiRec's hyper-parameters.
public struct ComiRecConfig: ModelConfiguration {
  /// Rows of the item table: max item id + 1 (row 0 is padding).
  public var itemCount: Int
  /// D, embedding size (emb_size, 64).
  public var embeddingSize: Int = 64
  /// A, hidden size of the self-attention (attn_size, 8).
  public var attentionSize: Int = 8
  /// K, number of interests (K, 2).
  public var interestCount: Int = 2
  /// Add position embeddings before the attention (add_pos, 1).
  public var addPosition: Bool = true
  /// Longest history used (history_max, 20).
  public var historyMax: Int = 20

  public static let options = [
    "embeddingSize": "--emb-size", "attentionSize": "--attn-size", "interestCount": "--K", "addPosition": "--add-pos",
    "historyMax": "--history-max",
  ]

  public init(itemCount: Int, embeddingSize: Int = 64, attentionSize: Int = 8, interestCount: Int = 2,
              addPosition: Bool = true, historyMax: Int = 20) {
    self.itemCount = itemCount
    self.embeddingSize = embeddingSize
    self.attentionSize = attentionSize
    self.interestCount = interestCount
    self.addPosition = addPosition
    self.historyMax = historyMax
  }

  public init(itemCount: Int, given: ModelOptions) throws {
    self.init(itemCount: itemCount, embeddingSize: try given.value("--emb-size", default: 64),
              attentionSize: try given.value("--attn-size", default: 8), interestCount: try given.value("--K", default: 2),
              addPosition: try given.flag("--add-pos", default: true), historyMax: try given.value("--history-max", default: 20))
  }

  public func invalidSetting() -> (field: String, requirement: String, value: String)? {
    Self.firstBelowOne([("itemCount", itemCount), ("embeddingSize", embeddingSize), ("attentionSize", attentionSize),
                        ("interestCount", interestCount), ("historyMax", historyMax)])
  }
}

/// The ComiRec model (parameters under the reference's `state_dict` names).
public final class ComiRec: BestMatchRecommender {
  public static let modelName = "ComiRec"
  public let config: ComiRecConfig
  public let itemEmbeddings: Tensor  // i_embeddings.weight (N, D)
  public let positionEmbeddings: Tensor?  // p_embeddings.weight (historyMax + 1, D)
  public let attention1: Linear  // W1 (A, D)
  public let attention2: Linear  // W2 (K, A)

  public init(config: ComiRecConfig, rng: inout RNG) {
    self.config = config
    let d = config.embeddingSize
    itemEmbeddings = Init.normal([config.itemCount, d], name: "i_embeddings.weight", rng: &rng)
    positionEmbeddings = config.addPosition
      ? Init.normal([config.historyMax + 1, d], name: "p_embeddings.weight", rng: &rng) : nil
    attention1 = Linear("W1", inputs: d, outputs: config.attentionSize, rng: &rng)
    attention2 = Linear("W2", inputs: config.attentionSize, outputs: config.interestCount, rng: &rng)
  }

  public var namedParameters: [NamedParameter] {
    var list: [NamedParameter] = [(itemEmbeddings.name, itemEmbeddings)]
    if let positionEmbeddings { list.append((positionEmbeddings.name, positionEmbeddings)) }
    return list + attention1.namedParameters + attention2.namedParameters
  }

  public var itemCount: Int { config.itemCount }
  public var historyMax: Int { config.historyMax }

  /// The K interests of each history and the attention that built them.
  /// - Parameters: history (B, L) right-padded with 0, lengths (B) in 1…L.
  /// - Returns: interests v (B, K, D) and attention a (B, K, L), 0 on padding.
  public func extract(history: [Int32], lengths: [Int32], batch b: Int, length l: Int) -> InterestOutput {
    let k = config.interestCount
    let valid = Baseline.validSlots(history)
    let e = Tensor.embedding(itemEmbeddings, indices: history, shape: [b, l])  // (B, L, D)
    var x = e
    if let positionEmbeddings {
      // Slot j (0-based, oldest first) gets position (len − j)·m_j: newest 1, padding 0.
      var positions = [Int32](repeating: 0, count: b * l)
      for row in 0..<b {
        for j in 0..<l where valid[row * l + j] { positions[row * l + j] = lengths[row] - Int32(j) }
      }
      x = x + Tensor.embedding(positionEmbeddings, indices: positions, shape: [b, l])
    }
    let logits = attention2(attention1(x).tanh()).transpose(1, 2)  // (B, K, L)
    var mask = [Bool](repeating: false, count: b * k * l)
    for row in 0..<b { for kk in 0..<k { for j in 0..<l { mask[(row * k + kk) * l + j] = valid[row * l + j] } } }
    let a = logits.softmax(axis: -1, mask: mask)  // (B, K, L)
    return InterestOutput(interests: a.bmm(e), attention: a)  // v aggregates the raw embeddings
  }

  /// The interests of a training batch (no randomness: `rng` is not used).
  public func trainingInterests(_ input: ModelInput, rng: inout RNG) -> Tensor {
    extract(history: input.history, lengths: input.lengths, batch: input.batchSize, length: input.historyLength).interests
  }

  public func makeReplica() -> ComiRec {
    var scratch = RNG(seed: 0)
    return ComiRec(config: config, rng: &scratch)
  }

  public var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { (nil, config) }
}

extension ComiRec {
  public var interestCount: Int { config.interestCount }
  public var embeddingSize: Int { config.embeddingSize }

  public func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput {
    GradMode.withoutGrad { extract(history: history, lengths: lengths, batch: batch, length: length) }
  }
}
