// Tests for SafeTensors.swift: bit-identical round trips, the reference fixture, one
// corrupted file per validation rule (asserting the exact problem), and byte-level fuzzing.

import Foundation
import XCTest
@testable import Tensor

// MARK: - Helpers

/// A file with the given header text (unpadded unless the text has padding) and buffer.
/// `headerLength` overrides the 8-byte length field to make it lie.
private func rawFile(_ header: String, buffer: [UInt8] = [], headerLength: UInt64? = nil) -> Data {
  let h = Array(header.utf8)
  var out = [UInt8]()
  var n = (headerLength ?? UInt64(h.count)).littleEndian
  withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
  out += h
  out += buffer
  return Data(out)
}

/// One header entry: `"name":{"dtype":..,"shape":[..],"data_offsets":[b,e]}`.
private func entryJSON(_ name: String, _ shape: [Int], _ begin: Int, _ end: Int, dtype: String = "F32") -> String {
  "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

/// Asserts that decoding `data` throws exactly `expected`, and that the message names the source.
private func assertProblem(
  _ data: Data, _ expected: SafeTensorsError.Problem,
  file: StaticString = #filePath, line: UInt = #line
) {
  do {
    let decoded = try SafeTensorsFile.decode(data, source: "bad.safetensors")
    XCTFail("expected \(expected), decoded \(decoded.tensors.count) tensors", file: file, line: line)
  } catch {
    XCTAssertEqual(error.problem, expected, file: file, line: line)
    XCTAssert(error.description.hasPrefix("bad.safetensors: "), error.description, file: file, line: line)
  }
}

private let fixtureURL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("SeqRecTests/Fixtures/timirec-tiny.safetensors")

final class SafeTensorsTests: XCTestCase {

  // MARK: Round trip

  func testRoundTripF32AndI64IsBitIdenticalWithMetadata() throws {
    let specials: [Float] = [
      0, -0.0, 1, -1.5, .pi, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
      Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001),  // NaN payloads
    ]
    var file = SafeTensorsFile()
    file.tensors["weights.b"] = SafeTensor(shape: [11], floats: specials)
    file.tensors["weights.a"] = SafeTensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
    file.tensors["ids"] = SafeTensor(shape: [5], int64s: [0, -1, .max, .min, 42])
    file.tensors["ünïcode \"quoted\"\n"] = SafeTensor(shape: [1], floats: [7])
    file.metadata = ["format": "1", "note": "tab\tquote\"back\\slash\u{1}", "ключ": "значение"]

    let bytes = try file.encoded()
    let back = try SafeTensorsFile.decode(bytes, source: "memory")
    XCTAssertEqual(back, file)
    let floats = try XCTUnwrap(back.tensors["weights.b"]?.floats)
    XCTAssertEqual(floats.map(\.bitPattern), specials.map(\.bitPattern))
    XCTAssertEqual(back.tensors["ids"]?.int64s, [0, -1, .max, .min, 42])
    XCTAssertEqual(try back.encoded(), bytes, "re-encoding a decoded file gives the same bytes")

    let url = try temporaryDirectory().appendingPathComponent("model.safetensors")
    try file.write(to: url)
    XCTAssertEqual(try Data(contentsOf: url), bytes)
    XCTAssertEqual(try SafeTensorsFile.read(url: url), file)
  }

  func testEmptyScalarAndZeroSizedShapesRoundTrip() throws {
    let empty = SafeTensorsFile()
    let emptyBytes = try empty.encoded()
    XCTAssertEqual(emptyBytes.count, 16, "8-byte length + \"{}\" padded to 8")
    XCTAssertEqual(try SafeTensorsFile.decode(emptyBytes), empty)

    var file = SafeTensorsFile()
    file.tensors["scalar"] = SafeTensor(shape: [], floats: [2.5])
    file.tensors["none"] = SafeTensor(shape: [0], floats: [])
    file.tensors["hollow"] = SafeTensor(shape: [3, 0, 2], int64s: [])
    file.tensors["after"] = SafeTensor(shape: [1], floats: [-1])
    let back = try SafeTensorsFile.decode(try file.encoded())
    XCTAssertEqual(back, file)
    XCTAssertEqual(back.tensors["scalar"]?.shape, [])
    XCTAssertEqual(back.tensors["scalar"]?.floats, [2.5])
    XCTAssertEqual(back.tensors["hollow"]?.shape, [3, 0, 2])
    XCTAssertEqual(back.tensors["hollow"]?.int64s, [])
    XCTAssertEqual(back.tensors["none"]?.elementCount, 0)
  }

  func testHeaderLayoutIsPaddedOrderedAndCompact() throws {
    var file = SafeTensorsFile()
    file.tensors["b"] = SafeTensor(shape: [1], floats: [1])
    file.tensors["a"] = SafeTensor(shape: [1], floats: [2])
    file.tensors["z"] = SafeTensor(shape: [1], int64s: [3])
    file.metadata = ["y": "2", "x": "1"]
    let bytes = [UInt8](try file.encoded())
    let n = Int(bytes[0]) | Int(bytes[1]) << 8  // small header
    XCTAssertEqual(n % 8, 0)
    let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
    let expected = #"{"__metadata__":{"x":"1","y":"2"},"#
      + #""z":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"#
      + #""a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"#
      + #""b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#
    XCTAssertEqual(header.trimmingCharacters(in: .whitespaces), expected)
    XCTAssertEqual(header.count - expected.count, (8 - expected.utf8.count % 8) % 8, "padded with spaces only")
    XCTAssertEqual(bytes.count, 8 + n + 16)
  }

  func testImportDTypesDecodeToFloat() throws {
    // F16 1.0 = 0x3C00, -2.0 = 0xC000, smallest subnormal 0x0001 = 2^-24; BF16 1.0 = 0x3F80;
    // F64 0.5.
    var buffer: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00]  // F16 x3: [0, 6)
    buffer += [0x80, 0x3F]  // BF16: [6, 8)
    buffer += [0, 0, 0, 0, 0, 0, 0xE0, 0x3F]  // F64 0.5: [8, 16)
    let header = "{" + [
      entryJSON("h", [3], 0, 6, dtype: "F16"), entryJSON("bf", [1], 6, 8, dtype: "BF16"), entryJSON("d", [1], 8, 16, dtype: "F64"),
    ].joined(separator: ",") + "}"
    let file = try SafeTensorsFile.decode(rawFile(header, buffer: buffer))
    XCTAssertEqual(file.tensors["h"]?.floats, [1, -2, 0x1p-24])
    XCTAssertEqual(file.tensors["bf"]?.floats, [1])
    XCTAssertEqual(file.tensors["d"]?.floats, [0.5])
    XCTAssertNil(file.tensors["h"]?.int64s)
    // Any dtype is written back as stored.
    XCTAssertEqual(try SafeTensorsFile.decode(try file.encoded()), file)
  }

  /// The format's dtypes this project never reads are refused as unknown.
  func testUnusedDTypesAreRefused() {
    for dtype in ["BOOL", "U8", "I8", "I16", "I32", "U16", "U32", "U64"] {
      assertProblem(rawFile("{" + entryJSON("w", [1], 0, 1, dtype: dtype) + "}", buffer: [0]),
                    .unknownDType(tensor: "w", dtype: dtype))
    }
  }

  func testRawInitialiserRejectsInconsistentBytes() {
    XCTAssertNotNil(SafeTensor(dtype: .f32, shape: [2], bytes: [UInt8](repeating: 0, count: 8)))
    XCTAssertNil(SafeTensor(dtype: .f32, shape: [2], bytes: [UInt8](repeating: 0, count: 7)))
    XCTAssertNil(SafeTensor(dtype: .f32, shape: [-1], bytes: []))
    XCTAssertNil(SafeTensor(dtype: .i64, shape: [Int.max, 2], bytes: []))
  }

  // MARK: Writing and lookup errors

  func testWriteReplacesAtomicallyAndLeavesNoTemporaryFile() throws {
    let dir = try temporaryDirectory()
    let url = dir.appendingPathComponent("ckpt.safetensors")
    try SafeTensorsFile(tensors: ["x": SafeTensor(shape: [1], floats: [1])]).write(to: url)
    let second = SafeTensorsFile(tensors: ["y": SafeTensor(shape: [2], floats: [2, 3])])
    try second.write(to: url)
    XCTAssertEqual(try SafeTensorsFile.read(url: url), second)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["ckpt.safetensors"])
  }

  func testWriteIntoMissingFolderThrowsUnwritable() throws {
    let url = try temporaryDirectory().appendingPathComponent("no/such/folder/x.safetensors")
    do {
      try SafeTensorsFile().write(to: url)
      XCTFail("expected an error")
    } catch {
      guard case .unwritable = error.problem else { return XCTFail("got \(error)") }
      XCTAssertEqual(error.source, url.path)
    }
  }

  func testReadingAMissingFileThrowsUnreadable() {
    let url = URL(fileURLWithPath: "/nonexistent/timirec/model.safetensors")
    do {
      _ = try SafeTensorsFile.read(url: url)
      XCTFail("expected an error")
    } catch {
      guard case .unreadable = error.problem else { return XCTFail("got \(error)") }
      XCTAssert(error.description.contains("/nonexistent/timirec/model.safetensors"))
    }
  }

  func testReservedTensorNameCannotBeWritten() {
    let file = SafeTensorsFile(tensors: ["__metadata__": SafeTensor(shape: [1], floats: [1])])
    XCTAssertThrowsError(try file.encoded()) { error in
      XCTAssertEqual((error as? SafeTensorsError)?.problem, .reservedTensorName("__metadata__"))
    }
  }

  func testLookupErrorsNameTheTensorAndSuggestSimilarNames() throws {
    let file = SafeTensorsFile(tensors: [
      "proj.proj_final.weight": SafeTensor(shape: [1], floats: [1]),
      "proj.proj_final.bias": SafeTensor(shape: [1], floats: [0]),
      "ids": SafeTensor(shape: [1], int64s: [1]),
    ])
    XCTAssertEqual(try file.floats(named: "proj.proj_final.bias"), [0])
    XCTAssertEqual(try file.int64s(named: "ids"), [1])
    XCTAssertThrowsError(try file.floats(named: "proj.proj_final.wieght", source: "m.safetensors")) { error in
      let e = error as? SafeTensorsError
      XCTAssertEqual(e?.problem, .missingTensor(name: "proj.proj_final.wieght",
                                                similar: ["proj.proj_final.bias", "proj.proj_final.weight"]))
      XCTAssert(e?.description.contains("similar names") == true)
    }
    XCTAssertThrowsError(try file.floats(named: "ids")) { error in
      XCTAssertEqual((error as? SafeTensorsError)?.problem,
                     .dtypeMismatch(tensor: "ids", expected: "floating point", found: .i64))
    }
    XCTAssertThrowsError(try file.int64s(named: "proj.proj_final.bias")) { error in
      XCTAssertEqual((error as? SafeTensorsError)?.problem,
                     .dtypeMismatch(tensor: "proj.proj_final.bias", expected: "integer", found: .f32))
    }
  }

  // MARK: The reference fixture

  func testFixtureInputsMetadataAndValues() throws {
    let file = try SafeTensorsFile.read(url: fixtureURL)
    XCTAssertEqual(file.tensors["input.lengths"]?.dtype, .i64)
    XCTAssertEqual(try file.int64s(named: "input.lengths"), [5, 3, 1, 4])
    XCTAssertEqual(file.tensors["input.history"]?.shape, [4, 5])
    XCTAssertEqual(try file.int64s(named: "input.history"),
                   [3, 5, 2, 9, 4, 7, 1, 6, 0, 0, 10, 0, 0, 0, 0, 2, 8, 8, 3, 0])
    XCTAssertEqual(try file.int64s(named: "input.train_items"), [6, 1, 2, 9, 4, 7, 5, 10])
    XCTAssertEqual(file.tensors["input.eval_items"]?.shape, [4, 6])
    XCTAssertEqual(file.metadata["K"], "3")
    XCTAssertEqual(file.metadata["emb_size"], "8")
    XCTAssertEqual(file.metadata["temp"], "0.5")
    XCTAssertEqual(file.metadata["n_items_rows"], "11")
    // Values cross-checked with Python's `safetensors.numpy.load_file` (hex float literals).
    XCTAssertEqual(try file.floats(named: "pretrain.train.loss"), [0x1.d068acp-2])
    let w1 = try file.tensor(named: "finetune_L1.weight.interest_extractor.W1.weight")
    XCTAssertEqual(w1.dtype, .f32)
    XCTAssertEqual(w1.shape, [4, 8])
    let w = try XCTUnwrap(w1.floats)
    XCTAssertEqual(Array(w.prefix(3)), [-0x1.dd2062p-5, -0x1.d11954p-2, 0x1.447cd2p-3])
    XCTAssertEqual(w.last, -0x1.1e97f8p-2)
    XCTAssertEqual(try file.floats(named: "pretrain.eval.prediction")[3 * 6 + 5], 0x1.280564p-1)
    XCTAssertEqual(file.tensors["finetune_L1.interest_vectors"]?.shape, [4, 3, 8])
  }

  /// Every tensor the fixture README describes exists with a float or integer dtype as it
  /// says, and there are no others.
  func testFixtureHasEveryTensorTheReadmeLists() throws {
    let file = try SafeTensorsFile.read(url: fixtureURL)
    let transformer = ["layer_norm1", "layer_norm2", "linear1", "linear2",
                       "masked_attn_head.k_linear", "masked_attn_head.q_linear", "masked_attn_head.v_linear"]
    let extractor = ["W1", "W2"].flatMap { ["\($0).bias", "\($0).weight"] }
      + ["i_embeddings.weight", "p_embeddings.weight"]
      + transformer.flatMap { ["transformer.\($0).bias", "transformer.\($0).weight"] }
    let predictor = ["i_embeddings.weight", "rnn.bias_hh_l0", "rnn.bias_ih_l0", "rnn.weight_hh_l0", "rnn.weight_ih_l0"]
    func finetuneWeights(_ projLayers: [String]) -> [String] {
      extractor.map { "interest_extractor.\($0)" } + predictor.map { "interest_predictor.\($0)" }
        + projLayers.flatMap { ["proj.\($0).bias", "proj.\($0).weight"] }
    }
    let stageWeights: [String: [String]] = [
      "pretrain": extractor.map { "interest_extractor.\($0)" },
      "finetune_L1": finetuneWeights(["proj_final"]),
      "finetune_L2": finetuneWeights(["proj_0", "proj_final"]),
    ]
    var expected: Set<String> = ["input.history", "input.lengths", "input.train_items", "input.eval_items"]
    for (stage, weights) in stageWeights {
      expected.formUnion(["\(stage).interest_vectors", "\(stage).eval.prediction"])
      expected.formUnion(weights.map { "\(stage).weight.\($0)" })
      if stage != "finetune_L2" {  // training mode only where deterministic
        expected.formUnion(["\(stage).train.prediction", "\(stage).train.loss"])
        expected.formUnion(weights.map { "\(stage).grad.\($0)" })
      }
    }
    expected.formUnion(["finetune_L1.train.pred_intent", "finetune_L1.train.target_intent"])

    XCTAssertEqual(Set(file.tensors.keys).subtracting(expected), [], "tensors the README does not list")
    XCTAssertEqual(expected.subtracting(file.tensors.keys), [], "tensors the README lists but the file lacks")
    for (name, tensor) in file.tensors {
      XCTAssertEqual(tensor.dtype, name.hasPrefix("input.") ? .i64 : .f32, name)
    }
  }

  // MARK: Corrupted files: one per validation rule

  func testFileShorterThanTheLengthField() {
    assertProblem(Data(), .tooShortForHeaderLength(fileSize: 0))
    assertProblem(Data([1, 0, 0, 0, 0, 0, 0]), .tooShortForHeaderLength(fileSize: 7))
  }

  func testAbsurdHeaderLength() {
    assertProblem(rawFile("{}", headerLength: 100_000_001), .headerTooLarge(headerLength: 100_000_001, limit: 100_000_000))
    assertProblem(rawFile("{}", headerLength: .max), .headerTooLarge(headerLength: .max, limit: 100_000_000))
  }

  func testHeaderLengthBeyondFile() {
    assertProblem(rawFile("{}", headerLength: 3), .headerBeyondFile(headerLength: 3, fileSize: 10))
    assertProblem(rawFile("", headerLength: 100_000_000), .headerBeyondFile(headerLength: 100_000_000, fileSize: 8))
  }

  func testHeaderNotUTF8() {
    var d = rawFile("{\"a\":{}}")
    d[10] = 0xFF
    assertProblem(d, .headerNotUTF8)
    var overlong = rawFile("{\"ab\":1}")
    overlong[10] = 0xC0  // overlong encoding of '/'
    overlong[11] = 0xAF
    assertProblem(overlong, .headerNotUTF8)
  }

  /// Foundation's `JSONSerialization` parses the header, so the reason text (where parsing
  /// stopped) is Foundation's; the test pins that each of these is refused as not JSON.
  func testHeaderNotJSON() {
    func assertNotJSON(_ header: String, line: UInt = #line) {
      do {
        _ = try SafeTensorsFile.decode(rawFile(header), source: "bad.safetensors")
        XCTFail("expected headerNotJSON", line: line)
      } catch {
        guard case .headerNotJSON(let reason) = error.problem else { return XCTFail("got \(error)", line: line) }
        XCTAssertFalse(reason.isEmpty, line: line)
        XCTAssert(error.description.hasPrefix("bad.safetensors: the header is not valid JSON"), error.description, line: line)
      }
    }
    assertNotJSON("")
    assertNotJSON("{\"a\":")
    assertNotJSON("{} x")
    assertNotJSON("{'a':1}")
    assertNotJSON("[01]")
    assertNotJSON("[\"\\ud800\"]")
    assertNotJSON("[\"a\nb\"]")
    // Foundation tolerates trailing commas; the reader refuses them as RFC 8259 does.
    assertProblem(rawFile("{\"a\":1,}"), .headerNotJSON(reason: "a trailing comma"))
    assertProblem(rawFile("{\"a\":[1, ]}"), .headerNotJSON(reason: "a trailing comma"))
    assertNotJSON("{\"a\":\u{0}1}")
    assertProblem(rawFile("{\"a\u{0}\":{}}"), .headerNotJSON(reason: "a NUL byte"))
    // Deep nesting is refused instead of exhausting the stack.
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    assertNotJSON(deep)
  }

  func testHeaderNotAnObject() {
    assertProblem(rawFile("[1, 2]"), .headerNotObject(found: "an array of 2 values"))
    assertProblem(rawFile("  null  "), .headerNotObject(found: "null"))
  }

  func testDuplicateKeys() {
    let header = "{" + entryJSON("a", [1], 0, 4) + "," + entryJSON("a", [1], 4, 8) + "}"
    assertProblem(rawFile(header, buffer: [UInt8](repeating: 0, count: 8)), .duplicateKey(key: "a", object: "header"))
    assertProblem(rawFile(#"{"__metadata__":{"k":"1","k":"2"}}"#), .duplicateKey(key: "k", object: "__metadata__"))
    assertProblem(rawFile(#"{"a":{"dtype":"F32","dtype":"F32"}}"#), .duplicateKey(key: "dtype", object: "a"))
  }

  func testMetadataNotAnObject() {
    assertProblem(rawFile(#"{"__metadata__":"x"}"#), .metadataNotObject(found: "the string \"x\""))
    assertProblem(rawFile(#"{"__metadata__":null}"#), .metadataNotObject(found: "null"))
  }

  func testMetadataValueNotAString() {
    assertProblem(rawFile(#"{"__metadata__":{"K":3}}"#), .metadataValueNotString(key: "K", found: "the integer 3"))
    assertProblem(rawFile(#"{"__metadata__":{"x":{}}}"#), .metadataValueNotString(key: "x", found: "an object"))
  }

  func testEntryNotAnObject() {
    assertProblem(rawFile(#"{"w":[0,4]}"#), .entryNotObject(tensor: "w", found: "an array of 2 values"))
  }

  func testMissingDType() {
    assertProblem(rawFile(#"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0]),
                  .missingField(tensor: "w", field: "dtype"))
  }

  func testMissingShape() {
    assertProblem(rawFile(#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, buffer: [0, 0, 0, 0]),
                  .missingField(tensor: "w", field: "shape"))
  }

  func testMissingDataOffsets() {
    assertProblem(rawFile(#"{"w":{"dtype":"F32","shape":[1]}}"#, buffer: [0, 0, 0, 0]),
                  .missingField(tensor: "w", field: "data_offsets"))
  }

  func testUnexpectedField() {
    assertProblem(rawFile(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"stride":[1]}}"#),
                  .unexpectedField(tensor: "w", field: "stride"))
  }

  func testMistypedDType() {
    assertProblem(rawFile(#"{"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}"#),
                  .wrongFieldType(tensor: "w", field: "dtype", expected: "a string", found: "the integer 5"))
  }

  func testMistypedShape() {
    let array = "an array of integers"
    assertProblem(rawFile(#"{"w":{"dtype":"F32","shape":"4","data_offsets":[0,4]}}"#),
                  .wrongFieldType(tensor: "w", field: "shape", expected: array, found: "the string \"4\""))
    assertProblem(rawFile(#"{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#),
                  .wrongFieldType(tensor: "w", field: "shape", expected: array,
                                  found: "an array containing the number 1.0 (not an integer that fits in 64 bits)"))
    assertProblem(rawFile(#"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#),
                  .wrongFieldType(tensor: "w", field: "shape", expected: array, found: "an array containing true"))
  }

  func testMistypedDataOffsets() {
    let two = "an array of 2 integers"
    func header(_ offsets: String) -> String { #"{"w":{"dtype":"F32","shape":[1],"data_offsets":"# + offsets + "}}" }
    assertProblem(rawFile(header("4")), .wrongFieldType(tensor: "w", field: "data_offsets", expected: two, found: "the integer 4"))
    assertProblem(rawFile(header("[4]")), .wrongFieldType(tensor: "w", field: "data_offsets", expected: two, found: "an array of 1 values"))
    assertProblem(rawFile(header("[0,4,8]")), .wrongFieldType(tensor: "w", field: "data_offsets", expected: two, found: "an array of 3 values"))
    assertProblem(rawFile(header(#"[0,"4"]"#)), .wrongFieldType(tensor: "w", field: "data_offsets", expected: two,
                                                                found: "an array containing the string \"4\""))
    // Integers beyond 64 bits are not silently wrapped or rounded.
    assertProblem(rawFile(header("[0,18446744073709551620]")),
                  .wrongFieldType(tensor: "w", field: "data_offsets", expected: two,
                                  found: "an array containing the number 18446744073709551620 (not an integer that fits in 64 bits)"))
    // Foundation reads 4e0 as the Double 4.0, which is not an integer literal.
    assertProblem(rawFile(header("[0,4e0]")),
                  .wrongFieldType(tensor: "w", field: "data_offsets", expected: two,
                                  found: "an array containing the number 4.0 (not an integer that fits in 64 bits)"))
  }

  func testUnknownDType() {
    assertProblem(rawFile(#"{"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#), .unknownDType(tensor: "w", dtype: "F31"))
    assertProblem(rawFile(#"{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#), .unknownDType(tensor: "w", dtype: "f32"))
  }

  func testNegativeDimension() {
    assertProblem(rawFile("{" + entryJSON("w", [-1, 2], 0, 8) + "}", buffer: [UInt8](repeating: 0, count: 8)),
                  .negativeDimension(tensor: "w", shape: [-1, 2]))
    assertProblem(rawFile("{" + entryJSON("w", [-2, -2], 0, 16) + "}", buffer: [UInt8](repeating: 0, count: 16)),
                  .negativeDimension(tensor: "w", shape: [-2, -2]))
  }

  func testShapeWhoseByteSizeOverflows() {
    // 2^32 · 2^32 elements overflow the element count; 2^62 F32 elements overflow the byte count.
    assertProblem(rawFile("{" + entryJSON("w", [1 << 32, 1 << 32], 0, 0) + "}"),
                  .sizeOverflow(tensor: "w", shape: [1 << 32, 1 << 32], dtype: .f32))
    assertProblem(rawFile("{" + entryJSON("w", [1 << 62], 0, 0) + "}"), .sizeOverflow(tensor: "w", shape: [1 << 62], dtype: .f32))
  }

  func testNegativeOffsets() {
    assertProblem(rawFile("{" + entryJSON("w", [1], -4, 0) + "}"), .negativeOffset(tensor: "w", begin: -4, end: 0))
  }

  func testBeginAfterEnd() {
    assertProblem(rawFile("{" + entryJSON("w", [1], 8, 4) + "}", buffer: [UInt8](repeating: 0, count: 8)),
                  .beginAfterEnd(tensor: "w", begin: 8, end: 4))
  }

  func testEndBeyondBuffer() {
    assertProblem(rawFile("{" + entryJSON("w", [4], 0, 16) + "}", buffer: [UInt8](repeating: 0, count: 12)),
                  .endBeyondBuffer(tensor: "w", end: 16, bufferSize: 12))
    // Offsets near Int.max: the range checks must not overflow.
    assertProblem(rawFile("{" + entryJSON("w", [1], Int.max - 3, Int.max) + "}"),
                  .endBeyondBuffer(tensor: "w", end: Int.max, bufferSize: 0))
  }

  func testTruncatedFixtureIsRejected() throws {
    let data = try Data(contentsOf: fixtureURL)
    assertProblem(data.prefix(data.count - 4),
                  .endBeyondBuffer(tensor: "pretrain.weight.interest_extractor.transformer.masked_attn_head.v_linear.weight",
                                   end: 20584, bufferSize: 20580))
  }

  func testByteSizeDisagreesWithShape() {
    assertProblem(rawFile("{" + entryJSON("w", [3], 0, 8) + "}", buffer: [UInt8](repeating: 0, count: 8)),
                  .byteSizeMismatch(tensor: "w", dtype: .f32, shape: [3], expectedBytes: 12, actualBytes: 8))
    assertProblem(rawFile("{" + entryJSON("ids", [2], 0, 8, dtype: "I64") + "}", buffer: [UInt8](repeating: 0, count: 8)),
                  .byteSizeMismatch(tensor: "ids", dtype: .i64, shape: [2], expectedBytes: 16, actualBytes: 8))
  }

  func testOverlappingRanges() {
    let header = "{" + entryJSON("a", [2], 0, 8) + "," + entryJSON("b", [2], 4, 12) + "}"
    assertProblem(rawFile(header, buffer: [UInt8](repeating: 0, count: 12)),
                  .overlappingTensors(first: "a", firstRange: 0..<8, second: "b", secondRange: 4..<12))
    // Two tensors claiming the same bytes.
    let same = "{" + entryJSON("a", [1], 0, 4) + "," + entryJSON("b", [1], 0, 4) + "}"
    assertProblem(rawFile(same, buffer: [0, 0, 0, 0]),
                  .overlappingTensors(first: "a", firstRange: 0..<4, second: "b", secondRange: 0..<4))
  }

  /// The buffer must be covered completely (as the reference implementation requires): a
  /// gap between tensors and bytes after the last tensor are both errors.
  func testGapsAndTrailingBytes() {
    let gap = "{" + entryJSON("a", [1], 0, 4) + "," + entryJSON("b", [1], 8, 12) + "}"
    assertProblem(rawFile(gap, buffer: [UInt8](repeating: 0, count: 12)), .uncoveredBytes(range: 4..<8, bufferSize: 12))
    let leading = "{" + entryJSON("a", [1], 4, 8) + "}"
    assertProblem(rawFile(leading, buffer: [UInt8](repeating: 0, count: 8)), .uncoveredBytes(range: 0..<4, bufferSize: 8))
    let trailing = "{" + entryJSON("a", [1], 0, 4) + "}"
    assertProblem(rawFile(trailing, buffer: [UInt8](repeating: 0, count: 9)), .uncoveredBytes(range: 4..<9, bufferSize: 9))
  }

  func testEveryMessageSaysWhatToDo() {
    let problems: [SafeTensorsError.Problem] = [
      .tooShortForHeaderLength(fileSize: 3), .headerTooLarge(headerLength: 1 << 40, limit: 100_000_000),
      .endBeyondBuffer(tensor: "w", end: 16, bufferSize: 12),
      .byteSizeMismatch(tensor: "w", dtype: .f32, shape: [3], expectedBytes: 12, actualBytes: 8),
      .uncoveredBytes(range: 4..<8, bufferSize: 12), .unknownDType(tensor: "w", dtype: "F8_E4M3"),
    ]
    for p in problems {
      let text = SafeTensorsError(source: "m.safetensors", problem: p).description
      XCTAssert(text.hasPrefix("m.safetensors: "), text)
      XCTAssert(text.contains(";"), "a problem, then what to do: \(text)")
    }
    let text = SafeTensorsError(source: "m", problem: .byteSizeMismatch(
      tensor: "w", dtype: .f32, shape: [3], expectedBytes: 12, actualBytes: 8)).description
    XCTAssert(text.contains("'w'") && text.contains("[3]") && text.contains("12") && text.contains("8"), text)
  }

  // MARK: Fuzzing

  /// Every strict prefix of a valid file is rejected, and flipping bits at every byte, or
  /// overwriting random bytes, never crashes: decoding either throws or returns a file that
  /// encodes and decodes again.
  func testTruncatedAndMutatedFilesNeverCrash() throws {
    var file = SafeTensorsFile(metadata: ["K": "3", "note": "fuzz"])
    file.tensors["ids"] = SafeTensor(shape: [2, 2], int64s: [1, 2, 3, 4])
    file.tensors["w"] = SafeTensor(shape: [3], floats: [0.5, -1, 2])
    file.tensors["s"] = SafeTensor(shape: [], floats: [7])
    file.tensors["z"] = SafeTensor(shape: [0, 4], floats: [])
    let valid = [UInt8](try file.encoded())

    for length in 0..<valid.count {
      XCTAssertThrowsError(try SafeTensorsFile.decode(Data(valid[0..<length])), "prefix of \(length) bytes")
    }

    func survives(_ bytes: [UInt8]) {
      if let decoded = try? SafeTensorsFile.decode(Data(bytes)) {
        // Whatever was accepted is internally consistent.
        for (_, t) in decoded.tensors {
          XCTAssertEqual(t.bytes.count, t.shape.reduce(1, *) * t.dtype.byteSize)
        }
        XCTAssertNoThrow(try SafeTensorsFile.decode(try decoded.encoded()))
      }
    }
    var accepted = 0
    for position in 0..<valid.count {
      for mask: UInt8 in [0x01, 0x02, 0x10, 0x80, 0xFF] {
        var bytes = valid
        bytes[position] ^= mask
        survives(bytes)
        if (try? SafeTensorsFile.decode(Data(bytes))) != nil { accepted += 1 }
      }
    }
    XCTAssertGreaterThan(accepted, 0, "flips inside tensor data must still decode")

    var rng = RNG(seed: 2026)
    let digits = Array("0123456789-[],\"{}:.e".utf8)
    for _ in 0..<3000 {
      var bytes = valid
      for _ in 0..<rng.uniformInt(in: 1...4) {
        let i = rng.uniformInt(in: 0...(bytes.count - 1))
        // Half the time insert JSON-ish characters so mutations reach the validators.
        bytes[i] = rng.uniformInt(in: 0...1) == 0
          ? UInt8(truncatingIfNeeded: rng.next()) : digits[rng.uniformInt(in: 0...(digits.count - 1))]
      }
      if rng.uniformInt(in: 0...3) == 0 { bytes.removeLast(rng.uniformInt(in: 0...(bytes.count - 1))) }
      survives(bytes)
    }
    for _ in 0..<500 {  // pure garbage of random lengths with a plausible length field
      var bytes = (0..<rng.uniformInt(in: 0...64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      if bytes.count >= 8 { bytes[1...7] = [0, 0, 0, 0, 0, 0, 0] }
      survives(bytes)
    }
  }

  // MARK: Utilities

  private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("SafeTensorsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }
}
