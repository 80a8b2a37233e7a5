import Tensor

// TiMiRec — Wang et al., "Target Interest Distillation for Multi-Interest Recommendation",
// CIKM 2022 (reference code ReChorus branch CIKM22,
// src/models/sequential/TiMiRec.py; described in docs/MODEL.md §3).
//
// Stages:
//   pretrain  trains the multi-interest extractor alone ("ComiRec+" with the transformer):
//             each positive picks its best interest by dot product (eq. 2).
//   finetune  trains extractor + predictor + proj together ("TiMiRec+"): interests mixed by
//             softmax(z^q) (eq. 4), loss BPR (eq. 10) + T²·KL(p_T ‖ q_T) (eqs. 5–9, 11; MODEL.md §3.4).
//
// Reproduce (Beauty, docs/MODEL.md §3.8):
//   timirec train --data data/beauty --out runs/beauty-pre --stage pretrain --K 4 --lr 1e-4 --l2 1e-6
//   timirec train --data data/beauty --out runs/beauty-fine --stage finetune --init runs/beauty-pre \
//                 --K 4 --lr 1e-4 --l2 1e-6 --temp 0.1 --n-layers 1

/// Which part of TiMiRec is trained (docs/MODEL.md §3.3–3.4).
public enum Stage: String, Codable, Sendable, CaseIterable {
  /// The extractor alone, best-matching interest per positive (ComiRec+).
  case pretrain
  /// Extractor, predictor and proj jointly, with target-interest distillation (TiMiRec+).
  case finetune
}

/// TiMiRec's hyper-parameters (defaults from docs/MODEL.md §3.6).
public struct TiMiRecConfig: Codable, Equatable, Sendable {
  /// Rows of the item tables: max item id + 1 (row 0 is padding).
  public var itemCount: Int
  /// D, embedding size (emb_size, 64).
  public var embeddingSize: Int = 64
  /// A, hidden size of the self-attention (attn_size, 8).
  public var attentionSize: Int = 8
  /// K, number of interests (K, 2).
  public var interestCount: Int = 2
  /// Add position embeddings to the history (add_pos, 1).
  public var addPosition: Bool = true
  /// Run the transformer layer before the attention (add_trm, 1).
  public var addTransformer: Bool = true
  /// Interests aggregate the raw item embeddings E[h], as the ComiRec baseline does, while
  /// positions and the transformer shape only the attention (`--aggregate-raw 1`); false
  /// (the reference code, and the default) aggregates the enhanced x the attention reads.
  /// Not in the reference code: TiMiRec's table recipes without the transformer use it
  /// (docs/DECISIONS.md, "Plain TiMiRec's extractor is ComiRec's"). Checkpoints written
  /// before it existed read as false.
  public var aggregateRaw: Bool = false
  /// Longest history used (history_max, 20).
  public var historyMax: Int = 20
  /// T, distillation temperature (temp, 1).
  public var temperature: Float = 1
  /// Layers of the proj MLP (n_layers, 1).
  public var projectionLayers: Int = 1
  /// Detach the teacher p_T (true, as the paper); false is Table 4's "w/o stopgrad".
  public var stopGradient: Bool = true

  public init(itemCount: Int, embeddingSize: Int = 64, attentionSize: Int = 8, interestCount: Int = 2,
              addPosition: Bool = true, addTransformer: Bool = true, aggregateRaw: Bool = false, historyMax: Int = 20,
              temperature: Float = 1, projectionLayers: Int = 1, stopGradient: Bool = true) {
    self.itemCount = itemCount
    self.embeddingSize = embeddingSize
    self.attentionSize = attentionSize
    self.interestCount = interestCount
    self.addPosition = addPosition
    self.addTransformer = addTransformer
    self.aggregateRaw = aggregateRaw
    self.historyMax = historyMax
    self.temperature = temperature
    self.projectionLayers = projectionLayers
    self.stopGradient = stopGradient
  }
}

extension TiMiRecConfig {
  enum CodingKeys: String, CodingKey {
    case itemCount, embeddingSize, attentionSize, interestCount, addPosition, addTransformer, aggregateRaw, historyMax,
         temperature, projectionLayers, stopGradient
  }

  /// Decodes every field as written; `aggregateRaw`, added later, is false when absent (a
  /// checkpoint written before it aggregated the enhanced x).
  /// - Throws: `DecodingError` naming the missing or mistyped field.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    self.init(itemCount: try c.decode(Int.self, forKey: .itemCount),
              embeddingSize: try c.decode(Int.self, forKey: .embeddingSize),
              attentionSize: try c.decode(Int.self, forKey: .attentionSize),
              interestCount: try c.decode(Int.self, forKey: .interestCount),
              addPosition: try c.decode(Bool.self, forKey: .addPosition),
              addTransformer: try c.decode(Bool.self, forKey: .addTransformer),
              aggregateRaw: try c.decodeIfPresent(Bool.self, forKey: .aggregateRaw) ?? false,
              historyMax: try c.decode(Int.self, forKey: .historyMax),
              temperature: try c.decode(Float.self, forKey: .temperature),
              projectionLayers: try c.decode(Int.self, forKey: .projectionLayers),
              stopGradient: try c.decode(Bool.self, forKey: .stopGradient))
  }

  /// The defaults above for no dataset yet (`itemCount` 0: the dataset sets it); what the
  /// CLI's options default to.
  public static let defaults = TiMiRecConfig(itemCount: 0)
}

/// A batch as the model sees it: histories, their lengths and candidate items.
public struct ModelInput {
  /// (B, L) item ids, oldest first, right-padded with 0.
  public var history: [Int32]
  /// (B) true history lengths.
  public var lengths: [Int32]
  /// (B, C) candidates; column 0 is the positive (training: [positive, negative]).
  public var candidates: [Int32]
  public var batchSize: Int
  public var historyLength: Int
  public var candidateCount: Int
  /// (B, L) times of the history items, right-padded with 0, or empty when the batch has
  /// none (TiSASRec needs them; `SequenceBatch.modelInput` always fills them).
  public var historyTimes: [Int64] = []
  /// (B) each row's time unit (`SequenceCorpus.timeUnit(user:)`), or empty with `historyTimes`.
  public var timeUnits: [Int64] = []

  public init(history: [Int32], lengths: [Int32], candidates: [Int32], batchSize: Int, historyLength: Int, candidateCount: Int) {
    precondition(history.count == batchSize * historyLength && lengths.count == batchSize
                 && candidates.count == batchSize * candidateCount,
                 "ModelInput: (B, L, C) = (\(batchSize), \(historyLength), \(candidateCount)) does not fit \(history.count) history ids, \(lengths.count) lengths, \(candidates.count) candidates")
    self.history = history
    self.lengths = lengths
    self.candidates = candidates
    self.batchSize = batchSize
    self.historyLength = historyLength
    self.candidateCount = candidateCount
  }
}

/// The TiMiRec model: extractor, and for the finetune stage the predictor with its proj MLP.
public final class TiMiRec: ParameterContainer {
  public let config: TiMiRecConfig
  public let stage: Stage
  public let extractor: MultiInterestExtractor
  /// Nil in the pretrain stage.
  public let predictor: InterestPredictor?

  /// A freshly initialised model (docs/MODEL.md §3.7).
  public init(config: TiMiRecConfig, stage: Stage, rng: inout RNG) {
    self.config = config
    self.stage = stage
    extractor = MultiInterestExtractor(config: config, rng: &rng)
    predictor = stage == .finetune ? InterestPredictor(config: config, rng: &rng) : nil
  }

  /// Parameters in `state_dict` order with their reference names (docs/MODEL.md §8).
  public var namedParameters: [NamedParameter] {
    extractor.namedParameters + (predictor?.namedParameters ?? [])
  }

  /// Everything a training step needs.
  public struct TrainOutput {
    /// Scores (B, C) of the candidates.
    public let scores: Tensor
    /// The recommendation loss (BPR, eq. 10), scalar.
    public let recommendationLoss: Tensor
    /// T²·KL(p_T ‖ q_T), scalar (finetune only).
    public let distillationLoss: Tensor?
    /// The training objective: recommendation + distillation, scalar.
    public let loss: Tensor
    /// z^q (B, K), the predictor's logits (finetune only).
    public let predictedLogits: Tensor?
    /// z^p (B, K) = cos(v_k, i_pos) before /T (finetune only).
    public let teacherSimilarities: Tensor?
  }

  /// Item embeddings of the candidates, (B, C, D).
  func candidateEmbeddings(_ input: ModelInput) -> Tensor {
    Tensor.embedding(extractor.itemEmbeddings, indices: input.candidates, shape: [input.batchSize, input.candidateCount])
  }

  /// Training forward and loss for one batch (dropout on).
  ///
  /// pretrain: k* = argmax_k ⟨v_k, e_pos⟩ (no gradient through the choice), score_c = ⟨v_k*, e_c⟩.
  /// finetune: u = Σ_k softmax(z^q)_k v_k, score_c = ⟨u, e_c⟩; loss adds
  /// T²·KL(softmax(z^p/T) ‖ softmax(z^q/T)) (batchmean), z^p = cos(v_k, e_pos) detached
  /// unless `config.stopGradient` is false.
  /// - Parameter input: C must be 2 ([positive, negative]), where ReChorus' loss is BPR (§3.5).
  public func trainForward(_ input: ModelInput, rng: inout RNG) -> TrainOutput {
    precondition(input.candidateCount == 2, "trainForward: expects [positive, negative] (C = 2), got C = \(input.candidateCount)")
    let b = input.batchSize, d = config.embeddingSize
    let v = extractor(history: input.history, lengths: input.lengths, batch: b, length: input.historyLength).interests  // (B, K, D)
    let items = candidateEmbeddings(input)  // (B, C, D)
    let positive = items.narrow(axis: 1, start: 0, length: 1)  // (B, 1, D)
    let scores: Tensor
    var distillation: Tensor? = nil
    var logits: Tensor? = nil
    var similarities: Tensor? = nil
    switch stage {
    case .pretrain:
      let match = GradMode.withoutGrad { v.bmm(positive, transposeOther: true) }  // (B, K, 1)
      let best = match.argmax(axis: 1)  // (B)
      var index = [Int](repeating: 0, count: b * d)
      for row in 0..<b { for j in 0..<d { index[row * d + j] = best[row] } }
      let u = v.gather(axis: 1, indices: index, count: 1)  // (B, 1, D)
      scores = u.bmm(items, transposeOther: true).reshape([b, input.candidateCount])  // (B, C)
    case .finetune:
      guard let predictor else { preconditionFailure("finetune model without predictor") }
      let z = predictor(history: input.history, lengths: input.lengths, batch: b,
                        length: input.historyLength, training: true, rng: &rng)  // (B, K)
      let u = Scoring.mixedInterest(v, weights: Scoring.mixWeights(z))  // (B, 1, D), eq. 4
      scores = u.bmm(items, transposeOther: true).reshape([b, input.candidateCount])  // (B, C)
      let teacherInput = config.stopGradient ? v.detach() : v
      let teacherItem = config.stopGradient ? positive.detach() : positive
      let cosine = Tensor.cosineSimilarity(teacherInput, teacherItem, axis: -1)  // (B, K)
      let t = config.temperature
      let p = Scoring.mixWeights(cosine / t)  // p_T (B, K), eq. 7
      let logQ = (z / t).logSoftmax(axis: 1)  // (B, K)
      distillation = Tensor.klDivergenceBatchMean(target: p, logProbabilities: logQ) * (t * t)
      logits = z
      similarities = cosine
    }
    let split = scores.split([1, 1], axis: 1)
    let rec = bprLoss(positive: split[0], negative: split[1])
    let loss = distillation.map { rec + $0 } ?? rec
    return TrainOutput(scores: scores, recommendationLoss: rec, distillationLoss: distillation, loss: loss,
                       predictedLogits: logits, teacherSimilarities: similarities)
  }

  /// Evaluation scores (no gradient recorded, dropout off), by the rules in `Scoring`.
  ///
  /// pretrain: score_c = max_k ⟨v_k, e_c⟩ (eq. 2, each candidate its best interest).
  /// finetune: score_c = ⟨Σ_k softmax(z^q)_k v_k, e_c⟩ (eq. 4, no temperature).
  /// - Returns: scores (B, C).
  public func evaluationScores(_ input: ModelInput) -> Tensor {
    GradMode.withoutGrad {
      Scoring.bestInnerProducts(queries: evaluationQueries(input), table: extractor.itemEmbeddings,
                                candidates: input.candidates, candidateCount: input.candidateCount)
    }
  }

  /// The queries of ``evaluationScores(_:)`` (`Scoring.evaluationQueries`): the interests v
  /// (B, K, D) in the pretrain stage, the mixed interest u (B, 1, D) in the finetune stage.
  /// No gradient recorded, dropout off.
  public func evaluationQueries(_ input: ModelInput) -> Tensor {
    GradMode.withoutGrad {
      let b = input.batchSize
      let v = extractor(history: input.history, lengths: input.lengths, batch: b, length: input.historyLength).interests
      var unused = RNG(seed: 0)  // dropout is off: no mask is drawn
      let z = predictor?.callAsFunction(history: input.history, lengths: input.lengths, batch: b,
                                        length: input.historyLength, training: false, rng: &unused)
      return Scoring.evaluationQueries(interests: v, logits: z)
    }
  }
}

// MARK: - Weights in and out (docs/MODEL.md §8 names)

/// Why a set of weights does not fit a model.
public enum WeightsError: Error, Equatable, CustomStringConvertible {
  /// A parameter of the model has no tensor in the file.
  case missing(name: String, source: String)
  /// A tensor in the file is not a parameter of the model; `others` more such tensors follow.
  case unexpected(name: String, others: Int, source: String)
  case shapeMismatch(name: String, expected: [Int], found: [Int], source: String)
  /// The tensor holds integers or booleans (F16, BF16, F32 and F64 are accepted).
  case notFloatingPoint(name: String, dtype: String, source: String)
  /// A NaN or ±infinity at flat (row-major) index `index`.
  case nonFinite(name: String, index: Int, value: Float, source: String)

  public var description: String {
    switch self {
    case let .missing(name, source):
      return "\(source): no tensor '\(name)'; the weights were saved by a different model or configuration (check K, add_pos, add_trm, n_layers and stage in config.json)"
    case let .unexpected(name, others, source):
      let more = others > 0 ? " (and \(others) more)" : ""
      return "\(source): tensor '\(name)'\(more) is not a parameter of the model config.json describes; the configuration and the weights disagree (check add_pos, add_trm, n_layers and stage)"
    case let .shapeMismatch(name, expected, found, source):
      return "\(source): tensor '\(name)' has shape \(found), the model expects \(expected); does config.json describe these weights (K, emb_size, attn_size), and were they trained on this dataset?"
    case let .notFloatingPoint(name, dtype, source):
      return "\(source): tensor '\(name)' holds \(dtype), not floating-point weights; save the model's float weights (F32, F16, BF16 or F64)"
    case let .nonFinite(name, index, value, source):
      return "\(source): tensor '\(name)' holds \(value) at index \(index); non-finite weights cannot be used (did training diverge?); retrain or export the weights again"
    }
  }
}

/// Strict reading of a weights file against a list of expected tensors.
public enum StrictWeights {
  /// The values of every expected tensor, checked in this order: each expected name is
  /// present, has its shape, holds a floating-point dtype (F16, BF16 and F64 are converted to
  /// F32) and only finite values; then no tensor of the file is left unused.
  /// - Parameters:
  ///   - file: the weights.
  ///   - expected: (name, shape) of every tensor the file must hold.
  ///   - source: the file's path, for messages.
  /// - Returns: name → F32 values (row-major).
  /// - Throws: `WeightsError` naming the first offending tensor.
  public static func values(of file: SafeTensorsFile, expected: [(name: String, shape: [Int])],
                            source: String) throws -> [String: [Float]] {
    var out: [String: [Float]] = [:]
    for (name, shape) in expected {
      guard let stored = file.tensors[name] else { throw WeightsError.missing(name: name, source: source) }
      out[name] = try checked(stored, name: name, shape: shape, source: source)
    }
    let unused = file.tensors.keys.filter { out[$0] == nil }.sorted()
    if let first = unused.first {
      throw WeightsError.unexpected(name: first, others: unused.count - 1, source: source)
    }
    return out
  }

  /// One tensor's values after the shape, dtype and finiteness checks.
  /// - Throws: `WeightsError.shapeMismatch`, `.notFloatingPoint` or `.nonFinite`.
  public static func checked(_ stored: SafeTensor, name: String, shape: [Int], source: String) throws -> [Float] {
    guard stored.shape == shape else {
      throw WeightsError.shapeMismatch(name: name, expected: shape, found: stored.shape, source: source)
    }
    guard let values = stored.floats else {
      throw WeightsError.notFloatingPoint(name: name, dtype: stored.dtype.rawValue, source: source)
    }
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw WeightsError.nonFinite(name: name, index: bad, value: values[bad], source: source)
    }
    return values
  }
}

extension ParameterContainer {
  /// Overwrites every parameter with the tensor of the same name (after `prefix`) in `file`,
  /// ignoring the file's other tensors (the fixture tests read one stage out of a file of
  /// several). Opening a checkpoint uses ``loadAllParameters(from:source:)`` instead.
  /// - Parameter required: whether a parameter absent from `file` is an error; when false
  ///   it keeps its current value.
  /// - Returns: the names that were loaded.
  /// - Throws: `WeightsError` naming the first missing, mis-shaped, non-float or non-finite
  ///   tensor; the model is left untouched when anything is wrong.
  @discardableResult
  public func loadParameters(from file: SafeTensorsFile, prefix: String = "", required: Bool = true,
                             source: String = "checkpoint") throws -> [String] {
    var updates: [(Tensor, [Float])] = []
    for (name, tensor) in namedParameters {
      guard let stored = file.tensors[prefix + name] else {
        if required { throw WeightsError.missing(name: prefix + name, source: source) }
        continue
      }
      updates.append((tensor, try StrictWeights.checked(stored, name: prefix + name, shape: tensor.shape, source: source)))
    }
    for (tensor, values) in updates { tensor.data = values }
    return updates.map(\.0.name)
  }

  /// Strict loading: every parameter present under its own name with its shape, every
  /// tensor of `file` a parameter, every value finite; F16/BF16/F64 become F32.
  /// - Parameter source: the file's path, for messages.
  /// - Throws: `WeightsError` naming the first offending tensor; the model is left
  ///   untouched then.
  public func loadAllParameters(from file: SafeTensorsFile, source: String) throws {
    let parameters = namedParameters
    let values = try StrictWeights.values(of: file, expected: parameters.map { ($0.name, $0.tensor.shape) }, source: source)
    for (name, tensor) in parameters { tensor.data = values[name]! }
  }

  /// Every parameter as an F32 safetensors entry under its reference name.
  public func parameterTensors() -> [String: SafeTensor] {
    var out: [String: SafeTensor] = [:]
    for (name, tensor) in namedParameters { out[name] = SafeTensor(shape: tensor.shape, floats: tensor.data) }
    return out
  }
}
