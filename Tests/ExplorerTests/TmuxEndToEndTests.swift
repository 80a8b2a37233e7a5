import Foundation
import XCTest

/// End to end under tmux: the built `timirec` binary opens the bundled demo in a real
/// terminal (tmux pane, 100×30); keys step, change T, open help; the window is resized; `q`,
/// Ctrl-C and SIGTERM end it; each time the shell's terminal settings must be back (echo and
/// canonical mode on) and the exit code right.
final class TmuxEndToEndTests: XCTestCase {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  var session = ""

  override func tearDown() {
    if !session.isEmpty { _ = try? tmux(["kill-session", "-t", session]) }
  }

  func testExploreTheDemoUnderTmux() throws {
    let (tmuxPath, binary) = try prerequisites()
    _ = tmuxPath
    session = "timirec-e2e-\(getpid())"
    try start(binary: binary)
    var screen = try waitFor("TiMiRec Explorer")
    XCTAssertTrue(screen.contains("Recommendations"), screen)
    XCTAssertTrue(screen.contains("Distributions"), screen)
    let firstStep = try header(screen, field: "t=")

    // Step back: t goes down by one.
    try keys("Left")
    screen = try waitUntil { try self.header($0, field: "t=") != firstStep }
    XCTAssertEqual(Int(try header(screen, field: "t=").split(separator: "/")[0])! + 1,
                   Int(firstStep.split(separator: "/")[0])!)
    // Temperature: ] raises T in the status bar.
    let firstT = try header(screen, field: "T=")
    try keys("]")
    screen = try waitUntil { try self.header($0, field: "T=") != firstT }
    XCTAssertGreaterThan(Float(try header(screen, field: "T="))!, Float(firstT)!)
    // Help from the key table, then closed with Esc.
    try keys("?")
    screen = try waitFor("Help: keys")
    XCTAssertTrue(screen.contains("Mix the TiMiRec list"), screen)
    try keys("Escape")
    screen = try waitUntil { !$0.contains("Help: keys") }
    // Resize: smaller still fits 80×24; too small shows a message; back to 100×30.
    try tmux(["resize-window", "-t", session, "-x", "80", "-y", "24"])
    screen = try waitUntil { $0.contains("TiMiRec Explorer") && $0.split(separator: "\n").count <= 24 }
    XCTAssertTrue(screen.contains("Recommendations"), screen)
    let stepBeforeTooSmall = try header(screen, field: "t=")
    try tmux(["resize-window", "-t", session, "-x", "70", "-y", "20"])
    screen = try waitFor("Terminal too small")
    // Keys pressed while too small do nothing unseen: no step, no help.
    try keys("Left", "?")
    usleep(300_000)
    try tmux(["resize-window", "-t", session, "-x", "100", "-y", "30"])
    screen = try waitFor("Recommendations")
    XCTAssertFalse(screen.contains("Help: keys"), screen)
    XCTAssertEqual(try header(screen, field: "t="), stepBeforeTooSmall, screen)
    // Quit: exit code 0 and the terminal restored.
    try keys("q")
    screen = try waitFor("EXIT=")
    XCTAssertTrue(screen.contains("EXIT=0"), screen)
    try assertRestored(screen)
  }

  func testCtrlCAndSIGTERMRestoreTheTerminal() throws {
    let (_, binary) = try prerequisites()
    session = "timirec-e2e-sig-\(getpid())"
    try start(binary: binary)
    _ = try waitFor("TiMiRec Explorer")
    try keys("C-c")
    var screen = try waitFor("EXIT=")
    XCTAssertTrue(screen.contains("EXIT=130"), screen)
    try assertRestored(screen)
    try tmux(["kill-session", "-t", session])

    session = "timirec-e2e-term-\(getpid())"
    try start(binary: binary, pidFile: true)
    _ = try waitFor("TiMiRec Explorer")
    let pidFile = "/tmp/\(session).pid"
    let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    kill(pid_t(pid)!, SIGTERM)
    screen = try waitFor("EXIT=")
    XCTAssertTrue(screen.contains("EXIT=143"), screen)
    try assertRestored(screen)
    try? FileManager.default.removeItem(atPath: pidFile)
  }

  // MARK: Helpers

  func prerequisites() throws -> (String, String) {
    guard let tmuxPath = which("tmux") else {
      throw XCTSkip("tmux is not installed (apt-get install tmux); the end-to-end explorer test needs it")
    }
    let demo = Self.root.appendingPathComponent("demo-data/checkpoint/model.safetensors").path
    guard FileManager.default.fileExists(atPath: demo) else {
      throw XCTSkip("demo-data/ has no checkpoint yet (run demo-data/regenerate.sh)")
    }
    return (tmuxPath, try timirecBinary())
  }

  /// The built `timirec` next to the test bundle, or a fresh debug build.
  func timirecBinary() throws -> String {
    var candidates: [URL] = []
    for path in [CommandLine.arguments.first ?? "", Bundle.main.bundlePath, Bundle(for: Self.self).bundlePath] where !path.isEmpty {
      var url = URL(fileURLWithPath: path)
      for _ in 0..<4 {
        url.deleteLastPathComponent()
        candidates.append(url.appendingPathComponent("timirec"))
      }
    }
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found.path }
    let build = Process()
    build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    build.arguments = ["swift", "build", "--product", "timirec", "--package-path", Self.root.path]
    try build.run()
    build.waitUntilExit()
    let built = Self.root.appendingPathComponent(".build/debug/timirec").path
    guard build.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: built) else {
      throw XCTSkip("could not find or build the timirec binary (looked in \(candidates.map(\.path)))")
    }
    return built
  }

  func start(binary: String, pidFile: Bool = false) throws {
    // TERM inside the pane: tmux's own terminal type; the pane runs a shell that reports the
    // explorer's exit code and the terminal settings after it ends. The shell traps SIGINT
    // (Ctrl-C reaches the whole foreground group) so it survives to report.
    let record = pidFile ? "echo $$ > /tmp/\(session).pid; exec " : ""
    let script = """
      trap ':' INT; cd '\(Self.root.path)' && sh -c '\(record)"\(binary)" explore --data demo-data'; \
      echo "EXIT=$?"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(echo|icanon)$' | tr '\\n' ' '; echo; sleep 60
      """
    // A session started right after another was killed sometimes meets a tmux server that
    // is still shutting down ("server exited unexpectedly"): wait a little and try again.
    for attempt in 1...3 {
      do {
        try tmux(["new-session", "-d", "-s", session, "-x", "100", "-y", "30", "sh", "-c", script])
        return
      } catch where attempt < 3 && "\(error)".contains("server exited unexpectedly") {
        usleep(300_000)
      }
    }
  }

  func keys(_ names: String...) throws { try tmux(["send-keys", "-t", session] + names) }

  func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", session]) }

  func waitFor(_ text: String, timeout: Double = 20) throws -> String {
    try waitUntil(timeout: timeout, "'\(text)'") { $0.contains(text) }
  }

  func waitUntil(timeout: Double = 20, _ what: String = "condition", _ condition: @escaping (String) throws -> Bool) throws -> String {
    let deadline = Date().addingTimeInterval(timeout)
    var screen = ""
    while Date() < deadline {
      screen = try capture()
      if (try? condition(screen)) == true { return screen }
      usleep(100_000)
    }
    XCTFail("timed out waiting for \(what); the pane shows:\n\(screen)")
    throw XCTSkip("timed out")
  }

  /// The value after `field` in the status bar, e.g. "t=" → "44/45".
  func header(_ screen: String, field: String) throws -> String {
    guard let line = screen.split(separator: "\n").first(where: { $0.contains("TiMiRec Explorer") }),
          let range = line.range(of: field) else { throw XCTSkip("no \(field) in the status bar") }
    return String(line[range.upperBound...].prefix { !$0.isWhitespace })
  }

  func assertRestored(_ screen: String, file: StaticString = #filePath, line: UInt = #line) throws {
    // Back on the main screen (the explorer's frame is gone) with echo and canonical mode.
    let settings = try waitUntil(timeout: 5, "stty output") { $0.contains("icanon") }
    XCTAssertTrue(settings.contains(" echo") || settings.contains("echo "), settings, file: file, line: line)
    XCTAssertFalse(settings.contains("-echo "), settings, file: file, line: line)
    XCTAssertFalse(settings.contains("-icanon"), settings, file: file, line: line)
    XCTAssertFalse(settings.contains("Recommendations"), "the explorer's screen is still shown:\n\(settings)", file: file, line: line)
  }

  /// Runs tmux and returns its output. Uses posix_spawn and waitpid, not Foundation's
  /// Process: the first tmux command forks the tmux server, which inherits the descriptors
  /// Foundation watches to notice the child's exit, so `waitUntilExit` (and reading a pipe
  /// to its end) hung forever on a machine with no tmux server running yet (seen in CI-like
  /// runs). Output goes to a temporary file that the server may keep open harmlessly.
  @discardableResult
  func tmux(_ arguments: [String]) throws -> String {
    var environment = ProcessInfo.processInfo.environment
    if environment["TERM"] == nil || environment["TERM"] == "dumb" { environment["TERM"] = "xterm" }
    environment.removeValue(forKey: "TMUX")
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let path = which("tmux") ?? "/usr/bin/tmux"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard spawned == 0 else {
      throw NSError(domain: "tmux", code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "cannot start \(path): error \(spawned)"])
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0, code = (status >> 8) & 0xff
    if !exited || code != 0 {
      throw NSError(domain: "tmux", code: Int(code),
                    userInfo: [NSLocalizedDescriptionKey: "tmux \(arguments.joined(separator: " ")): \(text)"])
    }
    return text
  }

  func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let path = "\(dir)/\(tool)"
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }
}
