// The dataset reader end to end, through `timirec evaluate --data BAD --ckpt X`: hand-written
// ReChorus folders with one defect each give one `file:line` error and exit ≠ 0.
// The messages are those of Sources/SeqRec/Data/DataError+Message.swift.
import Foundation
import XCTest

final class DatasetFolderErrorTests: CLITestCase {
  /// A valid ReChorus folder: 2 users, items 1...6 (n_items = 7), 2 negatives per row, none
  /// clicked by the row's user.
  static let validFolder: [String: String] = [
    "train.csv": "user_id\titem_id\ttime\n1\t1\t1\n1\t2\t2\n2\t3\t1\n2\t4\t2\n",
    "dev.csv": "user_id\titem_id\ttime\tneg_items\n1\t5\t3\t[3, 4]\n2\t1\t3\t[5, 6]\n",
    "test.csv": "user_id\titem_id\ttime\tneg_items\n1\t6\t4\t[3, 4]\n2\t2\t4\t[5, 6]\n",
  ]

  /// One defect: the file replaced, its new text, and where/what the error must say.
  struct Defect {
    let name: String
    let file: String
    let text: String
    let location: String
    let hint: String
  }

  static let defects: [Defect] = [
    Defect(name: "train.csv without header", file: "train.csv", text: "1\t1\t1\n1\t2\t2\n2\t3\t1\n2\t4\t2\n",
           location: "train.csv:1:", hint: "expected a header line 'user_id\\titem_id\\ttime' but found '1\\t1\\t1'; add the header row"),
    Defect(name: "dev.csv header without neg_items", file: "dev.csv", text: "user_id\titem_id\ttime\n1\t5\t3\n2\t1\t3\n",
           location: "dev.csv:1:", hint: "has no column 'neg_items'; columns must be tab-separated and include it"),
    Defect(name: "neg_items with a semicolon", file: "dev.csv",
           text: "user_id\titem_id\ttime\tneg_items\n1\t5\t3\t[3, 4]\n2\t1\t3\t[5; 6]\n",
           location: "dev.csv:3:", hint: "neg_items '[5; 6]' is not a list like [12, 7, 93]; fix the list"),
    Defect(name: "neg_items not closed", file: "test.csv",
           text: "user_id\titem_id\ttime\tneg_items\n1\t6\t4\t[3, 4\n2\t2\t4\t[5, 6]\n",
           location: "test.csv:2:", hint: "is not a list like [12, 7, 93]; fix the list or re-run `timirec prepare`"),
    Defect(name: "negatives count differs", file: "test.csv",
           text: "user_id\titem_id\ttime\tneg_items\n1\t6\t4\t[3, 4]\n2\t2\t4\t[5]\n",
           location: "test.csv:3:", hint: "1 negatives, but the first row has 2; every row of a file needs the same count"),
    Defect(name: "negative equal to n_items", file: "test.csv",
           text: "user_id\titem_id\ttime\tneg_items\n1\t6\t4\t[3, 7]\n2\t2\t4\t[5, 6]\n",
           location: "test.csv:2:", hint: "negative item 7 is outside 1...6 (the largest item id in train/dev/test); drop it or re-draw"),
    Defect(name: "negative far beyond n_items", file: "dev.csv",
           text: "user_id\titem_id\ttime\tneg_items\n1\t5\t3\t[3, 4]\n2\t1\t3\t[5, 600]\n",
           location: "dev.csv:3:", hint: "negative item 600 is outside 1...6"),
    Defect(name: "negative equal to the positive", file: "dev.csv",
           text: "user_id\titem_id\ttime\tneg_items\n1\t5\t3\t[5, 4]\n2\t1\t3\t[5, 6]\n",
           location: "dev.csv:2:", hint: "negative item 5 equals the row's positive item; re-draw the negatives"),
    Defect(name: "dev user without train rows", file: "dev.csv",
           text: "user_id\titem_id\ttime\tneg_items\n1\t5\t3\t[3, 4]\n2\t1\t3\t[5, 6]\n3\t2\t3\t[5, 6]\n",
           location: "dev.csv:4:", hint: "user 3 has no rows in train.csv; every dev/test user needs training history"),
    Defect(name: "non-integer item id", file: "train.csv", text: "user_id\titem_id\ttime\n1\t1\t1\n1\tb2\t2\n2\t3\t1\n2\t4\t2\n",
           location: "train.csv:3:", hint: "item_id 'b2' is not an integer; ids and times must be whole numbers"),
    // A field's bytes reach the message; a terminal escape in them is shown escaped, not sent.
    Defect(name: "item id holding a terminal escape", file: "train.csv",
           text: "user_id\titem_id\ttime\n1\t1\t1\n1\t\u{1B}[2Jb2\t2\n2\t3\t1\n2\t4\t2\n",
           location: "train.csv:3:", hint: "item_id '\\u{1B}[2Jb2' is not an integer"),
    Defect(name: "user id 0", file: "train.csv", text: "user_id\titem_id\ttime\n1\t1\t1\n1\t2\t2\n0\t3\t1\n2\t4\t2\n",
           location: "train.csv:4:", hint: "user_id 0 is not >= 1; ids start at 1 (0 is padding), re-index the data"),
    Defect(name: "row with 2 fields", file: "train.csv", text: "user_id\titem_id\ttime\n1\t1\t1\n1\t2\n2\t3\t1\n2\t4\t2\n",
           location: "train.csv:3:", hint: "2 fields, expected 3; is the separator right"),
    Defect(name: "empty dev.csv", file: "dev.csv", text: "", location: "dev.csv:1:", hint: "file is empty; re-run `timirec prepare` or restore the file"),
    Defect(name: "blank line inside train.csv", file: "train.csv",
           text: "user_id\titem_id\ttime\n1\t1\t1\n\n1\t2\t2\n2\t3\t1\n2\t4\t2\n",
           location: "train.csv:3:", hint: "blank line inside the table; remove it"),
  ]

  func writeFolder(_ name: String, replacing file: String? = nil, with text: String = "") throws -> String {
    for (table, content) in Self.validFolder { try write("\(name)/\(table)", table == file ? text : content) }
    return path(name)
  }

  /// The valid folder loads: evaluate gets as far as the (missing) checkpoint.
  func testValidFolderLoadsUpToTheCheckpoint() throws {
    let folder = try writeFolder("valid")
    let checkpoint = path("no-checkpoint")
    let run = try timirec("evaluate", "--data", folder, "--ckpt", checkpoint, "--threads", "1")
    assertOneLineError(run, location: checkpoint, says: "no checkpoint here (expected config.json and model.safetensors)")
  }

  func testEachDefectGivesOneLineErrorWithFileAndLine() throws {
    for (index, defect) in Self.defects.enumerated() {
      let folder = try writeFolder("case\(index)", replacing: defect.file, with: defect.text)
      let before = entries(workDir)
      let run = try Timirec.run(["evaluate", "--data", folder, "--ckpt", path("no-checkpoint"), "--threads", "1"])
      assertOneLineError(run, location: "\(folder)/\(defect.location)", says: defect.hint, case: defect.name)
      XCTAssertEqual(entries(workDir), before, "[\(defect.name)] evaluate wrote files")
      XCTAssertEqual(entries(folder), Set(Self.validFolder.keys), "[\(defect.name)] the dataset folder changed")
    }
  }

  func testMissingDataFolder() throws {
    let folder = path("nowhere")
    let run = try timirec("evaluate", "--data", folder, "--ckpt", path("no-checkpoint"), "--threads", "1")
    assertOneLineError(run, location: folder, says: "no such file or folder; check the path")
  }
}
