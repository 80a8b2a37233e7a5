import Tensor

/// The target-interest predictor of TiMiRec (the student): its own item table and a GRU
/// (module `interest_predictor`), followed by the `proj` MLP that gives logits z^q over the
/// K interests.
///
/// Wang et al., CIKM 2022, eqs. 3 and 14–15; docs/MODEL.md §3.2 (the code's version):
/// ```
/// h   = GRU(E'[history])  at each sequence's true length      (B, D)
/// z^q = proj(h)                                                 (B, K)
/// proj = [Linear(D→D), Dropout(0.5), ReLU] × (nLayers − 1), then Linear(D→K)
/// ```
/// E' has N + 1 rows (one spare row, unused), as in the reference. Dropout is active only
/// in training mode.
public struct InterestPredictor: ParameterContainer {
  public let itemEmbeddings: Tensor  // interest_predictor.i_embeddings (N + 1, D)
  public let weightIH: Tensor  // rnn.weight_ih_l0 (3H, D), gates r, z, n
  public let weightHH: Tensor  // rnn.weight_hh_l0 (3H, H)
  public let biasIH: Tensor  // rnn.bias_ih_l0 (3H)
  public let biasHH: Tensor  // rnn.bias_hh_l0 (3H)
  public let hidden: [Linear]  // proj.proj_i (D, D), i < nLayers − 1
  public let final: Linear  // proj.proj_final (K, D)

  init(config: TiMiRecConfig, rng: inout RNG) {
    let d = config.embeddingSize
    itemEmbeddings = Init.normal([config.itemCount + 1, d], name: "interest_predictor.i_embeddings.weight", rng: &rng)
    let bound = 1 / Float(d).squareRoot()
    weightIH = Init.uniform([3 * d, d], bound: bound, name: "interest_predictor.rnn.weight_ih_l0", rng: &rng)
    weightHH = Init.uniform([3 * d, d], bound: bound, name: "interest_predictor.rnn.weight_hh_l0", rng: &rng)
    biasIH = Init.bias(Init.uniform([3 * d], bound: bound, name: "interest_predictor.rnn.bias_ih_l0", rng: &rng))
    biasHH = Init.bias(Init.uniform([3 * d], bound: bound, name: "interest_predictor.rnn.bias_hh_l0", rng: &rng))
    hidden = (0..<max(config.projectionLayers - 1, 0)).map {
      Linear("proj.proj_\($0)", inputs: d, outputs: d, rng: &rng)
    }
    final = Linear("proj.proj_final", inputs: d, outputs: config.interestCount, rng: &rng)
  }

  public var namedParameters: [NamedParameter] {
    [(itemEmbeddings.name, itemEmbeddings), (weightIH.name, weightIH), (weightHH.name, weightHH),
     (biasIH.name, biasIH), (biasHH.name, biasHH)]
      + hidden.flatMap(\.namedParameters) + final.namedParameters
  }

  /// Predicts the logits z^q of the target-interest distribution.
  /// - Parameters:
  ///   - history: (B, L) item ids, right-padded with 0; lengths (B).
  ///   - training: enables Dropout(0.5) inside `proj` (nLayers ≥ 2 only).
  ///   - rng: draws the dropout masks.
  /// - Returns: z^q (B, K).
  public func callAsFunction(
    history: [Int32], lengths: [Int32], batch b: Int, length l: Int, training: Bool, rng: inout RNG
  ) -> Tensor {
    // GRU(E'[history]) with the embedding lookup fused into the GRU op: the input projection
    // is computed once per distinct item of the batch (the same result as
    // `Tensor.gru(Tensor.embedding(…), …)` up to float rounding; GRUTests).
    var h = Tensor.gru(table: itemEmbeddings, history: history, batch: b, length: l, lengths: lengths.map(Int.init),
                       weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)  // (B, D)
    for layer in hidden {
      h = layer(h).dropout(p: 0.5, training: training, rng: &rng).relu()
    }
    return final(h)  // (B, K)
  }
}
