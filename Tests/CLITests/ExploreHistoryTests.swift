// `timirec explore --snapshot --history ID,…` end to end on the bundled demo: the given items
// replace the model's history, the JSON says edited and carries the change against the data's
// history; ids outside the catalogue are refused with the id and the range.
import Foundation
import XCTest

final class ExploreHistoryTests: CLITestCase {
  var demo: String { Timirec.packageRoot.appendingPathComponent("demo-data").path }

  func json(_ run: TimirecRun, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    XCTAssertEqual(run.exitCode, 0, run.transcript, file: file, line: line)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.transcript,
                         file: file, line: line)
  }

  func testHistoryReplacesTheWindowAndReportsTheChange() throws {
    let base = ["explore", "--data", demo, "--snapshot", "--user", "1239", "--step", "25", "--json"]
    let data = try json(try Timirec.run(base))
    XCTAssertEqual(data["edited"] as? Bool, false)
    XCTAssertNil(data["whatIf"])
    let timeline = try XCTUnwrap(data["timeline"] as? [[String: Any]])
    let history = timeline.filter { ["history", "window"].contains($0["role"] as? String) }
      .compactMap { ($0["item"] as? [String: Any])?["id"] as? Int }
    XCTAssertEqual(history.count, 25)
    let recommendations = try XCTUnwrap(data["recommendations"] as? [String: Any])
    let bestRank = try XCTUnwrap(recommendations["bestMatchTargetRank"] as? Int)

    // The data's own history given whole: edited, nothing changes.
    let same = try json(try Timirec.run(base + ["--history", history.map(String.init).joined(separator: ",")]))
    XCTAssertEqual(same["edited"] as? Bool, true)
    let sameWhatIf = try XCTUnwrap(same["whatIf"] as? [String: Any])
    XCTAssertEqual((sameWhatIf["bestMatchTargetRank"] as? [String: Any])?["delta"] as? Int, 0)
    XCTAssertEqual((sameWhatIf["timirecTargetRank"] as? [String: Any])?["delta"] as? Int, 0)
    XCTAssertEqual((sameWhatIf["dropped"] as? [Any])?.count, 0)

    // Three items: the model's window is exactly them; the ranks against the data's.
    let three = Array(history.suffix(3))
    let edited = try json(try Timirec.run(base + ["--history", three.map(String.init).joined(separator: ",")]))
    XCTAssertEqual(edited["edited"] as? Bool, true)
    XCTAssertEqual(edited["historyLength"] as? Int, 3)
    let window = try XCTUnwrap(edited["timeline"] as? [[String: Any]]).filter { $0["role"] as? String == "window" }
    XCTAssertEqual(window.compactMap { ($0["item"] as? [String: Any])?["id"] as? Int }, three)
    let target = try XCTUnwrap(edited["target"] as? [String: Any])
    XCTAssertEqual(target["id"] as? Int, (data["target"] as? [String: Any])?["id"] as? Int, "the target stays the user's next item")
    let whatIf = try XCTUnwrap(edited["whatIf"] as? [String: Any])
    let best = try XCTUnwrap(whatIf["bestMatchTargetRank"] as? [String: Any])
    XCTAssertEqual(best["data"] as? Int, bestRank)
    let editedBest = try XCTUnwrap((edited["recommendations"] as? [String: Any])?["bestMatchTargetRank"] as? Int)
    XCTAssertEqual(best["edited"] as? Int, editedBest)
    XCTAssertEqual(best["delta"] as? Int, editedBest - bestRank)
    XCTAssertEqual((whatIf["dropped"] as? [Any])?.count, Set(history).subtracting(three).count)
    XCTAssertEqual((whatIf["mixWeightDelta"] as? [Any])?.count, 2)
    XCTAssertEqual((edited["recommendations"] as? [String: Any])?["excludedCount"] as? Int, Set(three).count)

    // The text snapshot says so too.
    let text = try Timirec.run(["explore", "--data", demo, "--snapshot", "--user", "1239", "--step", "25",
                                "--history", three.map(String.init).joined(separator: ",")])
    XCTAssertEqual(text.exitCode, 0, text.transcript)
    XCTAssertTrue(text.stdout.contains("history edited"), text.transcript)
    XCTAssertTrue(text.stdout.contains("what-if, true next ★ rank"), text.transcript)
  }

  func testHistoryIdsOutsideTheCatalogueAreRefused() throws {
    for list in ["5,99999", "0", "12,abc"] {
      let run = try timirec("explore", "--data", demo, "--snapshot", "--user", "1239", "--step", "25", "--history", list)
      let token = list.split(separator: ",").last.map(String.init) ?? list
      assertOneLineError(run, location: "'\(token)'", says: "item ids run 1…2400", case: list)
      XCTAssertEqual(run.stdout, "", run.transcript)
    }
  }
}

/// The command-line edges of `--history` and `--compare` a new user hit.
final class ExploreHistoryEdgeTests: CLITestCase {
  var demo: String { Timirec.packageRoot.appendingPathComponent("demo-data").path }

  func testNegativeAndEmptyHistoriesAndAMissingCompareFolder() throws {
    // `--history -3` reaches the id check (not ArgumentParser's "Missing value").
    let negative = try timirec("explore", "--data", demo, "--snapshot", "--user", "1239", "--step", "25", "--history", "-3")
    assertOneLineError(negative, location: "'-3'", says: "item ids run 1…2400", case: "-3")
    // `--history ''`: the empty history.
    let empty = try timirec("explore", "--data", demo, "--snapshot", "--user", "1239", "--step", "25", "--history", "", "--json")
    XCTAssertEqual(empty.exitCode, 0, empty.transcript)
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [String: Any])
    XCTAssertEqual(json["edited"] as? Bool, true)
    XCTAssertEqual(json["historyLength"] as? Int, 0)
    // A --compare folder without a checkpoint: the hint names --compare.
    let missing = try timirec("explore", "--data", demo, "--snapshot", "--compare", "/nonexistent/ckpt2")
    XCTAssertNotEqual(missing.exitCode, 0)
    XCTAssertTrue(missing.stderr.contains("pass it with --compare"), missing.transcript)
    XCTAssertFalse(missing.stderr.contains("--ckpt"), missing.transcript)
  }
}
