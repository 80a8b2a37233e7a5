// The committed seed corpora and crash inputs of Tests/Fuzz, replayed through their harnesses
// in the normal suite: a reader change that makes any of them crash fails `swift test`
// (the fuzzing build is not needed for this).

import FuzzHarnesses
import Foundation
import XCTest

final class CorpusReplayTests: XCTestCase {
  /// Tests/Fuzz, found from this file's path.
  static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path

  func files(under folder: String) -> [String] {
    let names = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).sorted()
    return names.map { (folder as NSString).appendingPathComponent($0) }.filter {
      var isFolder: ObjCBool = false
      return FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && !isFolder.boolValue
    }
  }

  /// Every harness has a seed corpus of several files and every corpus folder names a harness.
  func testEveryHarnessHasASeedCorpus() throws {
    let corpus = Self.fuzzFolder + "/corpus"
    let folders = try FileManager.default.contentsOfDirectory(atPath: corpus).sorted()
    XCTAssertEqual(folders, FuzzHarnesses.all.map(\.name).sorted())
    for harness in FuzzHarnesses.all {
      XCTAssertGreaterThanOrEqual(files(under: corpus + "/" + harness.name).count, 3, harness.name)
    }
  }

  /// Every folder of crash inputs names a harness (a misspelt one would never be replayed).
  func testEveryRegressionFolderNamesAHarness() throws {
    let folders = try FileManager.default.contentsOfDirectory(atPath: Self.fuzzFolder + "/regressions")
    XCTAssertFalse(folders.isEmpty)
    let names = Set(FuzzHarnesses.all.map(\.name))
    for folder in folders {
      XCTAssertTrue(names.contains(folder), "Tests/Fuzz/regressions/\(folder) is not a harness's name; --list names them")
    }
  }

  /// Seeds and crash inputs go through their harness without a crash (a refusal is fine).
  func testCorporaAndCrashInputsReplayWithoutCrashing() throws {
    var replayed = 0
    for harness in FuzzHarnesses.all {
      for folder in ["corpus", "regressions"] {
        for file in files(under: "\(Self.fuzzFolder)/\(folder)/\(harness.name)") {
          harness.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
          replayed += 1
        }
      }
    }
    XCTAssertGreaterThan(replayed, 3 * FuzzHarnesses.all.count)
  }
}
