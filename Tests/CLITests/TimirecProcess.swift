// Running the real `timirec` binary from the end-to-end CLI tests (found and spawned by
// TestSupport), and the shared assertions on its error output and on the output folders it
// must not leave.
import Foundation
import TestSupport
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
  static let packageRoot = TestSupport.packageRoot

  /// The binary `swift test` built next to the test bundle (looked up once per test process).
  static var binary: Result<String, any Error> { BuiltProducts.timirec }

  /// The environment of every run: this process's, with one BLAS thread unless set.
  static var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = environment["OPENBLAS_NUM_THREADS"] ?? "1"
    return environment
  }

  /// Runs `timirec arguments` (stdin /dev/null, stdout and stderr to files; see
  /// TestSupport's `runProcess`). A run longer than `timeout` seconds is killed and fails the
  /// test.
  static func run(_ arguments: [String], in directory: String? = nil, timeout: Double = 120,
                  file: StaticString = #filePath, line: UInt = #line) throws -> TimirecRun {
    let result = try runProcess(try binary.get(), arguments, environment: environment, directory: directory,
                                timeout: timeout)
    let run = TimirecRun(arguments: arguments, exitCode: result.end.exitCode, signal: result.end.signal,
                         stdout: result.stdout, stderr: result.stderr)
    if result.timedOut { XCTFail("timed out after \(timeout) s:\n\(run.transcript)", file: file, line: line) }
    return run
  }
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

  /// Prepares a dataset folder `workDir/data/<name>` from `lines` in the sequences format
  /// ("user item item …") with `negatives` per dev/test row; the run must succeed.
  func prepareSequences(_ name: String, _ lines: [String], negatives: Int,
                        file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let input = try write("raw/\(name).txt", lines.joined(separator: "\n") + "\n")
    let output = path("data/\(name)")
    let run = try timirec("prepare", "sequences", "--input", input, "--output", output, "--negatives", String(negatives),
                          file: file, line: line)
    XCTAssertEqual(run.exitCode, 0, run.transcript, file: file, line: line)
    return output
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
    XCTAssertFalse(run.stderr.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\t" && $0 != "\n" },
                   "a raw control character in the error (a file's bytes must be shown escaped):\n\(run.transcript)", file: file, line: line)
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
