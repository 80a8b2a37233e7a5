import Foundation
import Tensor

/// Training settings (defaults from spec §3.6; early stopping from spec §2).
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

/// `config.json` of a checkpoint directory (DESIGN.md "Formats").
public struct CheckpointConfig: Codable, Equatable, Sendable {
  /// Bumped when the layout changes; readers refuse other versions.
  public static let currentFormatVersion = 1
  public var formatVersion: Int = CheckpointConfig.currentFormatVersion
  public var model: String = "TiMiRec"
  public var stage: Stage
  public var modelConfig: TiMiRecConfig
  public var training: TrainingConfig
  public var dataset: DatasetFingerprint
  /// The pretrain checkpoint a finetune run started from (nil for pretrain and `--joint`).
  public var initializedFrom: String?
  /// 1-based epoch of the best dev NDCG@5 whose weights are in model.safetensors.
  public var bestEpoch: Int
  /// Dev metrics of that epoch.
  public var bestDev: [String: Double]

  public init(stage: Stage, modelConfig: TiMiRecConfig, training: TrainingConfig, dataset: DatasetFingerprint,
              initializedFrom: String?, bestEpoch: Int, bestDev: [String: Double]) {
    self.stage = stage
    self.modelConfig = modelConfig
    self.training = training
    self.dataset = dataset
    self.initializedFrom = initializedFrom
    self.bestEpoch = bestEpoch
    self.bestDev = bestDev
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
  case unreadable(path: String, reason: String)
  case formatVersion(path: String, found: Int)
  case mismatch(path: String, what: String, checkpoint: String, expected: String)
  case notFinished(path: String)

  public var description: String {
    switch self {
    case let .missing(path):
      return "\(path): no checkpoint here (expected config.json and model.safetensors); train one with `timirec train --out \(path)`"
    case let .unreadable(path, reason):
      return "\(path): cannot read the checkpoint: \(reason)"
    case let .formatVersion(path, found):
      return "\(path): checkpoint format version \(found), this build reads version \(CheckpointConfig.currentFormatVersion); retrain or use a matching build"
    case let .mismatch(path, what, checkpoint, expected):
      return "\(path): \(what) is \(checkpoint) in the checkpoint but \(expected) here; use a checkpoint trained with the same settings on the same dataset"
    case let .notFinished(path):
      return "\(path): training has not finished here; continue it with `timirec train ... --resume`"
    }
  }
}

/// A checkpoint directory:
/// ```
/// config.json           CheckpointConfig (format version, stage, hyper-parameters, dataset)
/// model.safetensors     best-dev weights under the reference state_dict names (spec §8)
/// train.log             one line per epoch
/// resume.json           ResumeState
/// last.safetensors      weights after the last completed epoch
/// optimizer.safetensors Adam moments, "exp_avg.<name>" and "exp_avg_sq.<name>"
/// ```
/// Every write goes to a sibling temporary directory that then replaces the old one, so a
/// crash never leaves a half-written checkpoint.
public enum CheckpointDirectory {
  static let fileManager = FileManager.default

  /// Reads `config.json`.
  /// - Throws: `CheckpointError.missing`, `.unreadable` or `.formatVersion`.
  public static func readConfig(_ path: String) throws -> CheckpointConfig {
    let url = URL(fileURLWithPath: path).appendingPathComponent("config.json")
    guard fileManager.fileExists(atPath: url.path) else { throw CheckpointError.missing(path: path) }
    let data: Data
    do { data = try Data(contentsOf: url) } catch { throw CheckpointError.unreadable(path: path, reason: "\(error)") }
    if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let version = object["formatVersion"] as? Int, version != CheckpointConfig.currentFormatVersion {
      throw CheckpointError.formatVersion(path: path, found: version)
    }
    do { return try JSONDecoder().decode(CheckpointConfig.self, from: data) } catch {
      throw CheckpointError.unreadable(path: path, reason: "config.json: \(error)")
    }
  }

  /// Reads one safetensors file of the checkpoint.
  public static func readTensors(_ path: String, file: String = "model.safetensors") throws -> SafeTensorsFile {
    let url = URL(fileURLWithPath: path).appendingPathComponent(file)
    guard fileManager.fileExists(atPath: url.path) else { throw CheckpointError.missing(path: path) }
    do { return try SafeTensorsFile.read(url: url) } catch {
      throw CheckpointError.unreadable(path: path, reason: "\(file): \(error)")
    }
  }

  /// Reads `resume.json`, or nil when the directory has none.
  public static func readResumeState(_ path: String) throws -> ResumeState? {
    let url = URL(fileURLWithPath: path).appendingPathComponent("resume.json")
    guard fileManager.fileExists(atPath: url.path) else { return nil }
    do { return try JSONDecoder().decode(ResumeState.self, from: Data(contentsOf: url)) } catch {
      throw CheckpointError.unreadable(path: path, reason: "resume.json: \(error)")
    }
  }

  /// Loads a trained model (best-dev weights).
  /// - Throws: `CheckpointError` or `WeightsError` when files are missing or do not fit.
  public static func loadModel(_ path: String) throws -> (TiMiRec, CheckpointConfig) {
    let config = try readConfig(path)
    let tensors = try readTensors(path)
    var rng = RNG(seed: 0)
    let model = TiMiRec(config: config.modelConfig, stage: config.stage, rng: &rng)
    try model.loadParameters(from: tensors, source: path + "/model.safetensors")
    return (model, config)
  }

  /// Copies the extractor of a pretrain checkpoint into a finetune model (spec §3.4) after
  /// checking that it was trained on the same dataset with the same extractor settings.
  /// The predictor and proj keep their fresh initialisation; nothing is frozen.
  /// - Returns: the pretrain checkpoint's configuration.
  /// - Throws: `CheckpointError.mismatch` naming the first setting that differs (dataset, K,
  ///   embedding size, add_pos, add_trm, history_max, attn_size), or the errors of reading
  ///   the checkpoint; the model is unchanged then.
  @discardableResult
  public static func loadPretrainedExtractor(into model: TiMiRec, from path: String,
                                             fingerprint: DatasetFingerprint) throws -> CheckpointConfig {
    let config = try readConfig(path)
    let mine = model.config, theirs = config.modelConfig
    if !config.dataset.sameData(as: fingerprint) {
      throw CheckpointError.mismatch(path: path, what: "the dataset", checkpoint: "\(config.dataset)", expected: "\(fingerprint)")
    }
    let checks: [(String, String, String)] = [
      ("K", "\(theirs.interestCount)", "\(mine.interestCount)"),
      ("the embedding size", "\(theirs.embeddingSize)", "\(mine.embeddingSize)"),
      ("add_pos", "\(theirs.addPosition)", "\(mine.addPosition)"),
      ("add_trm", "\(theirs.addTransformer)", "\(mine.addTransformer)"),
      ("history_max", "\(theirs.historyMax)", "\(mine.historyMax)"),
      ("attn_size", "\(theirs.attentionSize)", "\(mine.attentionSize)"),
    ]
    for (what, checkpoint, expected) in checks where checkpoint != expected {
      throw CheckpointError.mismatch(path: path, what: what, checkpoint: checkpoint, expected: expected)
    }
    try model.extractor.loadParameters(from: readTensors(path), source: path + "/model.safetensors")
    return config
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
