// `timirec explore` and `timirec demo` with bad input, end to end: every subcommand reports
// failures the way ArgumentParser does ("Error: …" on stderr, exit code 1), with nothing
// left behind.
import Foundation
import XCTest

final class ExploreDemoErrorTests: CLITestCase {
  /// A dataset folder without a checkpoint: the explorer says where it looked and how to train
  /// one (a message line and a hint line), exit code 1, nothing on stdout.
  func testExploreWithoutACheckpoint() throws {
    let data = path("data/a")
    for (name, text) in DatasetFolderErrorTests.validFolder { _ = try write("data/a/\(name)", text) }
    let run = try timirec("explore", "--data", data, "--snapshot")
    XCTAssertEqual(run.exitCode, 1, run.transcript)
    XCTAssertEqual(run.stdout, "", run.transcript)
    XCTAssertEqual(run.errorLines.count, 2, run.transcript)
    XCTAssertTrue(run.errorLines[0].hasPrefix("Error: no checkpoint at \(data)/checkpoint, the default for --ckpt"),
                  run.transcript)
    XCTAssertTrue(run.errorLines[1].hasPrefix("hint: train one into a runs/ folder"), run.transcript)
  }

  /// `demo generate` into an existing folder without --force: one error line, the folder and
  /// its parent unchanged (no `.generating` sibling left behind).
  func testDemoGenerateRefusesAnExistingFolder() throws {
    let out = path("demo")
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    _ = try write("demo/keep.txt", "mine\n")
    let before = entries(workDir)
    let run = try timirec("demo", "generate", "--out", out, "--households", "20", "--titles", "60", "--negatives", "5")
    assertOneLineError(run, location: out, says: "exists; pass --force to replace its dataset files")
    XCTAssertEqual(entries(workDir), before, run.transcript)
    XCTAssertEqual(entries(out), ["keep.txt"], run.transcript)
  }
}
