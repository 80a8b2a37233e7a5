import Tensor

// MIND — Li et al., "Multi-Interest Network with Dynamic Routing for Recommendation at
// Tmall", CIKM 2019, as the reference code has it (ReChorus branch CIKM22, MIND.py;
// docs/MODEL.md §11.5): behaviour-to-interest dynamic routing with a shared bilinear
// map S, then label-aware attention with p = ∞.
//
//   m_j = 1[h_j > 0];  e_j = E[h_j]·m_j;  ê_j = S e_j              (B, L, D)  S: Linear(D, D), no bias
//   b   ~ N(0, 1)                                                 (B, K, L)  drawn at every forward
//   repeat r = 1 … R:
//     w_kj = softmax_k(b)_kj · m_j                                (B, K, L)  softmax over the capsules
//     v_k  = squash(Σ_j w_kj ê_j)                                 (B, K, D)
//     b_kj += ⟨ê_j, v_k⟩                                          (r < R only)
//   squash(z) = z · |z|² / (1 + |z|²) / √(|z|² + 1e-9)
//   train: k* = argmax_k ⟨v_k, E[pos]⟩ (no gradient through it), s_c = ⟨v_k*, E[c]⟩
//   eval:  s_c = max_k ⟨v_k, E[c]⟩
//
// As in the reference, the routing iterations read ê detached, so the coupling w is a
// constant for the gradient: it reaches S and E only through the last iteration's Σ_j w_kj ê_j.
// The routing logits b are random at every forward, as the reference draws them:
//   training   from the step's generator (`trainingLoss`'s rng: the trainer's per-epoch,
//              per-worker stream), so a run is reproducible from its seed;
//   evaluation from a generator seeded by the row's own history (FNV-1a of its item ids), so
//              a user's scores do not depend on the batch it is in, evaluating twice gives the
//              same metrics, and no state is shared between threads. Padding slots draw too
//              but never matter (ê_j = 0 and w_kj = 0 there).
// Trained with BPR over one sampled negative, Adam, the shared pipeline. Initialisation:
// E and S N(0, 0.01²). Hyper-parameters: its argparse defaults (its file has no command):
// emb 64, K 2, 3 iterations, p = ∞, no ReLU layer, lr 1e-3, l2 0, history 20.
//
// Reproduce (ML-100K):
//   timirec train --model MIND --data data/ml-100k --out runs/mind --K 2 --iterations 3 --lr 1e-3 --l2 0 --threads 1

/// MIND's hyper-parameters.
public struct MINDConfig: ModelConfiguration {
  /// Rows of the item table: max item id + 1 (row 0 is padding).
  public var itemCount: Int
  /// D, embedding size (emb_size, 64).
  public var embeddingSize: Int = 64
  /// K, number of interest capsules (K, 2).
  public var interestCount: Int = 2
  /// R, dynamic-routing iterations (iterations, 3).
  public var iterations: Int = 3
  /// Longest history used (history_max, 20).
  public var historyMax: Int = 20

  public static let options = [
    "embeddingSize": "--emb-size", "interestCount": "--K", "iterations": "--iterations", "historyMax": "--history-max",
  ]

  public init(itemCount: Int, embeddingSize: Int = 64, interestCount: Int = 2, iterations: Int = 3, historyMax: Int = 20) {
    self.itemCount = itemCount
    self.embeddingSize = embeddingSize
    self.interestCount = interestCount
    self.iterations = iterations
    self.historyMax = historyMax
  }

  public init(itemCount: Int, given: ModelOptions) throws {
    self.init(itemCount: itemCount, embeddingSize: try given.value("--emb-size", default: 64),
              interestCount: try given.value("--K", default: 2), iterations: try given.value("--iterations", default: 3),
              historyMax: try given.value("--history-max", default: 20))
  }

  public func invalidSetting() -> (field: String, requirement: String, value: String)? {
    Self.firstBelowOne([("itemCount", itemCount), ("embeddingSize", embeddingSize), ("interestCount", interestCount),
                        ("iterations", iterations), ("historyMax", historyMax)])
  }
}

/// The MIND model (parameters under the reference's `state_dict` names).
public final class MIND: BestMatchRecommender {
  public static let modelName = "MIND"
  public let config: MINDConfig
  public let itemEmbeddings: Tensor  // i_embeddings.weight (N, D)
  public let bilinear: Tensor  // routing.S.weight (D, D), no bias

  public init(config: MINDConfig, rng: inout RNG) {
    self.config = config
    let d = config.embeddingSize
    itemEmbeddings = Init.normal([config.itemCount, d], name: "i_embeddings.weight", rng: &rng)
    bilinear = Init.normal([d, d], name: "routing.S.weight", rng: &rng)
  }

  public var namedParameters: [NamedParameter] { [(itemEmbeddings.name, itemEmbeddings), (bilinear.name, bilinear)] }
  public var itemCount: Int { config.itemCount }
  public var historyMax: Int { config.historyMax }

  /// squash(z) = z · |z|² / (1 + |z|²) / √(|z|² + 1e-9) over the last axis.
  static func squash(_ z: Tensor) -> Tensor {
    let squared = (z * z).sum(axis: -1, keepDims: true)
    return z * (squared / (squared + 1) / (squared + 1e-9).sqrt())
  }

  /// Evaluation routing logits (B, K, L): row b from RNG(seed: FNV-1a of its valid item
  /// ids), drawn slot by slot (K per slot) so a longer batch window only appends draws.
  static func evaluationLogits(history: [Int32], lengths: [Int32], batch b: Int, length l: Int, k: Int) -> [Float] {
    var out = [Float](repeating: 0, count: b * k * l)
    for row in 0..<b {
      var hash: UInt64 = 0xCBF2_9CE4_8422_2325
      for j in 0..<l where history[row * l + j] > 0 {
        var id = UInt32(bitPattern: history[row * l + j])
        for _ in 0..<4 {
          hash = (hash ^ UInt64(id & 0xFF)) &* 0x0000_0100_0000_01B3
          id >>= 8
        }
      }
      var rng = RNG(seed: hash)
      for j in 0..<l { for kk in 0..<k { out[(row * k + kk) * l + j] = rng.normal() } }
    }
    return out
  }

  /// The interest capsules of each history (eq. of the header) and the final coupling.
  /// - Parameters:
  ///   - history: (B, L) right-padded with 0; lengths (B).
  ///   - logits: the initial routing logits b (B, K, L), row-major.
  /// - Returns: capsules v (B, K, D) and coupling w (B, K, L), 0 on padding.
  public func capsules(history: [Int32], batch b: Int, length l: Int, logits: [Float]) -> InterestOutput {
    let k = config.interestCount, d = config.embeddingSize
    precondition(logits.count == b * k * l, "MIND: \(logits.count) routing logits for (B, K, L) = (\(b), \(k), \(l))")
    let valid = Baseline.validSlots(history)
    let maskColumn = Tensor(shape: [b, l, 1], data: valid.map { $0 ? 1 : 0 })
    let low = Tensor.embedding(itemEmbeddings, indices: history, shape: [b, l]) * maskColumn  // (B, L, D)
    let mapped = low.linear(weight: bilinear, bias: nil)  // ê (B, L, D)
    let slotMask = Tensor(shape: [b, 1, l], data: valid.map { $0 ? 1 : 0 })
    // Routing on the detached ê: the coupling is a constant for the gradient.
    let coupling: Tensor = GradMode.withoutGrad {
      let fixed = mapped.detach()
      var routing = Tensor(shape: [b, k, l], data: logits)
      for _ in 1..<max(config.iterations, 1) {
        let w = routing.softmax(axis: 1) * slotMask  // (B, K, L)
        let v = MIND.squash(w.bmm(fixed))  // (B, K, D)
        routing = routing + v.bmm(fixed, transposeOther: true)  // (B, K, L)
      }
      return routing.softmax(axis: 1) * slotMask
    }
    let v = MIND.squash(coupling.bmm(mapped))  // (B, K, D)
    assert(v.shape == [b, k, d])
    return InterestOutput(interests: v, attention: coupling)
  }

  /// The capsules of a training batch with routing logits drawn from `rng`, (B, K, L)
  /// row-major.
  public func trainingInterests(_ input: ModelInput, rng: inout RNG) -> Tensor {
    let count = input.batchSize * config.interestCount * input.historyLength
    return capsules(history: input.history, batch: input.batchSize, length: input.historyLength,
                    logits: (0..<count).map { _ in rng.normal() }).interests
  }

  public func makeReplica() -> MIND {
    var scratch = RNG(seed: 0)
    return MIND(config: config, rng: &scratch)
  }

  public var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { (nil, config) }
}

extension MIND {
  public var interestCount: Int { config.interestCount }
  public var embeddingSize: Int { config.embeddingSize }

  /// The capsules with the evaluation draws (seeded by each row's history); `attention` is
  /// the final coupling w (B, K, L), which sums to 1 over the capsules of a slot.
  public func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput {
    GradMode.withoutGrad {
      capsules(history: history, batch: batch, length: length,
               logits: MIND.evaluationLogits(history: history, lengths: lengths, batch: batch, length: length,
                                             k: config.interestCount))
    }
  }
}
