// `timirec train` killed with SIGKILL at many random moments (inside epochs, at start-up and
// while a checkpoint is being written): after every kill `--out` opens, and `--resume`
// continues until the run finishes; no temporary folder is left beside `--out`.
import Foundation
import XCTest

final class KillResumeTests: CLITestCase {
  /// 120 users walking one of 4 groups of 10 items: ~1,400 training instances, a fraction of
  /// a second per epoch in a debug build; early stopping ends the run after 21 epochs.
  func tinyDataset() throws -> String {
    var rng = SplitMix64(seed: 11)
    var lines: [String] = []
    for user in 1...120 {
      let group = (user - 1) % 4, start = Int(rng.next() % 10)
      lines.append(([user] + (0..<14).map { group * 10 + (start + $0) % 10 + 1 }).map(String.init).joined(separator: " "))
    }
    let input = try write("raw/seq.txt", lines.joined(separator: "\n") + "\n")
    let output = path("data/tiny")
    let run = try timirec("prepare", "sequences", "--input", input, "--output", output, "--negatives", "9")
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    return output
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

    var rng = SplitMix64(seed: 20_261_202)
    var killed = 0, killedWhileWriting = 0, staleSeen = 0
    var epochsDone = try readEpochs(out).done
    var finished = false
    for round in 1...24 {
      let status: TrainerProcess.Status
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

  /// Polls `condition` every 2 ms until it holds (true) or `timeout` seconds pass (false).
  func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
      if Date() >= deadline { return false }
      usleep(2_000)
    }
    return true
  }
}

/// A `timirec` process started in the background (posix_spawn), polled and killed by the test.
final class TrainerProcess {
  enum Status: Equatable, CustomStringConvertible {
    case exited(Int32), signaled(Int32)
    var description: String {
      switch self {
      case .exited(let code): return "exit \(code)"
      case .signaled(let signal): return "signal \(signal)"
      }
    }
  }

  let arguments: [String]
  let pid: pid_t
  let stdoutPath: String, stderrPath: String
  private(set) var status: Status?
  /// The epoch a `--resume` run must say it resumes after.
  var expectedResumeEpoch: Int?

  init(_ arguments: [String], logs: String) throws {
    self.arguments = arguments
    stdoutPath = logs + ".out"
    stderrPath = logs + ".err"
    let binary = try Timirec.binary.get()
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = environment["OPENBLAS_NUM_THREADS"] ?? "1"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, binary, &actions, nil, argv, envp)
    guard spawned == 0 else {
      throw NSError(domain: "CLITests", code: Int(spawned),
                    userInfo: [NSLocalizedDescriptionKey: "cannot start \(binary): \(String(cString: strerror(spawned)))"])
    }
    self.pid = pid
  }

  deinit {
    if status == nil { _ = sigkill() }
  }

  /// The status once the process has ended (reaped), nil while it runs.
  func poll() -> Status? {
    if status != nil { return status }
    var raw: Int32 = 0
    let result = waitpid(pid, &raw, WNOHANG)
    if result == pid { status = Self.decode(raw) }
    return status
  }

  /// Sends SIGKILL (unless it already ended) and waits for the end.
  func sigkill() -> Status {
    if let status = poll() { return status }
    _ = kill(pid, SIGKILL)
    var raw: Int32 = 0
    while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
    status = Self.decode(raw)
    return status!
  }

  static func decode(_ raw: Int32) -> Status {
    (raw & 0x7f) == 0 ? .exited((raw >> 8) & 0xff) : .signaled(raw & 0x7f)
  }

  var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
  var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
  var transcript: String {
    "timirec \(arguments.joined(separator: " "))\n-- \(status.map { "\($0)" } ?? "running")\n-- stdout:\n\(stdout)-- stderr:\n\(stderr)"
  }
}

/// A seeded generator (SplitMix64) so that the kill moments repeat from run to run.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in [0, 1).
  mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
