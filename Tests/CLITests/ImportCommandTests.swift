// `timirec import` end to end with the reference code's weights (the plain-name fixtures of
// Tests/SeqRecTests/Fixtures), and `explore --snapshot` refusing what `evaluate` refuses.
import Foundation
import XCTest

final class ImportCommandTests: CLITestCase {
  /// A plain-name state_dict fixture (written by the Python safetensors library).
  func weights(_ name: String) -> String {
    Timirec.packageRoot.appendingPathComponent("Tests/SeqRecTests/Fixtures/\(name).safetensors").path
  }

  /// Prepares a dataset from `lines` (sequences format), 3 negatives per dev/test row.
  func prepare(_ name: String, _ lines: [String]) throws -> String {
    try prepareSequences(name, lines, negatives: 3)
  }

  /// 4 users over 10 items: 11 item rows, as the fixture's item table.
  static let tenItems = ["1 1 2 3 4 5 6", "2 6 7 8 9 10 1", "3 2 4 6 8 10", "4 1 3 5 7 9"]

  func testImportThenEvaluateAndExplore() throws {
    let data = try prepare("a", Self.tenItems)
    let out = path("runs/imported")
    let run = try timirec("import", "--weights", weights("tiny-finetune-L1"), "--data", data, "--out", out, "--temp", "0.5")
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    XCTAssertTrue(run.stdout.hasPrefix("imported \(weights("tiny-finetune-L1")) (sha256 "), run.transcript)
    XCTAssertTrue(run.stdout.contains("TiMiRec finetune, K 3, D 8, attn_size 4, add_pos 1, history_max 5, add_trm 1, n_layers 1, T 0.5; 27 tensors"),
                  run.transcript)
    let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json")))
                                 as? [String: Any])
    XCTAssertEqual(config["formatVersion"] as? Int, 2)
    XCTAssertEqual(config["model"] as? String, "TiMiRec")
    XCTAssertNil(config["training"])
    let origin = try XCTUnwrap(config["importedFrom"] as? [String: Any])
    XCTAssertEqual((origin["sha256"] as? String)?.count, 64)

    let evaluate = try timirec("evaluate", "--data", data, "--ckpt", out, "--threads", "1", "--topk", "1,3", "--json")
    XCTAssertEqual(evaluate.exitCode, 0, evaluate.transcript)
    let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(report["imported_from"] as? String, weights("tiny-finetune-L1"))
    XCTAssertNil(report["best_epoch"])
    XCTAssertEqual(report["rows"] as? Int, 4)
    let table = try timirec("evaluate", "--data", data, "--ckpt", out, "--threads", "1", "--topk", "1")
    XCTAssertTrue(table.stdout.hasPrefix("\(out) (finetune, imported from tiny-finetune-L1.safetensors) on a test"), table.transcript)

    let explore = try timirec("explore", "--data", data, "--ckpt", out, "--snapshot", "--width", "80")
    XCTAssertEqual(explore.exitCode, 0, explore.transcript)
    XCTAssertTrue(explore.stdout.contains("finetune K=3"), explore.transcript)

    // --out exists: refused without --force, replaced with it.
    let again = try timirec("import", "--weights", weights("tiny-pretrain"), "--data", data, "--out", out)
    assertOneLineError(again, location: out, says: "already exists; replace it with --force")
    let forced = try timirec("import", "--weights", weights("tiny-pretrain"), "--data", data, "--out", out, "--force")
    XCTAssertEqual(forced.exitCode, 0, forced.transcript)
    XCTAssertTrue(forced.stdout.contains("TiMiRec pretrain, K 3"), forced.transcript)
  }

  func testImportRefusals() throws {
    let data = try prepare("a", Self.tenItems)
    let out = path("runs/imported")
    let before = entries(path("runs"))
    let noTemp = try timirec("import", "--weights", weights("tiny-finetune-L2"), "--data", data, "--out", out)
    assertOneLineError(noTemp, location: weights("tiny-finetune-L2"), says: "needs --temp T")
    assertNoOutput(out, parentBefore: before)

    let nine = try prepare("nine", ["1 1 2 3 4 5", "2 6 7 8 9 1", "3 2 4 6 8"])
    let wrongData = try timirec("import", "--weights", weights("tiny-pretrain"), "--data", nine, "--out", out)
    assertOneLineError(wrongData, location: weights("tiny-pretrain"),
                       says: "the item table has 11 rows but the dataset \(nine) has 10 item rows")
    assertNoOutput(out, parentBefore: before)
  }

  /// A checkpoint of dataset A opened on B (the same item and user counts, other split
  /// sizes): `evaluate` and `explore --snapshot` both refuse it, for the same reason.
  func testExploreRefusesWhatEvaluateRefuses() throws {
    let a = try prepare("a", Self.tenItems)
    var longer = Self.tenItems
    longer[0] = "1 1 2 3 4 5 6 7"
    let b = try prepare("b", longer)
    let checkpoint = path("runs/pre-a")
    let imported = try timirec("import", "--weights", weights("tiny-pretrain"), "--data", a, "--out", checkpoint)
    XCTAssertEqual(imported.exitCode, 0, imported.transcript)

    let reason = "the dataset is a (11 item rows, 5 user rows, train/dev/test 14/4/4) in the checkpoint but b (11 item rows, 5 user rows, train/dev/test 15/4/4)"
    let evaluate = try timirec("evaluate", "--data", b, "--ckpt", checkpoint, "--threads", "1")
    assertOneLineError(evaluate, location: checkpoint, says: reason)
    let explore = try timirec("explore", "--data", b, "--ckpt", checkpoint, "--snapshot")
    XCTAssertEqual(explore.exitCode, 1, explore.transcript)
    XCTAssertEqual(explore.stdout, "", explore.transcript)
    XCTAssertTrue(explore.errorLines.first?.hasPrefix("Error: the checkpoint \(checkpoint) does not fit the dataset \(b)") ?? false,
                  explore.transcript)
    XCTAssertTrue(explore.stderr.contains(reason), explore.transcript)
    let same = try timirec("explore", "--data", a, "--ckpt", checkpoint, "--snapshot")
    XCTAssertEqual(same.exitCode, 0, same.transcript)
  }
}
