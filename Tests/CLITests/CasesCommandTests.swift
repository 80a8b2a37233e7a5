// `timirec cases` on the bundled demo: JSON, CSV, the table, sorting, filters, --top and
// --compare; a row's user and step open the same ranks in `explore --snapshot`. On tiny data
// with 1-epoch checkpoints: a pretrain checkpoint alone (no TiMiRec rank: hit/miss filters
// refused, rank sorts by the best match, no hit field), the category rule, --csv's
// destination rules, a dataset folder given as --ckpt, and the compare header.
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
    // A negative count reaches the check (not the parser's "missing value").
    let negative = try cases("--top", "-1")
    XCTAssertNotEqual(negative.exitCode, 0)
    XCTAssertTrue(negative.stderr.contains("--top must be at least 1, not -1"), negative.transcript)
  }

  static let tinyModel = ["--emb-size", "8", "--K", "2", "--history-max", "5", "--batch-size", "8", "--threads", "1"]

  /// 6 users over 12 items with an items.tsv of genres, a 1-epoch pretrain and a 1-epoch
  /// finetune checkpoint.
  func tinyData() throws -> (data: String, pre: String, fine: String) {
    let data = try prepareSequences("g", ["1 1 2 3 4 5", "2 2 3 4 5 6", "3 7 8 9 10 11", "4 8 9 10 11 12",
                                          "5 1 3 5 7 9 11", "6 2 4 6 8 10 12"], negatives: 2)
    let categories = ["Comedy|Romance", "Comedy", "Drama", "comedy|Drama", "Romance|Comedy", "Action/Adventure|War",
                      "Drama", "Comedy|Romance", "War", "Drama", "Comedy", "Romance"]
    try write("data/g/items.tsv", "item_id\ttitle\tcategory\n"
                + categories.enumerated().map { "\($0.offset + 1)\tfilm \($0.offset + 1)\t\($0.element)\n" }.joined())
    let pre = path("runs/pre"), fine = path("runs/fine")
    for arguments in [["--out", pre, "--stage", "pretrain"], ["--out", fine, "--stage", "finetune", "--init", pre, "--temp", "0.5"]] {
      let train = try Timirec.run(["train", "--data", data, "--epochs", "1"] + arguments + Self.tinyModel)
      XCTAssertEqual(train.exitCode, 0, train.transcript)
    }
    return (data, pre, fine)
  }

  /// A pretrain checkpoint alone has no TiMiRec rank: the hit/miss filters are refused (not
  /// counted as TiMiRec misses), the hit field is left out, rank and gain sort by the best
  /// match's rank and say so; with --compare the filters work on both models' own ranks.
  func testPretrainAloneHasNoTiMiRecRanking() throws {
    let (data, pre, fine) = try tinyData()
    for filter in ["hit-miss", "miss-hit", "both-hit", "both-miss", "timirec-hit-bestmatch-miss"] {
      let run = try timirec("cases", "--data", data, "--ckpt", pre, "--filter", filter)
      assertOneLineError(run, location: "--filter", says: "pass --compare with a finetuned checkpoint", case: filter)
      XCTAssertTrue(run.stderr.contains("has no TiMiRec mix") && run.stderr.contains("--filter collapsed"), run.transcript)
    }
    assertOneLineError(try timirec("cases", "--data", data, "--ckpt", pre, "--sort", "js"), location: "--sort js",
                       says: "sort by best-rank")

    let csv = path("out/pre.csv")
    let run = try timirec("cases", "--data", data, "--ckpt", pre, "--split", "all", "--sort", "rank", "--json", "--csv", csv)
    let report = try json(run)
    XCTAssertEqual(report["sort"] as? String, "best-rank")
    XCTAssertEqual(report["sort_requested"] as? String, "rank")
    XCTAssertEqual(report["stage"] as? String, "pretrain")
    let rows = try XCTUnwrap(report["cases"] as? [[String: Any]])
    XCTAssertEqual(rows.count, 26)  // 32 interactions, 6 users: every step t ≥ 1
    for row in rows {
      for key in ["timirec_rank", "timirec_hit10", "gain", "timirec_sampled_rank", "js", "strongest_interest"] {
        XCTAssertNil(row[key], "\(key) in \(row)")
      }
      XCTAssertEqual(row["bestmatch_hit10"] as? Bool, (row["bestmatch_rank"] as! Int) <= 10, "\(row)")
    }
    let ranks = rows.map { $0["bestmatch_rank"] as! Int }
    XCTAssertEqual(ranks, ranks.sorted(), "sorted by the best match's rank")
    XCTAssertNotEqual(rows.map { $0["user"] as! Int }, rows.map { $0["user"] as! Int }.sorted(), "not user order")
    XCTAssertEqual(run.errorLines, ["wrote 26 rows to \(csv)"])
    // The CSV: the hit column of the missing ranking empty, the best match's filled.
    let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
    let header = lines[0].split(separator: ",").map(String.init)
    let hit = try XCTUnwrap(header.firstIndex(of: "timirec_hit10")), best = try XCTUnwrap(header.firstIndex(of: "bestmatch_hit10"))
    for (line, row) in zip(lines.dropFirst(), rows) {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      XCTAssertEqual(fields.count, header.count, line)
      XCTAssertEqual(fields[hit], "", line)
      XCTAssertEqual(fields[best], String(row["bestmatch_hit10"] as! Bool), line)
    }

    let table = try timirec("cases", "--data", data, "--ckpt", pre, "--split", "all")
    XCTAssertEqual(table.exitCode, 0, table.transcript)
    let third = table.stdout.split(separator: "\n")[2]
    XCTAssertEqual(String(third), "26 rows; sorted by best-rank (--sort gain: a pretrain checkpoint has no TiMiRec mix, so by the best match's rank)")
    // Rows of several splits: the table has a split column.
    let tableHeader = table.stdout.split(separator: "\n")[3]
    XCTAssertTrue(tableHeader.hasPrefix("   user  step split  TiMiRec "), String(tableHeader))
    let rowLines = table.stdout.split(separator: "\n").dropFirst(4).filter { $0.split(separator: " ").first.map { Int($0) != nil } ?? false }
    let splits = Set(rowLines.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) })
    XCTAssertEqual(splits.intersection(["train", "dev", "test"]).count, splits.count, "\(splits)")
    XCTAssertTrue(splits.contains("train"), table.stdout)

    // With --compare (model 1 the pretrain's best match, model 2 the finetune's mix) every
    // filter runs, each on both models' own ranks.
    let all = try XCTUnwrap(try json(try timirec("cases", "--data", data, "--ckpt", pre, "--compare", fine, "--split", "all",
                                                 "--json"))["cases"] as? [[String: Any]])
    XCTAssertEqual(all.count, 26)
    let filters: [(String, (Bool, Bool) -> Bool)] = [("both-hit", { $0 && $1 }), ("miss-hit", { !$0 && $1 }),
                                                     ("hit-miss", { $0 && !$1 }), ("both-miss", { !$0 && !$1 })]
    for (filter, keep) in filters {
      let report = try json(try timirec("cases", "--data", data, "--ckpt", pre, "--compare", fine, "--split", "all",
                                        "--filter", filter, "--json"))
      let expected = all.filter { keep(($0["model1_rank"] as! Int) <= 10, ($0["model2_rank"] as! Int) <= 10) }.count
      XCTAssertEqual(report["kept"] as? Int, expected, filter)
      XCTAssertEqual(report["sort"] as? String, "gain", filter)
    }
  }

  /// --category: whole value or one label (split on | and /), ignoring case; an unknown label
  /// is an error listing the labels; JSON rows carry the category.
  func testCategoryRule() throws {
    let (data, _, fine) = try tinyData()
    let all = try XCTUnwrap(try json(try timirec("cases", "--data", data, "--ckpt", fine, "--split", "all", "--json"))["cases"]
                              as? [[String: Any]])
    XCTAssertEqual(all.count, 26)
    let values = all.map { $0["category"] as? String ?? "" }
    func kept(_ label: String) throws -> Int {
      let report = try json(try timirec("cases", "--data", data, "--ckpt", fine, "--split", "all", "--category", label, "--json"))
      let rows = try XCTUnwrap(report["cases"] as? [[String: Any]])
      XCTAssertEqual(rows.count, report["kept"] as? Int)
      return rows.count
    }
    func count(_ pick: (String) -> Bool) -> Int { values.filter(pick).count }
    let comedy = count { ["Comedy|Romance", "Comedy", "comedy|Drama", "Romance|Comedy"].contains($0) }
    XCTAssertGreaterThan(comedy, 0)
    XCTAssertEqual(try kept("Comedy"), comedy)
    XCTAssertEqual(try kept("COMEDY"), comedy)
    XCTAssertEqual(try kept("Comedy|Romance"), count { $0 == "Comedy|Romance" })
    XCTAssertEqual(try kept("comedy/romance"), count { $0 == "Comedy|Romance" })
    XCTAssertEqual(try kept("adventure"), count { $0 == "Action/Adventure|War" })
    XCTAssertEqual(try kept("war"), count { $0.hasSuffix("War") })

    let unknown = try timirec("cases", "--data", data, "--ckpt", fine, "--category", "Horror")
    assertOneLineError(unknown, location: "--category 'Horror'", says: "give one of its 6 labels")
    XCTAssertTrue(unknown.stderr.contains("most common first: Comedy, Drama, Romance, War, Action/Adventure, comedy"),
                  unknown.transcript)

    // The demo: a category path counts at any level; its JSON rows carry items.tsv's value.
    let demoItems = try String(contentsOfFile: demo + "/items.tsv", encoding: .utf8).split(separator: "\n").dropFirst()
      .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    let category = Dictionary(uniqueKeysWithValues: demoItems.map { (Int($0[0])!, $0[2]) })
    let movie = try json(try cases("--category", "Movie", "--json"))
    let rows = try XCTUnwrap(movie["cases"] as? [[String: Any]])
    XCTAssertEqual(rows.count, movie["kept"] as? Int)
    XCTAssertTrue(rows.allSatisfy { ($0["category"] as! String) == category[$0["target"] as! Int] }, "\(rows.prefix(2))")
    XCTAssertTrue(rows.allSatisfy { ($0["category"] as! String).hasPrefix("movie|") })
    let second = try json(try cases("--category", "comedy", "--json"))
    XCTAssertEqual((second["cases"] as? [[String: Any]])?.map { $0["category"] as! String }.allSatisfy { $0 == "movie|comedy" }, true)
    XCTAssertEqual(second["kept"] as? Int, try json(try cases("--category", "movie/comedy", "--json"))["kept"] as? Int)
    assertOneLineError(try cases("--category", "horror"), location: "--category 'horror'", says: "movie, cartoon, series")
  }

  /// --csv: an existing file is replaced only with --force; never inside the input folders;
  /// one "wrote" line.
  func testCSVDestination() throws {
    let csv = try write("cases.csv", "keep me\n")
    let refused = try cases("--csv", csv, "--top", "2")
    assertOneLineError(refused, location: "--csv \(csv) exists", says: "pass --force")
    XCTAssertEqual(try String(contentsOfFile: csv, encoding: .utf8), "keep me\n")
    let forced = try cases("--csv", csv, "--top", "2", "--force")
    XCTAssertEqual(forced.exitCode, 0, forced.transcript)
    XCTAssertEqual(forced.stdout.split(separator: "\n").last.map(String.init), "wrote 2 rows to \(csv)")
    XCTAssertEqual(try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").count, 3)

    let (data, pre, fine) = try tinyData()
    for (folder, what) in [(pre, "checkpoint folder (--ckpt)"), (fine, "checkpoint folder (--compare)"),
                           (data, "dataset folder (--data)")] {
      let inside = (folder as NSString).appendingPathComponent("cases.csv")
      let before = entries(folder)
      let run = try timirec("cases", "--data", data, "--ckpt", pre, "--compare", fine, "--csv", inside, "--force")
      assertOneLineError(run, location: "--csv \(inside) is inside the \(what) \(folder)", says: "write the CSV elsewhere")
      assertNoOutput(inside, parentBefore: before)
    }
    assertOneLineError(try cases("--force"), location: "--force", says: "--csv FILE")
  }

  /// A prepared dataset folder given as --ckpt (or --compare) is named as one.
  func testDatasetFolderAsCheckpoint() throws {
    assertOneLineError(try Timirec.run(["cases", "--data", demo, "--ckpt", demo]),
                       location: "\(demo) is a prepared dataset folder (it holds train.csv and dataset.json), not a checkpoint",
                       says: "pass it as --data")
    assertOneLineError(try cases("--compare", demo), location: "\(demo) is a prepared dataset folder", says: "pass it as --data")
    // The message comes from the shared checkpoint reader: evaluate says the same.
    assertOneLineError(try timirec("evaluate", "--data", demo, "--ckpt", demo, "--threads", "1"),
                       location: "\(demo) is a prepared dataset folder", says: "pass it as --data")
    // A folder without config.json that is not a dataset keeps the plain message.
    let empty = path("empty/")
    assertOneLineError(try cases("--compare", empty), location: "no checkpoint here", says: "timirec train --out")
  }

  /// No --data and --ckpt: the bundled demo, from any folder, as `explore`; --ckpt alone
  /// defaults to DATA/checkpoint, and a missing default says so.
  func testDefaultsToTheDemo() throws {
    let run = try timirecInWorkDir("cases", "--top", "1", "--json")
    let report = try json(run)
    XCTAssertEqual(report["rows"] as? Int, 2000)
    XCTAssertEqual(report["stage"] as? String, "finetune")
    let data = try XCTUnwrap(report["data"] as? String)
    XCTAssertEqual(URL(fileURLWithPath: data).standardizedFileURL.path,
                   URL(fileURLWithPath: demo).standardizedFileURL.path)
    XCTAssertEqual(report["checkpoint"] as? String, (data as NSString).appendingPathComponent("checkpoint"))
    let same = try json(try cases("--top", "1", "--json"))
    XCTAssertEqual((report["cases"] as? [[String: Any]])?.first?["user"] as? Int, (same["cases"] as? [[String: Any]])?.first?["user"] as? Int)
    XCTAssertEqual(report["collapsed_users"] as? Int, same["collapsed_users"] as? Int)

    let (tiny, _, _) = try tinyData()
    assertOneLineError(try timirec("cases", "--data", tiny), location: "\(tiny)/checkpoint: no checkpoint here, the default for --ckpt",
                       says: "timirec train --data \(tiny) --out runs/g")
  }

  /// --compare's header names both models' collapsed users; --threads above the cores is
  /// clamped and said.
  func testCompareHeaderAndThreads() throws {
    let (data, pre, fine) = try tinyData()
    let report = try json(try timirec("cases", "--data", data, "--ckpt", fine, "--compare", pre, "--split", "all", "--json"))
    let users = try XCTUnwrap(report["users"] as? Int)
    let one = try XCTUnwrap(report["collapsed_users"] as? Int), two = try XCTUnwrap(report["compare_collapsed_users"] as? Int)
    func share(_ n: Int) -> String { let t = (1000 * n + users / 2) / users; return "\(t / 10).\(t % 10)" }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let text = try timirec("cases", "--data", data, "--ckpt", fine, "--compare", pre, "--split", "all", "--threads", "\(cores + 3)")
    XCTAssertEqual(text.exitCode, 0, text.transcript)
    let lines = text.stdout.split(separator: "\n").map(String.init)
    XCTAssertTrue(lines[0].hasPrefix("\(fine) (finetune, K=2) against \(pre) (pretrain) on g all: 26 rows in "), lines[0])
    XCTAssertTrue(lines[0].hasSuffix(" s on \(cores) thread\(cores == 1 ? "" : "s") (--threads \(cores + 3) clamped to this machine's \(cores) core\(cores == 1 ? "" : "s"))"), lines[0])
    XCTAssertEqual(lines[1], "users with a collapsed pair of interests (cosine ≥ 0.95, at their latest row): model 1 (fine): \(one) of \(users) (\(share(one)) %), model 2 (pre): \(two) of \(users) (\(share(two)) %)")
    let threads = try json(try timirec("cases", "--data", data, "--ckpt", fine, "--threads", "\(cores + 3)", "--json"))
    XCTAssertEqual(threads["threads"] as? Int, cores)
  }
}
