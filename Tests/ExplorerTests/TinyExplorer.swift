import Foundation
import SeqRec
import Tensor
import XCTest

@testable import Explorer

/// A tiny TiMiRec with set weights whose outputs can be computed by hand.
///
/// D = A = K = 2, no position embeddings, no transformer. Items (id: embedding):
/// 1 (1,0) · 2 (0,1) · 3 (2,0) · 4 (0,2) · 5 (1,1). W1 = I, b1 = 0, W2 = 3·I, b2 = 0, so the
/// attention logit of interest k at slot j is 3·tanh(x_j[k]). The predictor's GRU weights are
/// 0, so its state stays 0 and z^q = the final bias = (1, 0).
///
/// User 1: items 1, 2, 3, 5, 4 (train 1–3, dev 5, test 4). User 2: items 2, 4, 5 (train 2, dev
/// 4, test 5). User 3: items 5, 1 (train 5, test 1).
enum TinyExplorer {
  static let embeddings: [[Double]] = [[0, 0], [1, 0], [0, 1], [2, 0], [0, 2], [1, 1]]
  static let logits: [Double] = [1, 0]

  static let plainTitles = ["", "Apple", "Banana", "Cherry", "Date", "Elderberry"]

  static func dataset(titles: [String] = plainTitles) -> Dataset {
    let train = InteractionTable(users: [1, 1, 1, 2, 3], items: [1, 2, 3, 2, 5], times: [10, 20, 30, 15, 12])
    let dev = InteractionTable(users: [1, 2], items: [5, 4], times: [40, 25])
    let test = InteractionTable(users: [1, 2, 3], items: [4, 5, 1], times: [50, 35, 22])
    var dataset = Dataset(name: "tiny", train: train, dev: dev, test: test)
    dataset.catalog = ItemCatalog(
      titles: titles,
      categories: ["", "fruit|red", "fruit|yellow", "fruit|red", "dried", "berry"])
    return dataset
  }

  static func model(stage: Stage = .finetune) -> TiMiRec {
    let config = TiMiRecConfig(itemCount: 6, embeddingSize: 2, attentionSize: 2, interestCount: 2,
                               addPosition: false, addTransformer: false, historyMax: 20, temperature: 0.5)
    var rng = RNG(seed: 1)
    let model = TiMiRec(config: config, stage: stage, rng: &rng)
    for (_, tensor) in model.namedParameters { tensor.data = [Float](repeating: 0, count: tensor.count) }
    func set(_ name: String, _ values: [Float]) {
      guard let t = model.namedParameters.first(where: { $0.name == name })?.tensor else {
        preconditionFailure("no parameter \(name)")
      }
      t.data = values
    }
    set("interest_extractor.i_embeddings.weight", embeddings.flatMap { $0.map(Float.init) })
    set("interest_extractor.W1.weight", [1, 0, 0, 1])
    set("interest_extractor.W2.weight", [3, 0, 0, 3])
    if stage == .finetune { set("proj.proj_final.bias", logits.map(Float.init)) }
    return model
  }

  static func session(stage: Stage = .finetune, titles: [String] = plainTitles) -> ExplorerSession {
    let model = model(stage: stage)
    let data = dataset(titles: titles)
    let checkpoint = CheckpointConfig(
      stage: stage, modelConfig: model.config, training: TrainingConfig(),
      dataset: DatasetFingerprint(name: "tiny", itemCount: 6, userCount: 4, trainRows: 5, devRows: 2, testRows: 3),
      initializedFrom: nil, bestEpoch: 1, bestDev: [:])
    return ExplorerSession(dataset: data, model: model, checkpoint: checkpoint, datasetPath: "tiny", checkpointPath: "tiny-ckpt")
  }

  // MARK: Hand computation (Double, independent of the Tensor code)

  static func softmax(_ x: [Double], _ t: Double = 1) -> [Double] {
    let m = x.max()!
    let e = x.map { exp(($0 - m) / t) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  /// Attention (K, L) and interests (K, D) for a window of item ids.
  static func interests(window: [Int]) -> (attention: [[Double]], interests: [[Double]]) {
    let x = window.map { embeddings[$0] }
    var attention: [[Double]] = [], interests: [[Double]] = []
    for k in 0..<2 {
      let a = softmax(x.map { 3 * tanh($0[k]) })
      attention.append(a)
      interests.append((0..<2).map { d in zip(a, x).reduce(0) { $0 + $1.0 * $1.1[d] } })
    }
    return (attention, interests)
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
  static func cosine(_ a: [Double], _ b: [Double]) -> Double {
    dot(a, b) / (max(dot(a, a).squareRoot(), 1e-12) * max(dot(b, b).squareRoot(), 1e-12))
  }
  static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
    var s = 0.0
    for i in p.indices {
      let m = (p[i] + q[i]) / 2
      if p[i] > 0 { s += 0.5 * p[i] * log2(p[i] / m) }
      if q[i] > 0 { s += 0.5 * q[i] * log2(q[i] / m) }
    }
    return s
  }
}

/// Compares `text` with the stored snapshot `Snapshots/<name>.txt`; records it instead when
/// RECORD_SNAPSHOTS is set (or the file does not exist yet and RECORD_SNAPSHOTS=missing).
func assertSnapshot(_ text: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
  let url = URL(fileURLWithPath: "\(file)").deletingLastPathComponent()
    .appendingPathComponent("Snapshots").appendingPathComponent(name + ".txt")
  let record = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"]
  let exists = FileManager.default.fileExists(atPath: url.path)
  if record == "1" || record == "all" || (record == "missing" && !exists) {
    try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try? text.write(to: url, atomically: true, encoding: .utf8)
    return
  }
  guard let stored = try? String(contentsOf: url, encoding: .utf8) else {
    return XCTFail("no snapshot \(url.path); run with RECORD_SNAPSHOTS=missing to record it", file: file, line: line)
  }
  if stored != text {
    let a = stored.split(separator: "\n", omittingEmptySubsequences: false)
    let b = text.split(separator: "\n", omittingEmptySubsequences: false)
    let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
    XCTFail("""
      snapshot \(name) differs at line \(first + 1) (re-record with RECORD_SNAPSHOTS=1 if the change is intended):
        stored: \(first < a.count ? String(a[first]) : "<end>")
        actual: \(first < b.count ? String(b[first]) : "<end>")
      """, file: file, line: line)
  }
}
