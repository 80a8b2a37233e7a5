// `timirec explore --compare` end to end on tiny data prepared by `timirec prepare`: the
// snapshot's --json carries the second model under `compare` (its own K, stage and ranks),
// the text shows both models' lists; a checkpoint of another dataset is refused in one clear
// error. The timeline strip and the diagnostics are in the same JSON.
import Foundation
import XCTest

final class ExploreCompareTests: CLITestCase {
  static let tinyModel = ["--emb-size", "8", "--history-max", "5", "--batch-size", "8", "--threads", "1", "--epochs", "1"]

  /// Dataset A (4 users, 5 items) with a pretrain K = 2 and a pretrain K = 3; dataset B (7 items)
  /// with one of its own.
  func testCompareSnapshotJSONAndARefusedCheckpoint() throws {
    let a = try prepareSequences("a", ["1 1 2 3 4", "2 2 3 4 5", "3 3 4 5 1", "4 5 1 2 3"], negatives: 1)
    let b = try prepareSequences("b", ["1 1 2 3 4", "2 5 6 7 1", "3 2 4 6"], negatives: 1)
    for (data, out, k) in [(a, "runs/a-k2", "2"), (a, "runs/a-k3", "3"), (b, "runs/b", "2")] {
      let run = try Timirec.run(["train", "--data", data, "--out", path(out), "--stage", "pretrain", "--K", k] + Self.tinyModel)
      XCTAssertEqual(run.exitCode, 0, run.transcript)
    }
    let json = try timirec("explore", "--data", a, "--ckpt", path("runs/a-k2"), "--compare", path("runs/a-k3"),
                           "--snapshot", "--json", "--user", "2", "--step", "3")
    XCTAssertEqual(json.exitCode, 0, json.transcript)
    let view = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(view["interestCount"] as? Int, 2)
    let compare = try XCTUnwrap(view["compare"] as? [String: Any], json.stdout)
    XCTAssertEqual(compare["interestCount"] as? Int, 3)
    XCTAssertEqual(compare["stage"] as? String, "pretrain")
    XCTAssertEqual(compare["rule"] as? String, "best-match")
    XCTAssertEqual(compare["checkpoint"] as? String, path("runs/a-k3"))
    XCTAssertEqual((compare["interests"] as? [Any])?.count, 3)
    let lists = try XCTUnwrap(compare["recommendations"] as? [String: Any])
    XCTAssertNotNil(lists["bestMatchTargetRank"] as? Int, json.stdout)
    let diagnostics = try XCTUnwrap(compare["diagnostics"] as? [String: Any])
    XCTAssertEqual((diagnostics["cosines"] as? [[Double]])?.count, 3)
    XCTAssertEqual((diagnostics["attentionEntropy"] as? [Double])?.count, 3)
    XCTAssertEqual((diagnostics["effectiveSources"] as? [Double])?.count, 3)
    XCTAssertNotNil(diagnostics["collapsedPairs"] as? [[Int]])
    // Model 1: its diagnostics and the strip over user 2's steps 1…3 (4 items).
    XCTAssertEqual(((view["diagnostics"] as? [String: Any])?["cosines"] as? [[Double]])?.count, 2)
    let steps = try XCTUnwrap(view["steps"] as? [String: Any])
    XCTAssertEqual((steps["points"] as? [[String: Any]])?.compactMap { $0["step"] as? Int }, [1, 2, 3])

    let text = try timirec("explore", "--data", a, "--ckpt", path("runs/a-k2"), "--compare", path("runs/a-k3"),
                           "--snapshot", "--user", "2", "--step", "3", "--width", "80")
    XCTAssertEqual(text.exitCode, 0, text.transcript)
    for part in ["── Model 1 vs model 2", "1 best-match · ", "2 best-match · ", "── Interests · model 2", "── Timeline"] {
      XCTAssertTrue(text.stdout.contains(part), "\(part) missing:\n\(text.stdout)")
    }

    let refused = try timirec("explore", "--data", a, "--ckpt", path("runs/a-k2"), "--compare", path("runs/b"), "--snapshot")
    XCTAssertNotEqual(refused.exitCode, 0, refused.transcript)
    XCTAssertTrue(refused.stderr.contains("--compare \(path("runs/b")): the checkpoint"), refused.transcript)
    XCTAssertTrue(refused.stderr.contains("item rows"), refused.transcript)
    XCTAssertEqual(refused.stdout, "", refused.transcript)
    let missing = try timirec("explore", "--data", a, "--ckpt", path("runs/a-k2"), "--compare", path("runs/none"), "--snapshot")
    XCTAssertNotEqual(missing.exitCode, 0, missing.transcript)
    XCTAssertTrue(missing.stderr.contains("--compare \(path("runs/none")): no checkpoint at"), missing.transcript)
  }
}
