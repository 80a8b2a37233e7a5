import Foundation
import SeqRec
import Tensor

/// Why the explorer cannot start; each message says what to do next.
public enum ExplorerError: Error, CustomStringConvertible, Equatable {
  case dataset(path: String, reason: String)
  case checkpoint(path: String, reason: String)
  /// No checkpoint at `path` (no config.json); `defaulted` when --ckpt was not given.
  case noCheckpoint(path: String, data: String, defaulted: Bool)
  case mismatch(data: String, checkpoint: String, what: String, inCheckpoint: String, inDataset: String)
  case noUsers(path: String)
  case noSuchUser(Int, available: ClosedRange<Int>)
  case stepOutOfRange(user: Int, step: Int, length: Int)
  /// `--history`: a token that is not an item id of the catalogue (as given).
  case noSuchItem(String, available: ClosedRange<Int>)
  case notATerminal
  case terminal(String)
  /// The terminal or locale cannot show the UI (the reason says what to do).
  case cannotDraw(String)
  /// `--compare`'s checkpoint cannot be shown beside the first (the reason says why).
  indirect case compare(path: String, reason: ExplorerError)

  /// No checkpoint folder at `path`, with the hint to train one and pass it with `option`.
  private static func noCheckpointText(path: String, data: String, defaulted: Bool, option: String) -> String {
    let name = URL(fileURLWithPath: data).standardizedFileURL.lastPathComponent
    let run = "runs/\(name.isEmpty || name == "/" ? "model" : name)"
    let explore = option == "--ckpt" ? "--ckpt \(run)" : "--compare \(run)"
    return "no checkpoint at \(path)\(defaulted ? ", the default for --ckpt" : "") (a checkpoint folder holds config.json and model.safetensors)"
      + "\nhint: train one into a runs/ folder and pass it with \(option): `timirec train --data \(data) --out \(run)`, then `timirec explore --data \(data) \(explore)`"
  }

  public var description: String {
    switch self {
    case let .dataset(path, reason):
      return "cannot load the dataset \(path): \(reason)\nhint: pass --data DIR with train.csv, dev.csv and test.csv (see `timirec prepare --help`), or run `timirec demo generate` to rebuild demo-data/"
    case let .checkpoint(path, reason):
      // The reason comes from the strict checkpoint reader and already says what to do.
      return "cannot load the checkpoint \(path): \(reason)"
    case let .noCheckpoint(path, data, defaulted):
      return Self.noCheckpointText(path: path, data: data, defaulted: defaulted, option: "--ckpt")
    case let .mismatch(data, checkpoint, what, inCheckpoint, inDataset):
      return "the checkpoint \(checkpoint) does not fit the dataset \(data): \(what) is \(inCheckpoint) in the checkpoint but \(inDataset) in the dataset\nhint: use the checkpoint trained on this dataset folder"
    case let .noUsers(path):
      return "the dataset \(path) has no users with interactions"
    case let .noSuchUser(user, available):
      return "no user \(user) with interactions in this dataset; user ids run \(available.lowerBound)…\(available.upperBound)"
    case let .stepOutOfRange(user, step, length):
      return "step \(step) is outside 0…\(length) for user \(user) (\(length) interactions; step \(length) means after the last one)"
    case let .noSuchItem(token, available):
      return "--history: '\(token)' is not an item id of this dataset's catalogue; item ids run \(available.lowerBound)…\(available.upperBound) (items.tsv gives their titles)"
    case .notATerminal:
      return "timirec explore needs a terminal (stdin and stdout must be a TTY); use `timirec explore --snapshot --user U --step T` for text output"
    case let .terminal(reason):
      return "cannot start the terminal UI: \(reason)"
    case let .cannotDraw(reason):
      return "cannot start the terminal UI: \(reason)"
    case let .compare(path, .noCheckpoint(_, data, _)):
      // The hint names the option the folder was given with.
      return "--compare \(path): " + Self.noCheckpointText(path: path, data: data, defaulted: false, option: "--compare")
    case let .compare(path, reason):
      return "--compare \(path): \(reason.description)"
    }
  }
}

/// A loaded dataset and checkpoint: everything the explorer reads, never writes.
public final class ExplorerSession {
  public let dataset: Dataset
  public let corpus: SequenceCorpus
  /// The checkpoint's model, opened by its `model` name (`ModelRegistry`).
  public let model: any MultiInterestRecommender
  public let checkpoint: CheckpointConfig
  /// Shown in the status bar.
  public let datasetPath: String
  public let checkpointPath: String
  /// User ids with at least one interaction, ascending.
  public let users: [Int]
  /// Position of each user id in `users` (−1 for ids without interactions).
  let userIndexById: [Int]
  /// How items.tsv's `|`-joined labels are read for interest labels (InterestLabels.swift).
  public let categoryStructure: CategoryStructure

  /// Wraps an already loaded dataset and model (tests, benchmarks).
  /// - Precondition: the model's item table has `dataset.itemCount` rows.
  public init(dataset: Dataset, model: any MultiInterestRecommender, checkpoint: CheckpointConfig,
              datasetPath: String = "", checkpointPath: String = "") {
    precondition(model.itemCount == dataset.itemCount,
                 "ExplorerSession: model has \(model.itemCount) item rows, dataset \(dataset.itemCount)")
    self.dataset = dataset
    self.model = model
    self.checkpoint = checkpoint
    self.datasetPath = datasetPath
    self.checkpointPath = checkpointPath
    corpus = SequenceCorpus(dataset: dataset, historyMax: model.historyMax)
    var list: [Int] = []
    var index = [Int](repeating: -1, count: corpus.userCount)
    for u in 0..<corpus.userCount where corpus.sequenceOffsets[u + 1] > corpus.sequenceOffsets[u] {
      index[u] = list.count
      list.append(u)
    }
    users = list
    userIndexById = index
    let catalog = dataset.catalog
    categoryStructure = catalog.map { c in CategoryStructure.detect((0..<c.itemCount).lazy.map { c.categoryLabels($0) }) } ?? .genres
  }

  /// Loads and cross-checks a dataset folder and a checkpoint folder.
  /// The checkpoint is opened with `CheckpointDirectory.openModel(_:for:)`, the function
  /// `timirec evaluate` uses, so the explorer refuses exactly what evaluate refuses.
  /// - Throws: `ExplorerError` with one clear message (missing files, unreadable files, a
  ///   checkpoint trained on another dataset — item rows, user rows or split sizes — or
  ///   weights that do not fit their config.json or are not finite).
  ///   - checkpointDefaulted: true when the caller chose `checkpoint` itself (no --ckpt).
  public static func load(data: String, checkpoint: String, checkpointDefaulted: Bool = false) throws -> ExplorerSession {
    let dataset: Dataset
    do { dataset = try Dataset.load(folder: data) } catch let error as DataError {
      throw ExplorerError.dataset(path: data, reason: error.message)
    } catch { throw ExplorerError.dataset(path: data, reason: "\(error)") }
    let (model, config) = try openModel(checkpoint, dataset: dataset, data: data, checkpointDefaulted: checkpointDefaulted)
    let session = ExplorerSession(dataset: dataset, model: model, checkpoint: config,
                                  datasetPath: data, checkpointPath: checkpoint)
    if session.users.isEmpty { throw ExplorerError.noUsers(path: data) }
    return session
  }

  /// Opens a checkpoint of `dataset` (folder `data`) as `timirec evaluate` does: one dataset
  /// check (item rows, user rows, split sizes), then the weights strictly (all present and
  /// used, finite).
  /// - Throws: `ExplorerError` (no checkpoint, mismatch, unreadable, not multi-interest).
  static func openModel(_ checkpoint: String, dataset: Dataset, data: String,
                        checkpointDefaulted: Bool = false) throws -> (any MultiInterestRecommender, CheckpointConfig) {
    let opened: any Recommender, config: CheckpointConfig
    do { (opened, config) = try CheckpointDirectory.openModel(checkpoint, for: dataset.fingerprint) } catch CheckpointError.missing {
      throw ExplorerError.noCheckpoint(path: checkpoint, data: data, defaulted: checkpointDefaulted)
    } catch let CheckpointError.mismatch(_, what, inCheckpoint, inDataset) {
      throw ExplorerError.mismatch(data: data, checkpoint: checkpoint, what: what, inCheckpoint: inCheckpoint,
                                   inDataset: inDataset)
    } catch {
      throw ExplorerError.checkpoint(path: checkpoint, reason: "\(error)")
    }
    guard let model = opened as? any MultiInterestRecommender else {
      throw ExplorerError.checkpoint(path: checkpoint, reason: "\(config.model) is not a multi-interest model; the explorer shows interests")
    }
    return (model, config)
  }

  /// K.
  public var interestCount: Int { model.interestCount }
  /// True for a finetuned checkpoint (it has the predictor that gives q).
  public var hasPredictor: Bool { model.hasInterestLogits }
  /// The temperature the checkpoint was trained with.
  public var trainingTemperature: Float { model.trainingTemperature }

  /// n_u of user id `user`.
  public func sequenceLength(user: Int) -> Int {
    corpus.sequenceOffsets[user + 1] - corpus.sequenceOffsets[user]
  }

  /// Index of user id `user` in `users`, if it has interactions.
  public func userIndex(forId user: Int) -> Int? {
    user >= 0 && user < userIndexById.count && userIndexById[user] >= 0 ? userIndexById[user] : nil
  }

  /// Title/category of an item ("item <id>" when there is no title; the category as
  /// items.tsv writes it).
  public func label(_ item: Int) -> ItemLabel {
    let title = dataset.catalog?.title(item) ?? ""
    let category = dataset.catalog?.categoryLabels(item).joined(separator: "|") ?? ""
    return ItemLabel(id: item, title: title.isEmpty ? "item \(item)" : title, category: category)
  }

  /// The category labels of an item (items.tsv order).
  public func categories(_ item: Int) -> [String] { dataset.catalog?.categoryLabels(item) ?? [] }
}
