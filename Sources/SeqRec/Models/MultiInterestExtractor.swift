import Tensor

/// The multi-interest extractor of TiMiRec (the teacher; ComiRec-SA style self-attention),
/// module `interest_extractor` of the reference code.
///
/// Wang et al., "Target Interest Distillation for Multi-Interest Recommendation", CIKM 2022,
/// eqs. 1 and 12–13, implemented as docs/MODEL.md §3.1 describes the code:
/// ```
/// m_j = 1[h_j > 0]                                         (B, L)
/// x_j = E[h_j] (+ P[(len − j)·m_j] if addPosition)          (B, L, D)
/// x   = TRM(x, m) ⊙ m                     if addTransformer (B, L, D)
/// a   = softmax_L(W2 tanh(W1 x))  with padding masked       (B, K, L)
/// v_k = Σ_j a_kj x_j   (Σ_j a_kj E[h_j] if aggregateRaw)       (B, K, D)
/// ```
/// By default (the reference code) the interests aggregate the same position- and
/// transformer-enhanced x used for the attention logits; with `aggregateRaw` they aggregate
/// the raw item embeddings as the ComiRec baseline does (docs/DECISIONS.md). Padding
/// positions get attention 0.
public struct MultiInterestExtractor: ParameterContainer {
  public let itemEmbeddings: Tensor  // i_embeddings (N, D), row 0 = padding
  public let positionEmbeddings: Tensor?  // p_embeddings (historyMax + 1, D)
  public let attention1: Linear  // W1 (A, D)
  public let attention2: Linear  // W2 (K, A)
  public let transformer: TransformerLayer?
  public let config: TiMiRecConfig

  init(config: TiMiRecConfig, rng: inout RNG) {
    self.config = config
    let d = config.embeddingSize
    let prefix = "interest_extractor"
    itemEmbeddings = Init.normal([config.itemCount, d], name: prefix + ".i_embeddings.weight", rng: &rng)
    positionEmbeddings = config.addPosition
      ? Init.normal([config.historyMax + 1, d], name: prefix + ".p_embeddings.weight", rng: &rng) : nil
    attention1 = Linear(prefix + ".W1", inputs: d, outputs: config.attentionSize, rng: &rng)
    attention2 = Linear(prefix + ".W2", inputs: config.attentionSize, outputs: config.interestCount, rng: &rng)
    transformer = config.addTransformer ? TransformerLayer(prefix + ".transformer", size: d, rng: &rng) : nil
  }

  public var namedParameters: [NamedParameter] {
    var list: [NamedParameter] = [(itemEmbeddings.name, itemEmbeddings)]
    if let positionEmbeddings { list.append((positionEmbeddings.name, positionEmbeddings)) }
    list += attention1.namedParameters + attention2.namedParameters
    if let transformer { list += transformer.namedParameters }
    return list
  }

  /// The extractor's output for a batch of histories.
  public struct Output {
    /// Interest vectors v (B, K, D).
    public let interests: Tensor
    /// Attention weights a (B, K, L): which history slots built each interest (0 on padding).
    public let attention: Tensor
  }

  /// Extracts K interests from each history.
  /// - Parameters:
  ///   - history: (B, L) item ids, oldest first, right-padded with 0.
  ///   - lengths: (B) true lengths, each in 1…L (0 gives zero interests).
  /// - Returns: interests (B, K, D) and attention (B, K, L).
  public func callAsFunction(history: [Int32], lengths: [Int32], batch b: Int, length l: Int) -> Output {
    precondition(history.count == b * l && lengths.count == b,
                 "extractor: history has \(history.count) ids and lengths \(lengths.count) for (B, L) = (\(b), \(l))")
    let k = config.interestCount, d = config.embeddingSize
    let valid = history.map { $0 > 0 }  // (B, L)
    let e = Tensor.embedding(itemEmbeddings, indices: history, shape: [b, l])  // (B, L, D)
    var x = e
    if let positionEmbeddings {
      // Slot j (0-based, oldest first) gets position (len − j)·m_j: newest 1, oldest len, padding 0.
      var positions = [Int32](repeating: 0, count: b * l)
      for row in 0..<b {
        for j in 0..<l where valid[row * l + j] { positions[row * l + j] = lengths[row] - Int32(j) }
      }
      x = x + Tensor.embedding(positionEmbeddings, indices: positions, shape: [b, l])
    }
    let maskColumn = Tensor(shape: [b, l, 1], data: valid.map { $0 ? 1 : 0 })  // (B, L, 1)
    if let transformer {
      var keyMask = [Bool](repeating: false, count: b * l * l)  // (B, L, L): key j valid
      for row in 0..<b {
        for i in 0..<l { for j in 0..<l { keyMask[(row * l + i) * l + j] = valid[row * l + j] } }
      }
      x = transformer(x, keyMask: keyMask)
      // Zeroes the padding slots; with no padding in the batch (every ML-100K history is full)
      // the product is by ones, exactly the identity, so it is skipped.
      if valid.contains(false) { x = x * maskColumn }
    }
    let logits = attention2(attention1(x).tanh()).transpose(1, 2)  // (B, K, L)
    var slotMask = [Bool](repeating: false, count: b * k * l)  // (B, K, L)
    for row in 0..<b {
      for kk in 0..<k { for j in 0..<l { slotMask[(row * k + kk) * l + j] = valid[row * l + j] } }
    }
    let attention = logits.softmax(axis: -1, mask: slotMask)  // (B, K, L)
    let interests = attention.bmm(config.aggregateRaw ? e : x)  // (B, K, D)
    assert(interests.shape == [b, k, d])
    return Output(interests: interests, attention: attention)
  }
}
