// `timirec prepare` end to end: bad inputs give one `file:line` error, exit ≠ 0 and no
// output folder (issue 3's acceptance); CRLF and latin-1 inputs are accepted.
import Foundation
import XCTest

final class PrepareCommandTests: CLITestCase {
  /// One bad input: source format, files to write (name → bytes), the input argument, and
  /// where/what the error must say.
  struct BadInput {
    let name: String
    let source: String
    let files: [String: [UInt8]]
    let input: String
    let location: String
    let hint: String
  }

  static let badInputs: [BadInput] = [
    BadInput(name: "ratings line with 3 fields", source: "movielens",
             files: ["ml/u.data": Array("1\t1\t5\t100\n1\t2\t4\t101\n2\t1\t3\n".utf8)], input: "ml/u.data",
             location: "ml/u.data:3:", hint: "3 fields, expected 4; is the separator right"),
    BadInput(name: "ratings.dat line with 5 fields", source: "movielens",
             files: ["ml1m/ratings.dat": Array("1::1::5::100\n1::2::4::101::9\n".utf8)], input: "ml1m",
             location: "ml1m/ratings.dat:2:", hint: "5 fields, expected 4; is the separator right"),
    BadInput(name: "sequences user without items", source: "sequences",
             files: ["seq.txt": Array("1 1 2 3\n2\n3 1 2\n".utf8)], input: "seq.txt",
             location: "seq.txt:2:", hint: "1 field, expected 2; is the separator right"),
    BadInput(name: "non-integer item id", source: "sequences",
             files: ["seq.txt": Array("1 1 2 3\n2 2 x7 3\n".utf8)], input: "seq.txt",
             location: "seq.txt:2:", hint: "item 'x7' is not an integer; ids and times must be whole numbers"),
    BadInput(name: "non-integer user id", source: "movielens",
             files: ["u.data": Array("1\t1\t5\t100\nbob\t2\t4\t101\n".utf8)], input: "u.data",
             location: "u.data:2:", hint: "user 'bob' is not an integer; ids and times must be whole numbers"),
    BadInput(name: "empty file", source: "sequences", files: ["empty.txt": []], input: "empty.txt",
             location: "empty.txt:1:", hint: "file is empty; it should hold the raw interactions"),
    BadInput(name: "empty u.data", source: "movielens", files: ["u.data": Array("\n".utf8)], input: "u.data",
             location: "u.data:1:", hint: "file is empty; it should hold the raw interactions"),
    BadInput(name: "missing input file", source: "sequences", files: [:], input: "no-such-file.txt",
             location: "no-such-file.txt", hint: "no such file or folder; check the path"),
    BadInput(name: "titles line with one field", source: "sequences",
             files: ["seq.txt": Array("1 1 2 3 4\n2 2 3 4 5\n3 3 4 5 1\n".utf8), "titles.tsv": Array("1\tone\n2\n".utf8)],
             input: "seq.txt --titles titles.tsv", location: "titles.tsv:2:", hint: "1 field, expected 2; is the separator right"),
  ]

  func testBadInputsGiveOneLineErrorAndNoOutputFolder() throws {
    for bad in Self.badInputs {
      let root = "cases/" + bad.name.replacingOccurrences(of: " ", with: "-")
      for (name, bytes) in bad.files { try write("\(root)/\(name)", bytes: bytes) }
      let output = path("\(root)/out/prepared")
      let outputParent = (output as NSString).deletingLastPathComponent
      let before = entries(outputParent)
      // `input` is the input file, optionally followed by more options taking a file.
      let parts = bad.input.components(separatedBy: " ")
      var arguments = ["prepare", bad.source, "--input", path("\(root)/\(parts[0])"), "--output", output, "--negatives", "1"]
      for pair in stride(from: 1, to: parts.count, by: 2) { arguments += [parts[pair], path("\(root)/\(parts[pair + 1])")] }
      let run = try Timirec.run(arguments)
      assertOneLineError(run, location: path("\(root)/\(bad.location)"), says: bad.hint, case: bad.name)
      assertNoOutput(output, parentBefore: before, case: bad.name)
    }
  }

  /// The same sequences with CRLF line ends give byte-identical tables.
  func testCRLFInputPreparesTheSameTables() throws {
    let lines = ["1 1 2 3 4", "2 2 3 4 5", "3 3 4 5 1", "4 5 1 2 3"]
    let lf = try write("lf.txt", lines.joined(separator: "\n") + "\n")
    let crlf = try write("crlf.txt", lines.joined(separator: "\r\n") + "\r\n")
    for (input, output) in [(lf, path("out/lf")), (crlf, path("out/crlf"))] {
      let run = try timirec("prepare", "sequences", "--input", input, "--output", output, "--negatives", "1")
      XCTAssertEqual(run.exitCode, 0, run.transcript)
    }
    for table in ["train.csv", "dev.csv", "test.csv"] {
      let a = try Data(contentsOf: URL(fileURLWithPath: path("out/lf/\(table)")))
      let b = try Data(contentsOf: URL(fileURLWithPath: path("out/crlf/\(table)")))
      XCTAssertEqual(a, b, "\(table) differs between LF and CRLF input")
      XCTAssertFalse(b.contains(13), "\(table) has a carriage return")
    }
    XCTAssertEqual(entries(path("out")), ["lf", "crlf"])
  }

  /// MovieLens u.item titles are latin-1; items.tsv holds them as UTF-8. CRLF ratings too.
  func testLatin1TitlesBecomeUTF8() throws {
    let ratings = [(1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (2, 4), (3, 4), (3, 5), (3, 1), (4, 5), (4, 1), (4, 2)]
    try write("ml/u.data", ratings.enumerated().map { "\($1.0)\t\($1.1)\t4\t\(100 + $0)\r\n" }.joined())
    // "Café Noir (1995)" and "Señor (1996)" in ISO-8859-1: é = 0xE9, ñ = 0xF1.
    var item: [UInt8] = []
    item += Array("1|Caf".utf8) + [0xE9] + Array(" Noir (1995)|01-Jan-1995||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n".utf8)
    item += Array("2|Se".utf8) + [0xF1] + Array("or (1996)|01-Jan-1996||http://x|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n".utf8)
    item += Array("3|Plain (1997)|01-Jan-1997||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n".utf8)
    item += Array("4|Other (1998)|01-Jan-1998||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n".utf8)
    item += Array("5|Fifth (1999)|01-Jan-1999||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n".utf8)
    try write("ml/u.item", bytes: item)
    let output = path("out/ml")
    let run = try timirec("prepare", "movielens", "--input", path("ml"), "--output", output, "--negatives", "1")
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    XCTAssertTrue(run.errorLines.isEmpty, run.transcript)
    let items = try String(contentsOfFile: path("out/ml/items.tsv"), encoding: .utf8)
    XCTAssertTrue(items.contains("Café Noir (1995)"), items)
    XCTAssertTrue(items.contains("Señor (1996)"), items)
    XCTAssertTrue(items.contains("Comedy"), items)
  }

  /// An existing --output is refused and left as it was.
  func testExistingOutputIsNotTouched() throws {
    let input = try write("seq.txt", "1 1 2 3\n2 2 3 1\n")
    let output = path("out/prepared")
    try write("out/prepared/keep.txt", "mine\n")
    let run = try timirec("prepare", "sequences", "--input", input, "--output", output, "--negatives", "1")
    assertOneLineError(run, location: output, says: "output folder already exists; remove it")
    XCTAssertEqual(entries(output), ["keep.txt"])
    XCTAssertEqual(entries(path("out")), ["prepared"])
  }

  /// Relative one-character paths (`--output A`, `--input u`): Foundation on Linux used to trap
  /// in deletingLastPathComponent on them, so prepare crashed instead of writing the folder.
  func testOneCharacterRelativePaths() throws {
    try write("s", "1 1 2 3 4\n2 2 3 4 5\n3 3 4 5 1\n4 5 1 2 3\n")
    let sequences = try timirecInWorkDir("prepare", "sequences", "--input", "s", "--output", "A", "--negatives", "1")
    XCTAssertEqual(sequences.exitCode, 0, sequences.transcript)
    XCTAssertEqual(entries(path("A")), ["train.csv", "dev.csv", "test.csv", "dataset.json"])

    try write("u", "1\t1\t4\t1\n1\t2\t4\t2\n1\t3\t4\t3\n2\t2\t4\t1\n2\t3\t4\t2\n2\t4\t4\t3\n3\t4\t4\t1\n3\t1\t4\t2\n3\t5\t4\t3\n")
    let movielens = try timirecInWorkDir("prepare", "movielens", "--input", "u", "--output", "out/B", "--negatives", "1")
    XCTAssertEqual(movielens.exitCode, 0, movielens.transcript)
    XCTAssertTrue(FileManager.default.fileExists(atPath: path("out/B/train.csv")), movielens.transcript)
  }
}
