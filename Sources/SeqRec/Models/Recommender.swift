import Foundation
import Tensor

// What every recommender implements, and the registry that builds a model by the `model`
// name in its config.json. A new model is one file — a class conforming to
// `TrainableRecommender` (and `MultiInterestRecommender` if the explorer should show its
// interests) with a `ModelConfiguration` struct — plus one `ModelEntry` in
// `ModelRegistry.entries` and, if it takes new `timirec train` options, those options in
// TrainCommand. Evaluation (`Evaluator`, `timirec evaluate`) and the explorer only see these
// protocols; the trainer (`Trainer`, `DataParallelStepper`) is generic over
// `TrainableRecommender` (Models/TrainableRecommender.swift). TiMiRec's own: the `stage`
// field and `--init`/`--joint`/`--no-stopgrad`.

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

/// A model's hyper-parameters as config.json's `modelConfig` holds them (one struct per
/// model, decoded according to the `model` field) and as `timirec train` sets them.
public protocol ModelConfiguration: Codable, Equatable, Sendable {
  /// N, rows of the item table: max item id + 1 (row 0 is padding); set from the dataset.
  var itemCount: Int { get set }
  /// The longest history the model reads (history_max).
  var historyMax: Int { get }
  /// Stored field name → the `timirec train` option that sets it, e.g. "interestCount": "--K".
  /// `train` accepts exactly these options for the model (plus the training options, and
  /// `--stage`/`--init`/`--joint` for a model with stages), and `--resume` names changed
  /// settings by them.
  static var options: [String: String] { get }
  /// The configuration `timirec train` builds: `itemCount` from the dataset, every option
  /// of ``options`` that was given from `given`, the rest at the model's defaults.
  /// - Throws: `ModelOptionsError.badValue` for a value that does not parse.
  init(itemCount: Int, given: ModelOptions) throws
  /// The first setting that cannot describe a model, as (field, requirement, value), e.g.
  /// ("interestCount", "must be ≥ 1", "0"); nil when every setting is possible.
  func invalidSetting() -> (field: String, requirement: String, value: String)?
  /// D, the embedding size (emb_size).
  var embeddingSize: Int { get }
  /// A lower bound on the number of weights a model of this configuration holds, computed
  /// without building it; nil when it overflows `Int`. Opening a checkpoint refuses a
  /// config.json whose bound exceeds what model.safetensors holds (docs/INPUTS.md, "Resource
  /// limits"). The default counts the item table, N×D; a model whose other sizes can be
  /// large counts those too.
  func minimumWeightCount(stage: Stage?) -> Int?
}

extension ModelConfiguration {
  /// Whether `other` is a configuration of the same type with equal fields.
  public func isEqual(to other: any ModelConfiguration) -> Bool { (other as? Self) == self }

  /// Decodes this type from `container[key]` (the opener of `any ModelConfiguration.Type`).
  static func decode<K: CodingKey>(from container: KeyedDecodingContainer<K>, forKey key: K) throws -> any ModelConfiguration {
    try container.decode(Self.self, forKey: key)
  }

  /// The first field among `fields` (name, value) below 1.
  public static func firstBelowOne(_ fields: [(String, Int)]) -> (field: String, requirement: String, value: String)? {
    fields.first { $0.1 < 1 }.map { ($0.0, "must be ≥ 1", "\($0.1)") }
  }
}

/// The model options given to `timirec train` (option name with its dashes → the value as
/// typed; a flag's value is "1"). What the command line did not give is absent, and the
/// model's configuration keeps its default there.
public struct ModelOptions: Sendable, Equatable {
  public var given: [String: String]

  public init(_ given: [String: String] = [:]) { self.given = given }

  /// The value of `option` parsed as `T`, or `fallback` when not given.
  /// - Throws: `ModelOptionsError.badValue` when the value does not parse as `T`.
  public func value<T: LosslessStringConvertible>(_ option: String, default fallback: T) throws -> T {
    guard let text = given[option] else { return fallback }
    guard let value = T(text) else { throw ModelOptionsError.badValue(option: option, value: text, expected: "\(T.self)") }
    return value
  }

  /// A 0/1 switch (`--add-pos 1`), or `fallback` when not given.
  /// - Throws: `ModelOptionsError.badValue` for anything but 0 or 1.
  public func flag(_ option: String, default fallback: Bool) throws -> Bool {
    guard let text = given[option] else { return fallback }
    switch text {
    case "0", "false": return false
    case "1", "true": return true
    default: throw ModelOptionsError.badValue(option: option, value: text, expected: "0 or 1")
    }
  }
}

/// Why `timirec train`'s model options cannot build a model.
public enum ModelOptionsError: Error, Equatable, CustomStringConvertible {
  case unknownModel(name: String)
  /// Options that the chosen model does not take.
  case notApplicable(model: String, options: [String], accepted: [String])
  case badValue(option: String, value: String, expected: String)

  public var description: String {
    switch self {
    case let .unknownModel(name):
      return "--model \(name): no such model; choose one of \(ModelRegistry.names.joined(separator: ", "))"
    case let .notApplicable(model, options, accepted):
      let list = options.joined(separator: ", ")
      return "\(list) \(options.count == 1 ? "does" : "do") not apply to \(model) (its model options: \(accepted.joined(separator: ", "))); remove \(options.count == 1 ? "it" : "them") or choose another --model"
    case let .badValue(option, value, expected):
      return "\(option) \(value): expected \(expected)"
    }
  }
}

/// One registered model: its config.json name, configuration type and how to build it.
public struct ModelEntry: Sendable {
  /// config.json's `model` and `timirec train --model` value, e.g. "GRU4Rec".
  public let name: String
  /// The type config.json's `modelConfig` decodes to.
  public let configurationType: any ModelConfiguration.Type
  /// Whether the model has TiMiRec's stages (config.json's `stage` required; `--stage`,
  /// `--init`, `--joint` accepted); a one-stage model has no `stage` field.
  public let hasStages: Bool
  let build: @Sendable (any ModelConfiguration, Stage?, inout RNG) -> (any TrainableRecommender)?

  /// - Parameters:
  ///   - make: a freshly initialised model (from `rng`) of the architecture `config` (and,
  ///     with stages, `stage`) describes.
  public init<C: ModelConfiguration, M: TrainableRecommender>(
    _ model: M.Type, configuration: C.Type, hasStages: Bool = false,
    make: @escaping @Sendable (C, Stage?, inout RNG) -> M) {
    name = M.modelName
    configurationType = C.self
    self.hasStages = hasStages
    build = { config, stage, rng in (config as? C).map { make($0, stage, &rng) } }
  }

  /// The `timirec train` options this model takes (sorted), beyond the training options.
  public var options: [String] {
    var list = Set(configurationType.options.values)
    if hasStages { list.formUnion(["--stage", "--init", "--joint"]) }
    return list.sorted()
  }

  /// The model `config` describes, freshly initialised from `rng`.
  /// - Throws: `CheckpointError.badConfig` when `config` is not this model's configuration type.
  public func make(_ config: any ModelConfiguration, stage: Stage?, rng: inout RNG, file: String = "config.json") throws
    -> any TrainableRecommender {
    guard let model = build(config, stage, &rng) else {
      throw CheckpointError.badConfig(file: file, problem: "modelConfig is a \(type(of: config)), not the configuration of \(name)")
    }
    return model
  }

  /// `timirec train`'s configuration: checks that every given option applies to this model,
  /// then builds the configuration from them.
  /// - Throws: `ModelOptionsError.notApplicable` naming every option the model does not
  ///   take, or `.badValue`.
  public func configuration(itemCount: Int, given: ModelOptions) throws -> any ModelConfiguration {
    let accepted = Set(options)
    let foreign = given.given.keys.filter { !accepted.contains($0) }.sorted()
    if !foreign.isEmpty { throw ModelOptionsError.notApplicable(model: name, options: foreign, accepted: options) }
    return try configurationType.init(itemCount: itemCount, given: given)
  }
}

/// Every model this build can train and open, by the `model` name of config.json.
public enum ModelRegistry {
  /// One entry per model. Adding a model: its file in Models/ and one line here.
  public static let entries: [ModelEntry] = [
    ModelEntry(TiMiRec.self, configuration: TiMiRecConfig.self, hasStages: true) { config, stage, rng in
      TiMiRec(config: config, stage: stage ?? .finetune, rng: &rng)
    },
    ModelEntry(GRU4Rec.self, configuration: GRU4RecConfig.self) { config, _, rng in GRU4Rec(config: config, rng: &rng) },
    ModelEntry(YouTube.self, configuration: YouTubeConfig.self) { config, _, rng in YouTube(config: config, rng: &rng) },
    ModelEntry(ComiRec.self, configuration: ComiRecConfig.self) { config, _, rng in ComiRec(config: config, rng: &rng) },
    ModelEntry(MIND.self, configuration: MINDConfig.self) { config, _, rng in MIND(config: config, rng: &rng) },
  ]

  /// The names this build opens, sorted.
  public static var names: [String] { entries.map(\.name).sorted() }

  /// The entry named `name`, or nil.
  public static func entry(_ name: String) -> ModelEntry? { entries.first { $0.name == name } }

  /// The entry for `timirec train --model NAME`.
  /// - Throws: `ModelOptionsError.unknownModel`.
  public static func entry(named name: String) throws -> ModelEntry {
    guard let entry = entry(name) else { throw ModelOptionsError.unknownModel(name: name) }
    return entry
  }

  /// The model `config` names, initialised (not loaded).
  /// - Throws: `CheckpointError.unknownModel` when no model of that name is registered.
  public static func make(_ config: CheckpointConfig, file: String) throws -> any TrainableRecommender {
    guard let entry = entry(config.model) else {
      throw CheckpointError.unknownModel(file: file, model: config.model)
    }
    var rng = RNG(seed: 0)
    return try entry.make(config.modelConfig, stage: config.stage, rng: &rng, file: file)
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
