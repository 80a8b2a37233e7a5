// Running the real `timirec` binary from the end-to-end CLI tests: finding it, spawning it,
// and the shared assertions on its error output and on the output folders it must not leave.
import Foundation
import XCTest

/// What one `timirec` run did.
struct TimirecRun {
  let arguments: [String]
  /// Exit code, or nil if the process was ended by a signal (a crash).
  let exitCode: Int32?
  let signal: Int32?
  let stdout: String
  let stderr: String
  /// Names the test case in failure messages (table-driven tests).
  var label = ""

  /// Non-blank lines of standard error.
  var errorLines: [String] {
    stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
  }

  var transcript: String {
    (label.isEmpty ? "" : "[\(label)] ") + "timirec \(arguments.joined(separator: " "))\n-- exit: \(exitCode.map(String.init) ?? "signal \(signal ?? -1)")\n"
      + "-- stdout:\n\(stdout)-- stderr:\n\(stderr)"
  }
}

enum Timirec {
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The binary, looked up (or built) once per test process.
  static let binary: Result<String, any Error> = Result { try locateOrBuild() }

  /// Runs `timirec arguments` with stdin from /dev/null and stdout/stderr to temporary files.
  ///
  /// Uses posix_spawn and waitpid, not Foundation's Process: Process watches descriptors to
  /// notice the child's exit and can hang forever when a child leaves descendants holding them
  /// (seen with tmux in ExplorerTests/TmuxEndToEndTests.swift); files, unlike pipes, cannot
  /// fill up and block the child either. A run longer than `timeout` seconds is killed and
  /// fails the test.
  static func run(_ arguments: [String], in directory: String? = nil, timeout: Double = 120,
                  file: StaticString = #filePath, line: UInt = #line) throws -> TimirecRun {
    let path = try binary.get()
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = environment["OPENBLAS_NUM_THREADS"] ?? "1"
    let temp = FileManager.default.temporaryDirectory
    let outPath = temp.appendingPathComponent("timirec-\(UUID().uuidString).out").path
    let errPath = temp.appendingPathComponent("timirec-\(UUID().uuidString).err").path
    defer {
      try? FileManager.default.removeItem(atPath: outPath)
      try? FileManager.default.removeItem(atPath: errPath)
    }
    let status = try spawnAndWait(path, arguments, environment: environment, stdout: outPath, stderr: errPath,
                                  directory: directory, timeout: timeout)
    let run = TimirecRun(
      arguments: arguments,
      exitCode: status.exited ? status.code : nil, signal: status.exited ? nil : status.code,
      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    if status.timedOut { XCTFail("timed out after \(timeout) s:\n\(run.transcript)", file: file, line: line) }
    return run
  }

  /// Spawns `path` and waits for it; returns (exited normally, exit code or signal, timed out).
  static func spawnAndWait(_ path: String, _ arguments: [String], environment: [String: String],
                           stdout: String, stderr: String, directory: String? = nil, timeout: Double)
    throws -> (exited: Bool, code: Int32, timedOut: Bool) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    // A current folder through the shell (posix_spawn_file_actions_addchdir_np is not in Glibc's module).
    let program = directory == nil ? path : "/bin/sh"
    let command = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, path] } ?? [path]
    let argv: [UnsafeMutablePointer<CChar>?] = (command + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, program, &actions, nil, argv, envp)
    guard spawned == 0 else {
      throw NSError(domain: "CLITests", code: Int(spawned),
                    userInfo: [NSLocalizedDescriptionKey: "cannot start \(program): \(String(cString: strerror(spawned)))"])
    }
    var status: Int32 = 0
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while true {
      let r = waitpid(pid, &status, WNOHANG)
      if r == pid { break }
      if r == -1 && errno != EINTR { break }
      if !timedOut && Date() > deadline {
        timedOut = true
        kill(pid, SIGKILL)
      }
      usleep(5_000)
    }
    let exited = (status & 0x7f) == 0
    return (exited, exited ? (status >> 8) & 0xff : status & 0x7f, timedOut)
  }

  /// The `timirec` built next to this test bundle (`swift test` builds every product,
  /// executables included), else a debug build of it in its own scratch folder
  /// (`.build-cli-tests`: the scratch folder of the running `swift test` is locked).
  static func locateOrBuild() throws -> String {
    var folders: [URL] = []
    for path in [Bundle(for: Marker.self).bundlePath, CommandLine.arguments.first ?? "", Bundle.main.bundlePath]
    where !path.isEmpty {
      var url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
      for _ in 0..<4 {
        url.deleteLastPathComponent()
        folders.append(url)
      }
    }
    let fm = FileManager.default
    if let found = folders.map({ $0.appendingPathComponent("timirec").path }).first(where: fm.isExecutableFile) {
      return found
    }
    let scratch = packageRoot.appendingPathComponent(".build-cli-tests").path
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-build-\(getpid()).log").path
    let status = try spawnAndWait(
      "/usr/bin/env", ["swift", "build", "--product", "timirec", "--package-path", packageRoot.path, "--scratch-path", scratch],
      environment: ProcessInfo.processInfo.environment, stdout: log, stderr: log, timeout: 3600)
    let built = (scratch as NSString).appendingPathComponent("debug/timirec")
    guard status.exited, status.code == 0, fm.isExecutableFile(atPath: built) else {
      let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      throw NSError(domain: "CLITests", code: 1, userInfo: [NSLocalizedDescriptionKey:
        "no timirec next to the test bundle (looked in \(folders.map(\.path))) and `swift build --product timirec` failed:\n\(output.suffix(3000))"])
    }
    return built
  }

  private final class Marker {}
}

/// A fresh temporary folder per test, removed afterwards.
class CLITestCase: XCTestCase {
  var workDir = ""

  override func setUpWithError() throws {
    workDir = FileManager.default.temporaryDirectory
      .appendingPathComponent("timirec-cli-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
    _ = try Timirec.binary.get()
  }

  override func tearDownWithError() throws {
    if !workDir.isEmpty { try? FileManager.default.removeItem(atPath: workDir) }
  }

  /// `workDir/relative`, with intermediate folders created.
  func path(_ relative: String) -> String {
    let full = (workDir as NSString).appendingPathComponent(relative)
    try? FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                             withIntermediateDirectories: true)
    return full
  }

  /// Writes `text` (as UTF-8) to `workDir/relative` and returns the full path.
  @discardableResult
  func write(_ relative: String, _ text: String) throws -> String {
    try write(relative, bytes: Array(text.utf8))
  }

  @discardableResult
  func write(_ relative: String, bytes: [UInt8]) throws -> String {
    let full = path(relative)
    try Data(bytes).write(to: URL(fileURLWithPath: full))
    return full
  }

  /// Names in `folder`, hidden ones included (empty if it does not exist).
  func entries(_ folder: String) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
  }

  /// Runs timirec; fails the test (and throws) when the binary is missing or cannot start.
  func timirec(_ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws -> TimirecRun {
    try Timirec.run(arguments, file: file, line: line)
  }

  /// Runs timirec with `workDir` as its current folder (for relative paths).
  func timirecInWorkDir(_ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws -> TimirecRun {
    try Timirec.run(arguments, in: workDir, file: file, line: line)
  }

  /// The run failed cleanly: a normal exit with a code ≠ 0 (no crash), exactly one non-blank
  /// line on standard error, starting "Error: " as ArgumentParser's own errors do, no error
  /// text on standard output, and that line names `location` (e.g. "/tmp/x/dev.csv:3:") and
  /// contains `hint` (what to do).
  func assertOneLineError(_ run: TimirecRun, location: String, says hint: String, case name: String = "",
                          file: StaticString = #filePath, line: UInt = #line) {
    let run = name.isEmpty ? run : TimirecRun(arguments: run.arguments, exitCode: run.exitCode, signal: run.signal,
                                              stdout: run.stdout, stderr: run.stderr, label: name)
    XCTAssertNotNil(run.exitCode, "crashed (signal \(run.signal ?? -1)):\n\(run.transcript)", file: file, line: line)
    XCTAssertNotEqual(run.exitCode, 0, "exit code 0 for bad input:\n\(run.transcript)", file: file, line: line)
    XCTAssertEqual(run.errorLines.count, 1, "expected exactly one error line:\n\(run.transcript)", file: file, line: line)
    XCTAssertFalse(run.stdout.lowercased().contains("error"), "error text on stdout:\n\(run.transcript)", file: file, line: line)
    guard let message = run.errorLines.first else { return }
    XCTAssertTrue(message.hasPrefix("Error: "), "the error line does not start 'Error: ':\n\(run.transcript)", file: file, line: line)
    XCTAssertTrue(message.contains(location), "the error does not name '\(location)':\n\(run.transcript)", file: file, line: line)
    XCTAssertTrue(message.contains(hint), "the error does not say '\(hint)':\n\(run.transcript)", file: file, line: line)
  }

  /// `output` does not exist and its parent holds exactly `before` (no hidden temporary sibling).
  func assertNoOutput(_ output: String, parentBefore before: Set<String>, case name: String = "",
                      file: StaticString = #filePath, line: UInt = #line) {
    let prefix = name.isEmpty ? "" : "[\(name)] "
    XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(prefix)\(output) was left behind", file: file, line: line)
    let parent = (output as NSString).deletingLastPathComponent
    let added = entries(parent).subtracting(before)
    XCTAssertTrue(added.isEmpty, "\(prefix)left in \(parent): \(added.sorted())", file: file, line: line)
  }
}
