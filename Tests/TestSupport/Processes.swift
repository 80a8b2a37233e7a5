// Child processes for tests: posix_spawn and waitpid, standard streams to files.
//
// Not Foundation's Process: it watches descriptors to notice the child's exit and can hang
// forever when the child leaves descendants holding them (the first tmux command forks the
// tmux server, which inherits them); files, unlike pipes, never fill up and block the child.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
public enum ProcessEnd: Equatable, Sendable, CustomStringConvertible {
  case exited(Int32)
  case signaled(Int32)

  /// Decodes a `waitpid` status.
  public init(waitStatus raw: Int32) {
    self = (raw & 0x7f) == 0 ? .exited((raw >> 8) & 0xff) : .signaled(raw & 0x7f)
  }

  public var exitCode: Int32? { if case .exited(let code) = self { return code } else { return nil } }
  public var signal: Int32? { if case .signaled(let signal) = self { return signal } else { return nil } }

  public var description: String {
    switch self {
    case .exited(let code): return "exit \(code)"
    case .signaled(let signal): return "signal \(signal)"
    }
  }
}

/// A process started in the background; the test polls it, waits for it or kills it. A
/// process still running when this object goes away is killed (SIGKILL) and reaped.
public final class ChildProcess {
  public let path: String
  public let arguments: [String]
  public let pid: pid_t
  public let stdoutPath: String
  public let stderrPath: String
  public private(set) var end: ProcessEnd?
  private let ownsOutputFiles: Bool

  /// Starts `path arguments` with stdin from /dev/null.
  /// - Parameters:
  ///   - environment: the child's whole environment (default: this process's).
  ///   - directory: its current folder (default: this process's).
  ///   - stdout, stderr: files to write (created or truncated); default: temporary files
  ///     removed with this object. Pass the same path twice to merge the streams.
  public init(_ path: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
              stdout: String? = nil, stderr: String? = nil) throws {
    let temp = FileManager.default.temporaryDirectory
    let token = UUID().uuidString.prefix(8)
    self.path = path
    self.arguments = arguments
    ownsOutputFiles = stdout == nil && stderr == nil
    stdoutPath = stdout ?? temp.appendingPathComponent("test-process-\(getpid())-\(token).out").path
    stderrPath = stderr ?? temp.appendingPathComponent("test-process-\(getpid())-\(token).err").path
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    if stderrPath == stdoutPath {
      posix_spawn_file_actions_adddup2(&actions, 1, 2)
    } else {
      posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    }
    // A current folder through the shell (posix_spawn_file_actions_addchdir_np is not in Glibc's module).
    let program = directory == nil ? path : "/bin/sh"
    let command = directory.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, path] } ?? [path]
    let argv: [UnsafeMutablePointer<CChar>?] = (command + arguments).map { strdup($0) } + [nil]
    let variables = environment ?? ProcessInfo.processInfo.environment
    let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, program, &actions, nil, argv, envp)
    guard spawned == 0 else {
      throw TestSupportError("cannot start \(program): \(String(cString: strerror(spawned)))")
    }
    self.pid = pid
  }

  deinit {
    if end == nil { _ = sigkill() }
    if ownsOutputFiles {
      try? FileManager.default.removeItem(atPath: stdoutPath)
      try? FileManager.default.removeItem(atPath: stderrPath)
    }
  }

  /// How it ended (reaped), or nil while it runs.
  @discardableResult
  public func poll() -> ProcessEnd? {
    if end != nil { return end }
    var raw: Int32 = 0
    if waitpid(pid, &raw, WNOHANG) == pid { end = ProcessEnd(waitStatus: raw) }
    return end
  }

  /// Waits up to `timeout` seconds for the end; nil if it still runs then.
  public func wait(timeout: Double) -> ProcessEnd? {
    waitUntil(timeout: timeout, interval: 0.005) { poll() != nil }
    return end
  }

  /// Sends `signal` unless it has ended.
  public func send(_ signal: Int32) {
    if poll() == nil { _ = kill(pid, signal) }
  }

  /// Sends SIGKILL (unless it already ended) and waits for the end.
  @discardableResult
  public func sigkill() -> ProcessEnd {
    if let end = poll() { return end }
    _ = kill(pid, SIGKILL)
    var raw: Int32 = 0
    while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
    end = ProcessEnd(waitStatus: raw)
    return end!
  }

  public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
  public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

/// What a finished process did.
public struct ProcessResult: Sendable {
  public let arguments: [String]
  public let end: ProcessEnd
  public let stdout: String
  public let stderr: String
  /// It ran longer than the timeout and was killed.
  public let timedOut: Bool

  public init(arguments: [String], end: ProcessEnd, stdout: String, stderr: String, timedOut: Bool) {
    self.arguments = arguments
    self.end = end
    self.stdout = stdout
    self.stderr = stderr
    self.timedOut = timedOut
  }
}

/// Runs `path arguments` to its end (stdin /dev/null); one that runs longer than `timeout`
/// seconds is killed (SIGKILL) and reported with `timedOut`.
public func runProcess(_ path: String, _ arguments: [String], environment: [String: String]? = nil,
                       directory: String? = nil, mergeOutput: Bool = false, timeout: Double) throws -> ProcessResult {
  let child: ChildProcess
  if mergeOutput {
    let merged = FileManager.default.temporaryDirectory.appendingPathComponent("test-process-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: merged) }
    child = try ChildProcess(path, arguments, environment: environment, directory: directory, stdout: merged, stderr: merged)
    return finish(child, timeout: timeout)
  }
  child = try ChildProcess(path, arguments, environment: environment, directory: directory)
  return finish(child, timeout: timeout)
}

private func finish(_ child: ChildProcess, timeout: Double) -> ProcessResult {
  let ended = child.wait(timeout: timeout)
  let end = ended ?? child.sigkill()
  return ProcessResult(arguments: child.arguments, end: end, stdout: child.stdout,
                       stderr: child.stdoutPath == child.stderrPath ? "" : child.stderr, timedOut: ended == nil)
}

/// The first executable `tool` on PATH.
public func which(_ tool: String) -> String? {
  for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
    let path = "\(dir)/\(tool)"
    if FileManager.default.isExecutableFile(atPath: path) { return path }
  }
  return nil
}
