import Foundation
import Tensor

// What every recommender implements, and the registry that opens a checkpoint by the
// `model` name in its config.json. A new model is one file: a class conforming to
// `Recommender` (and `MultiInterestRecommender` if the explorer should show its interests),
// plus one entry in `ModelRegistry.factories`. Evaluation (`Evaluator`, `timirec evaluate`)
// and the explorer only see these protocols; the trainer (`Trainer`, `DataParallelStepper`)
// is generic over `TrainableRecommender` (Models/TrainableRecommender.swift). Still
// TiMiRec's own: config.json's `modelConfig` (a `TiMiRecConfig`), `--init`, and the
// `timirec train` command, which builds a TiMiRec.

/// A sequential recommender: scores candidate items for a batch of histories.
public protocol Recommender: AnyObject, ParameterContainer {
  /// The name config.json's `model` field holds for this model, e.g. "TiMiRec".
  static var modelName: String { get }
  /// N, rows of the item table (max item id + 1; row 0 is padding).
  var itemCount: Int { get }
  /// The longest history the model reads (the window).
  var historyMax: Int { get }
  /// Evaluation scores, no gradient recorded, dropout off.
  /// - Parameter input: histories (B, L), lengths (B), candidates (B, C).
  /// - Returns: scores (B, C); higher ranks first (`Scoring.ranks`).
  func evaluationScores(_ input: ModelInput) -> Tensor
}

/// What a multi-interest extractor gives for a batch of histories.
public struct InterestOutput {
  /// v (B, K, D), the interest vectors (eq. 1).
  public var interests: Tensor
  /// a (B, K, L), the attention each interest pays to each history slot (0 on padding).
  public var attention: Tensor

  public init(interests: Tensor, attention: Tensor) {
    self.interests = interests
    self.attention = attention
  }
}

/// A recommender that represents a history by K interest vectors.
public protocol MultiInterestRecommender: Recommender {
  /// K.
  var interestCount: Int { get }
  /// D.
  var embeddingSize: Int { get }
  /// E (N, D): the item embeddings scores are inner products with.
  var itemEmbeddings: Tensor { get }
  /// The temperature T the model was trained with (the explorer's default T; 1 if none).
  var trainingTemperature: Float { get }
  /// Whether ``interestLogits(history:lengths:batch:length:)`` returns z^q.
  var hasInterestLogits: Bool { get }
  /// The interests of each history, no gradient recorded.
  /// - Parameters: history (B, L) right-padded with 0, lengths (B), batch B, length L.
  /// - Returns: interests (B, K, D) and attention (B, K, L).
  func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput
  /// The logits z^q (B, K) over the interests that the model mixes with (eq. 4: w =
  /// softmax(z^q)), no gradient, dropout off; nil for a model (or stage) without them.
  func interestLogits(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor?
}

/// Opens a checkpoint's model by the `model` name of its config.json.
public enum ModelRegistry {
  /// model name → a freshly initialised model of the architecture a checkpoint describes
  /// (weights are loaded afterwards).
  public static let factories: [String: @Sendable (CheckpointConfig) -> any Recommender] = [
    TiMiRec.modelName: { config in
      var rng = RNG(seed: 0)
      return TiMiRec(config: config.modelConfig, stage: config.stage, rng: &rng)
    },
  ]

  /// The names this build opens, sorted.
  public static var names: [String] { factories.keys.sorted() }

  /// The model `config` names, initialised (not loaded).
  /// - Throws: `CheckpointError.unknownModel` when no model of that name is registered.
  public static func make(_ config: CheckpointConfig, file: String) throws -> any Recommender {
    guard let factory = factories[config.model] else {
      throw CheckpointError.unknownModel(file: file, model: config.model)
    }
    return factory(config)
  }
}

extension CheckpointDirectory {
  /// Opens a checkpoint as whatever model its config.json names, for a dataset: the checks
  /// of ``open(_:for:)`` (config.json, the dataset fingerprint, every tensor of
  /// model.safetensors present, used, finite), with the model built by `ModelRegistry`.
  /// `timirec evaluate` and the explorer open checkpoints through this function.
  /// - Returns: the model (best-dev or imported weights, F32) and its configuration.
  /// - Throws: as ``open(_:for:)``; `CheckpointError.unknownModel` for an unregistered name.
  public static func openModel(_ path: String, for fingerprint: DatasetFingerprint) throws
    -> (model: any Recommender, config: CheckpointConfig) {
    let config = try readConfig(path)
    try checkFits(config, path: path, dataset: fingerprint)
    let tensors = try readTensors(path)
    try checkWeightsCanHold(config, tensors, path: path)  // before the model is allocated
    let model = try ModelRegistry.make(config, file: (path as NSString).appendingPathComponent("config.json"))
    try model.loadAllParameters(from: tensors, source: (path as NSString).appendingPathComponent("model.safetensors"))
    return (model, config)
  }
}

extension TiMiRec: MultiInterestRecommender {
  public static let modelName = "TiMiRec"
  public var itemCount: Int { config.itemCount }
  public var historyMax: Int { config.historyMax }
  public var interestCount: Int { config.interestCount }
  public var embeddingSize: Int { config.embeddingSize }
  public var itemEmbeddings: Tensor { extractor.itemEmbeddings }
  public var trainingTemperature: Float { config.temperature }
  /// True for the finetune stage (the predictor gives z^q).
  public var hasInterestLogits: Bool { predictor != nil }

  public func interests(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> InterestOutput {
    GradMode.withoutGrad {
      let out = extractor(history: history, lengths: lengths, batch: batch, length: length)
      return InterestOutput(interests: out.interests, attention: out.attention)
    }
  }

  public func interestLogits(history: [Int32], lengths: [Int32], batch: Int, length: Int) -> Tensor? {
    guard let predictor else { return nil }
    return GradMode.withoutGrad {
      var unused = RNG(seed: 0)  // dropout is off: no mask is drawn
      return predictor(history: history, lengths: lengths, batch: batch, length: length, training: false, rng: &unused)
    }
  }
}
