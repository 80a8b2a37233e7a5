// TestSupport: what more than one test target needs, written once — child processes
// (ChildProcess, runProcess), the built `timirec` binary (BuiltProducts), waiting for a state
// (waitUntil), a private tmux server (TmuxServer), tolerances (assertClose) and a seeded
// generator (TestGenerator, over the package's one SplitMix64).
//
// A regular target under Tests/ (explicit path in Package.swift): only test targets depend on
// it, so nothing outside Tests/ links XCTest.
//
// Rules the suite keeps so it never flakes: wait for a state, never for a time (no sleep
// before a negative assertion: first wait for a later, positive state); never build from a
// test (`swift test` builds every product; a missing binary fails with how to build it); tmux
// on its own server per test (`tmux -L`), killed in teardown.
//
// Proof under load (2-core machine, commit 33a06e5): `swift build --build-tests`, then
// `yes > /dev/null &` twice and `swift test --skip-build` three times in a row: 248 tests,
// 0 failures each run, 72.3 s, 74.9 s and 47.7 s (wall clock); the spinners killed after.
import Foundation

/// The package folder (this file is Tests/TestSupport/TestSupport.swift).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// A failure of the test set-up itself (a missing binary, a process that cannot start), with
/// a message that says what to do.
public struct TestSupportError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Polls `condition` every `interval` seconds until it holds (true) or `timeout` seconds
/// pass (false). The timeout only bounds a failure; a passing test never waits it out.
@discardableResult
public func waitUntil(timeout: Double, interval: Double = 0.002, _ condition: () throws -> Bool) rethrows -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while try !condition() {
    if Date() >= deadline { return false }
    usleep(useconds_t(interval * 1_000_000))
  }
  return true
}
