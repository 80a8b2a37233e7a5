import Foundation
import Tensor

/// Training settings (defaults from docs/MODEL.md §3.6; early stopping from docs/MODEL.md §2).
public struct TrainingConfig: Codable, Equatable, Sendable {
  /// Adam learning rate (lr, 1e-3).
  public var learningRate: Float = 1e-3
  /// Classic L2 weight decay on every parameter whose name lacks "bias" (l2, 0).
  public var l2: Float = 0
  /// Training instances per step (batch_size, 256).
  public var batchSize: Int = 256
  /// Dev/test rows per scoring batch (eval_batch_size, 256).
  public var evalBatchSize: Int = 256
  /// Maximum epochs (epoch, 200).
  public var maxEpochs: Int = 200
  /// Seed of initialisation, negatives, shuffling and dropout (random_seed, 0).
  public var seed: UInt64 = 0
  /// Worker threads for a step (1 or 2 here).
  public var threads: Int = 2

  public init() {}
}

/// What identifies the dataset a model was trained on; a checkpoint only fits a dataset with
/// the same fingerprint.
public struct DatasetFingerprint: Codable, Equatable, Sendable {
  public var name: String
  /// Rows of the item tables (max item id + 1).
  public var itemCount: Int
  public var userCount: Int
  public var trainRows: Int
  public var devRows: Int
  public var testRows: Int

  /// Whether a checkpoint trained on `other` fits this dataset: the same item and user
  /// counts and split sizes. The name (the folder's) is not compared, so a moved or renamed
  /// folder still fits.
  public func sameData(as other: DatasetFingerprint) -> Bool {
    itemCount == other.itemCount && userCount == other.userCount && trainRows == other.trainRows
      && devRows == other.devRows && testRows == other.testRows
  }

  public init(name: String, itemCount: Int, userCount: Int, trainRows: Int, devRows: Int, testRows: Int) {
    self.name = name
    self.itemCount = itemCount
    self.userCount = userCount
    self.trainRows = trainRows
    self.devRows = devRows
    self.testRows = testRows
  }
}

extension DatasetFingerprint: CustomStringConvertible {
  /// E.g. "ml-100k (1683 item rows, 944 user rows, train/dev/test 98114/943/943)".
  public var description: String {
    "\(name) (\(itemCount) item rows, \(userCount) user rows, train/dev/test \(trainRows)/\(devRows)/\(testRows))"
  }
}

/// Where the weights of an imported checkpoint came from (`timirec import`).
public struct ImportedWeights: Codable, Equatable, Sendable {
  /// The safetensors file given to `timirec import`, as an absolute path at import time.
  public var file: String
  /// SHA-256 of that file's bytes, lowercase hex (64 characters).
  public var sha256: String
  /// Storage types that were converted to F32 on import, e.g. ["BF16"]; empty when every
  /// tensor was F32 already.
  public var convertedFrom: [String]

  public init(file: String, sha256: String, convertedFrom: [String] = []) {
    self.file = file
    self.sha256 = sha256
    self.convertedFrom = convertedFrom
  }
}

/// `config.json` of a checkpoint directory (docs/MODEL.md §6).
///
/// Format 2 (written since this build): `formatVersion` 2, `model` names the model, and
/// `modelConfig` holds that model's own configuration (`TiMiRecConfig` for "TiMiRec",
/// `GRU4RecConfig` for "GRU4Rec", …: the type its `ModelEntry` registers). `stage` is present
/// for a model with stages (TiMiRec) and absent otherwise. The fields that only a training
/// run here has — `training`, `bestEpoch`, `bestDev`, `initializedFrom` — are present for a
/// trained checkpoint and absent for an imported one, which has `importedFrom` instead.
/// Format 1 (older builds: the shipped demo, committed runs) is TiMiRec's, always has the
/// training fields and is still read. A TiMiRec file is byte for byte what format 2 wrote
/// before other models existed; a build without a model refuses its file by name
/// (`CheckpointError.unknownModel`) before reading `modelConfig`, so the version stays 2.
public struct CheckpointConfig: Codable, Equatable, Sendable {
  /// The version this build writes.
  public static let currentFormatVersion = 2
  /// The versions this build reads.
  public static let readableFormatVersions: ClosedRange<Int> = 1...2
  /// Models this build can open (the `model` field): the names `ModelRegistry` knows.
  public static var supportedModels: [String] { ModelRegistry.names }

  public var formatVersion: Int = CheckpointConfig.currentFormatVersion
  /// The model's registered name; set from `modelConfig`'s model when written by `Trainer`.
  public var model: String = "TiMiRec"
  /// TiMiRec's stage; nil for a model without stages.
  public var stage: Stage?
  /// The model's hyper-parameters, of the configuration type registered for `model`.
  public var modelConfig: any ModelConfiguration
  public var dataset: DatasetFingerprint
  /// The settings of the training run that wrote it; nil for imported weights.
  public var training: TrainingConfig?
  /// The pretrain checkpoint a finetune run started from (nil for pretrain, `--joint` and
  /// imported weights).
  public var initializedFrom: String?
  /// 1-based epoch of the best dev NDCG@5 whose weights are in model.safetensors; nil for
  /// imported weights.
  public var bestEpoch: Int?
  /// Dev metrics of that epoch; nil for imported weights.
  public var bestDev: [String: Double]?
  /// Where imported weights came from; nil for a checkpoint trained here.
  public var importedFrom: ImportedWeights?

  /// A checkpoint written by a training run here (`model` is set by the caller when it is
  /// not TiMiRec).
  public init(stage: Stage?, modelConfig: any ModelConfiguration, training: TrainingConfig, dataset: DatasetFingerprint,
              initializedFrom: String?, bestEpoch: Int, bestDev: [String: Double]) {
    self.stage = stage
    self.modelConfig = modelConfig
    self.training = training
    self.dataset = dataset
    self.initializedFrom = initializedFrom
    self.bestEpoch = bestEpoch
    self.bestDev = bestDev
  }

  /// A checkpoint of weights trained elsewhere (`timirec import`): no training fields.
  public init(stage: Stage, modelConfig: TiMiRecConfig, dataset: DatasetFingerprint, importedFrom: ImportedWeights) {
    self.stage = stage
    self.modelConfig = modelConfig
    self.dataset = dataset
    self.importedFrom = importedFrom
  }

  /// TiMiRec's configuration, or nil for another model. Settable, so a TiMiRec setting can
  /// be changed in place: `config.timiRec?.interestCount = 3`.
  public var timiRec: TiMiRecConfig? {
    get { modelConfig as? TiMiRecConfig }
    set { if let newValue { modelConfig = newValue } }
  }

  enum CodingKeys: String, CodingKey {
    case formatVersion, model, stage, modelConfig, dataset, training, initializedFrom, bestEpoch, bestDev, importedFrom
  }

  /// Decodes format 1 or 2: `modelConfig` as the configuration type registered for `model`;
  /// `stage` required for a model with stages. A trained checkpoint (no `importedFrom`)
  /// must have `training`, `bestEpoch` and `bestDev`; format 1 may lack `model` (it was
  /// always TiMiRec).
  /// - Throws: `DecodingError` whose coding path names the missing or mistyped field (an
  ///   unregistered `model` is `.dataCorrupted` at `model`).
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    formatVersion = try c.decode(Int.self, forKey: .formatVersion)
    model = formatVersion == 1
      ? try c.decodeIfPresent(String.self, forKey: .model) ?? "TiMiRec" : try c.decode(String.self, forKey: .model)
    guard let entry = ModelRegistry.entry(model) else {
      throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.model], debugDescription: "unknown model '\(model)'"))
    }
    stage = entry.hasStages ? try c.decode(Stage.self, forKey: .stage) : try c.decodeIfPresent(Stage.self, forKey: .stage)
    modelConfig = try entry.configurationType.decode(from: c, forKey: .modelConfig)
    dataset = try c.decode(DatasetFingerprint.self, forKey: .dataset)
    importedFrom = try c.decodeIfPresent(ImportedWeights.self, forKey: .importedFrom)
    initializedFrom = try c.decodeIfPresent(String.self, forKey: .initializedFrom)
    if importedFrom == nil {
      training = try c.decode(TrainingConfig.self, forKey: .training)
      bestEpoch = try c.decode(Int.self, forKey: .bestEpoch)
      bestDev = try c.decode([String: Double].self, forKey: .bestDev)
    } else {
      training = try c.decodeIfPresent(TrainingConfig.self, forKey: .training)
      bestEpoch = try c.decodeIfPresent(Int.self, forKey: .bestEpoch)
      bestDev = try c.decodeIfPresent([String: Double].self, forKey: .bestDev)
    }
  }

  /// Writes every present field (absent optionals are left out, as before other models).
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(formatVersion, forKey: .formatVersion)
    try c.encode(model, forKey: .model)
    try c.encodeIfPresent(stage, forKey: .stage)
    try c.encode(modelConfig, forKey: .modelConfig)
    try c.encode(dataset, forKey: .dataset)
    try c.encodeIfPresent(training, forKey: .training)
    try c.encodeIfPresent(initializedFrom, forKey: .initializedFrom)
    try c.encodeIfPresent(bestEpoch, forKey: .bestEpoch)
    try c.encodeIfPresent(bestDev, forKey: .bestDev)
    try c.encodeIfPresent(importedFrom, forKey: .importedFrom)
  }

  public static func == (a: CheckpointConfig, b: CheckpointConfig) -> Bool {
    a.formatVersion == b.formatVersion && a.model == b.model && a.stage == b.stage
      && a.modelConfig.isEqual(to: b.modelConfig) && a.dataset == b.dataset && a.training == b.training
      && a.initializedFrom == b.initializedFrom && a.bestEpoch == b.bestEpoch && a.bestDev == b.bestDev
      && a.importedFrom == b.importedFrom
  }

  /// For headers: "best epoch 6" for a checkpoint trained here, "imported from
  /// timirec.safetensors" for imported weights.
  public var originSummary: String {
    if let importedFrom { return "imported from \((importedFrom.file as NSString).lastPathComponent)" }
    return "best epoch \(bestEpoch ?? 0)"
  }

  /// What trained it, for headers: the stage for TiMiRec ("finetune"), else the model name.
  public var stageLabel: String { stage?.rawValue ?? model }

  /// The first setting that cannot describe a model, as (field path, requirement, value).
  func invalidSetting() -> (String, String, String)? {
    if let (field, requirement, value) = modelConfig.invalidSetting() { return ("modelConfig." + field, requirement, value) }
    if modelConfig.itemCount != dataset.itemCount {
      return ("modelConfig.itemCount", "must equal dataset.itemCount (\(dataset.itemCount))", "\(modelConfig.itemCount)")
    }
    return nil
  }
}

/// The resume state (`resume.json`, plus `last.safetensors` and `optimizer.safetensors`).
public struct ResumeState: Codable, Equatable, Sendable {
  /// Epochs completed (1-based count).
  public var epochsDone: Int
  /// Dev NDCG@5 of every completed epoch (the early-stopping criterion).
  public var devHistory: [Double]
  /// Adam's step counter.
  public var adamSteps: Int
  /// True when early stopping or the epoch limit ended the run.
  public var finished: Bool
  /// Seconds spent training (train + dev evaluation) so far.
  public var seconds: Double
}

/// Why a checkpoint cannot be used.
public enum CheckpointError: Error, CustomStringConvertible {
  case missing(path: String)
  /// No config.json, but the folder is a prepared dataset (it holds `found`: train.csv and/or
  /// dataset.json): a dataset folder given where a checkpoint goes.
  case datasetFolder(path: String, found: [String])
  case unreadable(path: String, reason: String)
  case formatVersion(path: String, found: Int)
  case mismatch(path: String, what: String, checkpoint: String, expected: String)
  /// config.json is not valid: `file` is its path, `problem` names the field.
  case badConfig(file: String, problem: String)
  /// config.json names a model this build does not implement.
  case unknownModel(file: String, model: String)
  /// `--resume` on a checkpoint of imported weights.
  case importedNotResumable(path: String, file: String)

  public var description: String {
    switch self {
    case let .missing(path):
      return "\(path): no checkpoint here (expected config.json and model.safetensors); train one with `timirec train --out \(path)`"
    case let .datasetFolder(path, found):
      let name = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
      let run = "runs/\(name.isEmpty || name == "/" ? "model" : name)"
      return "\(path) is a prepared dataset folder (it holds \(found.joined(separator: " and "))), not a checkpoint (config.json and model.safetensors); pass it as --data, and as the checkpoint a folder trained on it, e.g. `timirec train --data \(path) --out \(run)`"
    case let .unreadable(path, reason):
      return "\(path): cannot read the checkpoint: \(reason)"
    case let .formatVersion(path, found):
      let readable = CheckpointConfig.readableFormatVersions
      return "\(path): checkpoint format version \(found), this build reads versions \(readable.lowerBound)–\(readable.upperBound); retrain or use a matching build"
    case let .mismatch(path, what, checkpoint, expected):
      return "\(path): \(what) is \(checkpoint) in the checkpoint but \(expected) here; use a checkpoint trained with the same settings on the same dataset"
    case let .badConfig(file, problem):
      return "\(file): \(problem); fix the file, or write the checkpoint again with `timirec train` or `timirec import`"
    case let .unknownModel(file, model):
      return "\(file): model '\(model)' is not one this build can open (it opens \(CheckpointConfig.supportedModels.joined(separator: ", "))); use a build that knows \(model)"
    case let .importedNotResumable(path, file):
      return "\(path): holds weights imported from \(file), not a run of `timirec train`, so there is nothing to resume; finetune from it with --init, or train a new run"
    }
  }
}

/// A checkpoint directory:
/// ```
/// config.json           CheckpointConfig (format version, model, stage, hyper-parameters,
///                       dataset; the training fields, or importedFrom for imported weights)
/// model.safetensors     best-dev (or imported) weights under the reference state_dict names (docs/MODEL.md §8)
/// train.log             one line per epoch (imported: the import line)
/// resume.json           ResumeState                                   (trained here only)
/// last.safetensors      weights after the last completed epoch        (trained here only)
/// optimizer.safetensors Adam moments, "exp_avg.<name>" and "exp_avg_sq.<name>" (trained here only)
/// ```
/// Every write goes to a sibling temporary directory that then replaces the old one, so a
/// crash never leaves a half-written checkpoint.
public enum CheckpointDirectory {
  static let fileManager = FileManager.default

  /// `file` inside the checkpoint folder `path` as a reader should open it: through
  /// `AtomicWrite.readablePath`, so that a folder caught between the two renames of the
  /// atomic-write fallback (or killed there) is read from the copy set aside.
  static func fileURL(_ path: String, _ file: String) -> URL {
    URL(fileURLWithPath: AtomicWrite.readablePath(path)).appendingPathComponent(file)
  }

  /// Reads and validates `config.json` (format 1 or 2).
  /// - Throws: `CheckpointError.missing` (no config.json), `.datasetFolder` (no config.json,
  ///   but train.csv or dataset.json: a prepared dataset folder), `.unreadable`, `.formatVersion`
  ///   (not 1 or 2), `.unknownModel` (`model` is not registered) or `.badConfig`: one line
  ///   naming the field that is missing, has the wrong type or an impossible value, e.g.
  ///   "runs/x/config.json: missing field 'modelConfig.interestCount'; …".
  public static func readConfig(_ path: String) throws -> CheckpointConfig {
    let url = fileURL(path, "config.json")
    let file = (path as NSString).appendingPathComponent("config.json")
    guard fileManager.fileExists(atPath: url.path) else {
      let found = ["train.csv", "dataset.json"].filter {
        fileManager.fileExists(atPath: (path as NSString).appendingPathComponent($0))
      }
      throw found.isEmpty ? CheckpointError.missing(path: path) : CheckpointError.datasetFolder(path: path, found: found)
    }
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw CheckpointError.unreadable(path: path, reason: "\(error)") }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw CheckpointError.badConfig(file: file, problem: "not a JSON object")
    }
    if let version = object["formatVersion"] as? Int, !CheckpointConfig.readableFormatVersions.contains(version) {
      throw CheckpointError.formatVersion(path: path, found: version)
    }
    if let model = object["model"] as? String, !CheckpointConfig.supportedModels.contains(model) {
      throw CheckpointError.unknownModel(file: file, model: model)
    }
    let config: CheckpointConfig
    do { config = try JSONDecoder().decode(CheckpointConfig.self, from: data) } catch let error as DecodingError {
      throw CheckpointError.badConfig(file: file, problem: describe(error))
    } catch {
      throw CheckpointError.badConfig(file: file, problem: "\(error)")
    }
    if let (field, requirement, value) = config.invalidSetting() {
      throw CheckpointError.badConfig(file: file, problem: "field '\(field)' \(requirement), got \(value)")
    }
    return config
  }

  /// One line for a JSON file that could not be read or decoded: a `DecodingError` described
  /// by field, anything else (the file could not be read) by its own text.
  static func describe(_ error: Error) -> String {
    (error as? DecodingError).map { describe($0) } ?? "cannot read it (\(error.localizedDescription))"
  }

  /// One line for a decoding failure, naming the field by its dotted path (a key with control
  /// characters, which JSON allows, is shown with them escaped).
  static func describe(_ error: DecodingError) -> String {
    func path(_ keys: [CodingKey]) -> String {
      keys.map { key in key.intValue.map { "[\($0)]" } ?? String(key.stringValue.debugDescription.dropFirst().dropLast()) }
        .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }
    func expected(_ type: Any.Type) -> String {
      switch type {
      case is Int.Type, is UInt64.Type: return "an integer"
      case is Float.Type, is Double.Type: return "a number"
      case is String.Type: return "a string"
      case is Bool.Type: return "true or false"
      case is [String: Double].Type, is [String: Any].Type: return "an object"
      default:
        let name = "\(type)"
        if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "an object (\(name))"
      }
    }
    switch error {
    case let .keyNotFound(key, context):
      return "missing field '\(path(context.codingPath + [key]))'"
    case let .typeMismatch(type, context):
      return "field '\(path(context.codingPath))' should be \(expected(type))"
    case let .valueNotFound(type, context):
      return "field '\(path(context.codingPath))' is null, it should be \(expected(type))"
    case let .dataCorrupted(context):
      if context.codingPath.isEmpty { return "not valid JSON" }
      let field = path(context.codingPath)
      if field == "stage" { return "field 'stage' should be \(Stage.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or "))" }
      return "field '\(field)' has an invalid value (\(context.debugDescription))"
    @unknown default:
      return "\(error)"
    }
  }

  /// Reads one safetensors file of the checkpoint.
  public static func readTensors(_ path: String, file: String = "model.safetensors") throws -> SafeTensorsFile {
    let url = fileURL(path, file)
    guard fileManager.fileExists(atPath: url.path) else { throw CheckpointError.missing(path: path) }
    do { return try SafeTensorsFile.read(url: url) } catch {
      throw CheckpointError.unreadable(path: path, reason: "\(error)")  // the error names the file
    }
  }

  /// Reads `resume.json`, or nil when the directory has none.
  public static func readResumeState(_ path: String) throws -> ResumeState? {
    let url = fileURL(path, "resume.json")
    guard fileManager.fileExists(atPath: url.path) else { return nil }
    do { return try JSONDecoder().decode(ResumeState.self, from: Data(contentsOf: url)) } catch {
      throw CheckpointError.unreadable(path: path, reason: "resume.json: \(describe(error))")
    }
  }

  /// The one "does this checkpoint fit this dataset" check, shared by `evaluate`,
  /// `explore`, `train --init` and `--resume`: the same item rows, user rows and
  /// train/dev/test sizes (the folder's name is not compared).
  /// - Throws: `CheckpointError.mismatch` ("the dataset is … in the checkpoint but … here").
  public static func checkFits(_ config: CheckpointConfig, path: String, dataset fingerprint: DatasetFingerprint) throws {
    if !config.dataset.sameData(as: fingerprint) {
      throw CheckpointError.mismatch(path: path, what: "the dataset", checkpoint: "\(config.dataset)", expected: "\(fingerprint)")
    }
  }

  /// Opens a checkpoint as itself for a dataset: reads config.json, checks that it fits
  /// `fingerprint` (``checkFits(_:path:dataset:)``), and loads model.safetensors strictly —
  /// every parameter of the architecture config.json describes present with its shape,
  /// every tensor in the file used, every value finite. `evaluate` and `explore` open
  /// checkpoints through this function only.
  /// - Returns: the model (best-dev or imported weights, F32) and its configuration.
  /// - Throws: the errors of ``readConfig(_:)``, `CheckpointError.mismatch`,
  ///   `CheckpointError.missing`/`.unreadable` for model.safetensors, `WeightsError` naming
  ///   the first missing, extra, mis-shaped, non-float or non-finite tensor.
  public static func open(_ path: String, for fingerprint: DatasetFingerprint) throws -> (model: TiMiRec, config: CheckpointConfig) {
    let config = try readConfig(path)
    try checkFits(config, path: path, dataset: fingerprint)
    return (try loadModel(path, config: config), config)
  }

  /// Loads a checkpoint's model (best-dev or imported weights) strictly, without a dataset
  /// check (use ``open(_:for:)`` when a dataset is at hand).
  /// - Throws: as ``open(_:for:)`` without the dataset mismatch.
  public static func loadModel(_ path: String) throws -> (TiMiRec, CheckpointConfig) {
    let config = try readConfig(path)
    return (try loadModel(path, config: config), config)
  }

  /// The model `config` describes with model.safetensors loaded strictly.
  /// - Throws: also `CheckpointError.mismatch` when the checkpoint holds another model
  ///   (open those with ``openModel(_:for:)``).
  static func loadModel(_ path: String, config: CheckpointConfig) throws -> TiMiRec {
    guard let timiRec = config.timiRec, let stage = config.stage else {
      throw CheckpointError.mismatch(path: path, what: "the model", checkpoint: config.model, expected: TiMiRec.modelName)
    }
    let tensors = try readTensors(path)
    try checkWeightsCanHold(config, tensors, path: path)  // before the model is allocated
    var rng = RNG(seed: 0)
    let model = TiMiRec(config: timiRec, stage: stage, rng: &rng)
    try model.loadAllParameters(from: tensors, source: (path as NSString).appendingPathComponent("model.safetensors"))
    return model
  }

  /// What `train --init` took from a checkpoint.
  public struct Initialization {
    /// The checkpoint's configuration.
    public let config: CheckpointConfig
    /// The checkpoint folder.
    public let path: String
    /// Names of the tensors copied, in the model's parameter order.
    public let taken: [String]

    /// E.g. "took 12 tensors (interest_extractor.*) from runs/pre (pretrain, best epoch 6)".
    public var summary: String {
      var prefixes: [String] = []
      for name in taken {
        let prefix = String(name.prefix { $0 != "." }) + ".*"
        if !prefixes.contains(prefix) { prefixes.append(prefix) }
      }
      return "took \(taken.count) tensors (\(prefixes.joined(separator: ", "))) from \(path) (\(config.stageLabel), \(config.originSummary))"
    }
  }

  /// `train --init`: copies every tensor of a checkpoint whose name is a parameter of
  /// `model` (as the reference does; from a pretrain checkpoint that is the extractor,
  /// docs/MODEL.md §3.4). The checkpoint is first opened as itself (``open(_:for:)``: same dataset,
  /// strict weights) and must share the extractor settings. The other parameters keep
  /// their fresh initialisation; nothing is frozen.
  /// - Returns: the checkpoint's configuration and the names taken (log ``Initialization/summary``).
  /// - Throws: `CheckpointError.mismatch` naming the first setting that differs (dataset, K,
  ///   embedding size, add_pos, add_trm, aggregate_raw, history_max, attn_size), `WeightsError.shapeMismatch`
  ///   for a tensor of another shape, or the errors of ``open(_:for:)``; the model is
  ///   unchanged then.
  @discardableResult
  public static func loadPretrainedExtractor(into model: TiMiRec, from path: String,
                                             fingerprint: DatasetFingerprint) throws -> Initialization {
    let config = try readConfig(path)
    try checkFits(config, path: path, dataset: fingerprint)
    guard let theirs = config.timiRec else {
      throw CheckpointError.mismatch(path: path, what: "the model", checkpoint: config.model, expected: TiMiRec.modelName)
    }
    let mine = model.config
    let checks: [(String, String, String)] = [
      ("K", "\(theirs.interestCount)", "\(mine.interestCount)"),
      ("the embedding size", "\(theirs.embeddingSize)", "\(mine.embeddingSize)"),
      ("add_pos", "\(theirs.addPosition)", "\(mine.addPosition)"),
      ("add_trm", "\(theirs.addTransformer)", "\(mine.addTransformer)"),
      ("aggregate_raw", "\(theirs.aggregateRaw)", "\(mine.aggregateRaw)"),
      ("history_max", "\(theirs.historyMax)", "\(mine.historyMax)"),
      ("attn_size", "\(theirs.attentionSize)", "\(mine.attentionSize)"),
    ]
    for (what, checkpoint, expected) in checks where checkpoint != expected {
      throw CheckpointError.mismatch(path: path, what: what, checkpoint: checkpoint, expected: expected)
    }
    let source = try loadModel(path, config: config)
    let available = Dictionary(uniqueKeysWithValues: source.namedParameters.map { ($0.name, $0.tensor) })
    var updates: [(name: String, tensor: Tensor, values: [Float])] = []
    for (name, tensor) in model.namedParameters {
      guard let stored = available[name] else { continue }
      guard stored.shape == tensor.shape else {
        throw WeightsError.shapeMismatch(name: name, expected: tensor.shape, found: stored.shape,
                                         source: (path as NSString).appendingPathComponent("model.safetensors"))
      }
      updates.append((name, tensor, stored.data))
    }
    for update in updates { update.tensor.data = update.values }
    return Initialization(config: config, path: path, taken: updates.map(\.name))
  }

  /// Writes a complete checkpoint directory atomically with `AtomicWrite.writeFolder`: the
  /// files are written and fsynced into a temporary sibling `.NAME.tmp-<pid>-<random>`, which
  /// is then exchanged with the existing folder in one step, so `path` names a complete
  /// checkpoint at every instant and a kill at any moment leaves the old or the new one
  /// (docs/DECISIONS.md "Atomic writes"). Missing parent folders are created. Temporaries left
  /// by a killed earlier run are removed first (one writer per checkpoint folder).
  /// - Parameters:
  ///   - files: file name → contents.
  /// - Throws: `AtomicWriteError` (the old folder is then intact) or the error of creating a
  ///   missing parent folder.
  public static func writeAtomically(_ path: String, files: [String: Data]) throws {
    let parent = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
    try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
    try AtomicWrite.writeFolder(path, files: files)
  }

  /// JSON with sorted keys and indentation, for stable, readable files.
  static func json<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(value)
  }
}
