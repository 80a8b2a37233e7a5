import Foundation
import XCTest
@testable import SeqRec
import Tensor

/// Reproduces every tensor of the reference code's own outputs on a tiny batch
/// (Fixtures/timirec-tiny.safetensors, described in docs/MODEL.md §10):
/// predictions, losses, intents and gradients for pretrain and finetune n_layers 1;
/// interest vectors and evaluation scores for n_layers 2. Tolerance: 1e-4 relative or 1e-6
/// absolute, whichever is looser (float32 with a different summation order).
final class TiMiRecFixtureTests: XCTestCase {
  static let fixture: SafeTensorsFile = {
    let url = Bundle.module.url(forResource: "Fixtures/timirec-tiny", withExtension: "safetensors")!
    return try! SafeTensorsFile.read(url: url)
  }()

  var file: SafeTensorsFile { Self.fixture }

  func ints(_ name: String) throws -> [Int32] { try file.int64s(named: name).map { Int32($0) } }

  func model(stage: Stage, layers: Int, prefix: String) throws -> TiMiRec {
    let meta = file.metadata
    XCTAssertEqual(meta["K"], "3")
    let config = TiMiRecConfig(itemCount: 11, embeddingSize: 8, attentionSize: 4, interestCount: 3,
                               addPosition: true, addTransformer: true, historyMax: 5, temperature: 0.5,
                               projectionLayers: layers)
    var rng = RNG(seed: 0)
    let model = TiMiRec(config: config, stage: stage, rng: &rng)
    let loaded = try model.loadParameters(from: file, prefix: prefix + ".weight.", source: "fixture")
    XCTAssertEqual(loaded.count, model.namedParameters.count)
    // Every weight in the fixture for this stage is a parameter of ours (same state_dict).
    let stored = file.tensors.keys.filter { $0.hasPrefix(prefix + ".weight.") }
    XCTAssertEqual(Set(stored.map { String($0.dropFirst(prefix.count + 8)) }), Set(model.namedParameters.map(\.name)))
    return model
  }

  func input(train: Bool) throws -> ModelInput {
    let candidates = try ints(train ? "input.train_items" : "input.eval_items")
    return ModelInput(history: try ints("input.history"), lengths: try ints("input.lengths"), candidates: candidates,
                      batchSize: 4, historyLength: 5, candidateCount: train ? 2 : 6)
  }

  func check(_ actual: [Float], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let expected = try self.file.floats(named: name)
    XCTAssertEqual(actual.count, expected.count, name, file: file, line: line)
    var bad: [String] = []
    for i in expected.indices where !(abs(actual[i] - expected[i]) <= max(1e-6, 1e-4 * abs(expected[i]))) {
      bad.append("[\(i)] ours \(actual[i]) reference \(expected[i])")
    }
    XCTAssert(bad.isEmpty, "\(name): \(bad.count) mismatches: \(bad.prefix(4).joined(separator: "; "))", file: file, line: line)
  }

  func checkGradients(_ model: TiMiRec, prefix: String) throws {
    for (name, tensor) in model.namedParameters {
      let grad = tensor.grad.isEmpty ? [Float](repeating: 0, count: tensor.count) : tensor.grad
      try check(grad, "\(prefix).grad.\(name)")
    }
  }

  /// Interest vectors and evaluation scores (no gradient, dropout off) against `<prefix>.*`.
  func checkEvaluation(_ model: TiMiRec, prefix: String) throws {
    let eval = try input(train: false)
    let v = GradMode.withoutGrad {
      model.extractor(history: eval.history, lengths: eval.lengths, batch: 4, length: 5).interests
    }
    try check(v.data, "\(prefix).interest_vectors")
    try check(model.evaluationScores(eval).data, "\(prefix).eval.prediction")
  }

  /// The training forward on the fixture's [positive, negative] items, gradients zeroed.
  func trainForward(_ model: TiMiRec) throws -> TiMiRec.TrainOutput {
    for (_, p) in model.namedParameters { p.zeroGrad() }
    var rng = RNG(seed: 1)
    return model.trainForward(try input(train: true), rng: &rng)
  }

  func testPretrainMatchesReference() throws {
    let model = try model(stage: .pretrain, layers: 1, prefix: "pretrain")
    try checkEvaluation(model, prefix: "pretrain")

    let out = try trainForward(model)
    try check(out.scores.data, "pretrain.train.prediction")
    try check([out.loss.item()], "pretrain.train.loss")
    out.loss.backward()
    try checkGradients(model, prefix: "pretrain")
  }

  func testFinetuneOneLayerMatchesReference() throws {
    let model = try model(stage: .finetune, layers: 1, prefix: "finetune_L1")
    try checkEvaluation(model, prefix: "finetune_L1")

    let out = try trainForward(model)
    try check(out.scores.data, "finetune_L1.train.prediction")
    try check(out.predictedLogits!.data, "finetune_L1.train.pred_intent")
    try check(out.teacherSimilarities!.data, "finetune_L1.train.target_intent")
    try check([out.loss.item()], "finetune_L1.train.loss")
    out.loss.backward()
    try checkGradients(model, prefix: "finetune_L1")
  }

  func testFinetuneTwoLayersEvaluationMatchesReference() throws {
    let model = try model(stage: .finetune, layers: 2, prefix: "finetune_L2")
    try checkEvaluation(model, prefix: "finetune_L2")
  }

  /// Spec §3.9: parameter counts of the reference configurations.
  func testParameterCountsMatchReference() {
    var rng = RNG(seed: 0)
    let ml1m = TiMiRec(config: TiMiRecConfig(itemCount: 3707, interestCount: 2, projectionLayers: 2), stage: .finetune, rng: &rng)
    XCTAssertEqual(ml1m.parameterCount, 526_748)
    XCTAssertEqual(ml1m.extractor.parameterCount, 260_186)
    let ml1mPretrain = TiMiRec(config: TiMiRecConfig(itemCount: 3707, interestCount: 2, projectionLayers: 2), stage: .pretrain, rng: &rng)
    XCTAssertEqual(ml1mPretrain.parameterCount, 260_186)
    let beauty = TiMiRec(config: TiMiRecConfig(itemCount: 12_102, interestCount: 4, projectionLayers: 1), stage: .finetune, rng: &rng)
    XCTAssertEqual(beauty.parameterCount, 1_597_296)
    XCTAssertEqual(beauty.extractor.parameterCount, 797_484)
  }
}
