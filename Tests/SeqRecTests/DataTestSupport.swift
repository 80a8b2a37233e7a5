import Foundation
import XCTest
@testable import SeqRec

/// Path of a committed fixture under Fixtures/.
func fixture(_ relative: String) -> String {
  guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
    fatalError("Fixtures folder missing from the test bundle")
  }
  return root.appendingPathComponent(relative).path
}

/// A fresh empty temporary folder, removed at the end of the test.
func temporaryFolder(_ test: XCTestCase) throws -> String {
  let path = NSTemporaryDirectory() + "seqrec-tests-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
  return path
}

/// Writes `files` (name → contents) into a new temporary folder.
func makeFolder(_ test: XCTestCase, _ files: [String: String]) throws -> String {
  let folder = try temporaryFolder(test)
  for (name, text) in files {
    try Data(text.utf8).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name)))
  }
  return folder
}

/// Asserts that `body` throws a `DataError` whose message contains every fragment.
func assertDataError<T>(_ body: @autoclosure () throws -> T, contains fragments: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
  do {
    _ = try body()
    XCTFail("expected a DataError containing \(fragments)", file: file, line: line)
  } catch let error as DataError {
    let message = error.message
    XCTAssertFalse(message.contains("\n"), "message is not one line: \(message)", file: file, line: line)
    for f in fragments {
      XCTAssertTrue(message.contains(f), "'\(message)' does not contain '\(f)'", file: file, line: line)
    }
  } catch {
    XCTFail("expected DataError, got \(error)", file: file, line: line)
  }
}

/// The shared real data folder (../shared/data relative to the package root), if present.
func sharedDataFolder() -> String? {
  // This file is Tests/SeqRecTests/DataTestSupport.swift; the package root is two levels up.
  let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  let data = root.deletingLastPathComponent().appendingPathComponent("shared/data").path
  return FileManager.default.fileExists(atPath: data) ? data : nil
}
