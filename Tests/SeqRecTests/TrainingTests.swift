import Foundation
import XCTest
@testable import SeqRec
import Tensor

/// Training end to end on a tiny synthetic dataset with planted structure, checkpoints,
/// `--init` checks, NaN handling and the Table 4 variants.
final class TrainingTests: XCTestCase {
  /// 60 users; 40 items in 4 groups of 10. Each user walks one group in order (item i is
  /// followed by i + 1, wrapping inside the group), so the next item is fully predictable
  /// from the last one. Dev/test rows carry 99 negatives drawn outside the user's items, so
  /// random ranking gives HR@10 = 10/100 = 0.1.
  static func plantedDataset() -> Dataset {
    var rng = RNG(seed: 7)
    var train = InteractionTable(), dev = InteractionTable(negativeCount: 99), test = InteractionTable(negativeCount: 99)
    for user in 1...60 {
      let group = (user - 1) % 4
      let start = rng.uniformInt(in: 0...9)
      let length = 8
      let items = (0..<length).map { Int32(group * 10 + (start + $0) % 10 + 1) }
      let clicked = Set(items)
      func negatives() -> [Int32] {
        (0..<99).map { _ in
          var v: Int32
          repeat { v = Int32(rng.uniformInt(in: 1...40)) } while clicked.contains(v)
          return v
        }
      }
      for (t, item) in items.enumerated() {
        switch t {
        case length - 1:
          test.users.append(Int32(user)); test.items.append(item); test.times.append(Int64(t + 1)); test.negatives += negatives()
        case length - 2:
          dev.users.append(Int32(user)); dev.items.append(item); dev.times.append(Int64(t + 1)); dev.negatives += negatives()
        default:
          train.users.append(Int32(user)); train.items.append(item); train.times.append(Int64(t + 1))
        }
      }
    }
    return Dataset(name: "planted", train: train, dev: dev, test: test)
  }

  func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }

  static func smallConfig(_ dataset: Dataset) -> TiMiRecConfig {
    TiMiRecConfig(itemCount: dataset.itemCount, embeddingSize: 16, attentionSize: 8, interestCount: 2,
                  temperature: 0.5, projectionLayers: 1)
  }

  static func trainingConfig(epochs: Int) -> TrainingConfig {
    var training = TrainingConfig()
    training.learningRate = 1e-2
    training.batchSize = 64
    training.maxEpochs = epochs
    training.threads = 1
    return training
  }

  /// A trainer with the test settings whose epoch lines are discarded.
  static func quietTrainer(_ model: TiMiRec, epochs: Int, corpus: SequenceCorpus, dataset: Dataset, path: String,
                           initializedFrom: String?) -> Trainer<TiMiRec> {
    let trainer = Trainer(model: model, training: trainingConfig(epochs: epochs), source: corpus, checkpointPath: path,
                          fingerprint: dataset.fingerprint, initializedFrom: initializedFrom)
    trainer.log = { _ in }
    return trainer
  }

  func testPretrainThenFinetuneBeatsRandomRankingAndLossFalls() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryDirectory()
    var rng = RNG(seed: 0)

    let pretrainModel = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &rng)
    let pretrain = Self.quietTrainer(pretrainModel, epochs: 15, corpus: corpus, dataset: dataset, path: directory + "/pre", initializedFrom: nil)
    let pretrained = try pretrain.run()
    XCTAssertLessThan(pretrained.epochLosses.last!, pretrained.epochLosses.first! * 0.7,
                      "pretrain loss should fall: \(pretrained.epochLosses)")

    let finetuneModel = TiMiRec(config: Self.smallConfig(dataset), stage: .finetune, rng: &rng)
    try CheckpointDirectory.loadPretrainedExtractor(into: finetuneModel, from: directory + "/pre", fingerprint: dataset.fingerprint)
    let finetune = Self.quietTrainer(finetuneModel, epochs: 10, corpus: corpus, dataset: dataset, path: directory + "/fine", initializedFrom: directory + "/pre")
    let finetuned = try finetune.run()
    XCTAssertLessThan(finetuned.epochLosses.last!, finetuned.epochLosses.first!, "finetune loss should fall: \(finetuned.epochLosses)")

    let test = corpus.evaluationBatches(split: .test, batchSize: 256)
    let (bestPretrain, _) = try CheckpointDirectory.loadModel(directory + "/pre")
    let (bestFinetune, _) = try CheckpointDirectory.loadModel(directory + "/fine")
    let pre = Evaluator.evaluate(bestPretrain, batches: test, ks: [10])["HR@10"]!
    let fine = Evaluator.evaluate(bestFinetune, batches: test, ks: [10])["HR@10"]!
    // Random ranking: HR@10 = 10 / (1 + 99) = 0.1. The structure is fully predictable.
    XCTAssertGreaterThan(pre, 0.5, "pretrain HR@10 \(pre) vs random 0.1")
    XCTAssertGreaterThan(fine, 0.5, "finetune HR@10 \(fine) vs random 0.1")
  }

  func testCheckpointRoundTripsBitIdentically() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryDirectory()
    var rng = RNG(seed: 3)
    let model = TiMiRec(config: Self.smallConfig(dataset), stage: .finetune, rng: &rng)
    let trainer = Self.quietTrainer(model, epochs: 1, corpus: corpus, dataset: dataset, path: directory + "/ckpt", initializedFrom: nil)
    _ = try trainer.run()
    let (loaded, config) = try CheckpointDirectory.loadModel(directory + "/ckpt")
    XCTAssertEqual(config.timiRec, model.config)
    XCTAssertEqual(config.stage, .finetune)
    for ((name, a), (_, b)) in zip(model.namedParameters, loaded.namedParameters) {
      XCTAssertEqual(a.data.map(\.bitPattern), b.data.map(\.bitPattern), name)
    }
    let batch = corpus.evaluationBatches(split: .dev, batchSize: 256)[0]
    XCTAssertEqual(model.evaluationScores(batch).data.map(\.bitPattern), loaded.evaluationScores(batch).data.map(\.bitPattern))
    // Writing the loaded weights again gives the same bytes.
    let original = try Data(contentsOf: URL(fileURLWithPath: directory + "/ckpt/model.safetensors"))
    let again = try SafeTensorsFile(tensors: loaded.parameterTensors(),
                                    metadata: try CheckpointDirectory.readTensors(directory + "/ckpt").metadata).encoded()
    XCTAssertEqual(original, again)
  }

  func testResumeContinuesFromLastEpoch() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryDirectory()
    // Straight: 3 epochs. Interrupted: 2 epochs, then resume for the third.
    var rng = RNG(seed: 5)
    let straight = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &rng)
    let a = Self.quietTrainer(straight, epochs: 3, corpus: corpus, dataset: dataset, path: directory + "/a", initializedFrom: nil)
    _ = try a.run()

    rng = RNG(seed: 5)
    let first = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &rng)
    var stopAfter = 0
    let b = Self.quietTrainer(first, epochs: 3, corpus: corpus, dataset: dataset, path: directory + "/b", initializedFrom: nil)
    b.log = { _ in stopAfter += 1 }
    b.shouldStop = { stopAfter >= 2 }
    let partial = try b.run()
    XCTAssertTrue(partial.interrupted)
    XCTAssertEqual(partial.epochsDone, 2)

    var other = RNG(seed: 99)
    let resumedModel = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &other)
    let c = Self.quietTrainer(resumedModel, epochs: 3, corpus: corpus, dataset: dataset, path: directory + "/b", initializedFrom: nil)
    try c.resume()
    let resumed = try c.run()
    XCTAssertEqual(resumed.epochsDone, 3)
    for ((name, x), (_, y)) in zip(straight.namedParameters, resumedModel.namedParameters) {
      XCTAssertEqual(x.data, y.data, "\(name) differs after resuming")
    }
    XCTAssertThrowsError(try c.resume()) { error in
      XCTAssertTrue("\(error)".contains("already finished"), "\(error)")
    }
  }

  /// A run continues only with the settings it started with: another --threads (workers draw
  /// their own dropout masks), K, learning rate or seed is refused with both values named;
  /// the same settings with a larger epoch limit continue.
  func testResumeRefusesAnotherThreadCount() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryDirectory()
    var rng = RNG(seed: 5)
    let model = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &rng)
    _ = try Self.quietTrainer(model, epochs: 1, corpus: corpus, dataset: dataset, path: directory + "/run",
                              initializedFrom: nil).run()
    var training = Self.trainingConfig(epochs: 2)
    training.threads = 2
    let other = Trainer(model: model, training: training, source: corpus, checkpointPath: directory + "/run",
                        fingerprint: dataset.fingerprint, initializedFrom: nil)
    XCTAssertThrowsError(try other.resume()) { error in
      guard case let TrainingError.threadsChanged(_, started, requested) = error else {
        return XCTFail("expected threadsChanged, got \(error)")
      }
      XCTAssertEqual(started, 1)
      XCTAssertEqual(requested, 2)
      XCTAssertTrue("\(error)".contains("--threads 1"), "\(error)")
    }
    // Other training settings and model settings are refused too, each named with both values.
    var changed = Self.trainingConfig(epochs: 2)
    changed.seed = 7
    changed.learningRate = 5e-3
    var otherK = Self.smallConfig(dataset)
    otherK.interestCount = 3
    var scratch = RNG(seed: 1)
    let resumedElsewise = Trainer(model: TiMiRec(config: otherK, stage: .pretrain, rng: &scratch), training: changed,
                                  source: corpus, checkpointPath: directory + "/run", fingerprint: dataset.fingerprint,
                                  initializedFrom: nil)
    XCTAssertThrowsError(try resumedElsewise.resume()) { error in
      guard case let TrainingError.settingsChanged(_, changes) = error else {
        return XCTFail("expected settingsChanged, got \(error)")
      }
      XCTAssertEqual(changes, [
        SettingChange(option: "--K", started: "2", requested: "3"),
        SettingChange(option: "--lr", started: "0.01", requested: "0.005"),
        SettingChange(option: "--seed", started: "0", requested: "7"),
      ])
      XCTAssertTrue("\(error)".contains("--K 2 (now 3), --lr 0.01 (now 0.005), --seed 0 (now 7)"), "\(error)")
    }
    let same = Self.quietTrainer(model, epochs: 2, corpus: corpus, dataset: dataset, path: directory + "/run",
                                 initializedFrom: nil)
    XCTAssertNoThrow(try same.resume())
    XCTAssertEqual(same.epochsDone, 1)
  }

  func testInitRefusesAMismatchedPretrainCheckpoint() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryDirectory()
    var rng = RNG(seed: 1)
    let pretrainModel = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &rng)
    let trainer = Self.quietTrainer(pretrainModel, epochs: 1, corpus: corpus, dataset: dataset, path: directory + "/pre", initializedFrom: nil)
    _ = try trainer.run()

    var otherK = Self.smallConfig(dataset)
    otherK.interestCount = 3
    let wrongK = TiMiRec(config: otherK, stage: .finetune, rng: &rng)
    XCTAssertThrowsError(try CheckpointDirectory.loadPretrainedExtractor(into: wrongK, from: directory + "/pre",
                                                                        fingerprint: dataset.fingerprint)) { error in
      XCTAssertTrue("\(error)".contains("K is 2 in the checkpoint but 3 here"), "\(error)")
    }
    var rawAggregation = Self.smallConfig(dataset)
    rawAggregation.aggregateRaw = true
    let wrongAggregation = TiMiRec(config: rawAggregation, stage: .finetune, rng: &rng)
    XCTAssertThrowsError(try CheckpointDirectory.loadPretrainedExtractor(into: wrongAggregation, from: directory + "/pre",
                                                                        fingerprint: dataset.fingerprint)) { error in
      XCTAssertTrue("\(error)".contains("aggregate_raw is false in the checkpoint but true here"), "\(error)")
    }
    var otherData = dataset.fingerprint
    otherData.trainRows += 1
    let fine = TiMiRec(config: Self.smallConfig(dataset), stage: .finetune, rng: &rng)
    let before = fine.extractor.itemEmbeddings.data
    XCTAssertThrowsError(try CheckpointDirectory.loadPretrainedExtractor(into: fine, from: directory + "/pre",
                                                                        fingerprint: otherData)) { error in
      XCTAssertTrue("\(error)".contains("the dataset is planted (41 item rows, 61 user rows, train/dev/test 360/60/60)"), "\(error)")
    }
    XCTAssertEqual(fine.extractor.itemEmbeddings.data, before, "a refused checkpoint must change nothing")
    XCTAssertThrowsError(try CheckpointDirectory.loadPretrainedExtractor(into: fine, from: directory + "/missing",
                                                                        fingerprint: dataset.fingerprint)) { error in
      XCTAssertTrue("\(error)".contains("no checkpoint here"), "\(error)")
    }
    // A matching one loads the extractor and leaves the predictor as initialised; the
    // folder's name does not matter (a moved or renamed dataset still fits).
    let predictorBefore = fine.predictor!.itemEmbeddings.data
    var renamed = dataset.fingerprint
    renamed.name = "moved-elsewhere"
    try CheckpointDirectory.loadPretrainedExtractor(into: fine, from: directory + "/pre", fingerprint: renamed)
    let (pretrained, _) = try CheckpointDirectory.loadModel(directory + "/pre")
    XCTAssertEqual(fine.extractor.itemEmbeddings.data, pretrained.extractor.itemEmbeddings.data)
    XCTAssertEqual(fine.predictor!.itemEmbeddings.data, predictorBefore)
  }

  /// `aggregateRaw` round-trips, and a configuration written before it existed (no key)
  /// reads as false with every other field as written.
  func testConfigWithoutAggregateRawReadsAsTheReferenceAggregation() throws {
    var config = TiMiRecConfig(itemCount: 41, interestCount: 3, addTransformer: false, temperature: 0.5)
    config.aggregateRaw = true
    let data = try JSONEncoder().encode(config)
    XCTAssertEqual(try JSONDecoder().decode(TiMiRecConfig.self, from: data), config)
    var object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    XCTAssertEqual(object.removeValue(forKey: "aggregateRaw") as? Bool, true)
    let old = try JSONDecoder().decode(TiMiRecConfig.self, from: JSONSerialization.data(withJSONObject: object))
    config.aggregateRaw = false
    XCTAssertEqual(old, config)
    object.removeValue(forKey: "historyMax")
    XCTAssertThrowsError(try JSONDecoder().decode(TiMiRecConfig.self, from: JSONSerialization.data(withJSONObject: object))) {
      XCTAssertTrue("\($0)".contains("historyMax"), "\($0)")
    }
  }

  func testNonFiniteLossStopsWithEpochAndStepAndKeepsCheckpoint() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryDirectory()
    var rng = RNG(seed: 2)
    let model = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &rng)
    let trainer = Self.quietTrainer(model, epochs: 1, corpus: corpus, dataset: dataset, path: directory + "/ckpt", initializedFrom: nil)
    // Poison the item table: every score, hence the first step's loss, is NaN.
    let table = model.extractor.itemEmbeddings
    table.data = [Float](repeating: .nan, count: table.count)
    XCTAssertThrowsError(try trainer.run()) { error in
      guard case TrainingError.nonFiniteLoss(let epoch, let step, _) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(epoch, 1)
      XCTAssertEqual(step, 1)
      XCTAssertTrue("\(error)".contains("epoch 1, step 1"))
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/ckpt"), "no checkpoint may be written from a diverged step")
  }

  /// Under stop-gradient the distillation term sends no gradient into the extractor (the
  /// teacher is detached); `--no-stopgrad` (Table 4) lets it flow there too. The predictor
  /// gets the same distillation gradient either way.
  func testStopGradientControlsWhereDistillationFlows() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let batch = corpus.trainBatches(batchSize: 16, seed: 0, epoch: 0)[0]

    func distillationGradients(stopGradient: Bool) -> [String: [Float]] {
      var config = Self.smallConfig(dataset)
      config.stopGradient = stopGradient
      var rng = RNG(seed: 11)
      let model = TiMiRec(config: config, stage: .finetune, rng: &rng)
      for (_, p) in model.namedParameters { p.zeroGrad() }
      model.trainForward(batch, rng: &rng).distillationLoss!.backward()
      return Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor.grad) })
    }
    let detached = distillationGradients(stopGradient: true)
    let attached = distillationGradients(stopGradient: false)
    let extractorNames = detached.keys.filter { $0.hasPrefix("interest_extractor.") }
    XCTAssertFalse(extractorNames.isEmpty)
    for name in extractorNames {
      XCTAssertTrue(detached[name]!.allSatisfy { $0 == 0 }, "\(name) got distillation gradient under stop-gradient")
    }
    XCTAssertTrue(extractorNames.contains { attached[$0]!.contains { $0 != 0 } },
                  "without stop-gradient the teacher's parameters must get distillation gradient")
    for name in detached.keys where !name.hasPrefix("interest_extractor.") {
      XCTAssertEqual(detached[name]!, attached[name]!, "\(name): the student's distillation gradient must not change")
    }
    XCTAssertTrue(detached["proj.proj_final.weight"]!.contains { $0 != 0 })
  }

  /// Joint training (Table 4's "w/o pretrain") starts the extractor from random weights;
  /// finetuning from a pretrain checkpoint starts it from the pretrained ones — so the first
  /// step's recommendation gradient differs, while the model and loss are the same.
  func testJointStartsFromRandomExtractorAndFinetuneFromPretrained() throws {
    let dataset = Self.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryDirectory()
    var rng = RNG(seed: 4)
    let pretrainModel = TiMiRec(config: Self.smallConfig(dataset), stage: .pretrain, rng: &rng)
    let trainer = Self.quietTrainer(pretrainModel, epochs: 2, corpus: corpus, dataset: dataset, path: directory + "/pre", initializedFrom: nil)
    _ = try trainer.run()

    let batch = corpus.trainBatches(batchSize: 16, seed: 0, epoch: 0)[0]
    func firstStepGradient(initFrom path: String?) throws -> [Float] {
      var rng = RNG(seed: 12)
      let model = TiMiRec(config: Self.smallConfig(dataset), stage: .finetune, rng: &rng)
      if let path { try CheckpointDirectory.loadPretrainedExtractor(into: model, from: path, fingerprint: dataset.fingerprint) }
      for (_, p) in model.namedParameters { p.zeroGrad() }
      model.trainForward(batch, rng: &rng).recommendationLoss.backward()
      return model.extractor.attention1.weight.grad
    }
    let joint = try firstStepGradient(initFrom: nil)
    let pretrained = try firstStepGradient(initFrom: directory + "/pre")
    XCTAssertNotEqual(joint, pretrained)
    XCTAssertTrue(joint.contains { $0 != 0 } && pretrained.contains { $0 != 0 })
  }
}
