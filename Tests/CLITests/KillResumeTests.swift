// `timirec train` killed with SIGKILL at many random moments (inside epochs, at start-up and
// while a checkpoint is being written): after every kill `--out` opens, and `--resume`
// continues until the run finishes; no temporary folder is left beside `--out`.
import Foundation
import TestSupport
import XCTest

final class KillResumeTests: CLITestCase {
  /// 120 users walking one of 4 groups of 10 items: ~1,400 training instances, a fraction of
  /// a second per epoch in a debug build; early stopping ends the run after 21 epochs.
  func tinyDataset() throws -> String {
    var rng = TestGenerator(seed: 11)
    var lines: [String] = []
    for user in 1...120 {
      let group = (user - 1) % 4, start = Int(rng.next() % 10)
      lines.append(([user] + (0..<14).map { group * 10 + (start + $0) % 10 + 1 }).map(String.init).joined(separator: " "))
    }
    return try prepareSequences("tiny", lines, negatives: 9)
  }

  func testSIGKILLAtRandomMomentsLeavesAnOpenableCheckpointAndResumeFinishes() throws {
    let data = try tinyDataset()
    let out = path("runs/pre"), runs = path("runs")
    let train = ["train", "--data", data, "--out", out, "--stage", "pretrain", "--epochs", "40", "--emb-size", "16",
                 "--K", "2", "--history-max", "10", "--batch-size", "32", "--threads", "1"]
    let fm = FileManager.default

    // State before the kills that need a checkpoint: the first epoch has been written. The
    // time it took (start-up included) scales the random delays to this machine's speed.
    let started = Date()
    var child = try TrainerProcess(train, logs: path("logs/run-0"))
    var processes = [child]
    XCTAssertTrue(waitUntil(timeout: 180) { fm.fileExists(atPath: out + "/resume.json") || child.poll() != nil },
                  "no first epoch written:\n\(child.transcript)")
    XCTAssertNil(child.poll(), "the first run ended by itself:\n\(child.transcript)")
    let firstEpoch = max(Date().timeIntervalSince(started), 0.05)

    var rng = TestGenerator(seed: 20_261_202)
    var killed = 0, killedWhileWriting = 0, staleSeen = 0
    var epochsDone = try readEpochs(out).done
    var finished = false
    for round in 1...24 {
      let status: ProcessEnd
      if round % 3 == 0 {
        // Wait for a write in progress (its temporary folder appears), then kill at once.
        let deadline = max(3, 10 * firstEpoch)
        let sawWrite = waitUntil(timeout: deadline) {
          self.entries(runs).contains { $0.hasPrefix(".pre.tmp-") } || child.poll() != nil
        }
        if sawWrite && child.poll() == nil { killedWhileWriting += 1 }
      } else {
        // A random moment: start-up, reading the checkpoint, inside an epoch or a write.
        let delay = rng.unit() * 1.5 * firstEpoch
        _ = waitUntil(timeout: delay) { child.poll() != nil }
      }
      status = child.sigkill()
      if case .signaled(SIGKILL) = status { killed += 1 }
      if entries(runs).contains(where: { $0.hasPrefix(".pre.tmp-") }) { staleSeen += 1 }

      // --out opens after every kill, and no epoch is ever lost.
      try assertOpens(out, data: data, after: "kill \(round) (\(status)):\n\(child.transcript)")
      let state = try readEpochs(out)
      XCTAssertGreaterThanOrEqual(state.done, epochsDone, "kill \(round): went back from epoch \(epochsDone)")
      epochsDone = state.done
      if case .exited(let code) = status {
        XCTAssertEqual(code, 0, "round \(round): the trainer failed:\n\(child.transcript)")
      }
      if state.finished { finished = true; break }

      child = try TrainerProcess(train + ["--resume"], logs: path("logs/run-\(round)"))
      child.expectedResumeEpoch = epochsDone
      processes.append(child)
    }

    // The last run continues to the end undisturbed.
    if !finished {
      XCTAssertTrue(waitUntil(timeout: 300) { child.poll() != nil }, "the last run did not end:\n\(child.transcript)")
      let status = child.sigkill()
      XCTAssertEqual(status, .exited(0), child.transcript)
      XCTAssertTrue(try readEpochs(out).finished, child.transcript)
      XCTAssertTrue(child.stdout.contains("resuming \(out) after epoch \(epochsDone)"), child.transcript)
    }
    for run in processes where run.expectedResumeEpoch != nil {
      // A resumed run that got as far as saying so resumed from the epoch on disk.
      if let line = run.stdout.split(separator: "\n").first(where: { $0.hasPrefix("resuming ") }) {
        XCTAssertEqual(String(line), "resuming \(out) after epoch \(run.expectedResumeEpoch!)", run.transcript)
      }
    }
    try assertOpens(out, data: data, after: "the end")
    XCTAssertEqual(entries(runs), ["pre"], "temporaries left beside --out")
    XCTAssertGreaterThanOrEqual(killed, 12, "too few kills landed (\(killed)); the run ended too early")
    print("KillResumeTests: \(killed) SIGKILLs (\(killedWhileWriting) while a write was in progress, "
          + "\(staleSeen) left a temporary folder), first epoch after \(String(format: "%.2f", firstEpoch)) s, "
          + "\(try readEpochs(out).done) epochs")
  }

  /// `dir` is a complete checkpoint: its files parse and `timirec evaluate` opens it.
  func assertOpens(_ dir: String, data: String, after: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let names = ["config.json", "model.safetensors", "last.safetensors", "optimizer.safetensors", "resume.json", "train.log"]
    XCTAssertEqual(entries(dir), Set(names), "\(dir) after \(after)", file: file, line: line)
    for json in ["config.json", "resume.json"] {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + json))
      XCTAssertNotNil(try? JSONSerialization.jsonObject(with: bytes), "\(json) after \(after)", file: file, line: line)
    }
    let evaluate = try Timirec.run(["evaluate", "--data", data, "--ckpt", dir, "--threads", "1"], timeout: 120)
    XCTAssertEqual(evaluate.exitCode, 0, "evaluate after \(after)\n\(evaluate.transcript)", file: file, line: line)
  }

  func readEpochs(_ dir: String) throws -> (done: Int, finished: Bool) {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/resume.json"))
    let object = try XCTUnwrap(JSONSerialization.jsonObject(with: bytes) as? [String: Any])
    return (try XCTUnwrap(object["epochsDone"] as? Int), try XCTUnwrap(object["finished"] as? Bool))
  }
}

/// A `timirec` process started in the background, polled and killed by the test.
final class TrainerProcess {
  let process: ChildProcess
  /// The epoch a `--resume` run must say it resumes after.
  var expectedResumeEpoch: Int?

  init(_ arguments: [String], logs: String) throws {
    process = try ChildProcess(try Timirec.binary.get(), arguments, environment: Timirec.environment,
                               stdout: logs + ".out", stderr: logs + ".err")
  }

  /// How it ended, nil while it runs.
  func poll() -> ProcessEnd? { process.poll() }
  /// Sends SIGKILL (unless it already ended) and waits for the end.
  func sigkill() -> ProcessEnd { process.sigkill() }

  var stdout: String { process.stdout }
  var transcript: String {
    "timirec \(process.arguments.joined(separator: " "))\n-- \(process.end.map { "\($0)" } ?? "running")\n"
      + "-- stdout:\n\(process.stdout)-- stderr:\n\(process.stderr)"
  }
}
