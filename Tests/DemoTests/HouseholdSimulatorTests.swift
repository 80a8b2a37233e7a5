import Foundation
import SeqRec
import XCTest

@testable import Demo

/// The simulator with its default seed reproduces the committed demo-data/ byte for byte and
/// has the statistics README.md "The demo" states.
final class HouseholdSimulatorTests: XCTestCase {
  /// demo-data/ of this checkout (Tests/DemoTests/<this file> → ../../demo-data).
  static let demoFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("demo-data").path

  /// One generation shared by the tests of this class (the default demo takes seconds).
  nonisolated(unsafe) static var generated: SimulatedHouseholds?
  func demo() throws -> SimulatedHouseholds {
    if let g = Self.generated { return g }
    let g = try HouseholdSimulator.generate(HouseholdSimulatorConfig())
    Self.generated = g
    return g
  }

  func testDefaultSeedGivesTheCommittedFilesByteForByte() throws {
    let demo = try demo()
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: out) }
    try demo.dataset.write(to: out)
    try demo.membersTSV().write(toFile: out + "/members.tsv", atomically: true, encoding: .utf8)
    for name in ["train.csv", "dev.csv", "test.csv", "items.tsv", "members.tsv", "dataset.json"] {
      let committed = try Data(contentsOf: URL(fileURLWithPath: Self.demoFolder + "/" + name))
      let fresh = try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))
      XCTAssertTrue(fresh == committed, "\(name): \(fresh.count) bytes generated differ from demo-data/\(name) (\(committed.count) bytes)")
    }
  }

  /// README.md: 2,000 households of 2–3 members, 2,400 titles in 8 categories, 84,837
  /// interactions, 99 negatives per dev/test row.
  func testHouseholdStatisticsAsDocumented() throws {
    let demo = try demo()
    let s = try XCTUnwrap(demo.dataset.manifest).statistics
    XCTAssertEqual(s.users, 2000)
    XCTAssertEqual(s.items, 2400)
    XCTAssertEqual(s.interactions, 84_837)
    XCTAssertEqual(s.devRows, 2000)
    XCTAssertEqual(s.testRows, 2000)
    XCTAssertEqual(demo.dataset.test.negativeCount, 99)
    XCTAssertEqual(demo.memberRoles.dropFirst().map(\.count).min(), 2)
    XCTAssertEqual(demo.memberRoles.dropFirst().map(\.count).max(), 3)
    XCTAssertEqual(demo.members.dropFirst().reduce(0) { $0 + $1.count }, 84_837)
    let catalog = try XCTUnwrap(demo.dataset.catalog)
    let categories = Set((1..<demo.dataset.itemCount).compactMap { catalog.categoryLabels($0).first })
    XCTAssertEqual(categories, Set(HouseholdSimulator.categories))
    XCTAssertEqual(categories.count, 8)
    // Interactions per household within the configured 25…60.
    let lengths = demo.members.dropFirst().map(\.count)
    XCTAssertGreaterThanOrEqual(lengths.min()!, 25)
    XCTAssertLessThanOrEqual(lengths.max()!, 60)
  }

  /// The run category comes from the personas (the child's top category), not a literal.
  func testRunCategoryIsTheRunPersonasTopCategory() {
    XCTAssertEqual(HouseholdSimulator.runCategory, HouseholdSimulator.categories[0])
    XCTAssertEqual(HouseholdSimulator.runCategory, "cartoon")
  }

  func testMembersFileRoundTripsAndBadFilesThrow() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("members-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/members.tsv"
    try "user_id\troles\tmembers\n1\tchild,film parent\t1122\n".write(toFile: path, atomically: true, encoding: .utf8)
    let read = try HouseholdSimulator.readMembers(path: path)
    XCTAssertEqual(read.members, [[], [0, 0, 1, 1]])
    XCTAssertEqual(read.roles, [[], ["child", "film parent"]])
    XCTAssertThrowsError(try HouseholdSimulator.readMembers(path: folder + "/none.tsv")) {
      XCTAssertEqual($0 as? MembersFileError, MembersFileError(path: folder + "/none.tsv", reason: "no members.tsv (only the generated demo has one)"))
    }
  }
}
