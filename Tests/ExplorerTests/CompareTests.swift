import Foundation
import SeqRec
import Tensor
import TestSupport
import XCTest

@testable import Explorer

/// `explore --compare`: the second model's part of the view is its own view of the same
/// (user, step, T), the screen shows both models' interests and lists at 80×24, `v` toggles,
/// and a checkpoint of another dataset is refused.
final class CompareTests: XCTestCase {
  /// A second model on the tiny dataset: seeded random weights, K = `k`.
  static func secondSession(k: Int = 3, stage: Stage = .pretrain) -> ExplorerSession {
    let config = TiMiRecConfig(itemCount: 6, embeddingSize: 2, attentionSize: 2, interestCount: k,
                               addPosition: false, addTransformer: false, historyMax: 20, temperature: 1)
    var rng = RNG(seed: 7)
    let model = TiMiRec(config: config, stage: stage, rng: &rng)
    let checkpoint = CheckpointConfig(
      stage: stage, modelConfig: model.config, training: TrainingConfig(),
      dataset: DatasetFingerprint(name: "tiny", itemCount: 6, userCount: 4, trainRows: 5, devRows: 2, testRows: 3),
      initializedFrom: nil, bestEpoch: 1, bestDev: [:])
    return ExplorerSession(dataset: TinyExplorer.dataset(), model: model, checkpoint: checkpoint, datasetPath: "tiny",
                           checkpointPath: "runs/tiny-k\(k)")
  }

  /// Writes `model` as a checkpoint folder of `dataset` (config.json, model.safetensors).
  static func writeCheckpoint(_ model: TiMiRec, stage: Stage, for dataset: Dataset, to path: String) throws {
    let config = CheckpointConfig(stage: stage, modelConfig: model.config, training: TrainingConfig(),
                                  dataset: dataset.fingerprint, initializedFrom: nil, bestEpoch: 1, bestDev: [:])
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: path + "/config.json"))
    try SafeTensorsFile(tensors: model.parameterTensors()).write(to: URL(fileURLWithPath: path + "/model.safetensors"))
  }

  func builder(k: Int = 3, stage: Stage = .pretrain) -> ViewBuilder {
    let b = ViewBuilder(session: TinyExplorer.session())
    b.comparison = ViewBuilder(session: Self.secondSession(k: k, stage: stage))
    return b
  }

  /// Model 2's interests, diagnostics, lists and ranks are what it shows on its own at the
  /// same state (without the cursor); a pretrain model 2 recommends by the best match.
  func testComparedModelIsTheSecondModelsOwnView() throws {
    var state = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    state.focus = .timirec
    let view = builder().fullView(for: state)
    let compared = try XCTUnwrap(view.compare)
    var plain = state
    plain.focus = .users
    let alone = ViewBuilder(session: Self.secondSession()).view(for: plain)
    XCTAssertEqual(compared.interestCount, 3)
    XCTAssertEqual(compared.stage, "pretrain")
    XCTAssertEqual(compared.rule, "best-match")
    XCTAssertEqual(compared.interests, alone.interests)
    XCTAssertEqual(compared.diagnostics, alone.diagnostics)
    XCTAssertEqual(compared.recommendations, alone.recommendations)
    XCTAssertNil(compared.recommendations?.timirec)
    XCTAssertNotNil(compared.recommendations?.bestMatchTargetRank)
    // Model 1 is unchanged by the comparison.
    XCTAssertEqual(view.recommendations, ViewBuilder(session: TinyExplorer.session()).view(for: state).recommendations)
    // The side-by-side pane: model 1's TiMiRec rank, model 2's best-match rank.
    let versus = try XCTUnwrap(Panes.versus(view, state: state, height: 10, width: 100))
    let header = versus.lines[0].map(\.text).joined()
    XCTAssertTrue(header.contains("1 TiMiRec · true next #\(view.recommendations!.timirecTargetRank!)/2"), header)
    XCTAssertTrue(header.contains("2 best-match · true next #\(alone.recommendations!.bestMatchTargetRank!)/2"), header)
    // A finetuned model 2 recommends by its mix.
    let finetuned = try XCTUnwrap(builder(k: 2, stage: .finetune).fullView(for: state).compare)
    XCTAssertEqual(finetuned.rule, "timirec")
  }

  /// 80×24 with K = 2 and 3: both interest panes and both lists show, every row fits; `v`
  /// returns to model 1 alone (its distributions and two rules); with K = 2 and 10 the compare
  /// view does not fit at 24 rows and the legend row says how many rows it needs.
  func testCompareScreenAt80x24AndTheVKey() throws {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: TinyExplorer.session(), state: ExplorerState(userIndex: 0, step: 3, temperature: 0.5),
                            comparison: Self.secondSession())
    loop.draw(on: terminal)
    var frame = terminal.frames.last!
    for text in ["Interests · model 1", "Interests · model 2", "Model 1 vs model 2", "1 TiMiRec · ", "2 best-match · ", "Timeline"] {
      XCTAssertTrue(frame.contains(text), "\(text) missing:\n\(frame)")
    }
    for row in frame.split(separator: "\n") { XCTAssertLessThanOrEqual(cellWidth(String(row)), 80, String(row)) }
    loop.press(.character("v"), terminal: terminal)
    frame = terminal.frames.last!
    XCTAssertFalse(frame.contains("Interests · model 2"), frame)
    XCTAssertTrue(frame.contains("Best-match · "), frame)
    XCTAssertTrue(frame.contains("model 1 alone"), frame)
    loop.press(.character("v"), terminal: terminal)
    XCTAssertTrue(terminal.frames.last!.contains("Interests · model 2"))
    // Step 0: no lists yet; the lists' place says why.
    loop.press(.home, terminal: terminal)
    XCTAssertTrue(terminal.frames.last!.contains("nothing to recommend from an empty history"), terminal.frames.last!)

    let wide = ExplorerLoop(session: TinyExplorer.session(), state: ExplorerState(userIndex: 0, step: 3, temperature: 0.5),
                            comparison: Self.secondSession(k: 10))
    wide.draw(on: terminal)
    frame = terminal.frames.last!
    XCTAssertTrue(frame.contains("model 1 vs model 2 needs 25 rows (K=2+10)"), frame)
    XCTAssertTrue(frame.contains("Distributions"), frame)
    terminal.rows = 25
    wide.draw(on: terminal)
    XCTAssertTrue(terminal.frames.last!.contains("Interests · model 2"), terminal.frames.last!)
  }

  /// Without --compare, `v` only says how to start a comparison.
  func testVWithoutASecondModelSaysHow() {
    var state = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    let context = ExplorerContext(session: TinyExplorer.session(), listLength: 20)
    XCTAssertEqual(state.handle(.character("v"), context: context), .redraw)
    XCTAssertEqual(state.status, "v compares two checkpoints: start with timirec explore --compare CKPT2")
    XCTAssertTrue(state.showComparison)
  }

  /// A checkpoint of a dataset with another item count is refused, naming --compare.
  func testRefusesACheckpointOfAnotherDataset() throws {
    let root = NSTemporaryDirectory() + "explorer-compare-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
    let a = TinyExplorer.dataset()
    var test = a.test
    test.items[0] = 7  // one more item row
    let b = Dataset(name: "tiny", train: a.train, dev: a.dev, test: test)
    XCTAssertNotEqual(a.itemCount, b.itemCount)
    try a.write(to: root + "/a")
    try Self.writeCheckpoint(TinyExplorer.model(), stage: .finetune, for: a, to: root + "/ckpt-a")
    var rng = RNG(seed: 3)
    let other = TiMiRec(config: TiMiRecConfig(itemCount: b.itemCount, embeddingSize: 2, attentionSize: 2, interestCount: 2,
                                              addPosition: false, addTransformer: false, historyMax: 20),
                        stage: .pretrain, rng: &rng)
    try Self.writeCheckpoint(other, stage: .pretrain, for: b, to: root + "/ckpt-b")

    let session = try ExplorerSession.load(data: root + "/a", checkpoint: root + "/ckpt-a")
    XCTAssertThrowsError(try session.comparison(checkpoint: root + "/ckpt-b")) { error in
      guard case let ExplorerError.compare(path, reason) = error, case let .mismatch(_, _, _, inCheckpoint, inDataset) = reason else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(path, root + "/ckpt-b")
      XCTAssertTrue(inCheckpoint.contains("8 item rows"), inCheckpoint)
      XCTAssertTrue(inDataset.contains("6 item rows"), inDataset)
      XCTAssertTrue("\(error)".hasPrefix("--compare \(root)/ckpt-b: the checkpoint"), "\(error)")
    }
    XCTAssertNoThrow(try session.comparison(checkpoint: root + "/ckpt-a"))
  }
}
