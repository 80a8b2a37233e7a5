// `timirec train` and `timirec evaluate` with a wrong checkpoint, end to end on tiny data
// prepared by `timirec prepare`: one clear error line, exit ≠ 0, no --out folder.
import Foundation
import XCTest

final class CheckpointCommandTests: CLITestCase {
  /// Small, fast model settings for every training run here.
  static let tinyModel = ["--emb-size", "8", "--K", "2", "--history-max", "5", "--batch-size", "8", "--threads", "1"]

  /// Prepares a tiny dataset: `lines` in the sequences format, 1 negative per dev/test row.
  func prepare(_ name: String, _ lines: [String]) throws -> String {
    try prepareSequences(name, lines, negatives: 1)
  }

  /// 4 users, 5 items.
  func datasetA() throws -> String {
    try prepare("a", ["1 1 2 3 4", "2 2 3 4 5", "3 3 4 5 1", "4 5 1 2 3"])
  }

  /// 3 users, 7 items.
  func datasetB() throws -> String {
    try prepare("b", ["1 1 2 3 4", "2 5 6 7 1", "3 2 4 6"])
  }

  /// Training into an existing checkpoint folder without --resume or --force is refused and
  /// leaves the folder as it was; --force replaces it; --resume extends a run that reached
  /// its --epochs limit.
  func testTrainRefusesToOverwriteACheckpoint() throws {
    let data = try datasetA()
    let out = path("runs/pre")
    let first = try Timirec.run(["train", "--data", data, "--out", out, "--stage", "pretrain", "--epochs", "1"] + Self.tinyModel)
    XCTAssertEqual(first.exitCode, 0, first.transcript)
    let weights = try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors"))
    let again = try Timirec.run(["train", "--data", data, "--out", out, "--stage", "pretrain", "--epochs", "1", "--lr", "0.5"]
                                  + Self.tinyModel)
    XCTAssertNotEqual(again.exitCode, 0, again.transcript)
    XCTAssertTrue(again.stderr.contains("already exists; continue it with --resume, replace it with --force"), again.transcript)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")), weights)
    let extended = try Timirec.run(["train", "--data", data, "--out", out, "--stage", "pretrain", "--epochs", "2", "--resume"]
                                     + Self.tinyModel)
    XCTAssertEqual(extended.exitCode, 0, extended.transcript)
    XCTAssertTrue(extended.stdout.contains("resuming \(out) after epoch 1"), extended.transcript)
    XCTAssertTrue(extended.stdout.contains("epoch   2"), extended.transcript)
    let forced = try Timirec.run(["train", "--data", data, "--out", out, "--stage", "pretrain", "--epochs", "1", "--force"]
                                   + Self.tinyModel)
    XCTAssertEqual(forced.exitCode, 0, forced.transcript)
  }

  func testFinetuneFromAMissingInitCheckpoint() throws {
    let data = try datasetA()
    let out = path("runs/fine")
    let before = entries(path("runs"))
    let run = try Timirec.run(["train", "--data", data, "--out", out, "--stage", "finetune", "--init", "/nonexistent/pre",
                               "--epochs", "1"] + Self.tinyModel)
    assertOneLineError(run, location: "/nonexistent/pre", says: "no checkpoint here (expected config.json and model.safetensors)")
    assertNoOutput(out, parentBefore: before)
  }

  /// A pretrain checkpoint of dataset A: evaluates on A, but evaluating it on B (another item
  /// count) or finetuning from it on B fails with one line and writes nothing.
  func testCheckpointOfAnotherDataset() throws {
    let a = try datasetA(), b = try datasetB()
    let checkpoint = path("runs/pre-a")
    let train = try Timirec.run(["train", "--data", a, "--out", checkpoint, "--stage", "pretrain", "--epochs", "1"]
                                  + Self.tinyModel)
    XCTAssertEqual(train.exitCode, 0, train.transcript)
    XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint + "/model.safetensors"), train.transcript)

    let same = try timirec("evaluate", "--data", a, "--ckpt", checkpoint, "--threads", "1", "--topk", "1,5", "--json")
    XCTAssertEqual(same.exitCode, 0, same.transcript)
    XCTAssertTrue(same.stdout.contains("NDCG@5"), same.transcript)
    let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(same.stdout.utf8)) as? [String: Any])
    let errors = try XCTUnwrap(report["standard_error"] as? [String: Double], same.transcript)
    XCTAssertEqual(Set(errors.keys), ["HR@1", "NDCG@1", "HR@5", "NDCG@5"])
    // 4 test rows of 2 candidates: HR@1 = h has the standard error √(h(1 − h) · 4/3 / 4);
    // every row is a hit at 5, so HR@5 has none.
    let hr1 = try XCTUnwrap(report["HR@1"] as? Double)
    XCTAssertEqual(errors["HR@1"]!, (hr1 * (1 - hr1) / 3).squareRoot(), accuracy: 1e-9)
    XCTAssertEqual(errors["HR@5"]!, 0)

    let other = try timirec("evaluate", "--data", b, "--ckpt", checkpoint, "--threads", "1")
    assertOneLineError(other, location: checkpoint, says: "use a checkpoint trained with the same settings on the same dataset")
    XCTAssertTrue(other.stderr.contains("dataset"), other.transcript)

    let out = path("runs/fine-b")
    let before = entries(path("runs"))
    let finetune = try Timirec.run(["train", "--data", b, "--out", out, "--stage", "finetune", "--init", checkpoint,
                                    "--epochs", "1"] + Self.tinyModel)
    assertOneLineError(finetune, location: checkpoint, says: "on the same dataset")
    assertNoOutput(out, parentBefore: before)
  }

  func testTrainOnAMissingDataFolderWritesNothing() throws {
    let out = path("runs/pre")
    let before = entries(path("runs"))
    let run = try Timirec.run(["train", "--data", path("no-data"), "--out", out, "--stage", "pretrain", "--epochs", "1"]
                                + Self.tinyModel)
    assertOneLineError(run, location: path("no-data"), says: "no such file or folder; check the path")
    assertNoOutput(out, parentBefore: before)
  }
}
