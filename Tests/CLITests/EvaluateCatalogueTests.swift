// `timirec evaluate --candidates all --per-user FILE`, end to end on tiny data: the per-row
// file's ranks give back the printed metrics, and full-catalogue ranks stay in their bounds.
import Foundation
import XCTest

final class EvaluateCatalogueTests: CLITestCase {
  static let tinyModel = ["--emb-size", "8", "--K", "2", "--history-max", "5", "--batch-size", "8", "--threads", "1"]

  /// 6 users over 12 items, 2 negatives per dev/test row, and a 1-epoch pretrain checkpoint.
  func trainedCheckpoint() throws -> (data: String, checkpoint: String) {
    let data = try prepareSequences("c", ["1 1 2 3 4 5", "2 2 3 4 5 6", "3 7 8 9 10 11", "4 8 9 10 11 12",
                                          "5 1 3 5 7 9 11", "6 2 4 6 8 10 12"], negatives: 2)
    let checkpoint = path("runs/pre")
    let train = try Timirec.run(["train", "--data", data, "--out", checkpoint, "--stage", "pretrain", "--epochs", "1"]
                                  + Self.tinyModel)
    XCTAssertEqual(train.exitCode, 0, train.transcript)
    return (data, checkpoint)
  }

  /// HR@K and NDCG@K of a list of ranks, as RankingMetrics defines them.
  func metrics(_ ranks: [Int], _ ks: [Int]) -> [String: Double] {
    var out: [String: Double] = [:]
    for k in ks {
      out["HR@\(k)"] = Double(ranks.filter { $0 <= k }.count) / Double(ranks.count)
      out["NDCG@\(k)"] = ranks.filter { $0 <= k }.map { 1 / log2(Double($0) + 1) }.reduce(0, +) / Double(ranks.count)
    }
    return out
  }

  func testPerUserRanksGiveBackBothSetsOfMetrics() throws {
    let (data, checkpoint) = try trainedCheckpoint()
    let perUser = path("per-user.jsonl")
    let run = try timirec("evaluate", "--data", data, "--ckpt", checkpoint, "--threads", "2", "--topk", "1,3,10",
                          "--candidates", "all", "--per-user", perUser, "--json")
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.transcript)
    let catalogue = try XCTUnwrap(report["catalogue"] as? [String: Any], run.transcript)
    XCTAssertEqual(catalogue["items"] as? Int, 12)
    XCTAssertNotNil(catalogue["standard_error"] as? [String: Double])

    let lines = try String(contentsOfFile: perUser, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(lines.count, report["rows"] as? Int)
    XCTAssertEqual(lines.count, 6)
    var ranks: [Int] = [], catalogueRanks: [Int] = []
    for (i, line) in lines.enumerated() {
      let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Int], String(line))
      XCTAssertEqual(Set(row.keys), ["index", "user", "row", "target", "rank", "catalogue_rank"])
      XCTAssertEqual(row["index"], i)
      let rank = try XCTUnwrap(row["rank"]), whole = try XCTUnwrap(row["catalogue_rank"])
      XCTAssertTrue((1...3).contains(rank), String(line))  // the target and 2 negatives
      // 12 items minus the user's earlier items (all distinct here, the dev item included).
      let user = try XCTUnwrap(row["user"])
      let earlier = user <= 4 ? 4 : 5
      XCTAssertTrue((1...(12 - earlier)).contains(whole), String(line))
      ranks.append(rank)
      catalogueRanks.append(whole)
    }
    for (key, value) in metrics(ranks, [1, 3, 10]) {
      XCTAssertEqual(try XCTUnwrap(report[key] as? Double), value, accuracy: 1e-12, key)
    }
    for (key, value) in metrics(catalogueRanks, [1, 3, 10]) {
      XCTAssertEqual(try XCTUnwrap(catalogue[key] as? Double), value, accuracy: 1e-12, "catalogue \(key)")
    }

    // Sampled only: the same sampled ranks, no catalogue rank, no "catalogue" object.
    let sampled = try timirec("evaluate", "--data", data, "--ckpt", checkpoint, "--threads", "1", "--topk", "1,3,10",
                              "--per-user", perUser, "--json")
    XCTAssertEqual(sampled.exitCode, 0, sampled.transcript)
    let sampledReport = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sampled.stdout.utf8)) as? [String: Any])
    XCTAssertNil(sampledReport["catalogue"])
    let again = try String(contentsOfFile: perUser, encoding: .utf8).split(separator: "\n").map {
      try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Int])
    }
    XCTAssertEqual(again.map { $0["rank"]! }, ranks)
    XCTAssertTrue(again.allSatisfy { $0["catalogue_rank"] == nil })
    XCTAssertEqual(entries(path("")).filter { $0.hasPrefix(".per-user") }, [])  // no temporary left
  }

  /// The phases are timed apart only for a model with a scoring table (TiMiRec); a baseline
  /// scoring every item through its own forward gets one time, not a ranking phase of 0 s.
  func testCatalogueTimesOfAModelWithoutAScoringTable() throws {
    let (data, timirecCheckpoint) = try trainedCheckpoint()
    let checkpoint = path("runs/gru")
    let train = try Timirec.run(["train", "--data", data, "--out", checkpoint, "--model", "GRU4Rec", "--epochs", "1",
                                 "--emb-size", "8", "--hidden-size", "8", "--history-max", "5", "--batch-size", "8", "--threads", "1"])
    XCTAssertEqual(train.exitCode, 0, train.transcript)
    for (ckpt, apart) in [(checkpoint, false), (timirecCheckpoint, true)] {
      let text = try timirec("evaluate", "--data", data, "--ckpt", ckpt, "--candidates", "all")
      XCTAssertEqual(text.exitCode, 0, text.transcript)
      XCTAssertEqual(text.stdout.contains("scoring and ranking together"), !apart, text.stdout)
      XCTAssertEqual(text.stdout.contains("s of model forward and sampled ranking"), apart, text.stdout)
      let json = try timirec("evaluate", "--data", data, "--ckpt", ckpt, "--candidates", "all", "--json")
      let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], json.transcript)
      let catalogue = try XCTUnwrap(report["catalogue"] as? [String: Any])
      XCTAssertEqual(catalogue["rank_seconds"] != nil, apart, "\(catalogue)")
      XCTAssertNotNil(catalogue["forward_seconds"] as? Double)
    }
  }

  func testPerUserIntoAMissingFolderFailsBeforeEvaluating() throws {
    let (data, checkpoint) = try trainedCheckpoint()
    let target = workDir + "/no-folder/ranks.jsonl"  // not path(…): that creates the folder
    let run = try timirec("evaluate", "--data", data, "--ckpt", checkpoint, "--candidates", "all", "--per-user", target)
    assertOneLineError(run, location: target, says: "does not exist; create it first")
    XCTAssertFalse(FileManager.default.fileExists(atPath: workDir + "/no-folder"))
  }
}
