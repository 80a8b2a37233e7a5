import Foundation
import XCTest
@testable import SeqRec

final class DatasetReaderTests: XCTestCase {
  let train = "user_id\titem_id\ttime\n1\t3\t100\n2\t4\t100\n3\t2\t100\n4\t4\t100\n4\t5\t200\n"
  let dev = "user_id\titem_id\ttime\tneg_items\n3\t3\t200\t[1, 5]\n4\t6\t300\t[2, 3]\n"
  let test = "user_id\titem_id\ttime\tneg_items\n1\t1\t200\t[2, 4]\n3\t4\t300\t[5, 1]\n4\t1\t400\t[3, 2]\n"

  /// A folder from the valid tables with one file replaced.
  func folder(train: String? = nil, dev: String? = nil, test: String? = nil) throws -> String {
    try makeFolder(self, ["train.csv": train ?? self.train, "dev.csv": dev ?? self.dev, "test.csv": test ?? self.test])
  }

  func testCommittedReChorusFolderLoads() throws {
    let d = try Dataset.load(folder: fixture("rechorus-tiny"))
    XCTAssertEqual(d.name, "rechorus-tiny")
    XCTAssertEqual(d.train.users, [1, 2, 3, 4, 4])
    XCTAssertEqual(d.train.items, [3, 4, 2, 4, 5])
    XCTAssertEqual(d.train.times, [100, 100, 100, 100, 200])
    XCTAssertEqual(d.dev.negativeCount, 2)
    XCTAssertEqual(d.dev.negatives, [1, 5, 2, 3])
    XCTAssertEqual(d.test.negatives, [2, 4, 5, 1, 3, 2])
    XCTAssertEqual(d.userCount, 5)
    XCTAssertEqual(d.itemCount, 7)
    XCTAssertNil(d.catalog)
    XCTAssertNil(d.manifest)
  }

  func testCRLFExtraColumnsAndDevTestNegativeCountsMayDiffer() throws {
    let crlf = { (s: String) in s.replacingOccurrences(of: "\n", with: "\r\n") }
    let d = try Dataset.load(folder: try folder(
      train: crlf("user_id\ttime\titem_id\tc_extra\n1\t100\t3\tx\n2\t100\t4\ty\n3\t100\t2\tz\n4\t100\t4\tw\n4\t200\t5\tv\n"),
      dev: crlf(dev), test: "user_id\titem_id\ttime\tneg_items\n1\t1\t200\t[2]\n3\t4\t300\t[5]\n4\t1\t400\t[3]\n\n"))
    XCTAssertEqual(d.train.items, [3, 4, 2, 4, 5])
    XCTAssertEqual(d.dev.negativeCount, 2)
    XCTAssertEqual(d.test.negativeCount, 1)
    XCTAssertEqual(d.test.negatives, [2, 5, 3])
  }

  func testEachValidationErrorIsOneLineWithFileLineAndValue() throws {
    assertDataError(try Dataset.load(folder: "/nonexistent/seqrec"), contains: ["/nonexistent/seqrec", "no such file"])
    let noTrain = try makeFolder(self, ["dev.csv": dev, "test.csv": test])
    assertDataError(try Dataset.load(folder: noTrain), contains: ["train.csv", "no such file"])
    assertDataError(try Dataset.load(folder: try folder(train: "")), contains: ["train.csv:1:", "empty"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n")), contains: ["train.csv:1:", "empty"])
    assertDataError(try Dataset.load(folder: try folder(train: "1\t3\t100\n2\t4\t100\n")),
                    contains: ["train.csv:1:", "expected a header line", "found '1\\t3\\t100'"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\n1\t3\n")),
                    contains: ["train.csv:1:", "no column 'time'"])
    assertDataError(try Dataset.load(folder: try folder(dev: "user_id\titem_id\ttime\n3\t3\t200\n")),
                    contains: ["dev.csv:1:", "no column 'neg_items'"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n1\t3\t100\n2\t4\n")),
                    contains: ["train.csv:3:", "2 fields, expected 3"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n1\t3\t100\t7\n")),
                    contains: ["train.csv:2:", "4 fields, expected 3"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n1\t3\t100\n2\tabc\t100\n")),
                    contains: ["train.csv:3:", "item_id 'abc' is not an integer"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n1\t3\t1.5\n")),
                    contains: ["train.csv:2:", "time '1.5' is not an integer"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n0\t3\t100\n")),
                    contains: ["train.csv:2:", "user_id 0 is not >= 1"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n1\t-4\t100\n")),
                    contains: ["train.csv:2:", "item_id -4 is not >= 1"])
    assertDataError(try Dataset.load(folder: try folder(train: "user_id\titem_id\ttime\n1\t3\t100\n\n2\t4\t100\n")),
                    contains: ["train.csv:3:", "blank line"])
  }

  func testBadNegativeLists() throws {
    let header = "user_id\titem_id\ttime\tneg_items\n"
    for bad in ["[1, 5", "1, 5", "[1; 5]", "[1, , 5]", "[1, x]", "[1, 5] junk", "(1, 5)"] {
      assertDataError(try Dataset.load(folder: try folder(dev: header + "3\t3\t200\t[1, 5]\n4\t6\t300\t\(bad)\n")),
                      contains: ["dev.csv:3:", "neg_items '\(bad)' is not a list"])
    }
    assertDataError(try Dataset.load(folder: try folder(dev: header + "3\t3\t200\t[1, 5]\n4\t6\t300\t[2]\n")),
                    contains: ["dev.csv:3:", "1 negatives, but the first row has 2"])
    assertDataError(try Dataset.load(folder: try folder(dev: header + "3\t3\t200\t[1, 5]\n4\t6\t300\t[2, 3, 1]\n")),
                    contains: ["dev.csv:3:", "3 negatives, but the first row has 2"])
    assertDataError(try Dataset.load(folder: try folder(test: header + "1\t1\t200\t[2, 4]\n3\t4\t300\t[5, 9]\n4\t1\t400\t[3, 2]\n")),
                    contains: ["test.csv:3:", "negative item 9 is outside 1...6"])
    assertDataError(try Dataset.load(folder: try folder(test: header + "1\t1\t200\t[2, 0]\n")),
                    contains: ["test.csv:2:", "negative item 0 is outside"])
    assertDataError(try Dataset.load(folder: try folder(test: header + "1\t1\t200\t[2, 4]\n3\t4\t300\t[4, 1]\n")),
                    contains: ["test.csv:3:", "negative item 4 equals the row's positive"])
  }

  func testDevUserWithoutTrainRows() throws {
    assertDataError(try Dataset.load(folder: try folder(dev: dev + "5\t1\t300\t[2, 3]\n")),
                    contains: ["dev.csv:4:", "user 5 has no rows in train.csv"])
  }

  func testWriteThenLoadRoundTripsIncludingCatalogAndManifest() throws {
    var o = PrepareOptions(source: .movielens, input: fixture("ml100k/u.data"), name: "ml")
    o.negatives = 3
    let p = try prepareDataset(o)
    let out = try temporaryFolder(self) + "/ds"
    try p.dataset.write(to: out)
    let back = try Dataset.load(folder: out)
    XCTAssertEqual(back.train, p.dataset.train)
    XCTAssertEqual(back.dev, p.dataset.dev)
    XCTAssertEqual(back.test, p.dataset.test)
    XCTAssertEqual(back.catalog, p.dataset.catalog)
    XCTAssertEqual(back.manifest, p.dataset.manifest)
    XCTAssertEqual(back.name, "ml")
    let devText = try String(contentsOfFile: out + "/dev.csv", encoding: .utf8)
    XCTAssertEqual(devText, "user_id\titem_id\ttime\tneg_items\n2\t2\t1000\t[4, 4, 4]\n1\t3\t1100\t[4, 4, 4]\n")
    XCTAssertEqual(try String(contentsOfFile: out + "/train.csv", encoding: .utf8),
                   "user_id\titem_id\ttime\n4\t3\t700\n3\t1\t800\n2\t1\t900\n1\t2\t1000\n")
    // Writing over an existing folder needs overwrite.
    assertDataError(try p.dataset.write(to: out), contains: ["already exists"])
    try p.dataset.write(to: out, overwrite: true)
  }

  func testSameSeedGivesByteIdenticalFoldersOtherSeedDiffers() throws {
    func build(_ seed: UInt64) throws -> String {
      var o = PrepareOptions(source: .sequences, input: fixture("sequences/tiny.txt"), name: "tiny")
      o.seed = seed
      o.negatives = 40
      o.titles = fixture("sequences/titles.tsv")
      let out = try temporaryFolder(self) + "/tiny"
      try prepareDataset(o).dataset.write(to: out)
      return out
    }
    let a = try build(5), b = try build(5), c = try build(6)
    let names = try FileManager.default.contentsOfDirectory(atPath: a).sorted()
    XCTAssertEqual(names, ["dataset.json", "dev.csv", "items.tsv", "test.csv", "train.csv"])
    for name in names {
      XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a + "/" + name)),
                     try Data(contentsOf: URL(fileURLWithPath: b + "/" + name)), name)
    }
    XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: a + "/test.csv")),
                      try Data(contentsOf: URL(fileURLWithPath: c + "/test.csv")))
  }

  func testFailedPrepareLeavesNoOutputFolder() throws {
    let parent = try temporaryFolder(self)
    let bad = try makeFolder(self, ["bad.txt": "1 2 3\n2 x\n"])
    var o = PrepareOptions(source: .sequences, input: bad + "/bad.txt", name: "x")
    o.negatives = 1
    assertDataError(try prepareDataset(o).dataset.write(to: parent + "/out"), contains: ["bad.txt:2:"])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent), [])
  }
}
