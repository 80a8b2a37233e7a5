import Tensor

/// A recommender the trainer can train: `Trainer` and `DataParallelStepper` are generic over
/// it. Besides `Recommender` (evaluation scores for the dev pass, `namedParameters` for Adam,
/// the checkpoint's tensors and the replicas' shared storage) it gives the training loss, a
/// replica for data-parallel workers, and what config.json records about it. Its metatype is
/// `SendableMetatype` because the data-parallel workers call the model's methods from their
/// own threads (each worker its own instance).
public protocol TrainableRecommender: Recommender, SendableMetatype {
  /// The training objective of one batch (dropout on, gradients recorded), a scalar.
  /// - Parameters:
  ///   - input: histories (B, L), lengths (B), candidates (B, 2) = [positive, negative].
  ///   - rng: the source of the batch's random draws (dropout masks, MIND's routing
  ///     logits); the same draws give the same loss.
  func trainingLoss(_ input: ModelInput, rng: inout RNG) -> Tensor

  /// A model of the same architecture (same `namedParameters` names and shapes, in the same
  /// order) for a data-parallel worker. Its values do not matter: the stepper points its
  /// parameters at the main model's storage before each step.
  func makeReplica() -> Self

  /// What config.json's `stage` and `modelConfig` fields hold for this model (with
  /// `modelName` in its `model` field), and what `--resume` compares with them. `stage` is
  /// nil for a model without TiMiRec's pretrain/finetune stages; `modelConfig` is the
  /// model's own configuration type (the one its `ModelEntry` registers).
  var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { get }
}

extension TiMiRec: TrainableRecommender {
  /// `trainForward(_:rng:).loss`: BPR, plus T²·KL in the finetune stage.
  public func trainingLoss(_ input: ModelInput, rng: inout RNG) -> Tensor {
    trainForward(input, rng: &rng).loss
  }

  public func makeReplica() -> TiMiRec {
    var scratch = RNG(seed: 0)
    return TiMiRec(config: config, stage: stage, rng: &scratch)
  }

  public var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) { (stage, config) }
}

extension TiMiRecConfig: ModelConfiguration {
  /// TiMiRec's `timirec train` options (`--stage`, `--init` and `--joint` come with its stages).
  public static let options = [
    "interestCount": "--K", "embeddingSize": "--emb-size", "attentionSize": "--attn-size", "addPosition": "--add-pos",
    "addTransformer": "--add-trm", "aggregateRaw": "--aggregate-raw", "historyMax": "--history-max", "temperature": "--temp",
    "projectionLayers": "--n-layers", "stopGradient": "--no-stopgrad",
  ]

  public init(itemCount: Int, given: ModelOptions) throws {
    let d = TiMiRecConfig.defaults
    self.init(itemCount: itemCount,
              embeddingSize: try given.value("--emb-size", default: d.embeddingSize),
              attentionSize: try given.value("--attn-size", default: d.attentionSize),
              interestCount: try given.value("--K", default: d.interestCount),
              addPosition: try given.flag("--add-pos", default: d.addPosition),
              addTransformer: try given.flag("--add-trm", default: d.addTransformer),
              aggregateRaw: try given.flag("--aggregate-raw", default: d.aggregateRaw),
              historyMax: try given.value("--history-max", default: d.historyMax),
              temperature: try given.value("--temp", default: d.temperature),
              projectionLayers: try given.value("--n-layers", default: d.projectionLayers),
              stopGradient: !(try given.flag("--no-stopgrad", default: !d.stopGradient)))
  }

  public func invalidSetting() -> (field: String, requirement: String, value: String)? {
    if let bad = Self.firstBelowOne([
      ("itemCount", itemCount), ("embeddingSize", embeddingSize), ("attentionSize", attentionSize),
      ("interestCount", interestCount), ("historyMax", historyMax), ("projectionLayers", projectionLayers),
    ]) { return bad }
    if !(temperature > 0 && temperature.isFinite) { return ("temperature", "must be > 0", "\(temperature)") }
    return nil
  }
}
