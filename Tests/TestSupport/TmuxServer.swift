// A tmux server of the test's own (`tmux -L <unique name>`): sessions of other tests or of
// the person running them are never seen, and killing it in teardown ends everything the
// test started in it.
import Foundation
import XCTest

public final class TmuxServer {
  /// The socket name given to every call (`-L`).
  public let socketName: String
  public let tmuxPath: String
  private var killed = false

  /// A server named after `label`, this process and a random token; it starts with the first
  /// session. Skips the test when tmux is not installed.
  public init(label: String) throws {
    guard let path = which("tmux") else {
      throw XCTSkip("tmux is not installed (apt-get install tmux); this end-to-end test needs it")
    }
    tmuxPath = path
    socketName = "\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
  }

  deinit { kill() }

  /// Runs `tmux -L <socket> -f /dev/null arguments` (no user configuration) and returns its
  /// output. Throws when tmux fails or takes longer than `timeout` seconds.
  @discardableResult
  public func run(_ arguments: [String], timeout: Double = 30) throws -> String {
    var environment = ProcessInfo.processInfo.environment
    if environment["TERM"] == nil || environment["TERM"] == "dumb" { environment["TERM"] = "xterm" }
    environment.removeValue(forKey: "TMUX")
    let result = try runProcess(tmuxPath, ["-L", socketName, "-f", "/dev/null"] + arguments, environment: environment,
                                mergeOutput: true, timeout: timeout)
    guard result.end == .exited(0), !result.timedOut else {
      throw TestSupportError("tmux -L \(socketName) \(arguments.joined(separator: " ")): "
                             + (result.timedOut ? "no answer after \(timeout) s" : "\(result.end): \(result.stdout)"))
    }
    return result.stdout
  }

  /// Ends the server and everything running in it (safe to call twice).
  public func kill() {
    guard !killed else { return }
    killed = true
    _ = try? run(["kill-server"], timeout: 10)
    // tmux leaves the socket file behind.
    let folder = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
    try? FileManager.default.removeItem(atPath: "\(folder)/tmux-\(getuid())/\(socketName)")
  }
}
