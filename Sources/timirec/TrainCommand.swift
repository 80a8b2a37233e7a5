import ArgumentParser
import Foundation
import SeqRec
import Tensor

/// `timirec train`: train any registered model (`--model`, default TiMiRec) on a prepared
/// dataset folder. Model options that the chosen model does not take are refused.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a model: TiMiRec (--stage pretrain, the extractor, \"ComiRec+\"; finetune, \"TiMiRec+\") or a baseline (--model).",
    discussion: """
      Defaults follow the reference code (docs/MODEL.md §3.6). Beauty, as in the paper (§3.8):
        timirec train --data data/beauty --out runs/beauty-pre --stage pretrain --K 4 --lr 1e-4 --l2 1e-6
        timirec train --data data/beauty --out runs/beauty-fine --stage finetune --init runs/beauty-pre \\
                      --K 4 --lr 1e-4 --l2 1e-6 --temp 0.1 --n-layers 1
      Baselines (docs/MODEL.md §11; every recipe of the paper's tables is in
      SeqRec/Experiments/Recipes.swift):
        timirec train --model GRU4Rec --data data/ml-100k --out runs/gru --hidden-size 128 --lr 1e-3 --l2 1e-4
      Models: \(ModelRegistry.entries.map { "\($0.name) (\($0.options.joined(separator: " ")))" }.joined(separator: "; ")).
      A checkpoint is written after every epoch; Ctrl-C stops after the current batch and
      `--resume` continues from the last completed epoch.
      """)

  @Option(help: "Prepared dataset folder (train.csv, dev.csv, test.csv).") var data: String
  @Option(help: "Checkpoint folder to write.") var out: String
  @Option(help: "The model to train: \(ModelRegistry.names.joined(separator: ", ")).") var model: String = TiMiRec.modelName
  // Model options: nil when not given (the model's default applies, shown in the help);
  // each model accepts only its own (ModelEntry.options).
  @Option(help: "TiMiRec's training stage: the extractor alone (pretrain) or everything with distillation (finetune). (default: finetune)")
  var stage: Stage?
  @Option(help: "Pretrain checkpoint to start the finetune stage from (TiMiRec).") var `init`: String?
  @Flag(help: "Finetune from random initialisation, without a pretrain checkpoint (TiMiRec; Table 4's joint training).")
  var joint = false
  @Flag(name: .customLong("no-stopgrad"), help: "Let the distillation gradient flow into the teacher (TiMiRec; Table 4).")
  var noStopgrad = false
  @Option(name: .customLong("K"), help: "Number of interests K. (default: \(TrainCommand.defaultModel.interestCount))")
  var interests: Int?
  @Option(help: "Distillation temperature T (TiMiRec). (default: \(TrainCommand.defaultModel.temperature.formatted))")
  var temp: Float?
  @Option(name: .customLong("n-layers"), help: "Layers of the predictor's projection MLP (TiMiRec). (default: \(TrainCommand.defaultModel.projectionLayers))")
  var nLayers: Int?
  @Option(name: .customLong("add-pos"), help: "Position embeddings in the extractor (TiMiRec, ComiRec). (default: 1)")
  var addPos: Switch?
  @Option(name: .customLong("add-trm"), help: "Transformer layer in the extractor (TiMiRec). (default: 1)")
  var addTrm: Switch?
  @Option(name: .customLong("aggregate-raw"), help: "Interests aggregate the raw item embeddings, as ComiRec's do; positions and the transformer shape only the attention (TiMiRec; not in the reference code). (default: 0)")
  var aggregateRaw: Switch?
  @Option(name: .customLong("attn-size"), help: "Hidden size of the interest self-attention (TiMiRec, ComiRec). (default: \(TrainCommand.defaultModel.attentionSize))")
  var attnSize: Int?
  @Option(name: .customLong("hidden-size"), help: "Hidden size of the GRU (GRU4Rec). (default: 64)") var hiddenSize: Int?
  @Option(help: "Dynamic-routing iterations (MIND). (default: 3)") var iterations: Int?
  @Option(name: .customLong("emb-size"), help: "Embedding size D. (default: \(TrainCommand.defaultModel.embeddingSize))") var embSize: Int?
  @Option(name: .customLong("history-max"), help: "Longest history used. (default: \(TrainCommand.defaultModel.historyMax))") var historyMax: Int?
  @Option(name: .customLong("num-layers"), help: "Self-attention layers (SASRec, TiSASRec). (default: 1)") var numLayers: Int?
  @Option(name: .customLong("num-heads"), help: "Attention heads, dividing --emb-size (SASRec, TiSASRec). (default: 1)") var numHeads: Int?
  @Option(name: .customLong("time-max"), help: "Largest time-interval index; longer intervals are clamped (TiSASRec). (default: 512)") var timeMax: Int?
  // Defaults: the library's (TrainingConfig), written there once.
  @Option(help: "Adam learning rate.") var lr: Float = TrainCommand.defaultTraining.learningRate
  @Option(help: "L2 weight decay (not on biases).") var l2: Float = TrainCommand.defaultTraining.l2
  @Option(name: .customLong("batch-size"), help: "Training batch size.") var batchSize: Int = TrainCommand.defaultTraining.batchSize
  @Option(help: "Maximum number of epochs.") var epochs: Int = TrainCommand.defaultTraining.maxEpochs
  @Option(help: "Random seed.") var seed: UInt64 = TrainCommand.defaultTraining.seed
  @Option(help: ArgumentHelp(
    "Data-parallel workers: each batch is split over N threads, each with one BLAS thread (1 = one worker using the BLAS threads).",
    discussion: "A run continues (--resume) only with the thread count it started with: workers draw their own dropout masks."))
  var threads: Int = TrainCommand.defaultTraining.threads
  @Flag(help: "Continue an interrupted run in --out from its last completed epoch (or extend a run that reached --epochs).")
  var resume = false
  @Flag(help: "Replace an existing checkpoint folder --out.") var force = false

  /// The library's defaults the options start from.
  static let defaultModel = TiMiRecConfig.defaults
  static let defaultTraining = TrainingConfig()

  /// The model options given on the command line, by option name (ModelOptions).
  var givenModelOptions: ModelOptions {
    var given: [String: String] = [:]
    func put(_ option: String, _ value: (any CustomStringConvertible)?) { if let value { given[option] = "\(value)" } }
    put("--stage", stage?.rawValue)
    put("--init", self.`init`)
    if joint { given["--joint"] = "1" }
    if noStopgrad { given["--no-stopgrad"] = "1" }
    put("--K", interests)
    put("--temp", temp)
    put("--n-layers", nLayers)
    put("--add-pos", addPos?.rawValue)
    put("--add-trm", addTrm?.rawValue)
    put("--aggregate-raw", aggregateRaw?.rawValue)
    put("--attn-size", attnSize)
    put("--hidden-size", hiddenSize)
    put("--iterations", iterations)
    put("--emb-size", embSize)
    put("--history-max", historyMax)
    put("--num-layers", numLayers)
    put("--num-heads", numHeads)
    put("--time-max", timeMax)
    return ModelOptions(given)
  }

  /// The chosen model's entry and its configuration for `itemCount` item rows.
  /// - Throws: `ValidationError` for an unknown model, an option it does not take, or an
  ///   impossible value (named by its option).
  func modelConfiguration(itemCount: Int) throws -> (ModelEntry, any ModelConfiguration) {
    do {
      let entry = try ModelRegistry.entry(named: model)
      let config = try entry.configuration(itemCount: itemCount, given: givenModelOptions)
      if let (field, requirement, value) = config.invalidSetting(), field != "itemCount" {
        let option = type(of: config).options[field] ?? field
        throw ValidationError("\(option) \(requirement), got \(value)")
      }
      return (entry, config)
    } catch let error as ModelOptionsError {
      throw ValidationError(error.description)
    }
  }

  func validate() throws {
    guard batchSize >= 1, epochs >= 1, threads >= 1 else {
      throw ValidationError("--batch-size, --epochs and --threads must be ≥ 1")
    }
    guard lr > 0, l2 >= 0 else { throw ValidationError("--lr must be > 0 and --l2 ≥ 0") }
    let (entry, _) = try modelConfiguration(itemCount: 1)
    if entry.hasStages {
      let stage = self.stage ?? .finetune
      if stage == .finetune && self.`init` == nil && !joint && !resume {
        throw ValidationError("--stage finetune needs --init <pretrain checkpoint> (or --joint to train from scratch)")
      }
      if stage == .pretrain && (self.`init` != nil || joint) {
        throw ValidationError("--init and --joint apply to --stage finetune only")
      }
    }
    // readablePath: a checkpoint whose replacement was interrupted (fallback) still counts.
    if FileManager.default.fileExists(atPath: AtomicWrite.readablePath(out)) && !resume && !force {
      throw ValidationError("\(out) already exists; continue it with --resume, replace it with --force, or choose another --out")
    }
  }

  func run() throws {
    // This run is --out's single writer: repair an interrupted replacement and remove the
    // temporaries a killed run left beside it before reading or writing it.
    try AtomicWrite.recoverInterruptedWrite(of: out)
    AllocatorTuning.keepFreedMemory()
    BLAS.setThreads(threads)
    let dataset = try DatasetReader.load(folder: data)
    let (entry, modelConfig) = try modelConfiguration(itemCount: dataset.itemCount)
    var training = TrainCommand.defaultTraining
    training.learningRate = lr
    training.l2 = l2
    training.batchSize = batchSize
    training.maxEpochs = epochs
    training.seed = seed
    training.threads = threads

    var rng = RNG(seed: seed)
    let stage = entry.hasStages ? self.stage ?? .finetune : nil
    let recommender = try entry.make(modelConfig, stage: stage, rng: &rng)
    try train(recommender, dataset: dataset, training: training)
  }

  /// Trains `model` (opened from the registry's existential) with the generic `Trainer`.
  func train<Model: TrainableRecommender>(_ model: Model, dataset: Dataset, training: TrainingConfig) throws {
    let fingerprint = dataset.fingerprint
    var initializedFrom: String? = nil
    if let timiRec = model as? TiMiRec, timiRec.stage == .finetune, let initPath = self.`init`, !resume {
      let taken = try CheckpointDirectory.loadPretrainedExtractor(into: timiRec, from: initPath, fingerprint: fingerprint)
      say(taken.summary)
      initializedFrom = initPath
    }
    let source = SequenceCorpus(dataset: dataset, historyMax: model.historyMax)
    let trainer = Trainer(model: model, training: training, source: source, checkpointPath: out,
                          fingerprint: fingerprint, initializedFrom: initializedFrom)
    if resume {
      try trainer.resume()
      say("resuming \(out) after epoch \(trainer.epochsDone)")
    }
    let tty = isatty(STDERR_FILENO) == 1
    trainer.progress = { done, total, speed, loss in
      guard tty, done % 5 == 0 || done == total else { return }
      let remaining = Double(total - done) * Double(training.batchSize) / max(speed, 1)
      let width = 24, filled = width * done / max(total, 1)
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      let line = String(format: "\r%@ %5.1f%%  %8.0f inst/s  loss %.4f  ETA %3.0fs ", bar,
                        100 * Double(done) / Double(max(total, 1)), speed, loss, remaining)
      FileHandle.standardError.write(Data(line.utf8))
    }
    trainer.log = { line in
      if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
      FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
    Interrupt.install()
    trainer.shouldStop = { Interrupt.requested }
    let what = model.checkpointDescription.stage.map { "\($0.rawValue)" } ?? Model.modelName
    say("training \(what) on \(dataset.name): \(source.trainInstanceCount) instances/epoch, \(model.parameterCount) parameters")
    let outcome: TrainingOutcome
    do {
      outcome = try trainer.run()
    } catch {
      if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }  // clear the progress line
      throw error
    }
    if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    if outcome.interrupted {
      if outcome.epochsDone == 0 {
        say("interrupted during the first epoch: nothing was saved; start again without --resume")
      } else {
        let rerun = CommandLine.arguments.dropFirst(2).filter { $0 != "--resume" }.joined(separator: " ")
        say("""
          interrupted after \(outcome.epochsDone) completed epochs; the best checkpoint (epoch \(outcome.bestEpoch)) is in \(out).
          continue with: timirec train \(rerun) --resume
          """)
      }
      throw ExitCode(130)
    }
    say(String(format: "done: %d epochs, best epoch %d (dev NDCG@5 %.4f), %.1f s/epoch training",
                 outcome.epochsDone, outcome.bestEpoch, outcome.bestDev["NDCG@5"] ?? 0, outcome.secondsPerEpoch))
    let (best, _) = try CheckpointDirectory.openModel(out, for: fingerprint)
    let test = Evaluator.evaluate(best, batches: source.evaluationBatches(split: .test, batchSize: training.evalBatchSize),
                                  ks: EvaluateCommand.cutoffs)
    say("test " + RankingMetrics.names(ks: EvaluateCommand.cutoffs).map { String(format: "%@ %.4f", $0, test[$0] ?? 0) }.joined(separator: "  "))
  }
}

extension Float {
  /// "1" for 1.0, "0.5" for 0.5: the shortest form, as the help shows defaults.
  var formatted: String { self == rounded() ? String(Int(self)) : "\(self)" }
}

extension Stage: ExpressibleByArgument {}

/// A 0/1 option as the reference code spells it (`--add-pos 1`).
enum Switch: Int, CaseIterable, ExpressibleByArgument {
  case off = 0, on = 1

  init(_ on: Bool) { self = on ? .on : .off }
  var isOn: Bool { self == .on }
}

/// Ctrl-C handling: the first SIGINT asks the trainer to stop after the current batch; a
/// second one ends the process at once.
enum Interrupt {
  /// Written only by the SIGINT handler and read by the training loop on the main thread
  /// after each batch: a single aligned Bool, where a late read only delays the stop by one
  /// batch (the handler cannot take a lock).
  nonisolated(unsafe) static var requested = false

  static func install() {
    signal(SIGINT) { _ in
      if Interrupt.requested { signal(SIGINT, SIG_DFL); raise(SIGINT); return }
      Interrupt.requested = true
    }
  }
}

/// Writes a line to standard output at once (unbuffered, so log lines and progress keep
/// their order when stdout is a pipe or a file).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
