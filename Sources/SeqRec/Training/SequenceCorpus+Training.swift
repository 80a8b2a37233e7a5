import Tensor

extension Dataset {
  /// What a checkpoint records about the dataset it was trained on.
  public var fingerprint: DatasetFingerprint {
    DatasetFingerprint(name: name, itemCount: itemCount, userCount: userCount, trainRows: train.count,
                       devRows: dev.count, testRows: test.count)
  }
}

extension SequenceBatch {
  /// The batch as the model's input (shares the arrays, no copy).
  public var modelInput: ModelInput {
    var input = ModelInput(history: history, lengths: lengths, candidates: candidates, batchSize: size,
                           historyLength: historyLength, candidateCount: candidateCount)
    input.historyTimes = historyTimes
    input.timeUnits = timeUnits
    return input
  }
}

/// The trainer reads its batches from the data layer's history windows (docs/MODEL.md §1.3–1.4, §2).
extension SequenceCorpus: TrainingSource {
  public var trainInstanceCount: Int { train.count }

  public func trainBatches(batchSize: Int, seed: UInt64, epoch: Int) -> [ModelInput] {
    trainEpoch(seed: seed, epoch: epoch, batchSize: batchSize).map(\.modelInput)
  }

  public func evaluationBatches(split: Split, batchSize: Int) -> [ModelInput] {
    evaluationBatches(split, batchSize: batchSize).map(\.modelInput)
  }
}
