import Foundation
import SeqRec
import Tensor
import XCTest

@testable import Explorer

/// `ExplorerSession.load` opens checkpoints with `CheckpointDirectory.open`, the function
/// `timirec evaluate` uses, so it refuses what evaluate refuses.
final class SessionLoadTests: XCTestCase {
  func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "explorer-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
  }

  /// Writes TinyExplorer's model as a checkpoint of `dataset` (format 2, trained-here fields).
  func writeCheckpoint(_ path: String, for dataset: Dataset, edit: (inout SafeTensorsFile) -> Void = { _ in }) throws {
    let model = TinyExplorer.model()
    let config = CheckpointConfig(stage: .finetune, modelConfig: model.config, training: TrainingConfig(),
                                  dataset: dataset.fingerprint, initializedFrom: nil, bestEpoch: 1, bestDev: [:])
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: path + "/config.json"))
    var weights = SafeTensorsFile(tensors: model.parameterTensors())
    edit(&weights)
    try weights.write(to: URL(fileURLWithPath: path + "/model.safetensors"))
  }

  /// Dataset B has A's item and user counts (6 item rows, 4 user rows) but one more train row.
  func testRefusesACheckpointOfADatasetWithOtherSplitSizes() throws {
    let root = try temporaryFolder()
    let a = TinyExplorer.dataset()
    var train = a.train
    train.users.append(3); train.items.append(2); train.times.append(5)
    let b = Dataset(name: "tiny", train: train, dev: a.dev, test: a.test)
    XCTAssertEqual([b.itemCount, b.userCount], [a.itemCount, a.userCount])
    try a.write(to: root + "/a")
    try b.write(to: root + "/b")
    try writeCheckpoint(root + "/ckpt", for: a)

    let session = try ExplorerSession.load(data: root + "/a", checkpoint: root + "/ckpt")
    XCTAssertEqual(session.users, [1, 2, 3])
    XCTAssertThrowsError(try ExplorerSession.load(data: root + "/b", checkpoint: root + "/ckpt")) { error in
      guard case let ExplorerError.mismatch(_, _, what, inCheckpoint, inDataset) = error else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(what, "the dataset")
      XCTAssertTrue(inCheckpoint.hasSuffix("(6 item rows, 4 user rows, train/dev/test 5/2/3)"), inCheckpoint)
      XCTAssertTrue(inDataset.hasSuffix("(6 item rows, 4 user rows, train/dev/test 6/2/3)"), inDataset)
    }
    // The SeqRec function evaluate uses refuses the same pair.
    XCTAssertThrowsError(try CheckpointDirectory.open(root + "/ckpt", for: b.fingerprint))
  }

  /// NaN weights and a tensor the config does not describe are refused, naming the tensor.
  func testRefusesNaNAndExtraTensors() throws {
    let root = try temporaryFolder()
    let a = TinyExplorer.dataset()
    try a.write(to: root + "/a")
    try writeCheckpoint(root + "/nan", for: a) { file in
      file.tensors["interest_extractor.W1.bias"] = SafeTensor(shape: [2], floats: [0, .nan])
    }
    XCTAssertThrowsError(try ExplorerSession.load(data: root + "/a", checkpoint: root + "/nan")) { error in
      XCTAssertTrue("\(error)".contains("tensor 'interest_extractor.W1.bias' holds nan at index 1"), "\(error)")
    }
    try writeCheckpoint(root + "/extra", for: a) { file in
      file.tensors["interest_extractor.transformer.linear1.bias"] = SafeTensor(shape: [2], floats: [0, 0])
    }
    XCTAssertThrowsError(try ExplorerSession.load(data: root + "/a", checkpoint: root + "/extra")) { error in
      XCTAssertTrue("\(error)".contains("tensor 'interest_extractor.transformer.linear1.bias' is not a parameter"), "\(error)")
    }
  }
}
