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
  ///   - rng: the dropout masks' source; the same draws give the same loss.
  func trainingLoss(_ input: ModelInput, rng: inout RNG) -> Tensor

  /// A model of the same architecture (same `namedParameters` names and shapes, in the same
  /// order) for a data-parallel worker. Its values do not matter: the stepper points its
  /// parameters at the main model's storage before each step.
  func makeReplica() -> Self

  /// What config.json's `stage` and `modelConfig` fields hold for this model (with
  /// `modelName` in its `model` field), and what `--resume` compares with them.
  ///
  /// This is the one TiMiRec-shaped part left: config.json format 2 describes a model by a
  /// `TiMiRecConfig`, and the format stays as it is, so another model states its
  /// architecture in those terms (item count, embedding size, history window, …) until the
  /// format gets a per-model field.
  var checkpointDescription: (stage: Stage, modelConfig: TiMiRecConfig) { get }
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

  public var checkpointDescription: (stage: Stage, modelConfig: TiMiRecConfig) { (stage, config) }
}
