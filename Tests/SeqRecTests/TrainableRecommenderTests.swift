import Foundation
import XCTest
@testable import SeqRec
import Tensor

/// A second model type trains through the generic `Trainer` and `DataParallelStepper`.
final class TrainableRecommenderTests: XCTestCase {
  /// A matrix-factorisation-like model: one item table E; a history is the mean of its
  /// items' rows, and a candidate's score is its inner product with that mean. Trained with
  /// BPR over [positive, negative].
  final class MeanHistoryMF: TrainableRecommender {
    static let modelName = "MeanHistoryMF"
    let itemCount: Int
    let historyMax: Int
    let embeddingSize: Int
    let table: Tensor

    init(itemCount: Int, embeddingSize: Int, historyMax: Int, rng: inout RNG) {
      self.itemCount = itemCount
      self.embeddingSize = embeddingSize
      self.historyMax = historyMax
      table = Tensor.normal([itemCount, embeddingSize], std: 0.1, requiresGrad: true,
                            name: "item_embeddings.weight", using: &rng)
    }

    var namedParameters: [NamedParameter] { [(table.name, table)] }

    /// Scores (B, C) with gradients recorded (when recording is on).
    func scores(_ input: ModelInput) -> Tensor {
      let b = input.batchSize, l = input.historyLength, c = input.candidateCount
      var weights = [Float](repeating: 0, count: b * l)
      for row in 0..<b {
        let n = min(Int(input.lengths[row]), l)
        for t in 0..<n { weights[row * l + t] = 1 / Float(n) }
      }
      let history = Tensor.embedding(table, indices: input.history, shape: [b, l])  // (B, L, D)
      let mean = Tensor(shape: [b, 1, l], data: weights).bmm(history)  // (B, 1, D)
      let items = Tensor.embedding(table, indices: input.candidates, shape: [b, c])  // (B, C, D)
      return mean.bmm(items, transposeOther: true).reshape([b, c])
    }

    func evaluationScores(_ input: ModelInput) -> Tensor { GradMode.withoutGrad { scores(input) } }

    func trainingLoss(_ input: ModelInput, rng: inout RNG) -> Tensor {
      let s = scores(input)
      return bprLoss(positive: s.narrow(axis: 1, start: 0, length: 1), negative: s.narrow(axis: 1, start: 1, length: 1))
    }

    func makeReplica() -> MeanHistoryMF {
      var scratch = RNG(seed: 0)
      return MeanHistoryMF(itemCount: itemCount, embeddingSize: embeddingSize, historyMax: historyMax, rng: &scratch)
    }

    /// Its own configuration in config.json's `modelConfig`.
    struct Config: ModelConfiguration {
      var itemCount: Int
      var embeddingSize: Int
      var historyMax: Int
      static let options = ["embeddingSize": "--emb-size", "historyMax": "--history-max"]
      init(itemCount: Int, embeddingSize: Int, historyMax: Int) {
        self.itemCount = itemCount
        self.embeddingSize = embeddingSize
        self.historyMax = historyMax
      }
      init(itemCount: Int, given: ModelOptions) throws {
        self.init(itemCount: itemCount, embeddingSize: try given.value("--emb-size", default: 8),
                  historyMax: try given.value("--history-max", default: 20))
      }
      func invalidSetting() -> (field: String, requirement: String, value: String)? {
        Self.firstBelowOne([("embeddingSize", embeddingSize), ("historyMax", historyMax)])
      }
    }

    var checkpointDescription: (stage: Stage?, modelConfig: any ModelConfiguration) {
      (nil, Config(itemCount: itemCount, embeddingSize: embeddingSize, historyMax: historyMax))
    }
  }

  func testSecondModelTrainsThroughTrainer() throws {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    var rng = RNG(seed: 5)
    let model = MeanHistoryMF(itemCount: dataset.itemCount, embeddingSize: 16, historyMax: 20, rng: &rng)
    var training = TrainingTests.trainingConfig(epochs: 2)
    training.threads = 2  // the batch split over a replica, too
    let trainer = Trainer(model: model, training: training, source: corpus, checkpointPath: url.path + "/mf",
                          fingerprint: dataset.fingerprint, initializedFrom: nil)
    trainer.log = { _ in }
    let outcome = try trainer.run()
    XCTAssertEqual(outcome.epochsDone, 2)
    XCTAssertEqual(outcome.epochLosses.count, 2)
    XCTAssertTrue(outcome.epochLosses.allSatisfy(\.isFinite))
    XCTAssertLessThan(outcome.epochLosses[1], outcome.epochLosses[0])
    // The checkpoint names the model and holds its one table.
    let json = try JSONSerialization.jsonObject(
      with: Data(contentsOf: url.appendingPathComponent("mf/config.json"))) as? [String: Any]
    XCTAssertEqual(json?["model"] as? String, "MeanHistoryMF")
    XCTAssertNil(json?["stage"], "a model without stages has no stage field")
    XCTAssertEqual(json?["modelConfig"] as? [String: Int], ["itemCount": dataset.itemCount, "embeddingSize": 16, "historyMax": 20])
    let weights = try SafeTensorsFile.read(url: url.appendingPathComponent("mf/last.safetensors"))
    XCTAssertEqual(Set(weights.tensors.keys), ["item_embeddings.weight"])
    XCTAssertEqual(weights.tensors["item_embeddings.weight"]?.floats?.map(\.bitPattern), model.table.data.map(\.bitPattern))
    XCTAssertEqual(weights.metadata["model"], "MeanHistoryMF")
  }

  func testStepperSplitsSecondModelLikeOneThread() {
    // Two threads give the one-thread gradient up to float rounding of the slice sums.
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let batch = corpus.trainBatches(batchSize: 64, seed: 0, epoch: 0)[0]
    var rng = RNG(seed: 5)
    let single = MeanHistoryMF(itemCount: dataset.itemCount, embeddingSize: 16, historyMax: 20, rng: &rng)
    let parallel = single.makeReplica()
    parallel.table.data = single.table.data
    var rng1 = RNG(seed: 1), rng2 = RNG(seed: 1)
    let one = DataParallelStepper(model: single, threads: 1).computeGradients(batch, rng: &rng1)
    let two = DataParallelStepper(model: parallel, threads: 2).computeGradients(batch, rng: &rng2)
    XCTAssertEqual(one, two, accuracy: 1e-6)
    XCTAssertEqual(single.table.grad.count, parallel.table.grad.count)
    for (a, b) in zip(single.table.grad, parallel.table.grad) { XCTAssertEqual(a, b, accuracy: 1e-6) }
  }
}
