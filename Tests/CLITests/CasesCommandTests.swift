// `timirec cases` on the bundled demo: JSON, CSV, the table, sorting, filters, --top and
// --compare; a row's user and step open the same ranks in `explore --snapshot`.
import Foundation
import XCTest

final class CasesCommandTests: CLITestCase {
  var demo: String { Timirec.packageRoot.appendingPathComponent("demo-data").path }

  func cases(_ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws -> TimirecRun {
    try Timirec.run(["cases", "--data", demo, "--ckpt", demo + "/checkpoint"] + arguments, file: file, line: line)
  }

  func json(_ run: TimirecRun) throws -> [String: Any] {
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.transcript)
  }

  func testJSONAndCSVSortedByJSWithTop() throws {
    let csv = path("cases.csv")
    let report = try json(try cases("--sort", "js", "--top", "5", "--json", "--csv", csv))
    XCTAssertEqual(report["rows"] as? Int, 2000)
    XCTAssertEqual(report["users"] as? Int, 2000)
    XCTAssertEqual(report["printed"] as? Int, 5)
    XCTAssertNotNil(report["collapsed_users"] as? Int)
    let rows = try XCTUnwrap(report["cases"] as? [[String: Any]])
    XCTAssertEqual(rows.count, 5)
    let js = rows.map { $0["js"] as! Double }
    XCTAssertEqual(js, js.sorted(by: >), "largest JS first")
    for row in rows {
      for key in ["user", "step", "target", "timirec_rank", "bestmatch_rank", "gain", "timirec_sampled_rank",
                  "bestmatch_sampled_rank", "strongest_interest", "timirec_hit10", "bestmatch_hit10", "collapsed"] {
        XCTAssertNotNil(row[key], "\(key) missing in \(row)")
      }
      XCTAssertEqual(row["gain"] as? Int, (row["bestmatch_rank"] as! Int) - (row["timirec_rank"] as! Int))
      XCTAssertEqual(row["timirec_hit10"] as? Bool, (row["timirec_rank"] as! Int) <= 10)
      XCTAssertTrue((1...1001).contains(row["timirec_sampled_rank"] as! Int))
    }
    // The CSV: a header row, then the same five rows in the same order.
    let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, 6)
    XCTAssertTrue(lines[0].hasPrefix("user,step,target,split,title,category,timirec_rank,bestmatch_rank,gain,"), lines[0])
    for (line, row) in zip(lines.dropFirst(), rows) {
      XCTAssertTrue(line.hasPrefix("\(row["user"]!),\(row["step"]!),\(row["target"]!),test,"), line)
    }
    XCTAssertEqual(entries(path("")).filter { $0.hasPrefix(".cases") }, [])  // no temporary left
  }

  func testTableSortedByGainAndAFilter() throws {
    let run = try cases("--top", "3")
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    let lines = run.stdout.split(separator: "\n").map(String.init)
    XCTAssertTrue(lines[0].contains("2000 rows"), run.stdout)
    XCTAssertTrue(lines[1].hasPrefix("users with a collapsed pair of interests"), run.stdout)
    XCTAssertTrue(lines[3].contains("user") && lines[3].contains("gain"), run.stdout)
    let gains = lines[4...6].map { Int($0.split(separator: " ")[4])! }
    XCTAssertEqual(gains, gains.sorted(by: >), run.stdout)
    XCTAssertEqual(lines[7], "… 1997 more (--top N)")

    // TiMiRec hits and best-match misses, by TiMiRec's rank.
    let report = try json(try cases("--filter", "timirec-hit-bestmatch-miss", "--sort", "rank", "--json"))
    let rows = try XCTUnwrap(report["cases"] as? [[String: Any]])
    XCTAssertFalse(rows.isEmpty)
    XCTAssertEqual(report["kept"] as? Int, rows.count)
    XCTAssertTrue(rows.allSatisfy { $0["timirec_hit10"] as? Bool == true && $0["bestmatch_hit10"] as? Bool == false })
    let ranks = rows.map { $0["timirec_rank"] as! Int }
    XCTAssertEqual(ranks, ranks.sorted())

    // The first row opens in the explorer at its user and step with the same ranks.
    let first = rows[0]
    let snapshot = try timirec("explore", "--data", demo, "--snapshot", "--json", "--user", "\(first["user"]!)",
                               "--step", "\(first["step"]!)")
    XCTAssertEqual(snapshot.exitCode, 0, snapshot.transcript)
    let view = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(snapshot.stdout.utf8)) as? [String: Any])
    let recommendations = try XCTUnwrap(view["recommendations"] as? [String: Any])
    XCTAssertEqual(recommendations["timirecTargetRank"] as? Int, first["timirec_rank"] as? Int)
    XCTAssertEqual(recommendations["bestMatchTargetRank"] as? Int, first["bestmatch_rank"] as? Int)
  }

  /// A checkpoint compared with itself: every gain is 0; a bad filter is one clear error line.
  func testCompareAndBadFilter() throws {
    let report = try json(try cases("--split", "dev", "--compare", demo + "/checkpoint", "--top", "50", "--json"))
    let rows = try XCTUnwrap(report["cases"] as? [[String: Any]])
    XCTAssertEqual(rows.count, 50)
    XCTAssertTrue(rows.allSatisfy { $0["gain"] as? Int == 0 && $0["split"] as? String == "dev" }, "\(rows.prefix(2))")
    XCTAssertNotNil(rows[0]["model1_rank"])
    XCTAssertEqual(report["compare_collapsed_users"] as? Int, report["collapsed_users"] as? Int)

    let bad = try cases("--filter", "nope")
    assertOneLineError(bad, location: "--filter", says: "hit-miss")
  }
}
