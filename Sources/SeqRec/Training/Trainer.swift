import Foundation
import Tensor

/// Where the trainer gets its batches (implemented over a loaded `Dataset`).
public protocol TrainingSource {
  /// Training instances per epoch.
  var trainInstanceCount: Int { get }
  /// One epoch of training batches: negatives re-drawn and instances shuffled (docs/MODEL.md §1.4),
  /// a pure function of (seed, epoch) so a resumed run sees the same batches; candidates
  /// [positive, negative].
  func trainBatches(batchSize: Int, seed: UInt64, epoch: Int) -> [ModelInput]
  /// Dev or test batches: candidates [positive, stored negatives…] (docs/MODEL.md §2).
  func evaluationBatches(split: Split, batchSize: Int) -> [ModelInput]
}

/// Why training stopped with an error.
public enum TrainingError: Error, CustomStringConvertible {
  case nonFiniteLoss(epoch: Int, step: Int, value: Float)
  case alreadyFinished(path: String, epochs: Int)
  case nothingToResume(path: String)
  case threadsChanged(path: String, started: Int, requested: Int)
  /// `--resume` with other settings than the run started with: each change as (option,
  /// value the run started with, value given now).
  case settingsChanged(path: String, changes: [SettingChange])

  public var description: String {
    switch self {
    case let .nonFiniteLoss(epoch, step, value):
      return "training diverged: loss is \(value) at epoch \(epoch), step \(step); try a lower --lr (the best checkpoint so far is kept)"
    case let .alreadyFinished(path, epochs):
      return "\(path): this run already finished after \(epochs) epoch(s) (early stopping, or --epochs reached: pass a larger --epochs to extend it); evaluate it with `timirec evaluate --ckpt \(path)`"
    case let .nothingToResume(path):
      return "\(path): nothing to resume (no resume.json); start without --resume"
    case let .settingsChanged(path, changes):
      let list = changes.map { "\($0.option) \($0.started) (now \($0.requested))" }.joined(separator: ", ")
      return "\(path): this run was started with \(list); continue it with the settings it started with (they are in its config.json), or start a new run with --out elsewhere"
    case let .threadsChanged(path, started, requested):
      return "\(path): this run was trained with --threads \(started), not \(requested); continue it with --threads \(started) (each worker draws its own dropout masks, so the thread count is part of the run)"
    }
  }
}

/// One setting that differs between a run's config.json and a new invocation.
public struct SettingChange: Equatable, Sendable {
  /// The command-line option (e.g. "--lr"), or the config.json field where no option sets it.
  public var option: String
  /// The value the run started with, and the value given now.
  public var started: String
  public var requested: String

  public init(option: String, started: String, requested: String) {
    self.option = option
    self.started = started
    self.requested = requested
  }

  /// The `train` options that set `TrainingConfig` fields.
  public static let trainingOptions = [
    "learningRate": "--lr", "l2": "--l2", "batchSize": "--batch-size", "maxEpochs": "--epochs", "seed": "--seed",
    "threads": "--threads",
  ]

  /// The `train` option that sets a `TrainingConfig` field or a field of a model
  /// configuration (`options`, its type's ``ModelConfiguration/options``); a negated flag
  /// names its field too ("--no-stopgrad (stopGradient)"); the field itself where no option
  /// sets it.
  public static func option(for field: String, options: [String: String] = TiMiRecConfig.options) -> String {
    guard let option = trainingOptions[field] ?? options[field] else { return field }
    return option.hasPrefix("--no-") ? "\(option) (\(field))" : option
  }

  /// The stored properties of two values of one struct that differ, in declaration order
  /// (compared by their printed values, which is exact for the Int, Float, Bool and UInt64
  /// fields of the configuration types), named by `options` (field → option).
  public static func between<T>(_ started: T, _ requested: T, options: [String: String] = TiMiRecConfig.options) -> [SettingChange] {
    zip(Mirror(reflecting: started).children, Mirror(reflecting: requested).children).compactMap { a, b in
      guard let label = a.label, "\(a.value)" != "\(b.value)" else { return nil }
      return SettingChange(option: option(for: label, options: options), started: "\(a.value)", requested: "\(b.value)")
    }
  }

  /// The changes between a run's model (name, stage, configuration) and the one given now:
  /// `--model` when the models differ (their configurations are not compared then),
  /// `--stage`, then every configuration field that differs.
  public static func between(model started: String, stage startedStage: Stage?, _ startedConfig: any ModelConfiguration,
                             model requested: String, stage requestedStage: Stage?,
                             _ requestedConfig: any ModelConfiguration) -> [SettingChange] {
    if started != requested || type(of: startedConfig) != type(of: requestedConfig) {
      return [SettingChange(option: "--model", started: started, requested: requested)]
    }
    var changes = between(startedConfig, requestedConfig, options: type(of: startedConfig).options)
    if startedStage != requestedStage {
      changes.insert(SettingChange(option: "--stage", started: startedStage?.rawValue ?? "none",
                                   requested: requestedStage?.rawValue ?? "none"), at: 0)
    }
    return changes
  }
}

/// How a training run ended.
public struct TrainingOutcome {
  public var epochsDone: Int
  public var bestEpoch: Int
  public var bestDev: [String: Double]
  public var interrupted: Bool
  /// Mean training loss of every epoch of this invocation.
  public var epochLosses: [Double]
  public var finished: Bool
  /// Mean seconds of one epoch's training pass (excluding dev evaluation).
  public var secondsPerEpoch: Double
}

/// The training loop of docs/MODEL.md §2: Adam steps over shuffled batches, dev NDCG@5 after every
/// epoch, best-checkpoint saving (ties re-save), early stopping, atomic checkpoints with the
/// resume state after every epoch. Generic over the model (`TrainableRecommender`): the loop
/// only needs its training loss, replicas, evaluation scores, parameters and checkpoint
/// description.
public final class Trainer<Model: TrainableRecommender> {
  public let model: Model
  public let training: TrainingConfig
  public let source: TrainingSource
  public let checkpointPath: String
  public let fingerprint: DatasetFingerprint
  public let initializedFrom: String?
  /// Receives one line per epoch (also written to train.log).
  public var log: (String) -> Void = { print($0) }
  /// Receives (batches done, batches per epoch, instances/s, running loss) after each step.
  public var progress: ((Int, Int, Double, Double) -> Void)?
  /// Polled after every batch; true ends training after that batch (Ctrl-C).
  public var shouldStop: () -> Bool = { false }

  let optimizer: Adam
  let stepper: DataParallelStepper<Model>
  var devHistory: [Double] = []
  var bestWeights: [String: SafeTensor]
  var bestEpoch = 0
  var bestDev: [String: Double] = [:]
  var logText = ""
  public private(set) var epochsDone = 0
  var seconds = 0.0
  var trainSeconds: [Double] = []

  public init(model: Model, training: TrainingConfig, source: TrainingSource, checkpointPath: String,
              fingerprint: DatasetFingerprint, initializedFrom: String?) {
    self.model = model
    self.training = training
    self.source = source
    self.checkpointPath = checkpointPath
    self.fingerprint = fingerprint
    self.initializedFrom = initializedFrom
    optimizer = Adam(parameters: model.namedParameters.map { ($0.name, $0.tensor) },
                     learningRate: training.learningRate, weightDecay: training.l2)
    stepper = DataParallelStepper(model: model, threads: training.threads)
    optimizer.threads = training.threads  // the item tables' updates shared by the workers' threads
    bestWeights = model.parameterTensors()
  }

  /// Restores the state saved after the last completed epoch in `checkpointPath`.
  /// - Throws: `TrainingError.nothingToResume`, `.alreadyFinished`, `.threadsChanged` (the
  ///   run started with another `threads`), `.settingsChanged` (another stage, model
  ///   setting, learning rate, l2, batch size or seed; only the epoch limit may change),
  ///   `CheckpointError`,
  ///   `WeightsError` or `AdamStateError` when the files do not fit this model.
  public func resume() throws {
    guard let state = try CheckpointDirectory.readResumeState(checkpointPath) else {
      throw TrainingError.nothingToResume(path: checkpointPath)
    }
    // A run that stopped early is done; one that reached its epoch limit may be extended
    // with a larger limit.
    if state.finished && (Trainer.shouldStopEarly(state.devHistory) || state.epochsDone >= training.maxEpochs) {
      throw TrainingError.alreadyFinished(path: checkpointPath, epochs: state.epochsDone)
    }
    let config = try CheckpointDirectory.readConfig(checkpointPath)
    guard let trained = config.training else {
      throw CheckpointError.importedNotResumable(path: checkpointPath, file: config.importedFrom?.file ?? "elsewhere")
    }
    if trained.threads != training.threads {
      throw TrainingError.threadsChanged(path: checkpointPath, started: trained.threads,
                                         requested: training.threads)
    }
    // Everything but the epoch limit (which --resume may raise) is part of the run.
    let described = model.checkpointDescription
    let changes = SettingChange.between(model: config.model, stage: config.stage, config.modelConfig,
                                        model: Model.modelName, stage: described.stage, described.modelConfig)
      + SettingChange.between(trained, training).filter { $0.option != SettingChange.option(for: "maxEpochs") }
    if !changes.isEmpty { throw TrainingError.settingsChanged(path: checkpointPath, changes: changes) }
    try CheckpointDirectory.checkFits(config, path: checkpointPath, dataset: fingerprint)
    // Every file strictly: all tensors present with their shapes, none left over, finite.
    let parameters = model.namedParameters.map { (name: $0.name, shape: $0.tensor.shape) }
    func file(_ name: String) -> String { (checkpointPath as NSString).appendingPathComponent(name) }
    let last = try StrictWeights.values(of: CheckpointDirectory.readTensors(checkpointPath, file: "last.safetensors"),
                                        expected: parameters, source: file("last.safetensors"))
    let best = try StrictWeights.values(of: CheckpointDirectory.readTensors(checkpointPath, file: "model.safetensors"),
                                        expected: parameters, source: file("model.safetensors"))
    let momentNames = parameters.flatMap { [("exp_avg." + $0.name, $0.shape), ("exp_avg_sq." + $0.name, $0.shape)] }
    let moments = try StrictWeights.values(
      of: CheckpointDirectory.readTensors(checkpointPath, file: "optimizer.safetensors"),
      expected: momentNames.map { (name: $0.0, shape: $0.1) }, source: file("optimizer.safetensors"))
    var first: [String: [Float]] = [:], second: [String: [Float]] = [:]
    for (name, _) in parameters {
      first[name] = moments["exp_avg." + name]
      second[name] = moments["exp_avg_sq." + name]
    }
    try optimizer.restoreState(stepCount: state.adamSteps, firstMoments: first, secondMoments: second)
    for (name, tensor) in model.namedParameters { tensor.data = last[name]! }
    bestWeights = [:]
    for (name, shape) in parameters { bestWeights[name] = SafeTensor(shape: shape, floats: best[name]!) }
    devHistory = state.devHistory
    epochsDone = state.epochsDone
    seconds = state.seconds
    bestEpoch = config.bestEpoch ?? 0
    bestDev = config.bestDev ?? [:]
    logText = (try? String(contentsOf: CheckpointDirectory.fileURL(checkpointPath, "train.log"), encoding: .utf8)) ?? ""
  }

  /// docs/MODEL.md §2 early stopping: more than 20 epochs and the last 10 dev values non-increasing,
  /// or 20 epochs since the first occurrence of the best value.
  public static func shouldStopEarly(_ history: [Double]) -> Bool {
    guard let best = history.max(), let bestIndex = history.firstIndex(of: best) else { return false }
    if history.count > 20 {
      let tail = history.suffix(10)
      if zip(tail, tail.dropFirst()).allSatisfy({ $0 >= $1 }) { return true }
    }
    return history.count - bestIndex > 20
  }

  /// Trains until early stopping, the epoch limit, or `shouldStop()`.
  /// - Throws: `TrainingError.nonFiniteLoss` (the checkpoint on disk stays as it was after
  ///   the last completed epoch) or file errors from writing the checkpoint.
  public func run() throws -> TrainingOutcome {
    let devBatches = source.evaluationBatches(split: .dev, batchSize: training.evalBatchSize)
    var interrupted = false
    var finished = false
    var epochLosses: [Double] = []
    while epochsDone < training.maxEpochs {
      let epoch = epochsDone + 1
      let start = Date()
      // Batches and dropout masks depend only on (seed, epoch): a resumed run repeats them.
      let batches = source.trainBatches(batchSize: training.batchSize, seed: training.seed, epoch: epoch - 1)
      var epochRNG = RNG(seed: training.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch))
      var lossSum = 0.0, instances = 0
      for (step, batch) in batches.enumerated() {
        let loss = stepper.computeGradients(batch, rng: &epochRNG)
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(epoch: epoch, step: step + 1, value: loss) }
        optimizer.step()
        lossSum += Double(loss) * Double(batch.batchSize)
        instances += batch.batchSize
        progress?(step + 1, batches.count, Double(instances) / max(Date().timeIntervalSince(start), 1e-9),
                  lossSum / Double(instances))
        if shouldStop() { interrupted = true; break }
      }
      if interrupted { break }
      let trainTime = Date().timeIntervalSince(start)
      let dev = Evaluator.evaluate(model, batches: devBatches, ks: [5])
      let evalTime = Date().timeIntervalSince(start) - trainTime
      epochsDone = epoch
      seconds += trainTime + evalTime
      trainSeconds.append(trainTime)
      epochLosses.append(lossSum / Double(max(instances, 1)))
      let value = dev["NDCG@5"] ?? 0
      devHistory.append(value)
      let isBest = value >= (devHistory.max() ?? value)
      if isBest {
        bestWeights = model.parameterTensors()
        bestEpoch = epoch
        bestDev = dev
      }
      let line = String(format: "epoch %3d  loss %.4f  dev HR@5 %.4f NDCG@5 %.4f  train %.1fs  eval %.1fs%@",
                        epoch, lossSum / Double(max(instances, 1)), dev["HR@5"] ?? 0, value, trainTime, evalTime,
                        isBest ? "  *" : "")
      log(line)
      logText += line + "\n"
      finished = Trainer.shouldStopEarly(devHistory) || epochsDone >= training.maxEpochs
      try save(finished: finished)
      if finished { break }
      if shouldStop() { interrupted = true; break }
    }
    let mean = trainSeconds.isEmpty ? 0 : trainSeconds.reduce(0, +) / Double(trainSeconds.count)
    return TrainingOutcome(epochsDone: epochsDone, bestEpoch: bestEpoch, bestDev: bestDev, interrupted: interrupted,
                           epochLosses: epochLosses, finished: finished, secondsPerEpoch: mean)
  }

  /// Writes the whole checkpoint directory atomically.
  func save(finished: Bool) throws {
    let described = model.checkpointDescription
    var config = CheckpointConfig(stage: described.stage, modelConfig: described.modelConfig, training: training,
                                  dataset: fingerprint, initializedFrom: initializedFrom, bestEpoch: bestEpoch,
                                  bestDev: bestDev)
    config.model = Model.modelName
    let state = ResumeState(epochsDone: epochsDone, devHistory: devHistory, adamSteps: optimizer.stepCount,
                            finished: finished, seconds: seconds)
    var moments: [String: SafeTensor] = [:]
    let first = optimizer.firstMoments, second = optimizer.secondMoments
    for (name, tensor) in model.namedParameters {
      moments["exp_avg." + name] = SafeTensor(shape: tensor.shape, floats: first[name] ?? [])
      moments["exp_avg_sq." + name] = SafeTensor(shape: tensor.shape, floats: second[name] ?? [])
    }
    var metadata = ["format": "pt", "model": Model.modelName]
    if let stage = described.stage { metadata["stage"] = stage.rawValue }
    try CheckpointDirectory.writeAtomically(checkpointPath, files: [
      "config.json": try CheckpointDirectory.json(config),
      "resume.json": try CheckpointDirectory.json(state),
      "model.safetensors": try SafeTensorsFile(tensors: bestWeights, metadata: metadata).encoded(),
      "last.safetensors": try SafeTensorsFile(tensors: model.parameterTensors(), metadata: metadata).encoded(),
      "optimizer.safetensors": try SafeTensorsFile(tensors: moments).encoded(),
      "train.log": Data(logText.utf8),
    ])
  }
}
