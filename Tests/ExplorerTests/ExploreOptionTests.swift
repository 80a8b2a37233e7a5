import Foundation
import TestSupport
import XCTest

/// `timirec explore` options that could put a non-number on screen or exhaust memory are
/// refused with a clear message and exit code 64, before anything is loaded or drawn.
final class ExploreOptionTests: XCTestCase {
  func testTemperatureAndWidthAreBounded() throws {
    let binary = try BuiltProducts.timirec.get()
    let cases: [([String], String)] = [
      (["--snapshot", "--temp", "1e18"], "--temp must be within 0.0100…100.0"),
      (["--snapshot", "--temp", "inf", "--json"], "--temp must be within"),
      (["--snapshot", "--temp", "nan"], "--temp must be within"),
      (["--snapshot", "--temp", "0.001"], "--temp must be within"),
      (["--snapshot", "--width", "10000000000"], "--width must be within 40…1000 columns"),
      (["--snapshot", "--width", "39"], "--width must be within 40…1000 columns"),
      (["--json"], "--json and --full-history go with --snapshot"),
    ]
    for (arguments, message) in cases {
      let result = try runProcess(binary, ["explore", "--data", packageRoot.appendingPathComponent("demo-data").path] + arguments,
                                  timeout: 60)
      XCTAssertEqual(result.end, .exited(64), "\(arguments): \(result.stderr)")
      XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
      XCTAssertEqual(result.stdout, "", "\(arguments)")
    }
    // The bounds themselves are accepted.
    for t in ["0.01", "100"] {
      let result = try runProcess(binary, ["explore", "--data", packageRoot.appendingPathComponent("demo-data").path,
                                           "--snapshot", "--temp", t, "--width", "1000", "--user", "1239", "--step", "25"],
                                  timeout: 60)
      XCTAssertEqual(result.end, .exited(0), "T=\(t): \(result.stderr)")
      XCTAssertNil(result.stdout.range(of: #"\b(nan|-?inf)\b"#, options: [.regularExpression, .caseInsensitive]), result.stdout)
    }
  }
}
