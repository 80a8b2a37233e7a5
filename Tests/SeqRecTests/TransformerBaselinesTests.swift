import Foundation
import TestSupport
import XCTest
@testable import SeqRec
import Tensor

/// SASRec and TiSASRec against the reference code's own outputs on a tiny batch
/// (Fixtures/transformer-baselines-tiny.safetensors: 4 histories of length ≤ 5 over 11 item
/// rows, D 8, time_max 6, weights drawn with a larger spread than the N(0, 0.01²) initialisation
/// so every term matters; made by running the reference PyTorch modules with torch 2.13 on CPU),
/// their gradients by central differences, and the time intervals and units by hand.
/// Fixture tolerance: 1e-4 relative or 1e-6 absolute, whichever is looser (float32 with a
/// different summation order).
final class TransformerBaselinesTests: XCTestCase {
  static let fixture: SafeTensorsFile = {
    let url = Bundle.module.url(forResource: "Fixtures/transformer-baselines-tiny", withExtension: "safetensors")!
    return try! SafeTensorsFile.read(url: url)
  }()

  var file: SafeTensorsFile { Self.fixture }

  func ints(_ name: String) throws -> [Int32] { try file.int64s(named: name).map { Int32($0) } }

  /// The fixture's batch: training candidates [positive, negative] or 6 evaluation candidates.
  func input(train: Bool) throws -> ModelInput {
    var input = ModelInput(history: try ints("input.history"), lengths: try ints("input.lengths"),
                           candidates: try ints(train ? "input.train_items" : "input.eval_items"),
                           batchSize: 4, historyLength: 5, candidateCount: train ? 2 : 6)
    input.historyTimes = try file.int64s(named: "input.times")
    input.timeUnits = try file.int64s(named: "input.units")
    return input
  }

  func load(_ model: some ParameterContainer, prefix: String) throws {
    let loaded = try model.loadParameters(from: file, prefix: prefix + ".weight.", source: "fixture")
    XCTAssertEqual(loaded.count, model.namedParameters.count)
    // Every weight the reference saved for this model is a parameter of ours (same state_dict names).
    let stored = file.tensors.keys.filter { $0.hasPrefix(prefix + ".weight.") }
    XCTAssertEqual(Set(stored.map { String($0.dropFirst(prefix.count + 8)) }), Set(model.namedParameters.map(\.name)))
  }

  func check(_ actual: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    assertClose(actual, try self.file.floats(named: name), relative: 1e-4, absolute: 1e-6, name, file: file, line: line)
  }

  /// Evaluation scores, training scores, loss and every gradient against `<prefix>.*`.
  func checkAgainstReference(_ model: some ParameterContainer, prefix: String, userVectors: (ModelInput) -> Tensor,
                             evaluationScores: (ModelInput) -> Tensor,
                             trainingLoss: (ModelInput) -> Tensor, table: Tensor) throws {
    try check(evaluationScores(try input(train: false)).data, prefix + ".eval.prediction")
    let train = try input(train: true)
    let trainScores = GradMode.withoutGrad {
      userVectors(train).bmm(Tensor.embedding(table, indices: train.candidates, shape: [4, 2]), transposeOther: true)
    }
    try check(trainScores.data, prefix + ".train.prediction")
    for (_, p) in model.namedParameters { p.zeroGrad() }
    let loss = trainingLoss(train)
    try check([loss.item()], prefix + ".train.loss")
    loss.backward()
    for (name, tensor) in model.namedParameters {
      let grad = tensor.grad.isEmpty ? [Float](repeating: 0, count: tensor.count) : tensor.grad
      try check(grad, "\(prefix).grad.\(name)")
    }
  }

  func sasrec(heads: Int, layers: Int, prefix: String) throws -> SASRec {
    var rng = RNG(seed: 0)
    let model = SASRec(config: SASRecConfig(itemCount: 11, embeddingSize: 8, layerCount: layers, headCount: heads,
                                            historyMax: 5), rng: &rng)
    try load(model, prefix: prefix)
    return model
  }

  func tisasrec(heads: Int, prefix: String) throws -> TiSASRec {
    var rng = RNG(seed: 0)
    let model = TiSASRec(config: TiSASRecConfig(itemCount: 11, embeddingSize: 8, headCount: heads, historyMax: 5,
                                                timeMax: 6), rng: &rng)
    try load(model, prefix: prefix)
    return model
  }

  func testSASRecOneHeadMatchesReference() throws {
    let model = try sasrec(heads: 1, layers: 1, prefix: "sasrec_h1")
    XCTAssertEqual(model.layers.count, 1, "one head runs the shared TransformerLayer")
    var rng = RNG(seed: 1)
    try checkAgainstReference(model, prefix: "sasrec_h1", userVectors: { model.userVector(history: $0.history, lengths: $0.lengths, batch: 4, length: 5) },
                              evaluationScores: model.evaluationScores,
                              trainingLoss: { model.trainingLoss($0, rng: &rng) }, table: model.itemEmbeddings)
  }

  func testSASRecTwoHeadsTwoLayersMatchesReference() throws {
    let model = try sasrec(heads: 2, layers: 2, prefix: "sasrec_h2l2")
    XCTAssertEqual(model.multiHeadLayers.count, 2)
    var rng = RNG(seed: 1)
    try checkAgainstReference(model, prefix: "sasrec_h2l2", userVectors: { model.userVector(history: $0.history, lengths: $0.lengths, batch: 4, length: 5) },
                              evaluationScores: model.evaluationScores,
                              trainingLoss: { model.trainingLoss($0, rng: &rng) }, table: model.itemEmbeddings)
  }

  func testTiSASRecOneAndTwoHeadsMatchReference() throws {
    for (heads, prefix) in [(1, "tisasrec_h1"), (2, "tisasrec_h2")] {
      let model = try tisasrec(heads: heads, prefix: prefix)
      var rng = RNG(seed: 1)
      try checkAgainstReference(model, prefix: prefix, userVectors: model.userVectors,
                                evaluationScores: model.evaluationScores,
                                trainingLoss: { model.trainingLoss($0, rng: &rng) }, table: model.itemEmbeddings)
    }
  }

  /// The fixture's intervals by hand: row 0 times (100, 130, 130, 400, 100000), unit 30:
  /// |130 − 100| / 30 = 1, |400 − 100| / 30 = 10 → 6 (time_max), equal times → 0.
  func testIntervalsScaleByUnitAndClamp() throws {
    var rng = RNG(seed: 0)
    let model = TiSASRec(config: TiSASRecConfig(itemCount: 11, embeddingSize: 8, historyMax: 5, timeMax: 6), rng: &rng)
    let r = model.intervals(times: [100, 130, 130, 400, 100_000, 5, 9, 0, 0, 0], units: [30, 4], batch: 2, length: 5)
    XCTAssertEqual(Array(r[0..<5]), [0, 1, 1, 6, 6])  // slot 0 against every slot of row 0
    XCTAssertEqual(Array(r[5..<10]), [1, 0, 0, 6, 6])  // slot 1: 30/30, 0, 0, 270/30 = 9 → 6, …
    XCTAssertEqual(r[2 * 5 + 3], 6)  // |130 − 400| / 30 = 9 → 6
    XCTAssertEqual(Array(r[25..<30]), [0, 1, 1, 1, 1])  // row 1 slot 0: |5 − 9| / 4 = 1, padding |5 − 0| / 4 = 1
    XCTAssertEqual(r[25 + 5 + 0], 1)  // row 1 slot 1 vs slot 0
    XCTAssertEqual(r[25 + 5 + 2], 2)  // row 1 slot 1 vs padding: 9 / 4 = 2.25 → 2
  }

  /// The time unit is the smallest positive gap of the user's times over all splits, capped
  /// at 65,535; batches carry each slot's time and each row's unit.
  func testBatchesCarryTimesAndUnits() {
    var train = InteractionTable(), dev = InteractionTable(negativeCount: 1), test = InteractionTable(negativeCount: 1)
    // user 1: times 10, 17, 17, 20 (train), 100 (dev), 1000 (test): smallest positive gap 3.
    for (item, time) in [(1, 10), (2, 17), (3, 17), (4, 20)] as [(Int32, Int64)] {
      train.users.append(1); train.items.append(item); train.times.append(time)
    }
    dev.users.append(1); dev.items.append(5); dev.times.append(100); dev.negatives.append(6)
    test.users.append(1); test.items.append(6); test.times.append(1000); test.negatives.append(5)
    // user 2: gaps of 100,000 s only: the unit is capped at 65,535.
    for (item, time) in [(1, 0), (2, 100_000)] as [(Int32, Int64)] {
      train.users.append(2); train.items.append(item); train.times.append(time)
    }
    dev.users.append(2); dev.items.append(3); dev.times.append(200_000); dev.negatives.append(4)
    test.users.append(2); test.items.append(4); test.times.append(300_000); test.negatives.append(5)
    let corpus = SequenceCorpus(dataset: Dataset(name: "times", train: train, dev: dev, test: test), historyMax: 20)
    XCTAssertEqual(corpus.timeUnit(user: 1), 3)
    XCTAssertEqual(corpus.timeUnit(user: 2), 65_535)
    let batch = corpus.evaluationBatches(.test, batchSize: 8)[0]
    XCTAssertEqual(batch.historyLength, 5)
    XCTAssertEqual(batch.historyTimes, [10, 17, 17, 20, 100, 0, 100_000, 200_000, 0, 0])
    XCTAssertEqual(batch.timeUnits, [3, 65_535])
    let input = batch.modelInput
    XCTAssertEqual(input.historyTimes, batch.historyTimes)
    XCTAssertEqual(input.timeUnits, batch.timeUnits)
    // A data-parallel slice keeps its rows' times.
    let second = input.rows(1..<2)
    XCTAssertEqual(second.historyTimes, [0, 100_000, 200_000, 0, 0])
    XCTAssertEqual(second.timeUnits, [65_535])
  }

  // MARK: - Gradients by central differences

  func testSASRecGradientsMatchFiniteDifferences() throws {
    for (heads, layers, prefix) in [(1, 1, "sasrec_h1"), (2, 2, "sasrec_h2l2")] {
      let model = try sasrec(heads: heads, layers: layers, prefix: prefix)
      let train = try input(train: true)
      var rng = RNG(seed: 1)
      assertModelGradientsMatchFiniteDifferences(model, prefix) { model.trainingLoss(train, rng: &rng) }
    }
  }

  func testTiSASRecGradientsMatchFiniteDifferences() throws {
    for (heads, prefix) in [(1, "tisasrec_h1"), (2, "tisasrec_h2")] {
      let model = try tisasrec(heads: heads, prefix: prefix)
      let train = try input(train: true)
      var rng = RNG(seed: 1)
      assertModelGradientsMatchFiniteDifferences(model, prefix) { model.trainingLoss(train, rng: &rng) }
    }
  }

  /// Parameter counts from the definitions: ML-100K (1,683 item rows), D 64, one layer:
  /// SASRec E 107,712 + P 1,344 + layer 21,056 (5 linear (64·64 + 64), 2 LayerNorm 2·64) = 130,112;
  /// TiSASRec E + 2·P + 2·(513·64) + layer = 197,120.
  func testParameterCounts() {
    var rng = RNG(seed: 0)
    let layer = 5 * (64 * 64 + 64) + 4 * 64
    XCTAssertEqual(SASRec(config: SASRecConfig(itemCount: 1683), rng: &rng).parameterCount, 1683 * 64 + 21 * 64 + layer)
    XCTAssertEqual(SASRec(config: SASRecConfig(itemCount: 1683), rng: &rng).parameterCount, 130_112)
    XCTAssertEqual(TiSASRec(config: TiSASRecConfig(itemCount: 1683), rng: &rng).parameterCount,
                   1683 * 64 + 2 * 21 * 64 + 2 * 513 * 64 + layer)
    XCTAssertEqual(TiSASRec(config: TiSASRecConfig(itemCount: 1683), rng: &rng).parameterCount, 197_120)
  }

  /// `timirec train`'s options build each configuration; impossible values and another
  /// model's options are refused by name.
  func testRegistryBuildsFromTrainOptions() throws {
    let sasrec = try ModelRegistry.entry(named: "SASRec")
    XCTAssertEqual(sasrec.options, ["--emb-size", "--history-max", "--num-heads", "--num-layers"])
    XCTAssertEqual(try sasrec.configuration(itemCount: 9, given: ModelOptions(["--num-heads": "2", "--num-layers": "3"])) as? SASRecConfig,
                   SASRecConfig(itemCount: 9, layerCount: 3, headCount: 2))
    XCTAssertThrowsError(try sasrec.configuration(itemCount: 9, given: ModelOptions(["--time-max": "5"]))) { error in
      XCTAssertTrue("\(error)".hasPrefix("--time-max does not apply to SASRec"), "\(error)")
    }
    let tisasrec = try ModelRegistry.entry(named: "TiSASRec")
    XCTAssertEqual(try tisasrec.configuration(itemCount: 9, given: ModelOptions(["--time-max": "64"])) as? TiSASRecConfig,
                   TiSASRecConfig(itemCount: 9, timeMax: 64))
    XCTAssertEqual(SASRecConfig(itemCount: 11, embeddingSize: 64, headCount: 3).invalidSetting()?.requirement,
                   "must divide the embedding size 64")
    XCTAssertEqual(TiSASRecConfig(itemCount: 11, timeMax: -1).invalidSetting()?.field, "timeMax")
    XCTAssertNil(TiSASRecConfig(itemCount: 11).invalidSetting())
  }

  /// Two data-parallel threads give the one-thread gradient (each worker its own replica;
  /// the row slices keep their times).
  func testTwoThreadsGiveTheOneThreadGradient() {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let batch = corpus.trainBatches(batchSize: 64, seed: 0, epoch: 0)[0]
    XCTAssertFalse(batch.historyTimes.isEmpty)
    var rng = RNG(seed: 3)
    let config = TiSASRecConfig(itemCount: dataset.itemCount, embeddingSize: 16, headCount: 2, timeMax: 8)
    let single = TiSASRec(config: config, rng: &rng)
    let parallel = single.makeReplica()
    for ((_, a), (_, b)) in zip(single.namedParameters, parallel.namedParameters) { b.data = a.data }
    var rng1 = RNG(seed: 1), rng2 = RNG(seed: 1)
    let one = DataParallelStepper(model: single, threads: 1).computeGradients(batch, rng: &rng1)
    let two = DataParallelStepper(model: parallel, threads: 2).computeGradients(batch, rng: &rng2)
    XCTAssertEqual(one, two, accuracy: 1e-6)
    for ((name, a), (_, b)) in zip(single.namedParameters, parallel.namedParameters) {
      assertClose(b.grad, a.grad, relative: 1e-4, absolute: 1e-7, name)
    }
  }

  /// Both models train through `Trainer` (loss falling), their checkpoints open again as the
  /// same model by config.json's name, and the best model ranks the planted targets well.
  func testTrainAndReopen() throws {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let folder = try temporaryFolder(self)
    var rng = RNG(seed: 5)
    let models: [any TrainableRecommender] = [
      SASRec(config: SASRecConfig(itemCount: dataset.itemCount, embeddingSize: 16), rng: &rng),
      TiSASRec(config: TiSASRecConfig(itemCount: dataset.itemCount, embeddingSize: 16), rng: &rng),
    ]
    for model in models { try trainAndReopen(model, corpus: corpus, dataset: dataset, folder: folder) }
  }

  func trainAndReopen<M: TrainableRecommender>(_ model: M, corpus: SequenceCorpus, dataset: Dataset, folder: String) throws {
    var training = TrainingTests.trainingConfig(epochs: 3)
    training.learningRate = 1e-2
    let path = folder + "/" + M.modelName
    let trainer = Trainer(model: model, training: training, source: corpus, checkpointPath: path,
                          fingerprint: dataset.fingerprint, initializedFrom: nil)
    trainer.log = { _ in }
    let outcome = try trainer.run()
    XCTAssertEqual(outcome.epochsDone, 3)
    XCTAssertLessThan(outcome.epochLosses[2], outcome.epochLosses[0], M.modelName)
    let (opened, config) = try CheckpointDirectory.openModel(path, for: dataset.fingerprint)
    XCTAssertEqual(config.model, M.modelName)
    XCTAssertTrue(opened is M)
    // The planted sequences are learnable: far above chance (10 of 100 candidates = 0.1).
    let hr = Evaluator.evaluate(opened, batches: corpus.evaluationBatches(split: .test, batchSize: 64), ks: [10])["HR@10"] ?? 0
    XCTAssertGreaterThan(hr, 0.5, M.modelName)
  }
}
