// Regression tests for what fuzzing and the resource-limit review of issue 15 found
// (docs/INPUTS.md, "Fuzzing" and "Resource limits"). Each input crashed or allocated without
// bound before the fix (checked with the address-sanitizer build of Tests/Fuzz); each must now
// be refused with a one-line message. The inputs are built here, at the smallest size that
// showed the problem, because some are hundreds of KB of one repeated byte.

import Foundation
import Tensor
import XCTest
@testable import SeqRec

final class FuzzRegressionTests: XCTestCase {
  // MARK: loose JSON (S3-Rec attributes and datamaps, Amazon lines)

  /// 50,000 '[' overflowed the stack of the recursive parser (ASan: stack-overflow in
  /// LooseJSONParser). Nesting is now limited to 512 levels; 512 still parses.
  func testDeeplyNestedJSONIsRefusedInsteadOfOverflowingTheStack() throws {
    let folder = try makeFolder(self, ["attributes.json": String(repeating: "[", count: 50_000),
                                       "datamaps.json": "{\"id2attribute\": {}}"])
    assertDataError(try readAttributeCategories(attributesPath: folder + "/attributes.json", datamapsPath: folder + "/datamaps.json"),
                    contains: ["attributes.json:1: not valid JSON (lists and objects nested deeper than 512 levels at byte 513)"])
    let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
    XCTAssertNoThrow(try parseLooseJSON(Array(deepest.utf8)))
    XCTAssertThrowsError(try parseLooseJSON(Array(("[" + deepest + "]").utf8)))
    // An Amazon line too (its own parse per line).
    let reviews = try makeFolder(self, ["r.json": "{\"reviewerID\": " + String(repeating: "[", count: 20_000) + "\n"])
    assertDataError(try readAmazonReviews(path: reviews + "/r.json"), contains: ["r.json:1: not valid JSON (lists and objects nested deeper than 512"])
  }

  /// Found by the `amazon-metadata` harness (34,000 inputs in; the input is in
  /// Tests/Fuzz/regressions/amazon-metadata): a high-surrogate escape followed by an escape
  /// that is not a low surrogate, `\ud83d\ud0e0`, underflowed `low - 0xDC00` (a trap). The
  /// lone high surrogate now becomes U+FFFD and the next escape is read on its own.
  func testUnpairedSurrogateEscapeIsReplacedInsteadOfTrapping() throws {
    let folder = try makeFolder(self, ["meta.json": #"{"asin": "B000000001", "title": "\ud83d\ud0e0"}"# + "\n"])
    XCTAssertEqual(try readAmazonMetadata(path: folder + "/meta.json")["B000000001"]?.title, "\u{FFFD}\u{D0E0}")
    XCTAssertEqual(try parseLooseJSON(Array(#""\ud83d\ude00""#.utf8)), .string("\u{1F600}"))
    XCTAssertEqual(try parseLooseJSON(Array(#""\ud83d""#.utf8)), .string("\u{FFFD}"))
  }

  // MARK: ReChorus folders

  /// The capacity for dev/test negatives was (line feeds) × (commas of the first row): a
  /// 120 KB dev.csv with 60,000 commas and 60,000 blank lines asked for 14.4 GB (libFuzzer:
  /// out-of-memory (malloc(14400960044))). Now at most one negative per 2 bytes of the file.
  func testFirstRowCommasDoNotSizeTheNegativeColumnQuadratically() throws {
    let bad = "user_id\titem_id\ttime\tneg_items\n1\t2\t3\t[" + String(repeating: ",", count: 60_000) + "]\n"
      + String(repeating: "\n", count: 60_000)
    let folder = try makeFolder(self, ["train.csv": "user_id\titem_id\ttime\n1\t2\t1\n1\t3\t2\n", "dev.csv": bad, "test.csv": bad])
    assertDataError(try Dataset.load(folder: folder), contains: ["dev.csv:2: neg_items '[,,,,,"])
    // The tightest real layout (no spaces, one-digit ids) still fits the capacity.
    let rows = (1...300).map { "\($0)\t9\t\($0)\t[2,3,4,5,6,7,8]" }.joined(separator: "\n")
    let train = (1...300).map { "\($0)\t1\t0" }.joined(separator: "\n")
    let tight = try makeFolder(self, ["train.csv": "user_id\titem_id\ttime\n" + train + "\n",
                                      "dev.csv": "user_id\titem_id\ttime\tneg_items\n" + rows + "\n",
                                      "test.csv": "user_id\titem_id\ttime\tneg_items\n" + rows])
    let dataset = try Dataset.load(folder: tight)
    XCTAssertEqual(dataset.dev.negativeCount, 7)
    XCTAssertEqual(Array(dataset.test.negatives.suffix(7)), [2, 3, 4, 5, 6, 7, 8])
  }

  /// A user id of 2³¹−1 in a 60-byte file sized the per-user table at 2 GB (libFuzzer:
  /// out-of-memory (malloc(2147483680))). Ids above the ids the files mention (floor 65,536)
  /// are refused; 65,536 in a tiny folder is still read.
  func testHugeIdsAreRefusedBeforeTheyAllocate() throws {
    let header = "user_id\titem_id\ttime\tneg_items\n"
    let huge = try makeFolder(self, ["train.csv": header + "2147483647\t2147483000\t3\t[1]\n",
                                     "dev.csv": header + "2147483647\t2147483000\t3\t[1]\n",
                                     "test.csv": header + "2147483647\t2147483000\t3\t[1]\n"])
    assertDataError(try Dataset.load(folder: huge),
                    contains: ["train.csv:2: user_id 2147483647 is larger than 65536, the number of ids train/dev/test mention (5, or 65536)",
                               "re-index the data"])
    let item = try makeFolder(self, ["train.csv": "user_id\titem_id\ttime\n1\t1\t1\n1\t70000\t2\n",
                                     "dev.csv": header + "1\t3\t3\t[2]\n", "test.csv": header + "1\t3\t4\t[2]\n"])
    assertDataError(try Dataset.load(folder: item), contains: ["train.csv:3: item_id 70000 is larger than 65536"])
    let floor = try makeFolder(self, ["train.csv": "user_id\titem_id\ttime\n1\t1\t1\n1\t65536\t2\n",
                                      "dev.csv": header + "1\t3\t3\t[2]\n", "test.csv": header + "1\t3\t4\t[2]\n"])
    XCTAssertEqual(try Dataset.load(folder: floor).itemCount, 65537)
  }

  // MARK: gzip

  /// A gzip stream that expands past `maximumExpansion` × its size (and the floor) is refused
  /// while reading, not after: here 4 MB of zeros in a ~4 KB file with the floor set to 0.
  func testGzipExpansionIsBounded() throws {
    let folder = try temporaryFolder(self)
    let path = folder + "/bomb.json.gz"
    try gzip(Data(count: 4 << 20), to: path)
    let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    assertDataError(try readPossiblyGzipped(path: path, floor: 0),
                    contains: ["bomb.json.gz: gzip content expands beyond \(64 * size) bytes (the bound is 64 times the file's \(size) bytes",
                               "gunzip it and pass the plain file"])
    // The default floor (64 MiB) lets this small file through, and a real file passes at any floor.
    XCTAssertEqual(try readPossiblyGzipped(path: path).count, 4 << 20)
    XCTAssertEqual(try readPossiblyGzipped(path: fixture("amazon/reviews.json.gz"), floor: 0),
                   try readPossiblyGzipped(path: fixture("amazon/reviews.json")))
  }

  private func gzip(_ data: Data, to path: String) throws {
    let raw = path + ".raw"
    try data.write(to: URL(fileURLWithPath: raw))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sh", "-c", "gzip -c '\(raw)' > '\(path)' && rm '\(raw)'"]
    try process.run()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
  }

  // MARK: checkpoints and import

  /// The tiny pretrain fixture imported for a dataset of 11 item rows.
  private func importedTinyCheckpoint() throws -> (path: String, fingerprint: DatasetFingerprint) {
    let fingerprint = DatasetFingerprint(name: "eleven", itemCount: 11, userCount: 5, trainRows: 14, devRows: 4, testRows: 4)
    let out = try temporaryFolder(self) + "/ckpt"
    try WeightsImport.importWeights(fixture("tiny-pretrain.safetensors"), dataset: fingerprint, datasetLabel: "eleven",
                                    out: out, temperature: nil, historyMax: nil)
    return (out, fingerprint)
  }

  /// config.json's sizes built the model before model.safetensors was read: D = 10⁹ beside a
  /// 4 KB weights file asked for 44 GB. Now the sizes are checked against the weights first.
  func testConfigSizesAreCheckedAgainstTheWeightsBeforeTheModelIsBuilt() throws {
    let (path, fingerprint) = try importedTinyCheckpoint()
    let configPath = path + "/config.json"
    let held = try SafeTensorsFile.read(url: URL(fileURLWithPath: path + "/model.safetensors")).tensors.values
      .reduce(0) { $0 + $1.elementCount }
    var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as? [String: Any])
    var model = try XCTUnwrap(object["modelConfig"] as? [String: Any])
    for (field, value) in [("embeddingSize", 1_000_000_000), ("historyMax", 4_000_000_000_000_000_000)] {
      var changed = model
      changed[field] = value
      object["modelConfig"] = changed
      try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: configPath))
      for open in [{ _ = try CheckpointDirectory.openModel(path, for: fingerprint) },
                   { _ = try CheckpointDirectory.open(path, for: fingerprint) }] as [() throws -> Void] {
        XCTAssertThrowsError(try open(), field) { error in
          let text = "\(error)"
          XCTAssertTrue(text.hasPrefix(configPath + ": the pretrain model it describes (itemCount 11, "), text)
          XCTAssertTrue(text.contains("but model.safetensors holds \(held); fix the file"), text)
        }
      }
    }
    model["embeddingSize"] = 8
    object["modelConfig"] = model
    try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: configPath))
    XCTAssertNoThrow(try CheckpointDirectory.openModel(path, for: fingerprint))
  }

  /// A hidden proj layer named with index Int.max overflowed `index + 1` (a trap); a gap in
  /// the indices built layers nobody stored. Now the layers must be 0..<n, all present.
  func testImportRefusesProjLayerIndicesThatAreNotConsecutive() throws {
    var file = try SafeTensorsFile.read(url: URL(fileURLWithPath: fixture("tiny-finetune-L2.safetensors")))
    XCTAssertNoThrow(try WeightsImport.architecture(of: file, source: "f", temperature: 0.5, historyMax: nil))
    let layer = try XCTUnwrap(file.tensors["proj.proj_0.weight"])
    file.tensors["proj.proj_9223372036854775807.weight"] = layer
    XCTAssertThrowsError(try WeightsImport.architecture(of: file, source: "f", temperature: 0.5, historyMax: nil)) { error in
      XCTAssertEqual(error as? ImportError, .notTiMiRec(source: "f", missing: "proj.proj_1.weight", found: Array(file.tensors.keys)))
    }
  }

  /// Shapes that describe a far larger model than the tensors hold (here D 3,000 read from a
  /// 2 × 3,000 item table, with add_trm asking for a 3,000 × 3,000 transformer) are refused
  /// before the model is built.
  func testImportRefusesAnArchitectureTheFileCannotHold() throws {
    let d = 3000
    let file = SafeTensorsFile(tensors: [
      "interest_extractor.i_embeddings.weight": SafeTensor(shape: [2, d], floats: Array(repeating: 0, count: 2 * d)),
      "interest_extractor.W1.weight": SafeTensor(shape: [1, d], floats: Array(repeating: 0, count: d)),
      "interest_extractor.W2.weight": SafeTensor(shape: [1, 1], floats: [0]),
      "interest_extractor.transformer.x": SafeTensor(shape: [1], floats: [0]),
    ])
    let (stage, config) = try WeightsImport.architecture(of: file, source: "f", temperature: nil, historyMax: nil)
    XCTAssertThrowsError(try WeightsImport.checkWeightCount(of: file, stage: stage, config: config, source: "f")) { error in
      XCTAssertEqual(error as? ImportError, .tooFewWeights(source: "f", needed: 2 * d + d + 1 + d * d, held: 3 * d + 2))
    }
  }
}

/// docs/INPUTS.md's catalogue of refusals stays true: every error case declared in the code
/// is listed there by name, and for the data, checkpoint, import, weights and benchmark errors
/// the exact message of a sample (the one the catalogue shows) appears verbatim.
final class InputsCatalogueTests: XCTestCase {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func text(_ relative: String) throws -> String {
    try String(contentsOf: Self.root.appendingPathComponent(relative), encoding: .utf8)
  }

  /// Names of the `case`s declared inside `enum <name>` in a source file.
  func declaredCases(of name: String, in file: String) throws -> [String] {
    let source = try text(file)
    guard let start = source.range(of: "enum \(name)") else { XCTFail("no enum \(name) in \(file)"); return [] }
    var depth = 0
    var body = ""
    for c in source[start.upperBound...] {
      if c == "{" { depth += 1 } else if c == "}" { depth -= 1; if depth == 0 { break } }
      if depth >= 1 { body.append(c) }
    }
    // Cases at the enum's own level only (depth 1): lines "  case name(" or "  case name".
    var names: [String] = []
    var level = 0
    for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if level == 1, trimmed.hasPrefix("case "), !trimmed.hasPrefix("case let"), !trimmed.hasPrefix("case .") {
        let rest = trimmed.dropFirst("case ".count)
        names.append(String(rest.prefix { $0.isLetter || $0.isNumber }))
      }
      level += line.filter { $0 == "{" }.count - line.filter { $0 == "}" }.count
    }
    return names
  }

  /// One sample per case: (case name, message). Paths are bare file names, as the catalogue shows them.
  static let samples: [(enumName: String, caseName: String, message: String)] = {
    let data: [DataError] = [
      .fileMissing(path: "train.csv"), .unreadable(path: "u.data", reason: "Permission denied"), .emptyFile(path: "dev.csv"),
      .missingHeader(path: "train.csv", found: "1\t2\t3", expected: ["user_id", "item_id", "time"]),
      .missingColumn(path: "dev.csv", column: "neg_items", header: "user_id\titem_id\ttime"),
      .wrongFieldCount(path: "u.data", line: 12, found: 3, expected: 4),
      .notAnInteger(path: "train.csv", line: 5, column: "item_id", value: "B00004"),
      .idNotPositive(path: "train.csv", line: 5, column: "user_id", value: 0),
      .malformedNegativeList(path: "dev.csv", line: 3, value: "[12, 7"),
      .negativeCountMismatch(path: "test.csv", line: 9, found: 99, expected: 100),
      .negativeOutOfRange(path: "dev.csv", line: 4, value: 3001, itemCount: 3000),
      .negativeIsPositive(path: "test.csv", line: 6, item: 42),
      .userWithoutTrainRows(path: "dev.csv", line: 8, user: 17), .blankLine(path: "train.csv", line: 7),
      .malformedJSON(path: "meta.json", line: 2, reason: "expected ',' or '}' at byte 40"),
      .missingField(path: "reviews.json", line: 3, field: "asin"),
      .gzip(path: "reviews.json.gz", reason: "unexpected end of file"),
      .gzipExpansion(path: "reviews.json.gz", limit: 67108864, fileSize: 4096, ratio: 64),
      .implausibleSize(path: "train.csv", line: 2, what: "user_id", value: 2147483647, limit: 65536,
                       reason: "the number of ids train/dev/test mention (5, or 65536); ids must number users and items from 1 without large gaps (as `timirec prepare` writes them): re-index the data"),
      .noInteractions(path: "Beauty.txt"), .cannotDrawNegatives(user: "7", clicked: 12, pool: 12),
      .outputExists(path: "data/ml-100k"), .badManifest(path: "dataset.json", reason: "missing field 'name'"),
    ]
    let checkpoint: [CheckpointError] = [
      .missing(path: "runs/x"), .datasetFolder(path: "data/ml-100k", found: ["train.csv", "dataset.json"]),
      .unreadable(path: "runs/x", reason: "resume.json: not valid JSON"),
      .formatVersion(path: "runs/x", found: 3),
      .mismatch(path: "runs/x", what: "K", checkpoint: "2", expected: "4"),
      .badConfig(file: "runs/x/config.json", problem: "missing field 'modelConfig.interestCount'"),
      .unknownModel(file: "runs/x/config.json", model: "NoSuchModel"),
      .importedNotResumable(path: "runs/x", file: "/w/timirec.safetensors"),
    ]
    let imports: [ImportError] = [
      .notTiMiRec(source: "w.safetensors", missing: "interest_extractor.W1.weight", found: []),
      .badShape(source: "w.safetensors", name: "interest_extractor.W1.weight", shape: [4], expected: "2 dimensions, each ≥ 1"),
      .temperatureRequired(source: "w.safetensors"), .temperatureNotUsed(source: "w.safetensors"),
      .historyMaxDisagrees(source: "w.safetensors", rows: 21, given: 50),
      .itemRows(source: "w.safetensors", weights: 1683, dataset: "data/beauty", datasetRows: 12102),
      .tooFewWeights(source: "w.safetensors", needed: 9000006, held: 6002),
    ]
    let weights: [WeightsError] = [
      .missing(name: "proj.proj_final.weight", source: "model.safetensors"),
      .unexpected(name: "interest_predictor.rnn.weight_ih_l0", others: 6, source: "model.safetensors"),
      .shapeMismatch(name: "interest_extractor.W2.weight", expected: [4, 8], found: [2, 8], source: "model.safetensors"),
      .notFloatingPoint(name: "interest_extractor.W1.weight", dtype: "I64", source: "model.safetensors"),
      .nonFinite(name: "interest_extractor.W1.weight", index: 3, value: .nan, source: "model.safetensors"),
    ]
    let benchmark: [BenchmarkError] = [
      .unknownModel(model: "GRU4Recc", dataset: "ml-100k", known: ["GRU4Rec", "TiMiRec"]),
      .unknownDataset(dataset: "ml-1m", known: ["beauty", "ml-100k"]), .initCycle(model: "TiMiRec+"),
      .noRunsFolder(variable: "TIMIREC_RUNS"),
      .badResult(path: "GRU4Rec-s0.tsv:3", reason: "expected 3 integers separated by tabs"),
      .badNotes(path: "table-notes.md", reason: "is not UTF-8 text"),
      .badReference(path: "reference.json", reason: "missing field 'models.GRU4Rec[0].seed'"),
      .failedRuns(["train GRU4Rec-s0"]), .interrupted(notDone: ["train GRU4Rec-s1", "evaluate GRU4Rec-s1"]),
    ]
    // The case name of an enum value with a payload (its description is the message).
    func name(_ value: Any) -> String { Mirror(reflecting: value).children.first?.label ?? "?" }
    return data.map { ("DataError", name($0), $0.message) } + checkpoint.map { ("CheckpointError", name($0), $0.description) }
      + imports.map { ("ImportError", name($0), $0.description) } + weights.map { ("WeightsError", name($0), $0.description) }
      + benchmark.map { ("BenchmarkError", name($0), $0.description) }
  }()

  func testEveryErrorCaseIsCataloguedWithItsMessage() throws {
    let doc = try text("docs/INPUTS.md")
    let enums: [(String, String, Bool)] = [
      ("DataError", "Sources/SeqRec/Data/DataError.swift", true),
      ("CheckpointError", "Sources/SeqRec/Training/Checkpoint.swift", true),
      ("ImportError", "Sources/SeqRec/Training/WeightsImport.swift", true),
      ("WeightsError", "Sources/SeqRec/Models/TiMiRec.swift", true),
      ("BenchmarkError", "Sources/SeqRec/Experiments/BenchmarkPlan.swift", true),
      ("Problem", "Sources/Tensor/SafeTensors.swift", false),
    ]
    var missing: [String] = []
    for (enumName, file, sampled) in enums {
      let cases = try declaredCases(of: enumName, in: file)
      XCTAssertFalse(cases.isEmpty, enumName)
      for name in cases {
        if !doc.contains("`\(enumName).\(name)`") { missing.append("`\(enumName).\(name)`") }
        if sampled {
          let sample = Self.samples.filter { $0.enumName == enumName && $0.caseName == name }
          XCTAssertFalse(sample.isEmpty, "no sample for \(enumName).\(name) in InputsCatalogueTests.samples")
        }
      }
    }
    XCTAssertEqual(missing, [], "docs/INPUTS.md does not list these error cases")
    // A missing or outdated row is printed as the catalogue row to paste.
    for sample in Self.samples {
      let cell = sample.message.replacingOccurrences(of: "|", with: "\\|")
      if !doc.contains(cell) { XCTFail("docs/INPUTS.md lacks this row:\n| `\(sample.enumName).\(sample.caseName)` | \(cell) |") }
    }
  }
}
