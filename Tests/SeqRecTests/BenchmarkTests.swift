// The benchmark machinery (Sources/SeqRec/Experiments): plans from recipes, run status from
// checkpoint files, the job scheduler on two threads, the runner against a fake `timirec`
// (a shell script that writes checkpoint files and per-user ranks the test chose), and the
// table's means, seed deviations, bold and significance marks against hand-computed values.
import Foundation
import SeqRec
import TestSupport
import XCTest

final class BenchmarkTests: XCTestCase {
  var workDir = ""

  override func setUpWithError() throws {
    workDir = FileManager.default.temporaryDirectory.appendingPathComponent("benchmark-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: workDir)
  }

  /// A small recipe table: A and B (no transformer, B proposed as "TiMiRec"), a pretrain P
  /// that "TiMiRec+" starts from.
  static let recipes: RecipeBook = { model, dataset in
    switch model {
    case "A": return ModelRecipe(model: "A", group: .withoutTransformer, arguments: ["--model", "A", "--K", "2"])
    case "TiMiRec": return ModelRecipe(model: "TiMiRec", group: .withoutTransformer, arguments: ["--model", "T", "--K", "2", "--temp", "0.5"])
    case "P": return ModelRecipe(model: "P", group: nil, arguments: ["--stage", "pretrain", "--K", "2"])
    case "TiMiRec+": return ModelRecipe(model: "TiMiRec+", group: .withTransformer,
                                        arguments: ["--stage", "finetune", "--K", "2", "--temp", "0.5"], initFrom: "P")
    default: throw BenchmarkError.unknownModel(model: model, dataset: dataset, known: ["A", "TiMiRec", "P", "TiMiRec+"])
    }
  }

  // MARK: plan

  func testPlanSharesPretrainRunsAndNamesSweepPoints() throws {
    let plan = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+", "P"], seeds: [0, 1], recipes: Self.recipes, maxEpochs: 3)
    XCTAssertEqual(plan.runs.map(\.name), ["P-s0", "TiMiRec+-s0", "P-s1", "TiMiRec+-s1"])
    XCTAssertEqual(plan.runs[1].initRun, "P-s0")
    XCTAssertEqual(plan.runs[1].arguments, ["--stage", "finetune", "--K", "2", "--temp", "0.5", "--seed", "0", "--epochs", "3"])
    XCTAssertEqual(plan.evaluations.map(\.run), ["TiMiRec+-s0", "TiMiRec+-s1", "P-s0", "P-s1"])

    // A K sweep changes the pretrain too; a T sweep shares the plain pretrain; the recipe's own
    // value is the plain run.
    let k4 = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [0], recipes: Self.recipes,
                               changes: [RecipeChange(option: "--K", value: "4", appliesToInit: true)])
    XCTAssertEqual(k4.runs.map(\.name), ["P-K4-s0", "TiMiRec+-K4-s0"])
    XCTAssertEqual(k4.runs[0].arguments, ["--stage", "pretrain", "--K", "4", "--seed", "0"])
    let t2 = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [0], recipes: Self.recipes,
                               changes: [RecipeChange(option: "--temp", value: "2")])
    XCTAssertEqual(t2.runs.map(\.name), ["P-s0", "TiMiRec+-temp2-s0"])
    let k2 = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [0], recipes: Self.recipes,
                               changes: [RecipeChange(option: "--K", value: "2", appliesToInit: true)])
    XCTAssertEqual(k2.runs.map(\.name), ["P-s0", "TiMiRec+-s0"])
    // A flag that drops the init (Table 4's joint training).
    let joint = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [0], recipes: Self.recipes,
                                  changes: [RecipeChange(option: "--joint", value: nil, dropsInit: true)])
    XCTAssertEqual(joint.runs.map(\.name), ["TiMiRec+-joint-s0"])
    XCTAssertNil(joint.runs[0].initRun)
    XCTAssertThrowsError(try BenchmarkPlan(dataset: "d", models: ["Z"], seeds: [0], recipes: Self.recipes)) { error in
      XCTAssertEqual("\(error)", "no recipe for model 'Z' on dataset 'd'; known: A, TiMiRec, P, TiMiRec+")
    }
  }

  func testRecipeTableAsARecipeBook() throws {
    let plus = try Recipes.book("TiMiRec+", "ml-100k")
    XCTAssertEqual(plus.group, .withTransformer)
    XCTAssertEqual(plus.initFrom, "ComiRec+")
    XCTAssertEqual(plus.value(of: "--K"), "2")
    XCTAssertNil(try Recipes.book("TiMiRec-joint", "beauty").group, "Table 4's rows have no Table 2 group")
    XCTAssertNil(try Recipes.book("TiMiRec-pretrain", "beauty").group)
    XCTAssertThrowsError(try Recipes.book("TiMiRec", "tiny")) { error in
      XCTAssertEqual("\(error)", "the recipe table has no settings for dataset 'tiny' (the --data folder's name); it has beauty, ml-100k")
    }
    XCTAssertThrowsError(try Recipes.book("Pop", "beauty")) { error in
      XCTAssertTrue("\(error)".hasPrefix("no recipe for model 'Pop' on dataset 'beauty'; known: GRU4Rec, YouTube"), "\(error)")
    }
  }

  // MARK: scheduler

  func testSchedulerRunsDependenciesFirstTwoAtATimeAndSkipsDependentsOfFailures() {
    func job(_ id: String, _ dependencies: [String] = []) -> BenchmarkJob {
      BenchmarkJob(id: id, kind: .evaluate(PlannedEvaluation(model: id, seed: 0, run: id)), dependencies: dependencies)
    }
    let jobs = [job("a"), job("b", ["a"]), job("c"), job("d", ["c"]), job("e", ["d"]), job("f")]
    let scheduler = JobScheduler(jobs: jobs, parallel: 2)
    // Shared between the two worker threads: guarded by `lock`.
    final class Record: @unchecked Sendable {
      let lock = NSLock()
      var started: [String] = [], ended: [String] = [], running = 0, maxRunning = 0, finishedCalls = 0
    }
    let record = Record()
    let failed = scheduler.run(execute: { job in
      record.lock.lock()
      record.started.append(job.id); record.running += 1; record.maxRunning = max(record.maxRunning, record.running)
      record.lock.unlock()
      // Hold the job until two have run at once (sticky, so a poll cannot miss it), or every job that can start has
      // (a, b, c, f: then it may be the last one alone).
      _ = waitUntil(timeout: 30) {
        record.lock.lock(); defer { record.lock.unlock() }
        return record.maxRunning >= 2 || record.started.count == 4
      }
      record.lock.lock()
      record.running -= 1; record.ended.append(job.id)
      record.lock.unlock()
      return job.id != "c"
    }, finished: { _, _ in record.finishedCalls += 1 })
    XCTAssertEqual(failed, ["c", "d", "e"])
    XCTAssertEqual(Set(record.started), ["a", "b", "c", "f"], "d and e depend on the failed c")
    XCTAssertEqual(record.maxRunning, 2)
    XCTAssertLessThan(record.ended.firstIndex(of: "a")!, record.started.firstIndex(of: "b")!)
    XCTAssertEqual(record.finishedCalls, 4)
  }

  func testSchedulerStartsNoJobOnceAskedToStop() {
    // b and c wait for a, so the second worker cannot start one before a has run and asked to
    // stop (with three independent jobs both workers could start one at once: a flaky test).
    let jobs = ["a", "b", "c"].map { BenchmarkJob(id: $0, kind: .evaluate(PlannedEvaluation(model: $0, seed: 0, run: $0)),
                                                  dependencies: $0 == "a" ? [] : ["a"]) }
    // Written by `execute` and read by `shouldStop` on the scheduler's two worker threads:
    // the lock guards it.
    final class Flag: @unchecked Sendable {
      let lock = NSLock()
      var ran: [String] = []
    }
    let flag = Flag()
    let failed = JobScheduler(jobs: jobs, parallel: 2).run(execute: { job in
      flag.lock.lock(); flag.ran.append(job.id); flag.lock.unlock()
      return true
    }, shouldStop: { flag.lock.lock(); defer { flag.lock.unlock() }; return !flag.ran.isEmpty })
    XCTAssertEqual(flag.ran, ["a"])
    XCTAssertEqual(failed.count, 2)
  }

  // MARK: runner against a fake timirec

  /// A fake `timirec`: `train` writes config.json/resume.json (finished at --epochs, default
  /// 200) unless FAKE_FAIL names the run; `evaluate` copies $FAKE_RANKS/<run>.txt ("user rank"
  /// lines; catalogue_rank = 10 × rank with --candidates all) into the --per-user file and
  /// prints HR/NDCG@5/10/20 as evaluate's JSON does. Every call is appended to $FAKE_LOG.
  static let fakeTimirec = #"""
    #!/bin/bash
    echo "$*" >> "$FAKE_LOG"
    command=$1; shift
    declare -A opt; resume=0; all=1
    while [ $# -gt 0 ]; do
      case $1 in
        --resume) resume=1; shift;;
        --json|--joint|--no-stopgrad) shift;;
        --candidates) [ "$2" = all ] && all=10; shift 2;;
        --*) opt[$1]=$2; shift 2;;
        *) shift;;
      esac
    done
    if [ "$command" = train ]; then
      out=${opt[--out]}; name=$(basename "$out")
      [ "$name" = "${FAKE_FAIL:-}" ] && { echo "fake failure" >&2; exit 3; }
      if [ -n "${opt[--init]:-}" ] && ! grep -q '"finished" : true' "${opt[--init]}/resume.json"; then exit 4; fi
      if [ $resume = 1 ] && [ ! -f "$out/resume.json" ]; then exit 5; fi
      if [ $resume = 0 ] && [ -e "$out" ]; then exit 6; fi
      epochs=${opt[--epochs]:-200}; threads=${opt[--threads]:-2}
      mkdir -p "$out"
      echo "{\"training\": {\"learningRate\": 0.001, \"l2\": 0, \"batchSize\": 256, \"evalBatchSize\": 256, \"maxEpochs\": $epochs, \"seed\": ${opt[--seed]}, \"threads\": $threads}, \"bestEpoch\": $((epochs - 1))}" > "$out/config.json"
      echo "{\"epochsDone\" : $epochs, \"devHistory\" : [], \"adamSteps\" : 1, \"finished\" : true, \"seconds\" : 60}" > "$out/resume.json"
      exit 0
    fi
    ckpt=${opt[--ckpt]}; name=$(basename "$ckpt")
    awk -v all=$all -v out="${opt[--per-user]}" '
      function add(p, rank) { for (k = 5; k <= 20; k *= 2) if (rank <= k) { hr[p, k]++; nd[p, k] += log(2) / log(rank + 1) } }
      function metrics(p) { s = ""; for (k = 5; k <= 20; k *= 2) s = s sprintf(", \"HR@%d\": %.17g, \"NDCG@%d\": %.17g", k, hr[p, k] / n, k, nd[p, k] / n); return s }
      { n++; line = "{\"index\": " (n - 1) ", \"user\": " $1 ", \"rank\": " $2
        add(1, $2)
        if (all == 10) { line = line ", \"catalogue_rank\": " $2 * 10; add(10, $2 * 10) }
        print line "}" > out }
      END { printf "{\"rows\": %d%s, \"standard_error\": {\"HR@10\": 0.01}", n, metrics(1)
            if (all == 10) printf ", \"catalogue\": {\"items\": 100%s}", metrics(10)
            print "}" }' "$FAKE_RANKS/$name.txt"
    """#

  func makeFake() throws -> String {
    let path = workDir + "/fake-timirec"
    try Self.fakeTimirec.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o755)
    try FileManager.default.createDirectory(atPath: workDir + "/ranks", withIntermediateDirectories: true)
    setenv("FAKE_LOG", workDir + "/calls.log", 1)
    setenv("FAKE_RANKS", workDir + "/ranks", 1)
    unsetenv("FAKE_FAIL")
    return path
  }

  func writeRanks(_ run: String, _ ranks: [Int]) throws {
    try ranks.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: "\n")
      .appending("\n").write(toFile: workDir + "/ranks/\(run).txt", atomically: true, encoding: .utf8)
  }

  /// "train RUN" / "evaluate RUN" of a logged call.
  func summary(_ call: String) -> String {
    let words = call.split(separator: " ").map(String.init)
    let index = words.firstIndex { $0 == "--out" || $0 == "--ckpt" } ?? 0
    return words[0] + " " + (words[index + 1] as NSString).lastPathComponent
  }

  func calls() -> [String] {
    ((try? String(contentsOfFile: workDir + "/calls.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
  }

  func benchmark(_ plan: BenchmarkPlan, fake: String, jobs: Int, reports: ReportCounter? = nil) -> Benchmark {
    Benchmark(plan: plan, data: workDir + "/data/d", runsRoot: workDir + "/runs", resultsRoot: workDir + "/results",
              executable: fake, jobs: jobs, report: { benchmark in
                reports?.add()
                let table = try BenchmarkTable(title: "t", plan: benchmark.plan, results: try benchmark.results(),
                                               protocols: benchmark.protocols, command: "c", significance: true)
                try table.write(to: benchmark.resultsFolder, name: "table")
              })
  }

  final class ReportCounter: @unchecked Sendable {
    let lock = NSLock()
    var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
  }

  func testRunnerTrainsEvaluatesSkipsFinishedResumesPartialAndReportsFailures() throws {
    let fake = try makeFake()
    let plan = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [0, 1], recipes: Self.recipes, maxEpochs: 3)
    for run in ["TiMiRec+-s0", "TiMiRec+-s1"] { try writeRanks(run, [1, 4, 30]) }
    let runs = workDir + "/runs/d"
    // Seed 1's pretrain was interrupted after 2 epochs of a run started with one thread.
    try FileManager.default.createDirectory(atPath: runs + "/P-s1", withIntermediateDirectories: true)
    try #"{"training": {"learningRate": 0.001, "l2": 0, "batchSize": 256, "evalBatchSize": 256, "maxEpochs": 3, "seed": 1, "threads": 1}, "bestEpoch": 2}"#
      .write(toFile: runs + "/P-s1/config.json", atomically: true, encoding: .utf8)
    try #"{"epochsDone": 2, "devHistory": [0.1, 0.2], "adamSteps": 5, "finished": false, "seconds": 30}"#
      .write(toFile: runs + "/P-s1/resume.json", atomically: true, encoding: .utf8)

    let first = benchmark(plan, fake: fake, jobs: 2)
    // Each evaluation right after its run: the scheduler takes the first ready job.
    XCTAssertEqual(try first.steps().map(\.job.id), ["train P-s0", "train TiMiRec+-s0", "evaluate TiMiRec+-s0",
                                                     "train P-s1", "train TiMiRec+-s1", "evaluate TiMiRec+-s1"])
    let described = try first.describe()
    XCTAssertTrue(described.contains("train P-s1: partial (2 epochs)"), described)
    XCTAssertTrue(described.contains("train P-s0: to do"), described)
    setenv("FAKE_FAIL", "TiMiRec+-s0", 1)
    XCTAssertThrowsError(try first.run(log: { _ in })) { error in
      XCTAssertEqual(error as? BenchmarkError, .failedRuns(["train TiMiRec+-s0", "evaluate TiMiRec+-s0"]))
    }
    let trainCalls = calls().filter { $0.hasPrefix("train") }
    XCTAssertTrue(trainCalls.contains("train --data \(workDir)/data/d --out \(runs)/P-s1 --stage pretrain --K 2 --seed 1 --epochs 3 --threads 1 --resume"),
                  "the partial run resumes with the thread count it started with:\n\(trainCalls.joined(separator: "\n"))")
    XCTAssertTrue(trainCalls.contains("train --data \(workDir)/data/d --out \(runs)/TiMiRec+-s1 --stage finetune --K 2 --temp 0.5 --seed 1 --epochs 3 --init \(runs)/P-s1 --threads 1"),
                  trainCalls.joined(separator: "\n"))
    XCTAssertEqual(trainCalls.count, 4)
    let evaluations = calls().filter { $0.hasPrefix("evaluate") }
    XCTAssertEqual(evaluations, [
      "evaluate --data \(workDir)/data/d --ckpt \(runs)/TiMiRec+-s1 --json --per-user \(runs)/eval/TiMiRec+-s1.jsonl --candidates all --threads 1",
    ])
    let partialTable = try String(contentsOfFile: workDir + "/results/d/table.md", encoding: .utf8)
    XCTAssertTrue(partialTable.contains("| with transformer | TiMiRec+ (1 of 2 seeds) | "), partialTable)

    // The rerun: finished runs and evaluations are skipped; only the failed run and its
    // evaluation run (one job at a time: the default thread count).
    unsetenv("FAKE_FAIL")
    try FileManager.default.removeItem(atPath: workDir + "/calls.log")
    let reports = ReportCounter()
    try benchmark(plan, fake: fake, jobs: 1, reports: reports).run(log: { _ in })
    XCTAssertEqual(calls().map(summary), ["train TiMiRec+-s0", "evaluate TiMiRec+-s0"])
    XCTAssertFalse(calls()[0].contains("--threads"), calls()[0])
    XCTAssertEqual(reports.count, 3, "once at the start and after each of the two jobs")
    let result = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: workDir + "/results/d/runs/TiMiRec+-s1.json")))
    XCTAssertEqual(result.chain.map(\.run), ["P-s1", "TiMiRec+-s1"])
    XCTAssertEqual(result.chain.map(\.epochs), [3, 3])
    XCTAssertEqual(result.seconds, 120)
    XCTAssertEqual(result.maxEpochs, 3)
    // Ranks 1, 4, 30: HR@5 = 2/3, NDCG@5 = (1 + 1/log2 5)/3; ×10 for the full catalogue: 10, 40, 300.
    XCTAssertEqual(result.metrics["sampled"]?["HR@5"] ?? 0, 2.0 / 3, accuracy: 1e-12)
    XCTAssertEqual(result.metrics["sampled"]?["NDCG@5"] ?? 0, (1 + 1 / log2(5)) / 3, accuracy: 1e-12)
    XCTAssertEqual(result.metrics["all"]?["HR@10"] ?? 0, 1.0 / 3, accuracy: 1e-12)
    let table = try String(contentsOfFile: workDir + "/results/d/table.md", encoding: .utf8)
    XCTAssertTrue(table.contains("| with transformer | TiMiRec+ | **0.6667** ± 0.0000 |"), table)
    XCTAssertTrue(table.contains("**Shortened runs:** every training run was limited to 3 epochs"), table)
    let after = try first.describe()
    XCTAssertTrue(after.split(separator: "\n").allSatisfy { $0.contains("finished") || $0.contains("evaluated") }, after)
  }

  /// Ctrl-C before anything ran: no job starts and the error says interrupted (resumable),
  /// not failed.
  func testAnInterruptedBenchmarkSaysSoAndNamesWhatIsLeft() throws {
    let fake = try makeFake()
    let plan = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [0], recipes: Self.recipes, maxEpochs: 3)
    XCTAssertThrowsError(try benchmark(plan, fake: fake, jobs: 1).run(log: { _ in }, shouldStop: { true })) { error in
      XCTAssertEqual(error as? BenchmarkError, .interrupted(notDone: ["train P-s0", "train TiMiRec+-s0", "evaluate TiMiRec+-s0"]))
      XCTAssertTrue("\(error)".contains("running the same command again resumes them"), "\(error)")
    }
    XCTAssertEqual(calls(), [])
  }

  /// Results outlive the run folders (a new machine): a model and seed whose result and
  /// ranks table are in results/ is neither trained nor evaluated again; a pretrain is trained
  /// again only when a finetune still to train needs it.
  func testRecordedResultsSurviveLosingTheRunFolders() throws {
    let fake = try makeFake()
    let plan = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [0, 1], recipes: Self.recipes, maxEpochs: 3)
    for run in ["TiMiRec+-s0", "TiMiRec+-s1"] { try writeRanks(run, [1, 4, 30]) }
    try benchmark(plan, fake: fake, jobs: 1).run(log: { _ in })
    // The ranks table beside the result: users 1–3, sampled ranks, catalogue ranks (× 10 by the fake).
    XCTAssertEqual(try String(contentsOfFile: workDir + "/results/d/ranks/TiMiRec+-s0.tsv", encoding: .utf8),
                   "user\trank\tcatalogue_rank\n1\t1\t10\n2\t4\t40\n3\t30\t300\n")
    let stored = try JSONDecoder().decode(RunResult.self, from: Data(contentsOf: URL(fileURLWithPath: workDir + "/results/d/runs/TiMiRec+-s0.json")))
    XCTAssertEqual(stored.perUser, ["sampled": "ranks/TiMiRec+-s0.tsv", "all": "ranks/TiMiRec+-s0.tsv"])

    try FileManager.default.removeItem(atPath: workDir + "/runs")
    try FileManager.default.removeItem(atPath: workDir + "/results/d/runs/TiMiRec+-s1.json")
    try FileManager.default.removeItem(atPath: workDir + "/calls.log")
    let again = benchmark(plan, fake: fake, jobs: 1)
    let described = try again.describe()
    for line in ["train P-s0: recorded in results (no run folder here)", "train TiMiRec+-s0: recorded in results (no run folder here)",
                 "evaluate TiMiRec+-s0: recorded", "train P-s1: to do", "train TiMiRec+-s1: to do"] {
      XCTAssertTrue(described.contains(line), "\(line)\n\(described)")
    }
    try again.run(log: { _ in })
    XCTAssertEqual(calls().map(summary), ["train P-s1", "train TiMiRec+-s1", "evaluate TiMiRec+-s1"])
    // Both seeds in the table, the paired tests reading seed 0's ranks from results/.
    let table = try String(contentsOfFile: workDir + "/results/d/table.md", encoding: .utf8)
    XCTAssertTrue(table.contains("| with transformer | TiMiRec+ | **0.6667** ± 0.0000 |"), table)
    XCTAssertEqual(try PerUserReader().ranks(workDir + "/results/d/ranks/TiMiRec+-s1.tsv", protocol: .all), [1: 10, 2: 40, 3: 300])
  }

  /// The seeds a table keeps besides `--seeds`: those with a result file of one of its models.
  func testRecordedSeedsAreThoseOfTheTablesModels() throws {
    let plan = try BenchmarkPlan(dataset: "d", models: ["TiMiRec+"], seeds: [2], recipes: Self.recipes)
    let benchmark = Benchmark(plan: plan, data: workDir + "/data/d", runsRoot: workDir + "/runs", resultsRoot: workDir + "/results",
                              executable: "/bin/false", jobs: 1, report: { _ in })
    XCTAssertEqual(benchmark.recordedSeeds(models: ["A"]), [], "no results folder yet")
    let folder = workDir + "/results/d/runs"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for name in ["A-s0.json", "A-s3.json", "TiMiRec+-s1.json", "TiMiRec+-K4-s7.json", "B-s5.json", "A-s9.json.tmp", "A-sx.json", "A-s-1.json"] {
      try "{}".write(toFile: (folder as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    // A sweep point (TiMiRec+-K4) and other models (B) are not the table's; temporary and
    // malformed names count for nothing.
    XCTAssertEqual(benchmark.recordedSeeds(models: ["A", "TiMiRec+"]), [0, 1, 3])
    XCTAssertEqual(benchmark.recordedSeeds(models: ["B"]), [5])
  }

  func testARanksTableWithABadLineNamesItsFileAndLine() throws {
    let file = workDir + "/bad.tsv"
    try "user\trank\n1\t3\n2\tx\n".write(toFile: file, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try PerUserReader().ranks(file, protocol: .sampled)) { error in
      XCTAssertEqual(error as? BenchmarkError, .badResult(path: file + ":3", reason: "expected 2 integers separated by tabs"))
    }
  }

  func testHandWrittenNotesAreParagraphsAndABadFileIsNamed() throws {
    XCTAssertEqual(try BenchmarkTable.handWrittenNotes(folder: workDir, name: "table"), [], "no file, no notes")
    let file = workDir + "/table4-notes.md"
    try "\n\nOne,\r\ntwo.\n \t\nThree.".write(toFile: file, atomically: true, encoding: .utf8)
    XCTAssertEqual(try BenchmarkTable.handWrittenNotes(folder: workDir, name: "table4"), ["One,\ntwo.", "Three."])
    try Data([0x4e, 0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: file))
    XCTAssertThrowsError(try BenchmarkTable.handWrittenNotes(folder: workDir, name: "table4")) { error in
      XCTAssertEqual(error as? BenchmarkError, .badNotes(path: file, reason: "is not UTF-8 text"))
      XCTAssertTrue("\(error)".contains("fix or delete it"), "\(error)")
    }
  }

  func testARunLockedByAnotherBenchmarkIsLeftAlone() throws {
    let fake = try makeFake()
    let plan = try BenchmarkPlan(dataset: "d", models: ["A"], seeds: [0], recipes: Self.recipes)
    try writeRanks("A-s0", [1, 2, 3])
    let runs = workDir + "/runs/d"
    try FileManager.default.createDirectory(atPath: runs, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: runs + "/locks", withIntermediateDirectories: true)
    let held = open(runs + "/locks/A-s0.lock", O_CREAT | O_RDWR, 0o644)
    XCTAssertEqual(flock(held, LOCK_EX | LOCK_NB), 0)
    final class Lines: @unchecked Sendable {  // appended by the one worker thread; read after run()
      var all: [String] = []
    }
    let lines = Lines()
    XCTAssertThrowsError(try benchmark(plan, fake: fake, jobs: 1).run(log: { lines.all.append($0) })) { error in
      XCTAssertEqual(error as? BenchmarkError, .failedRuns(["train A-s0", "evaluate A-s0"]))
    }
    XCTAssertTrue(lines.all.contains { $0.hasPrefix("train A-s0: another timirec benchmark is training it") }, "\(lines.all)")
    XCTAssertTrue(calls().isEmpty, "\(calls())")
    close(held)
    try benchmark(plan, fake: fake, jobs: 1).run(log: { _ in })
    XCTAssertEqual(calls().map(summary), ["train A-s0", "evaluate A-s0"])
  }

  // MARK: table

  /// Result files for `model` and `seed` with per-user ranks (sampled only).
  func result(_ model: String, _ group: ModelGroup?, seed: Int, ranks: [Int]) throws -> RunResult {
    let file = workDir + "/\(model)-\(seed).jsonl"
    try ranks.enumerated().map { "{\"index\": \($0.offset), \"user\": \($0.offset), \"row\": \($0.offset), \"target\": 7, \"rank\": \($0.element)}" }.joined(separator: "\n")
      .write(toFile: file, atomically: true, encoding: .utf8)
    return RunResult(dataset: "d", model: model, seed: seed, run: "\(model)-s\(seed)",
                     chain: [.init(run: "\(model)-s\(seed)", epochs: 10 + seed, bestEpoch: 5, seconds: 60, arguments: [])],
                     maxEpochs: nil, metrics: ["sampled": RankingMetrics.metrics(ranks: ranks, ks: [5, 10, 20])],
                     standardErrors: [:], perUser: ["sampled": file], evaluated: "")
  }

  func testTableMeansSeedDeviationsBoldAndPairedTTest() throws {
    let book: RecipeBook = { model, _ in
      ModelRecipe(model: model, group: ["A", "B", "TiMiRec"].contains(model) ? .withoutTransformer : .withTransformer, arguments: [])
    }
    let plan = try BenchmarkPlan(dataset: "d", models: ["A", "B", "TiMiRec", "TiMiRec+"], seeds: [0, 1], recipes: book)
    // 10 users. HR@10 per user: TiMiRec seed 0 hits users 0–6, seed 1 users 0–5 and 7 → per
    // user, averaged across seeds, 1,1,1,1,1,1,½,½,0,0.
    let tiMiRec0 = [1, 2, 3, 4, 6, 8, 9, 50, 60, 70], tiMiRec1 = [2, 1, 3, 5, 7, 9, 40, 10, 80, 90]
    // A: hits users 0, 1, 2 (both seeds); B: users 0–2 in seed 0, 0–3 in seed 1 (the best baseline).
    let a = [3, 3, 3, 30, 30, 30, 30, 30, 30, 30], b0 = [1, 1, 1, 11, 40, 40, 40, 40, 40, 40], b1 = [1, 1, 1, 10, 40, 40, 40, 40, 40, 40]
    let results = [
      try result("A", .withoutTransformer, seed: 0, ranks: a), try result("A", .withoutTransformer, seed: 1, ranks: a),
      try result("B", .withoutTransformer, seed: 0, ranks: b0), try result("B", .withoutTransformer, seed: 1, ranks: b1),
      try result("TiMiRec", .withoutTransformer, seed: 0, ranks: tiMiRec0), try result("TiMiRec", .withoutTransformer, seed: 1, ranks: tiMiRec1),
      try result("TiMiRec+", .withTransformer, seed: 0, ranks: tiMiRec0),
    ]
    let table = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "timirec benchmark", significance: true)
    let row = { (model: String) in table.rows.first { $0.model == model }! }
    // HR@10: TiMiRec 0.7 (seed 0: users 0–6) and 0.7 (seed 1: users 0–5 and 7) → mean 0.7, sd 0.
    let hr = try XCTUnwrap(row("TiMiRec").cells["sampled"]?["HR@10"])
    XCTAssertEqual(hr.mean, 0.7, accuracy: 1e-12)
    XCTAssertEqual(hr.sd ?? -1, 0, accuracy: 1e-12)
    XCTAssertTrue(hr.best)
    // B: 0.3 and 0.4 → mean 0.35, sd √(2·0.05²) = 0.0707…; the best baseline (A: 0.3).
    let hrB = try XCTUnwrap(row("B").cells["sampled"]?["HR@10"])
    XCTAssertEqual(hrB.mean, 0.35, accuracy: 1e-12)
    XCTAssertEqual(hrB.sd ?? 0, (0.005).squareRoot(), accuracy: 1e-12)
    XCTAssertFalse(hrB.best)
    // Per-user HR@10 averaged across seeds: TiMiRec 1,1,1,1,1,1,½,½,0,0; B 1,1,1,½,0,…,0.
    // Differences 0,0,0,½,1,1,½,½,0,0: mean 0.35, Σ(d − 0.35)² = 3·0.15² + 2·0.65² + 5·0.35²
    // = 0.0675 + 0.845 + 0.6125 = 1.525, sd = √(1.525/9), t = 0.35/(sd/√10) = 2.6888…
    let test = try XCTUnwrap(hr.test)
    XCTAssertEqual(test.against, "B")
    XCTAssertEqual(test.users, 10)
    XCTAssertEqual(test.t, 0.35 / ((1.525 / 9).squareRoot() / 10.0.squareRoot()), accuracy: 1e-12)
    XCTAssertEqual(test.p, Statistics.studentTTwoSidedP(test.t, degreesOfFreedom: 9), accuracy: 1e-15)
    XCTAssertEqual(test.mark, "*", "p = \(test.p)")
    // TiMiRec+ has one of two seeds and no baseline in its group: no test, marked partial.
    XCTAssertNil(row("TiMiRec+").cells["sampled"]?["HR@10"]?.test)
    XCTAssertNil(row("TiMiRec+").cells["sampled"]?["HR@10"]?.sd)
    let markdown = table.markdown
    XCTAssertTrue(markdown.contains("| without transformer | TiMiRec | **0.7000**\\* ± 0.0000 |") || markdown.contains("**0.7000**\\* ± 0.0000"), markdown)
    XCTAssertTrue(markdown.contains("| with transformer | TiMiRec+ (1 of 2 seeds) |"), markdown)
    XCTAssertTrue(markdown.contains("**Partial:**"), markdown)
    XCTAssertTrue(markdown.contains("| TiMiRec | 2 of 2 | 10.5 (5.0) | 1.0 min | – |"), markdown)
    // The JSON holds the same numbers.
    let decoded = try JSONDecoder().decode(BenchmarkTable.self, from: table.json())
    XCTAssertEqual(decoded.rows.first { $0.model == "TiMiRec" }?.cells["sampled"]?["HR@10"]?.test?.against, "B")
  }

  /// TiMiRec against ComiRec (the extractor it distils) whatever the group's best baseline:
  /// the same paired t-test, on hand-computed per-user values.
  func testTiMiRecIsTestedAgainstItsExtractorBesideTheBestBaseline() throws {
    let book: RecipeBook = { model, _ in ModelRecipe(model: model, group: model.hasSuffix("+") ? .withTransformer : .withoutTransformer, arguments: []) }
    let plan = try BenchmarkPlan(dataset: "d", models: ["B", "ComiRec", "TiMiRec", "ComiRec+"], seeds: [0], recipes: book)
    // 10 users, HR@10 per user: TiMiRec hits users 0–7, ComiRec users 0–1, B users 0–8.
    let results = [
      try result("TiMiRec", .withoutTransformer, seed: 0, ranks: [1, 2, 3, 4, 5, 6, 7, 8, 50, 60]),
      try result("ComiRec", .withoutTransformer, seed: 0, ranks: [1, 2, 30, 30, 30, 30, 30, 30, 30, 30]),
      try result("B", .withoutTransformer, seed: 0, ranks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 60]),
      try result("ComiRec+", .withTransformer, seed: 0, ranks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 60]),
    ]
    let table = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "c", significance: true)
    // The mark tests the best baseline, B, which TiMiRec does not beat: no mark.
    let cell = try XCTUnwrap(table.rows.first { $0.model == "TiMiRec" }?.cells["sampled"]?["HR@10"])
    XCTAssertEqual(cell.test?.against, "B")
    XCTAssertEqual(cell.test?.mark, "")
    XCTAssertEqual(cell.test?.meanDifference ?? 0, -0.1, accuracy: 1e-12)
    // Against ComiRec: differences 0,0,1,1,1,1,1,1,0,0; mean 0.6, Σ(d − 0.6)² = 4·0.36 + 6·0.16
    // = 2.4, sd = √(2.4/9), t = 0.6/(sd/√10) = 3.674…, 9 degrees of freedom, p ≈ 0.005.
    XCTAssertEqual(table.comparisons.map(\.model), ["TiMiRec"], "TiMiRec+ has no result: no second comparison")
    let comparison = try XCTUnwrap(table.comparisons.first)
    XCTAssertEqual(comparison.against, "ComiRec")
    let test = try XCTUnwrap(comparison.tests["sampled"]?["HR@10"])
    let t = 0.6 / ((2.4 / 9).squareRoot() / 10.0.squareRoot())
    XCTAssertEqual(test.meanDifference, 0.6, accuracy: 1e-12)
    XCTAssertEqual(test.t, t, accuracy: 1e-12)
    XCTAssertEqual(test.users, 10)
    XCTAssertEqual(test.p, Statistics.studentTTwoSidedP(t, degreesOfFreedom: 9), accuracy: 1e-15)
    XCTAssertTrue(test.p > 0.001 && test.p < 0.01, "p = \(test.p)")
    XCTAssertEqual(test.mark, "**")
    // HR@5: TiMiRec hits users 0–4, ComiRec 0–1: differences 0,0,1,1,1,0,…: mean 0.3.
    XCTAssertEqual(comparison.tests["sampled"]?["HR@5"]?.meanDifference ?? 0, 0.3, accuracy: 1e-12)
    let markdown = table.markdown
    XCTAssertTrue(markdown.contains("## TiMiRec against the extractor it distils"), markdown)
    XCTAssertTrue(markdown.contains("| TiMiRec − ComiRec | sampled | +0.3000"), markdown)
    XCTAssertTrue(markdown.contains("| +0.6000\\*\\* (p " + String(format: "%.2g", test.p) + ") |"), markdown)
    let decoded = try JSONDecoder().decode(BenchmarkTable.self, from: table.json())
    XCTAssertEqual(decoded.comparisons, table.comparisons)
    // Without significance there is no comparison either.
    let plain = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "c", significance: false)
    XCTAssertTrue(plain.comparisons.isEmpty)
    XCTAssertFalse(plain.markdown.contains("extractor it distils"))
  }

  /// The reference code's runs beside ours: differences in our standard errors, the verdict,
  /// and the mark in the main table.
  func testReferenceRunsStandBesideOursAndAFarOneIsMarkedNotReproduced() throws {
    let book: RecipeBook = { model, _ in ModelRecipe(model: model, group: .withoutTransformer, arguments: []) }
    let plan = try BenchmarkPlan(dataset: "d", models: ["A", "B", "C"], seeds: [0, 1], recipes: book)
    // 4 users. A: HR@10 1/2 in both seeds (ranks 1, 2, 30, 40): per-user sd √(1/3), SE √(1/3)/2.
    var results = [
      try result("A", nil, seed: 0, ranks: [1, 2, 30, 40]), try result("A", nil, seed: 1, ranks: [2, 1, 40, 30]),
      try result("B", nil, seed: 0, ranks: [1, 2, 30, 40]),
    ]
    for i in results.indices {
      let hr = RankingMetrics.metrics(ranks: [1, 2, 30, 40], ks: [10])
      results[i].standardErrors = ["sampled": ["HR@10": (1.0 / 3).squareRoot() / 2, "NDCG@10": 0.1]]
      XCTAssertEqual(results[i].metrics["sampled"]?["HR@10"] ?? -1, hr["HR@10"]!, accuracy: 1e-12)
    }
    let ndcg = results[0].metrics["sampled"]!["NDCG@10"]!
    let se = (1.0 / 3).squareRoot() / 2  // 0.2887
    let reference = ReferenceResults(models: [
      // A: two reference seeds (listed out of order), mean HR@10 0.3: 0.5 − 0.3 = 0.2 = 0.69 SE: reproduced.
      // B: 0.5 − 0.95 = −1.56 SE on HR@10, but NDCG@10 3 SE away.
      "A": [.init(seed: 1, epochs: 50, bestEpoch: 30, seconds: 100, sampled: ["HR@10": 0.2, "NDCG@10": ndcg], command: "python main.py --model_name A --random_seed 1"),
            .init(seed: 0, epochs: 30, bestEpoch: 20, seconds: 100, sampled: ["HR@10": 0.4, "NDCG@10": ndcg], command: "python main.py --model_name A --random_seed 0")],
      "B": [.init(seed: 0, epochs: 40, bestEpoch: 30, seconds: 100, sampled: ["HR@10": 0.95, "NDCG@10": ndcg - 0.3], command: "python main.py --model_name B")],
      "C": [.init(seed: 0, epochs: 40, bestEpoch: 30, seconds: 100, sampled: ["HR@10": 0.5, "NDCG@10": ndcg], command: "c")],
    ])
    let table = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "c",
                                   significance: false, reference: reference)
    XCTAssertEqual(table.referenceChecks.map(\.model), ["A", "B"], "C has no result of ours: no check")
    let a = table.referenceChecks[0], b = table.referenceChecks[1]
    XCTAssertEqual(a.metrics[0].inStandardErrors, 0.2 / se, accuracy: 1e-12)
    XCTAssertTrue(a.reproduced)
    XCTAssertEqual(b.metrics[0].inStandardErrors, -0.45 / se, accuracy: 1e-12)
    XCTAssertEqual(b.metrics[1].inStandardErrors, 3, accuracy: 1e-12)
    XCTAssertFalse(b.reproduced)
    XCTAssertEqual(table.rows.map(\.reproduced), [true, false, nil])
    let markdown = table.markdown
    XCTAssertTrue(markdown.contains("| B (1 of 2 seeds) (not reproduced) |"), markdown)
    XCTAssertEqual(a.references.map(\.seed), [0, 1])
    XCTAssertEqual(a.metrics[1].reference, ndcg, accuracy: 1e-12)
    XCTAssertTrue(markdown.contains("| A (2 seeds) | 0.5000 ± 0.2887 | 0.3000 (2 seeds) | +0.2000 (+0.7 SE) |"), markdown)
    XCTAssertTrue(markdown.contains("| 10.5 (5.0) / 30, 50 (20, 30) | reproduced |"), markdown)
    XCTAssertTrue(markdown.contains("- A, seed 0: `python main.py --model_name A --random_seed 0`\n- A, seed 1: `"), markdown)
    XCTAssertTrue(markdown.contains("| 10.0 (5.0) / 40 (30) | **not reproduced** |"), markdown)
    XCTAssertTrue(markdown.contains("- B: `python main.py --model_name B`"), markdown)
  }

  func testABadReferenceFileIsNamedWithWhatIsWrong() throws {
    XCTAssertNil(try ReferenceResults.load(folder: workDir))
    let path = workDir + "/" + ReferenceResults.fileName
    try #"{"models": {"GRU4Rec": [{"seed": 0, "epochs": 3, "bestEpoch": 2, "seconds": 1, "command": "x"}]}}"#
      .write(toFile: path, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try ReferenceResults.load(folder: workDir)) { error in
      XCTAssertEqual(error as? BenchmarkError, .badReference(path: path, reason: "missing field 'models.GRU4Rec[0].sampled'"))
    }
    // The one-run-per-model form of before: the model's entry must be a list of runs.
    try #"{"models": {"GRU4Rec": {"seed": 0, "epochs": 3, "bestEpoch": 2, "seconds": 1, "sampled": {}, "command": "x"}}}"#
      .write(toFile: path, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try ReferenceResults.load(folder: workDir)) { error in
      XCTAssertEqual(error as? BenchmarkError, .badReference(path: path, reason: "field 'models.GRU4Rec' should be a list"))
    }
    try "not json".write(toFile: path, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try ReferenceResults.load(folder: workDir)) { error in
      XCTAssertEqual(error as? BenchmarkError, .badReference(path: path, reason: "not valid JSON"))
    }
    // JSON allows control characters in keys; the message names the field with them escaped.
    try #"{"models": {"a\nb": [{"seed": "zero"}]}}"#.write(toFile: path, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try ReferenceResults.load(folder: workDir)) { error in
      XCTAssertEqual(error as? BenchmarkError, .badReference(path: path, reason: #"field 'models.a\nb[0].seed' should be an integer"#))
    }
  }

  /// Beauty's plan: the baselines and Table 4's variants one seed, ComiRec(+) and TiMiRec(+)
  /// three. A table over seeds 0,1,2 is complete with the baseline's seed 0 and says why that
  /// row has one seed.
  func testARowThatExpectsOneSeedIsCompleteWithIt() throws {
    XCTAssertEqual(Recipes.recipe("GRU4Rec", dataset: "beauty")?.tableSeeds, 1)
    XCTAssertEqual(Recipes.recipe("TiSASRec", dataset: "beauty")?.tableSeeds, 1)
    XCTAssertNil(Recipes.recipe("TiMiRec+", dataset: "beauty")?.tableSeeds)
    XCTAssertEqual(Recipes.recipe("TiMiRec-joint", dataset: "beauty")?.tableSeeds, 1)
    XCTAssertEqual(Recipes.recipe("TiMiRec-nostopgrad", dataset: "beauty")?.tableSeeds, 1)
    XCTAssertNil(Recipes.recipe("TiMiRec-nostopgrad", dataset: "ml-100k")?.tableSeeds)
    XCTAssertNil(Recipes.recipe("TiMiRec", dataset: "beauty")?.tableSeeds)
    XCTAssertNil(Recipes.recipe("ComiRec", dataset: "beauty")?.tableSeeds)
    XCTAssertNil(Recipes.recipe("GRU4Rec", dataset: "ml-100k")?.tableSeeds)
    XCTAssertEqual(try Recipes.book("MIND", "beauty").tableSeeds, 1)

    let book: RecipeBook = { model, _ in
      ModelRecipe(model: model, group: .withoutTransformer, arguments: [], tableSeeds: model == "A" ? 1 : nil)
    }
    let plan = try BenchmarkPlan(dataset: "d", models: ["A", "TiMiRec"], seeds: [0, 1, 2], recipes: book)
    var results = [try result("A", nil, seed: 0, ranks: [1, 20])]
    for seed in 0..<3 { results.append(try result("TiMiRec", nil, seed: seed, ranks: [1, 2])) }
    let complete = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "c", significance: false)
    XCTAssertEqual(complete.rows.map(\.expectedSeeds), [1, nil])
    var markdown = complete.markdown
    XCTAssertTrue(markdown.contains("| without transformer | A (1 of 1 seed) | "), markdown)
    XCTAssertTrue(markdown.contains("| without transformer | TiMiRec | "), markdown)
    XCTAssertFalse(markdown.contains("**Partial:**"), markdown)
    XCTAssertTrue(markdown.contains("A row marked \"of 1 seed\" expects fewer seeds than the 3 asked"), markdown)
    XCTAssertTrue(markdown.contains("| A | 1 of 1 |"), markdown)
    // Without A's seed the table is partial; with seeds 0 alone every row expects one.
    let partial = try BenchmarkTable(title: "t", plan: plan, results: Array(results.dropFirst()), protocols: [.sampled], command: "c",
                                     significance: false)
    markdown = partial.markdown
    XCTAssertTrue(markdown.contains("| without transformer | A (0 of 1 seed) | "), markdown)
    XCTAssertTrue(markdown.contains("**Partial:**"), markdown)
    let oneSeed = try BenchmarkTable(title: "t", plan: try BenchmarkPlan(dataset: "d", models: ["A", "TiMiRec"], seeds: [0], recipes: book),
                                     results: results, protocols: [.sampled], command: "c", significance: false)
    XCTAssertEqual(oneSeed.rows.map(\.expectedSeeds), [nil, nil])
    XCTAssertFalse(oneSeed.markdown.contains("of 1 seed"), oneSeed.markdown)
  }

  /// Table 4: the variants' recipes have no Table 2 group and TiMiRec has one; ungrouped, the
  /// bold is the best of all three rows (it once compared each row with itself).
  func testAnUngroupedTableBoldsTheBestOfAllRows() throws {
    let book: RecipeBook = { model, _ in ModelRecipe(model: model, group: model == "TiMiRec" ? .withoutTransformer : nil, arguments: []) }
    let plan = try BenchmarkPlan(dataset: "d", models: ["TiMiRec-joint", "TiMiRec-nostopgrad", "TiMiRec"], seeds: [0], recipes: book)
    // HR@10 over 4 users: joint 3/4, nostopgrad 1/4, TiMiRec 2/4.
    let results = [
      try result("TiMiRec-joint", nil, seed: 0, ranks: [1, 2, 3, 40]),
      try result("TiMiRec-nostopgrad", nil, seed: 0, ranks: [1, 20, 30, 40]),
      try result("TiMiRec", .withoutTransformer, seed: 0, ranks: [1, 2, 30, 40]),
    ]
    let best = { (table: BenchmarkTable) in
      table.rows.filter { $0.cells["sampled"]?["HR@10"]?.best == true }.map(\.model)
    }
    let ungrouped = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "c",
                                       significance: false, grouped: false)
    XCTAssertEqual(best(ungrouped), ["TiMiRec-joint"])
    XCTAssertEqual(ungrouped.rows.first { $0.model == "TiMiRec" }?.cells["sampled"]?["HR@10"]?.mean ?? 0, 0.5, accuracy: 1e-12)
    XCTAssertTrue(ungrouped.markdown.contains("| TiMiRec | 0.5000 |"), ungrouped.markdown)
    XCTAssertTrue(ungrouped.markdown.contains("best of all rows in that column"), ungrouped.markdown)
    // Grouped, the variants belong to no group and get no bold; TiMiRec is alone in its group.
    let grouped = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "c", significance: false)
    XCTAssertEqual(best(grouped), ["TiMiRec"])
  }

  /// The paper's figures beside ours: only the metrics and models the paper has, ours / its
  /// (relative difference), by hand.
  func testThePapersFiguresStandBesideOurs() throws {
    let book: RecipeBook = { model, _ in ModelRecipe(model: model, group: nil, arguments: []) }
    let plan = try BenchmarkPlan(dataset: "d", models: ["TiMiRec-joint", "TiMiRec-nostopgrad", "TiMiRec"], seeds: [0], recipes: book)
    let results = [
      try result("TiMiRec-joint", nil, seed: 0, ranks: [1, 2, 3, 40]),  // HR@10 0.75
      try result("TiMiRec-nostopgrad", nil, seed: 0, ranks: [1, 20, 30, 40]),
      try result("TiMiRec", nil, seed: 0, ranks: [1, 2, 30, 40]),  // HR@10 0.5, NDCG@10 (1 + 1/log2 3)/4
    ]
    var table = try BenchmarkTable(title: "t", plan: plan, results: results, protocols: [.sampled], command: "c",
                                   significance: false, grouped: false)
    XCTAssertFalse(table.markdown.contains("Against the paper"))
    table.paperFigures = PaperFigures(source: "Table 4", values: [
      "TiMiRec-joint": ["HR@10": 0.6], "TiMiRec": ["HR@10": 0.625, "NDCG@10": 0.2], "SASRec": ["HR@10": 0.3]])
    let markdown = table.markdown
    let ndcg = (1 + 1 / log2(3.0)) / 4
    XCTAssertTrue(markdown.contains("## Against the paper's Table 4 (sampled negatives)"), markdown)
    XCTAssertTrue(markdown.contains("| model | HR@10 | NDCG@10 |"), markdown)
    XCTAssertTrue(markdown.contains("| TiMiRec-joint (1 seed) | 0.7500 / 0.6000 (+25.0 %) | – |"), markdown)
    XCTAssertTrue(markdown.contains(String(format: "| TiMiRec (1 seed) | 0.5000 / 0.6250 (-20.0 %%) | %.4f / 0.2000 (%+.1f %%) |",
                                           ndcg, (ndcg / 0.2 - 1) * 100)), markdown)
    XCTAssertFalse(markdown.contains("| TiMiRec-nostopgrad (1 seed) | 0."), markdown)
    XCTAssertFalse(markdown.contains("SASRec"), markdown)
    // The paper's Beauty figures: every model of Table 2 in its six columns, Table 4's three
    // rows; nothing for ML-100K (not one of the paper's datasets).
    let table2 = try XCTUnwrap(PaperFigures.of(dataset: "beauty", table: 2)?.values)
    XCTAssertEqual(Set(table2.keys), ["GRU4Rec", "YouTube", "MIND", "ComiRec", "TiMiRec", "SASRec", "TiSASRec", "ComiRec+", "TiMiRec+"])
    XCTAssertTrue(table2.values.allSatisfy { Set($0.keys) == Set(BenchmarkTable.tableMetrics) })
    XCTAssertEqual(table2["TiMiRec+"]?["HR@10"], 0.2196)
    XCTAssertEqual(PaperFigures.of(dataset: "beauty", table: 4)?.values["TiMiRec-joint"], ["HR@10": 0.1787, "NDCG@10": 0.1030])
    XCTAssertNil(PaperFigures.of(dataset: "ml-100k", table: 2))
  }
}
