import Tensor

// TiSASRec — Li, Wang & McAuley, "Time Interval Aware Self-Attention for Sequential
// Recommendation", WSDM 2020, as the reference code (ReChorus, branch CIKM22,
// src/models/sequential/TiSASRec.py) implements it (docs/MODEL.md §12):
//   x_j   = E[h_j]                                   no position added to the input
//   P^K_j = PK[(len − j)·m_j],  P^V_j = PV[…]       positions from the most recent item, added to keys / values
//   r_ij  = min(time_max, ⌊|t_i − t_j| / unit_u⌋)    unit_u = the user's smallest positive gap (≤ 65,535)
//   R^K_ij = TK[r_ij],  R^V_ij = TV[r_ij]            interval embeddings in keys and values (eqs. 3–4)
//   x = TiTRM_n(… TiTRM_1(x) …)                      causal mask (`TimeIntervalTransformerLayer`)
//   u = x_{len−1};  score_c = ⟨u, E[c]⟩              BPR over one sampled negative, Adam
// r_ij is computed as the reference does: the gap and the unit divided in Float32, then
// truncated (the same integer as the exact quotient except within 1 ulp of an integer).
//
// Times: ML-100K's are unix seconds. Beauty's S3-Rec sequences carry none: our `sequences`
// format stores each item's position in the user's line as its time (docs/MODEL.md §1.2),
// so unit_u = 1 and r_ij = |i − j| — TiSASRec there is SASRec with relative-position
// key/value embeddings (the reference given the same files does the same; the paper's Beauty
// had day-resolution review times, so that row is not the paper's setting: MODEL.md §12).
//
// Hyper-parameters (the reference's command, untuned): emb_size 64, num_layers 1,
// num_heads 1, time_max 512, lr 1e-4, l2 1e-6, history_max 20, batch 256, early stop 10.
//
// Reproduce (ML-100K):
//   timirec train --model TiSASRec --data data/ml-100k --out runs/ml100k-tisasrec-s0 \
//                 --lr 1e-4 --l2 1e-6 --num-layers 1 --num-heads 1 --time-max 512 --seed 0

/// TiSASRec's hyper-parameters (defaults: the reference command's values).
public struct TiSASRecConfig: Codable, Equatable, Sendable {
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
  /// Largest interval index; longer intervals are clamped to it (time_max, 512).
  public var timeMax: Int = 512

  public init(itemCount: Int, embeddingSize: Int = 64, layerCount: Int = 1, headCount: Int = 1, historyMax: Int = 20,
              timeMax: Int = 512) {
    self.itemCount = itemCount
    self.embeddingSize = embeddingSize
    self.layerCount = layerCount
    self.headCount = headCount
    self.historyMax = historyMax
    self.timeMax = timeMax
  }

  /// The value the first impossible setting breaks, as (field, requirement, value), or nil.
  /// `timirec train` names the field by its option (``options``).
  public func invalidSetting() -> (field: String, requirement: String, value: String)? {
    if let bad = SASRecConfig(itemCount: itemCount, embeddingSize: embeddingSize, layerCount: layerCount,
                              headCount: headCount, historyMax: historyMax).invalidSetting() { return bad }
    if timeMax < 0 { return ("timeMax", "must be ≥ 0", "\(timeMax)") }
    return nil
  }
}

extension TiSASRecConfig: ModelConfiguration {
  /// TiSASRec's `timirec train` options.
  public static let options = [
    "embeddingSize": "--emb-size", "layerCount": "--num-layers", "headCount": "--num-heads", "historyMax": "--history-max",
    "timeMax": "--time-max",
  ]

  public init(itemCount: Int, given: ModelOptions) throws {
    let d = TiSASRecConfig(itemCount: itemCount)
    self.init(itemCount: itemCount, embeddingSize: try given.value("--emb-size", default: d.embeddingSize),
              layerCount: try given.value("--num-layers", default: d.layerCount),
              headCount: try given.value("--num-heads", default: d.headCount),
              historyMax: try given.value("--history-max", default: d.historyMax),
              timeMax: try given.value("--time-max", default: d.timeMax))
  }
}

/// TiSASRec: SASRec whose attention also sees the time interval between every two history
/// items (the header above gives the equations).
public final class TiSASRec: ParameterContainer {
  public let config: TiSASRecConfig
  public let itemEmbeddings: Tensor  // i_embeddings (N, D)
  public let positionKeys: Tensor  // p_k_embeddings (historyMax + 1, D)
  public let positionValues: Tensor  // p_v_embeddings (historyMax + 1, D)
  public let intervalKeys: Tensor  // t_k_embeddings (timeMax + 1, D)
  public let intervalValues: Tensor  // t_v_embeddings (timeMax + 1, D)
  public let layers: [TimeIntervalTransformerLayer]

  /// A freshly initialised model: embeddings and linear layers N(0, 0.01²), LayerNorm 1/0
  /// (docs/MODEL.md §3.7). - Precondition: `config.invalidSetting()` is nil.
  public init(config: TiSASRecConfig, rng: inout RNG) {
    if let bad = config.invalidSetting() { preconditionFailure("TiSASRec: \(bad.field) \(bad.requirement), got \(bad.value)") }
    self.config = config
    let d = config.embeddingSize
    itemEmbeddings = Init.normal([config.itemCount, d], name: "i_embeddings.weight", rng: &rng)
    positionKeys = Init.normal([config.historyMax + 1, d], name: "p_k_embeddings.weight", rng: &rng)
    positionValues = Init.normal([config.historyMax + 1, d], name: "p_v_embeddings.weight", rng: &rng)
    intervalKeys = Init.normal([config.timeMax + 1, d], name: "t_k_embeddings.weight", rng: &rng)
    intervalValues = Init.normal([config.timeMax + 1, d], name: "t_v_embeddings.weight", rng: &rng)
    layers = (0..<config.layerCount).map {
      TimeIntervalTransformerLayer("transformer_block.\($0)", size: d, heads: config.headCount, rng: &rng)
    }
  }

  public var namedParameters: [NamedParameter] {
    [itemEmbeddings, positionKeys, positionValues, intervalKeys, intervalValues].map { ($0.name, $0) }
      + layers.flatMap(\.namedParameters)
  }

  /// r_ij = min(timeMax, ⌊|t_i − t_j| / unit⌋) for every pair of slots of each row, padding
  /// included (its time is 0, as in the reference; the causal mask keeps it from valid slots).
  /// - Parameters: times (B, L), units (B), each ≥ 1.
  /// - Returns: (B, L, L) interval indices in 0…timeMax.
  public func intervals(times: [Int64], units: [Int64], batch b: Int, length l: Int) -> [Int32] {
    precondition(times.count == b * l && units.count == b,
                 "TiSASRec needs the history's times: got \(times.count) times and \(units.count) units for (B, L) = (\(b), \(l))")
    var out = [Int32](repeating: 0, count: b * l * l)
    let cap = Float(config.timeMax)
    for row in 0..<b {
      let unit = Float(units[row])
      precondition(unit > 0, "time unit \(units[row]) of row \(row) must be positive")
      for i in 0..<l {
        for j in 0..<l {
          let gap = Float((times[row * l + i] - times[row * l + j]).magnitude)
          out[(row * l + i) * l + j] = Int32(min((gap / unit).rounded(.towardZero), cap))
        }
      }
    }
    return out
  }

  /// The encoder's output at every slot (valid slots only are meaningful).
  /// - Parameter input: histories (B, L), lengths (B), and `historyTimes` (B, L) with
  ///   `timeUnits` (B), which `SequenceBatch.modelInput` fills.
  /// - Returns: (B, L, D).
  public func encode(_ input: ModelInput) -> Tensor {
    let b = input.batchSize, l = input.historyLength
    precondition(input.history.count == b * l && input.lengths.count == b,
                 "TiSASRec: history has \(input.history.count) ids and lengths \(input.lengths.count) for (B, L) = (\(b), \(l))")
    let positions = CausalHistory.positions(lengths: input.lengths, batch: b, length: l)
    let pk = Tensor.embedding(positionKeys, indices: positions, shape: [b, l])  // (B, L, D)
    let pv = Tensor.embedding(positionValues, indices: positions, shape: [b, l])
    let r = intervals(times: input.historyTimes, units: input.timeUnits, batch: b, length: l)
    let rk = Tensor.embedding(intervalKeys, indices: r, shape: [b, l, l])  // (B, L, L, D)
    let rv = Tensor.embedding(intervalValues, indices: r, shape: [b, l, l])
    var x = Tensor.embedding(itemEmbeddings, indices: input.history, shape: [b, l])  // (B, L, D)
    let mask = CausalHistory.mask(batch: b, length: l)
    for layer in layers {
      x = layer(x, keyMask: mask, positionKeys: pk, positionValues: pv, intervalKeys: rk, intervalValues: rv)
    }
    return x
  }

  /// u (B, 1, D): the output at each row's last valid step.
  public func userVectors(_ input: ModelInput) -> Tensor {
    CausalHistory.lastValid(encode(input), lengths: input.lengths)
  }

  /// BPR over [positive, negative], gradients recorded (no dropout: the reference runs 0).
  public func trainingLoss(_ input: ModelInput, rng: inout RNG) -> Tensor {
    Baseline.bpr(Baseline.scores(userVectors(input), items: Baseline.candidates(itemEmbeddings, input)))
  }

  /// score[b, c] = ⟨u_b, E[c]⟩, no gradient recorded. - Returns: (B, C).
  public func evaluationScores(_ input: ModelInput) -> Tensor {
    GradMode.withoutGrad {
      Scoring.bestInnerProducts(queries: userVectors(input), table: itemEmbeddings,
                                candidates: input.candidates, candidateCount: input.candidateCount)
    }
  }
}

extension TiSASRec: TrainableRecommender {
  public static let modelName = "TiSASRec"
  public var itemCount: Int { config.itemCount }
  public var historyMax: Int { config.historyMax }

  public func makeReplica() -> TiSASRec {
    var scratch = RNG(seed: 0)
    return TiSASRec(config: config, rng: &scratch)
  }

  public var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { (nil, config) }
}
