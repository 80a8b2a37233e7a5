// `timirec benchmark` end to end on a tiny dataset: 2 models × 2 seeds with the recipe table's
// ML-100K settings for 2 epochs; one training child is killed mid-run, the rest carry
// on; the rerun skips what finished and resumes the killed run; the table's numbers are the
// means of the per-run results.
import Foundation
import TestSupport
import XCTest

final class BenchmarkCommandTests: CLITestCase {
  /// 60 users walking one of 4 groups of 10 items (as KillResumeTests), in a folder named
  /// ml-100k so that the recipe table's ML-100K settings apply.
  func tinyDataset() throws -> String {
    var rng = TestGenerator(seed: 13)
    var lines: [String] = []
    for user in 1...60 {
      let group = (user - 1) % 4, start = Int(rng.next() % 10)
      lines.append(([user] + (0..<14).map { group * 10 + (start + $0) % 10 + 1 }).map(String.init).joined(separator: " "))
    }
    return try prepareSequences("ml-100k", lines, negatives: 9)
  }

  /// Pids of the processes whose parent is `parent` and whose command line contains `text`.
  func children(of parent: pid_t, containing text: String) -> [pid_t] {
    let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return procs.compactMap { Int32($0) }.filter { pid in
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")") else { return false }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 2, Int32(fields[1]) == parent,
            let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
      return String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
    }
  }

  /// The JSON object in `path`.
  func json(_ path: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] else {
      throw TestSupportError("\(path) does not hold a JSON object")
    }
    return object
  }

  func testBenchmarkSurvivesAKilledRunResumesItAndTablesTheMeans() throws {
    let data = try tinyDataset()
    let runs = path("runs"), results = path("results")
    let arguments = ["benchmark", "--data", data, "--models", "ComiRec+,TiMiRec+", "--seeds", "0,1", "--jobs", "2",
                     "--runs", runs, "--results", results, "--max-epochs", "2"]
    let run0 = runs + "/ml-100k/ComiRec+-s0"

    // First run: kill ComiRec+ seed 0's trainer once its first epoch is on disk.
    let first = try ChildProcess(try Timirec.binary.get(), arguments, environment: Timirec.environment,
                                 stdout: path("logs/first.out"), stderr: path("logs/first.err"))
    var trainer: pid_t = 0
    XCTAssertTrue(waitUntil(timeout: 120) {
      if trainer == 0 { trainer = children(of: first.pid, containing: "--out \(run0) ").first ?? 0 }
      let state = try? json(run0 + "/resume.json")
      return (trainer != 0 && (state?["epochsDone"] as? Int ?? 0) >= 1) || first.poll() != nil
    }, "no epoch of \(run0):\n\(first.stdout)\(first.stderr)")
    XCTAssertNotEqual(trainer, 0)
    kill(trainer, SIGSTOP)
    let frozen = try json(run0 + "/resume.json")
    XCTAssertEqual(frozen["finished"] as? Bool, false, "the trainer finished before it was stopped")
    kill(trainer, SIGKILL)
    XCTAssertNotNil(first.wait(timeout: 300), "the benchmark did not end")
    XCTAssertEqual(first.end, .exited(1), first.stdout + first.stderr)
    XCTAssertTrue(first.stderr.contains("Error: 4 job(s) did not finish: train ComiRec+-s0, evaluate ComiRec+-s0, train TiMiRec+-s0, evaluate TiMiRec+-s0"),
                  first.stderr)
    // Seed 1 went on: both its models are evaluated and in the (partial) table.
    XCTAssertTrue(FileManager.default.fileExists(atPath: results + "/ml-100k/runs/TiMiRec+-s1.json"), first.stdout)
    let partial = try String(contentsOfFile: results + "/ml-100k/table.md", encoding: .utf8)
    XCTAssertTrue(partial.contains("| with transformer | ComiRec+ (1 of 2 seeds) |"), partial)
    XCTAssertTrue(partial.contains("**Partial:**"), partial)

    // The dry run sees the killed run as partial and the finished ones as finished.
    let plan = try Timirec.run(arguments + ["--dry-run"])
    XCTAssertEqual(plan.exitCode, 0, plan.transcript)
    XCTAssertTrue(plan.stdout.contains("train ComiRec+-s0: partial ("), plan.stdout)
    XCTAssertTrue(plan.stdout.contains("train ComiRec+-s1: finished (2 epochs)"), plan.stdout)
    XCTAssertTrue(plan.stdout.contains("--out \(run0) --model TiMiRec --stage pretrain"), plan.stdout)
    XCTAssertTrue(plan.stdout.contains("--threads 1 --resume"), plan.stdout)

    // Hand-written notes beside the table are printed under its own notes when it is rewritten.
    try "First paragraph,\r\nstill the first.\n\n  \nSecond paragraph.\n".write(toFile: results + "/ml-100k/table-notes.md",
                                                                                  atomically: true, encoding: .utf8)

    // Second run: skips what finished, resumes the killed run, finishes everything.
    let second = try Timirec.run(arguments, timeout: 300)
    XCTAssertEqual(second.exitCode, 0, second.transcript)
    for skipped in ["train ComiRec+-s1", "train TiMiRec+-s1", "evaluate ComiRec+-s1", "evaluate TiMiRec+-s1"] {
      XCTAssertTrue(second.stdout.contains("skip \(skipped) ("), "\(skipped) not skipped:\n\(second.stdout)")
    }
    XCTAssertTrue(second.stdout.contains("start train ComiRec+-s0 (partial ("), second.stdout)
    let trainLog = try String(contentsOfFile: runs + "/ml-100k/logs/ComiRec+-s0.train.log", encoding: .utf8)
    XCTAssertTrue(trainLog.contains("resuming \(run0) after epoch"), trainLog)
    XCTAssertEqual(try json(run0 + "/resume.json")["epochsDone"] as? Int, 2)

    // The table's cells are the means (and seed standard deviations) of the per-run results.
    let table = try json(results + "/ml-100k/table.json")
    let rows = try XCTUnwrap(table["rows"] as? [[String: Any]])
    // Every model of Table 2, in the paper's order, also when --models trains only two.
    XCTAssertEqual(rows.map { $0["model"] as? String }, ["GRU4Rec", "YouTube", "MIND", "ComiRec", "TiMiRec", "SASRec", "TiSASRec", "ComiRec+", "TiMiRec+"])
    XCTAssertEqual(rows.filter { ($0["seeds"] as? [Int])?.isEmpty == false }.map { $0["model"] as? String }, ["ComiRec+", "TiMiRec+"])
    for row in rows where ["ComiRec+", "TiMiRec+"].contains(row["model"] as? String) {
      let model = try XCTUnwrap(row["model"] as? String)
      let perRun = try [0, 1].map { try json(results + "/ml-100k/runs/\(model)-s\($0).json") }
      XCTAssertEqual(row["seeds"] as? [Int], [0, 1])
      for evaluation in ["sampled", "all"] {
        for metric in ["HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20"] {
          let values = try perRun.map { try XCTUnwrap((($0["metrics"] as? [String: Any])?[evaluation] as? [String: Any])?[metric] as? Double) }
          let cell = try XCTUnwrap(((row["cells"] as? [String: Any])?[evaluation] as? [String: Any])?[metric] as? [String: Any])
          let mean = (values[0] + values[1]) / 2
          XCTAssertEqual(try XCTUnwrap(cell["mean"] as? Double), mean, accuracy: 1e-12, "\(model) \(evaluation) \(metric)")
          XCTAssertEqual(try XCTUnwrap(cell["sd"] as? Double), abs(values[0] - values[1]) / 2.0.squareRoot(), accuracy: 1e-12)
        }
      }
      // TiMiRec+ is tested against ComiRec+, the only other model of its group.
      if model == "TiMiRec+" {
        // (HR@10 is 1 for both with 9 negatives: no test there; NDCG@10 differs.)
        let test = ((row["cells"] as? [String: Any])?["sampled"] as? [String: Any])?["NDCG@10"] as? [String: Any]
        XCTAssertEqual((test?["test"] as? [String: Any])?["against"] as? String, "ComiRec+", "\(row)")
      }
    }
    let markdown = try String(contentsOfFile: results + "/ml-100k/table.md", encoding: .utf8)
    // Partial only for the seven models this command did not train.
    XCTAssertTrue(markdown.contains("| with transformer | ComiRec+ | "), markdown)
    XCTAssertTrue(markdown.contains("| without transformer | GRU4Rec (0 of 2 seeds) | "), markdown)
    XCTAssertTrue(markdown.contains("**Shortened runs:** every training run was limited to 2 epochs"), markdown)
    XCTAssertTrue(markdown.contains("| TiMiRec+ | 2 of 2 | "), markdown)
    XCTAssertTrue(markdown.contains("so these are not the paper's settings.\n\nFirst paragraph,\nstill the first.\n\nSecond paragraph.\n\n## "),
                  markdown)
  }

  func testSensitivitySweepOverTSharesThePretrainAndTablesEachPoint() throws {
    let data = try tinyDataset()
    let runs = path("runs"), results = path("results")
    var arguments = ["analyze", "sensitivity", "--data", data, "--sweep", "T", "--values", "0.5,3", "--seeds", "0",
                     "--runs", runs, "--results", results, "--max-epochs", "1"]
    let gnuplot = which("gnuplot") != nil
    if !gnuplot { arguments.append("--no-png") }
    let run = try Timirec.run(arguments, timeout: 300)
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    // T = 0.5 is the ML-100K recipe's own T: Table 2's TiMiRec+ run; both points start from one ComiRec+.
    XCTAssertEqual(entries(runs + "/ml-100k").subtracting(["logs", "eval", "locks"]), ["ComiRec+-s0", "TiMiRec+-s0", "TiMiRec+-temp3-s0"])
    // A second command for one point trains nothing new and keeps the other recorded point (3,
    // not one of the paper's) in the table, beside the paper's values still to run.
    arguments[arguments.firstIndex(of: "0.5,3")!] = "0.50"
    try "What was checked.\n".write(toFile: results + "/ml-100k/sensitivity-T-notes.md", atomically: true, encoding: .utf8)
    let again = try Timirec.run(arguments, timeout: 300)
    XCTAssertEqual(again.exitCode, 0, again.transcript)
    XCTAssertEqual(entries(runs + "/ml-100k").subtracting(["logs", "eval", "locks"]), ["ComiRec+-s0", "TiMiRec+-s0", "TiMiRec+-temp3-s0"])
    let table = try json(results + "/ml-100k/sensitivity-T.json")
    let allRows = try XCTUnwrap(table["rows"] as? [[String: Any]])
    XCTAssertEqual(allRows.map { $0["model"] as? String }, ["T = 0.1", "T = 0.2", "T = 0.5", "T = 1", "T = 2", "T = 3"])
    let rows = allRows.filter { ($0["seeds"] as? [Int])?.isEmpty == false }
    XCTAssertEqual(rows.map { $0["model"] as? String }, ["T = 0.5", "T = 3"])
    // T = 3 is paired against the recipe's T on the same test users: a comparison when some
    // user's HR@10 or NDCG@10 differs, i.e. a sampled rank within 10 differs (the paired test
    // has nothing to test when every difference is 0).
    let ranks = try ["TiMiRec+-s0", "TiMiRec+-temp3-s0"].map { name in
      try String(contentsOfFile: results + "/ml-100k/ranks/\(name).tsv", encoding: .utf8).split(separator: "\n").dropFirst()
        .map { line in min(Int(line.split(separator: "\t")[1]) ?? 0, 11) }
    }
    let comparisons = try XCTUnwrap(table["comparisons"] as? [[String: Any]])
    XCTAssertEqual(comparisons.map { "\($0["model"] ?? "") − \($0["against"] ?? "")" }, ranks[0] == ranks[1] ? [] : ["T = 3 − T = 0.5"],
                   "\(ranks)")
    for (row, name) in zip(rows, ["TiMiRec+-s0", "TiMiRec+-temp3-s0"]) {
      let perRun = try json(results + "/ml-100k/runs/\(name).json")
      XCTAssertEqual(perRun["model"] as? String, "TiMiRec+")
      for metric in ["HR@10", "NDCG@10"] {
        let value = ((perRun["metrics"] as? [String: Any])?["sampled"] as? [String: Any])?[metric] as? Double
        let cell = ((row["cells"] as? [String: Any])?["sampled"] as? [String: Any])?[metric] as? [String: Any]
        XCTAssertEqual(cell?["mean"] as? Double, value, "\(name) \(metric)")
      }
    }
    let markdown = try String(contentsOfFile: results + "/ml-100k/sensitivity-T.md", encoding: .utf8)
    XCTAssertTrue(markdown.contains("## Plot"), markdown)
    XCTAssertTrue(markdown.contains("\n\nWhat was checked.\n\n## sampled negatives"), markdown)
    XCTAssertTrue(run.stdout.contains("HR@10 and NDCG@10 against T"), run.stdout)
    XCTAssertEqual(FileManager.default.fileExists(atPath: results + "/ml-100k/sensitivity-T.png"), gnuplot)
  }

  func testSIGINTToTheBenchmarkStopsItsTrainingsResumably() throws {
    let data = try tinyDataset()
    let runs = path("runs")
    let arguments = ["benchmark", "--data", data, "--models", "ComiRec+", "--seeds", "0,1", "--jobs", "2",
                     "--runs", runs, "--results", path("results"), "--max-epochs", "50"]
    let benchmark = try ChildProcess(try Timirec.binary.get(), arguments, environment: Timirec.environment,
                                     stdout: path("logs/sigint.out"), stderr: path("logs/sigint.err"))
    // Both trainings have written an epoch; then SIGINT to the benchmark alone (its children
    // have their own process groups, as Foundation starts them).
    XCTAssertTrue(waitUntil(timeout: 120) {
      [0, 1].allSatisfy { FileManager.default.fileExists(atPath: runs + "/ml-100k/ComiRec+-s\($0)/resume.json") }
        || benchmark.poll() != nil
    }, benchmark.stdout + benchmark.stderr)
    benchmark.send(SIGINT)
    XCTAssertNotNil(benchmark.wait(timeout: 120), "the benchmark did not stop")
    XCTAssertEqual(benchmark.end, .exited(1), benchmark.stdout + benchmark.stderr)
    XCTAssertTrue(benchmark.stderr.contains("interrupted: 4 job(s) not done (train ComiRec+-s0, evaluate ComiRec+-s0, train ComiRec+-s1, evaluate ComiRec+-s1); running the same command again resumes them"),
                  benchmark.stderr)
    XCTAssertTrue(benchmark.stdout.contains("train ComiRec+-s0 interrupted after"), benchmark.stdout)
    for seed in [0, 1] {
      let log = try String(contentsOfFile: runs + "/ml-100k/logs/ComiRec+-s\(seed).train.log", encoding: .utf8)
      XCTAssertTrue(log.contains("interrupted after"), log)
      XCTAssertEqual(try json(runs + "/ml-100k/ComiRec+-s\(seed)/resume.json")["finished"] as? Bool, false)
    }
  }

  func testTable4PlansJointWithoutPretrainAndNoStopgradFromTiMiRecsPretrain() throws {
    let data = try tinyDataset()
    let runs = path("runs")
    let plan = try Timirec.run(["benchmark", "--data", data, "--table", "4", "--seeds", "0", "--runs", runs,
                                 // its own results folder: the repository's results/ml-100k records TiMiRec-s0
                                 "--results", path("results"), "--dry-run"])
    XCTAssertEqual(plan.exitCode, 0, plan.transcript)
    let lines = plan.stdout.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.filter { !$0.hasPrefix(" ") }, [
      "train TiMiRec-joint-s0: to do", "evaluate TiMiRec-joint-s0: to evaluate",
      "train TiMiRec-pretrain-s0: to do",
      "train TiMiRec-nostopgrad-s0: to do", "evaluate TiMiRec-nostopgrad-s0: to evaluate",
      "train TiMiRec-s0: to do", "evaluate TiMiRec-s0: to evaluate",
    ])
    let command = { (run: String) in lines.first { $0.contains("train --data") && $0.contains("--out \(runs)/ml-100k/\(run) ") } ?? "" }
    XCTAssertTrue(command("TiMiRec-joint-s0").contains(" --joint "), plan.stdout)
    XCTAssertFalse(command("TiMiRec-joint-s0").contains("--init"), plan.stdout)
    XCTAssertTrue(command("TiMiRec-nostopgrad-s0").contains(" --no-stopgrad "), plan.stdout)
    XCTAssertTrue(command("TiMiRec-nostopgrad-s0").hasSuffix("--init \(runs)/ml-100k/TiMiRec-pretrain-s0"), plan.stdout)
    XCTAssertTrue(command("TiMiRec-s0").hasSuffix("--init \(runs)/ml-100k/TiMiRec-pretrain-s0"), plan.stdout)
    // Plain TiMiRec's extractor is ComiRec's, at ComiRec's learning rate (Recipes).
    for run in ["TiMiRec-pretrain-s0", "TiMiRec-s0", "TiMiRec-joint-s0", "TiMiRec-nostopgrad-s0"] {
      XCTAssertTrue(command(run).contains(" --lr 1e-3 --l2 1e-6 --add-trm 0 --aggregate-raw 1 "), "\(run): \(plan.stdout)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: runs + "/ml-100k"), "a dry run writes nothing")
  }

  func testBenchmarkWithoutARunsFolderSaysWhichVariableToSet() throws {
    let data = try tinyDataset()
    var environment = Timirec.environment
    environment["TIMIREC_RUNS"] = nil
    let result = try runProcess(try Timirec.binary.get(), ["benchmark", "--data", data, "--dry-run"], environment: environment, timeout: 60)
    let run = TimirecRun(arguments: ["benchmark"], exitCode: result.end.exitCode, signal: result.end.signal,
                         stdout: result.stdout, stderr: result.stderr)
    assertOneLineError(run, location: "--runs", says: "set TIMIREC_RUNS")
  }
}
