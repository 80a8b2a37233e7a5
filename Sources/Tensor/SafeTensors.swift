// SafeTensors: reading and writing the safetensors checkpoint format
// (https://github.com/huggingface/safetensors, "Format" section), without using `Tensor`.
//
// Layout of a file:
//
//     [0, 8)          N, the header length: unsigned 64-bit little-endian
//     [8, 8 + N)      the header: UTF-8 JSON object
//                       { "__metadata__": { "key": "value", ... },            (optional)
//                         "<name>": { "dtype": "F32", "shape": [4, 8],
//                                     "data_offsets": [begin, end] }, ... }
//     [8 + N, EOF)    the byte buffer; `begin`/`end` are relative to its start, elements are
//                     little-endian and row-major (C order)
//
// The reader trusts nothing: every number in the header is checked against the file size and
// against the other entries before a byte of the buffer is touched, with overflow-checked
// arithmetic, and each failure is a `SafeTensorsError` naming the problem. The rules (the
// same as the reference Rust implementation unless said otherwise):
//   * header length ≤ 100,000,000 bytes and 8 + N ≤ file size;
//   * the header is valid UTF-8 and strict JSON (RFC 8259), nested at most 64 deep, and an
//     object; a key repeated in one object is an error (JSON leaves this open; we refuse it);
//   * `__metadata__`, if present, is an object whose values are all strings;
//   * every other key is a tensor whose value is an object with exactly the fields `dtype`
//     (a string naming a supported dtype), `shape` (array of integers ≥ 0) and
//     `data_offsets` (array of two integers ≥ 0); unknown fields are refused;
//   * begin ≤ end ≤ buffer size and end − begin = product(shape) × dtype size;
//   * the byte ranges do not overlap and cover the buffer completely: no gaps, no trailing
//     bytes (the format requires this, so a file with unaccounted-for bytes was truncated,
//     appended to, or is lying about its offsets).
//
// The writer is deterministic: `__metadata__` first with keys in byte order, then tensors
// ordered by element size (largest first) and then by name in byte order, which is the order
// the reference writer uses and keeps every tensor aligned to its element size; compact JSON
// padded with spaces to a multiple of 8 bytes. Reading a file we wrote and writing it again
// gives the same bytes.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Element types

/// An element type of the safetensors format, spelled as in the header (`"F32"`, `"I64"`, …).
///
/// Only these types are read; the format's other types (`U16`, `U32`, `U64`, `F8_*`, …) are
/// rejected with ``SafeTensorsError/Problem/unknownDType(tensor:dtype:)``.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Hashable {
  case bool = "BOOL"
  case u8 = "U8"
  case i8 = "I8"
  case i16 = "I16"
  case i32 = "I32"
  case i64 = "I64"
  case f16 = "F16"
  case bf16 = "BF16"
  case f32 = "F32"
  case f64 = "F64"

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .bool, .u8, .i8: return 1
    case .i16, .f16, .bf16: return 2
    case .i32, .f32: return 4
    case .i64, .f64: return 8
    }
  }

  /// True for `F16`, `BF16`, `F32` and `F64`.
  public var isFloatingPoint: Bool {
    switch self {
    case .f16, .bf16, .f32, .f64: return true
    case .bool, .u8, .i8, .i16, .i32, .i64: return false
    }
  }
}

// MARK: - One tensor

/// One tensor of a safetensors file: its element type, shape and raw little-endian bytes.
///
/// The bytes are kept exactly as stored, so any supported dtype round-trips bit for bit.
/// ``floats`` and ``int64s`` convert them to Swift arrays. Every initialiser guarantees
/// `bytes.count == product(shape) × dtype.byteSize` with no negative dimension.
public struct SafeTensor: Equatable, Sendable {
  /// The element type.
  public let dtype: SafeTensorsDType
  /// The extent of each axis; `[]` is a scalar (one element); a 0 anywhere means no elements.
  public let shape: [Int]
  /// The elements, row-major, each `dtype.byteSize` bytes little-endian.
  public let bytes: [UInt8]

  /// The number of elements, `product(shape)` (1 for a scalar).
  public var elementCount: Int { bytes.count / dtype.byteSize }

  /// Wraps raw bytes; `nil` if a dimension is negative, the element count or byte size
  /// overflows `Int`, or `bytes.count != product(shape) × dtype.byteSize`.
  public init?(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
    guard shape.allSatisfy({ $0 >= 0 }),
      let count = checkedProduct(shape),
      case (let size, false) = count.multipliedReportingOverflow(by: dtype.byteSize),
      size == bytes.count
    else { return nil }
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// An `F32` tensor holding `floats` bit for bit (NaN payloads and signed zeros included).
  /// - Precondition: no negative dimension and `floats.count == product(shape)`.
  public init(shape: [Int], floats: [Float]) {
    precondition(shape.allSatisfy { $0 >= 0 } && checkedProduct(shape) == floats.count,
                 "SafeTensor(shape: \(shape), floats:) got \(floats.count) values")
    var bytes = [UInt8]()
    bytes.reserveCapacity(floats.count * 4)
    for x in floats { appendLittleEndian(x.bitPattern, to: &bytes) }
    self.dtype = .f32
    self.shape = shape
    self.bytes = bytes
  }

  /// An `I64` tensor holding `int64s`.
  /// - Precondition: no negative dimension and `int64s.count == product(shape)`.
  public init(shape: [Int], int64s: [Int64]) {
    precondition(shape.allSatisfy { $0 >= 0 } && checkedProduct(shape) == int64s.count,
                 "SafeTensor(shape: \(shape), int64s:) got \(int64s.count) values")
    var bytes = [UInt8]()
    bytes.reserveCapacity(int64s.count * 8)
    for x in int64s { appendLittleEndian(UInt64(bitPattern: x), to: &bytes) }
    self.dtype = .i64
    self.shape = shape
    self.bytes = bytes
  }

  /// The elements as `Float`, or `nil` for an integer or `BOOL` dtype.
  ///
  /// `F32` is exact; `F16` and `BF16` widen exactly; `F64` rounds to nearest `Float`.
  public var floats: [Float]? {
    switch dtype {
    case .f32: return decodeWords(UInt32.self) { Float(bitPattern: $0) }
    case .f64: return decodeWords(UInt64.self) { Float(Double(bitPattern: $0)) }
    case .bf16: return decodeWords(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
    case .f16: return decodeWords(UInt16.self) { floatFromHalf($0) }
    case .bool, .u8, .i8, .i16, .i32, .i64: return nil
    }
  }

  /// The elements as `Int64`, or `nil` for a floating-point dtype. `BOOL` gives 0 or 1
  /// (any non-zero byte counts as 1).
  public var int64s: [Int64]? {
    switch dtype {
    case .i64: return decodeWords(UInt64.self) { Int64(bitPattern: $0) }
    case .i32: return decodeWords(UInt32.self) { Int64(Int32(bitPattern: $0)) }
    case .i16: return decodeWords(UInt16.self) { Int64(Int16(bitPattern: $0)) }
    case .i8: return bytes.map { Int64(Int8(bitPattern: $0)) }
    case .u8: return bytes.map { Int64($0) }
    case .bool: return bytes.map { $0 == 0 ? 0 : 1 }
    case .f16, .bf16, .f32, .f64: return nil
    }
  }

  /// Reads `bytes` as consecutive little-endian words of type `W` and maps each one.
  private func decodeWords<W: FixedWidthInteger, R>(_: W.Type, _ transform: (W) -> R) -> [R] {
    let width = MemoryLayout<W>.size
    let count = bytes.count / width
    return bytes.withUnsafeBytes { raw in
      (0..<count).map { i in
        transform(W(littleEndian: raw.loadUnaligned(fromByteOffset: i * width, as: W.self)))
      }
    }
  }
}

/// IEEE 754 binary16 → binary32 (exact: every half value is a float).
private func floatFromHalf(_ h: UInt16) -> Float {
  let sign = UInt32(h & 0x8000) << 16
  let exponent = Int((h >> 10) & 0x1F)
  let mantissa = UInt32(h & 0x3FF)
  switch exponent {
  case 0:  // zero or subnormal: mantissa × 2^-24
    let magnitude = Float(mantissa) * 0x1p-24
    return sign == 0 ? magnitude : -magnitude
  case 0x1F:  // infinity or NaN (payload kept)
    return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
  default:
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
  }
}

/// The product of `dims`, or `nil` on overflow. `[]` gives 1.
private func checkedProduct(_ dims: [Int]) -> Int? {
  var product = 1
  for d in dims {
    let (p, overflow) = product.multipliedReportingOverflow(by: d)
    if overflow { return nil }
    product = p
  }
  return product
}

private func appendLittleEndian<W: FixedWidthInteger>(_ value: W, to bytes: inout [UInt8]) {
  var v = value.littleEndian
  withUnsafeBytes(of: &v) { bytes.append(contentsOf: $0) }
}

// MARK: - Errors

/// Why a safetensors file could not be read, written or queried.
///
/// `source` says which file (its path, or the label passed to
/// ``SafeTensorsFile/decode(_:source:)``); `problem` says what is wrong, with the values
/// involved, so tests and callers can match on it. `description` renders both as one
/// sentence that ends with what to do.
public struct SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file path or label the problem was found in.
  public let source: String
  /// What is wrong.
  public let problem: Problem

  public init(source: String, problem: Problem) {
    self.source = source
    self.problem = problem
  }

  /// Every way a safetensors file can be rejected. Byte positions in the buffer are relative
  /// to its start (as `data_offsets` are); header offsets are relative to the header's start.
  public enum Problem: Equatable, Sendable {
    /// The file could not be opened or read.
    case unreadable(reason: String)
    /// The file (or its temporary sibling) could not be written or moved into place.
    case unwritable(reason: String)
    /// Fewer than the 8 bytes of the header length.
    case tooShortForHeaderLength(fileSize: Int)
    /// The header length exceeds ``SafeTensorsFile/maxHeaderLength``.
    case headerTooLarge(headerLength: UInt64, limit: Int)
    /// 8 + header length exceeds the file size.
    case headerBeyondFile(headerLength: UInt64, fileSize: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header is not valid JSON; `byteOffset` is where parsing stopped.
    case headerNotJSON(byteOffset: Int, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(found: String)
    /// A key occurs twice in the same JSON object (`object` is `"header"`, `"__metadata__"`
    /// or a tensor name).
    case duplicateKey(key: String, object: String)
    /// `__metadata__` is not an object.
    case metadataNotObject(found: String)
    /// A `__metadata__` value is not a string.
    case metadataValueNotString(key: String, found: String)
    /// A tensor's entry is not an object.
    case entryNotObject(tensor: String, found: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(tensor: String, field: String)
    /// A tensor's entry has a field other than `dtype`, `shape`, `data_offsets`.
    case unexpectedField(tensor: String, field: String)
    /// A field has the wrong JSON type (or a number that is not an integer fitting in `Int`).
    case wrongFieldType(tensor: String, field: String, expected: String, found: String)
    /// `dtype` is not one of ``SafeTensorsDType``.
    case unknownDType(tensor: String, dtype: String)
    /// A dimension of `shape` is negative.
    case negativeDimension(tensor: String, shape: [Int])
    /// product(shape) × dtype size does not fit in `Int`.
    case sizeOverflow(tensor: String, shape: [Int], dtype: SafeTensorsDType)
    /// An entry of `data_offsets` is negative.
    case negativeOffset(tensor: String, begin: Int, end: Int)
    /// `data_offsets` has begin > end.
    case beginAfterEnd(tensor: String, begin: Int, end: Int)
    /// `data_offsets` ends past the end of the buffer (the file is truncated or lying).
    case endBeyondBuffer(tensor: String, end: Int, bufferSize: Int)
    /// end − begin differs from product(shape) × dtype size.
    case byteSizeMismatch(
      tensor: String, dtype: SafeTensorsDType, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(first: String, firstRange: Range<Int>, second: String, secondRange: Range<Int>)
    /// Bytes of the buffer that no tensor covers (a gap, or trailing bytes at the end).
    case uncoveredBytes(range: Range<Int>, bufferSize: Int)
    /// Writing: a tensor may not be named `__metadata__`.
    case reservedTensorName(String)
    /// Lookup: no tensor has this name; `similar` lists up to 5 names sharing its prefix.
    case missingTensor(name: String, similar: [String])
    /// Lookup: the tensor exists but holds the wrong kind of element.
    case dtypeMismatch(tensor: String, expected: String, found: SafeTensorsDType)
  }

  /// One sentence naming the file, the problem and the values involved, then what to do.
  public var description: String {
    let corrupt = "the file is corrupt or was not written by a safetensors writer; re-export it"
    let text: String
    switch problem {
    case .unreadable(let reason):
      text = "cannot read the file (\(reason)); check the path and permissions"
    case .unwritable(let reason):
      text = "cannot write the file (\(reason)); check that the folder exists, is writable and has space"
    case .tooShortForHeaderLength(let size):
      text = "the file has \(size) bytes, fewer than the 8-byte header length; it is truncated or not a safetensors file"
    case .headerTooLarge(let length, let limit):
      text = "the header length field says \(length) bytes, more than the limit of \(limit); this is not a safetensors file or its first 8 bytes are damaged"
    case .headerBeyondFile(let length, let size):
      text = "the header length field says \(length) bytes but the file has only \(size) bytes (8 + \(length) needed); the file is truncated"
    case .headerNotUTF8:
      text = "the JSON header is not valid UTF-8; \(corrupt)"
    case .headerNotJSON(let offset, let reason):
      text = "the header is not valid JSON at header byte \(offset): \(reason); \(corrupt)"
    case .headerNotObject(let found):
      text = "the JSON header is \(found), expected an object of tensors; \(corrupt)"
    case .duplicateKey(let key, let object):
      text = "key '\(key)' appears twice in \(object == "header" ? "the header" : "'\(object)'"); \(corrupt)"
    case .metadataNotObject(let found):
      text = "'__metadata__' is \(found), expected an object of strings; \(corrupt)"
    case .metadataValueNotString(let key, let found):
      text = "'__metadata__' value for '\(key)' is \(found), expected a string; metadata values must be strings (write numbers as \"0.5\")"
    case .entryNotObject(let tensor, let found):
      text = "tensor '\(tensor)' is described by \(found), expected an object with dtype, shape and data_offsets; \(corrupt)"
    case .missingField(let tensor, let field):
      text = "tensor '\(tensor)' has no '\(field)' field; \(corrupt)"
    case .unexpectedField(let tensor, let field):
      text = "tensor '\(tensor)' has an unknown field '\(field)' (only dtype, shape, data_offsets are allowed); \(corrupt)"
    case .wrongFieldType(let tensor, let field, let expected, let found):
      text = "tensor '\(tensor)' field '\(field)' is \(found), expected \(expected); \(corrupt)"
    case .unknownDType(let tensor, let dtype):
      let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
      text = "tensor '\(tensor)' has dtype '\(dtype)', which this reader does not support (supported: \(known)); convert the tensor to F32 or I64 when exporting"
    case .negativeDimension(let tensor, let shape):
      text = "tensor '\(tensor)' has shape \(shape) with a negative dimension; \(corrupt)"
    case .sizeOverflow(let tensor, let shape, let dtype):
      text = "tensor '\(tensor)' has shape \(shape) of \(dtype.rawValue), whose byte size overflows a 64-bit integer; \(corrupt)"
    case .negativeOffset(let tensor, let begin, let end):
      text = "tensor '\(tensor)' has data_offsets [\(begin), \(end)] with a negative offset; \(corrupt)"
    case .beginAfterEnd(let tensor, let begin, let end):
      text = "tensor '\(tensor)' has data_offsets [\(begin), \(end)]: begin is after end; \(corrupt)"
    case .endBeyondBuffer(let tensor, let end, let size):
      text = "tensor '\(tensor)' ends at buffer byte \(end) but the buffer has only \(size) bytes; the file is truncated (copy it again)"
    case .byteSizeMismatch(let tensor, let dtype, let shape, let expected, let actual):
      text = "tensor '\(tensor)' of shape \(shape) and dtype \(dtype.rawValue) needs \(expected) bytes but its data_offsets span \(actual); \(corrupt)"
    case .overlappingTensors(let first, let r1, let second, let r2):
      text = "tensors '\(first)' (bytes \(r1.lowerBound)..<\(r1.upperBound)) and '\(second)' (bytes \(r2.lowerBound)..<\(r2.upperBound)) overlap; \(corrupt)"
    case .uncoveredBytes(let range, let size):
      text = "buffer bytes \(range.lowerBound)..<\(range.upperBound) (of \(size)) belong to no tensor; the format requires the buffer to be fully covered, so the file was truncated, appended to, or lies about its offsets"
    case .reservedTensorName(let name):
      text = "a tensor may not be named '\(name)' (reserved for metadata); rename it"
    case .missingTensor(let name, let similar):
      let hint = similar.isEmpty ? "check the name and the checkpoint's model" : "similar names: \(similar.joined(separator: ", "))"
      text = "no tensor named '\(name)'; \(hint)"
    case .dtypeMismatch(let tensor, let expected, let found):
      text = "tensor '\(tensor)' holds \(found.rawValue), expected \(expected); check that the checkpoint matches this model"
    }
    return "\(source): \(text)"
  }
}

// MARK: - A whole file

/// The contents of a safetensors file: named tensors plus string metadata.
///
/// ```swift
/// var file = SafeTensorsFile()
/// file.tensors["w"] = SafeTensor(shape: [2, 2], floats: [1, 2, 3, 4])
/// file.metadata["format"] = "1"
/// try file.write(to: url)
/// let back = try SafeTensorsFile.read(url: url)
/// ```
public struct SafeTensorsFile: Equatable, Sendable {
  /// The tensors, by name. The name `__metadata__` is reserved.
  public var tensors: [String: SafeTensor]
  /// The `__metadata__` string pairs (empty if the file has none; none is written if empty).
  public var metadata: [String: String]

  /// The largest header length the reader accepts, in bytes (the reference reader's limit).
  public static let maxHeaderLength = 100_000_000

  public init(tensors: [String: SafeTensor] = [:], metadata: [String: String] = [:]) {
    self.tensors = tensors
    self.metadata = metadata
  }

  // MARK: Reading

  /// Reads and validates the file at `url`.
  /// - Throws: ``SafeTensorsError`` with `source` = the path: `.unreadable` if the file cannot
  ///   be read, otherwise every error of ``decode(_:source:)``.
  public static func read(url: URL) throws(SafeTensorsError) -> SafeTensorsFile {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
      throw SafeTensorsError(source: url.path, problem: .unreadable(reason: error.localizedDescription))
    }
    return try decode(data, source: url.path)
  }

  /// Parses and validates the bytes of a safetensors file.
  ///
  /// Checks, in order: the 8-byte length, the header length against
  /// ``maxHeaderLength`` and the file size, UTF-8, JSON syntax, the header's shape (object,
  /// metadata, each tensor's fields and types), each tensor's offsets against the buffer size
  /// and its shape × dtype, then that the ranges neither overlap nor leave bytes uncovered.
  /// Tensor entries are checked in header order and the first failure is thrown.
  /// - Parameters:
  ///   - data: the whole file.
  ///   - source: a label for error messages, usually the path.
  /// - Throws: ``SafeTensorsError`` naming the first problem found (see
  ///   ``SafeTensorsError/Problem``); never reads outside `data`.
  public static func decode(_ data: Data, source: String = "<memory>") throws(SafeTensorsError) -> SafeTensorsFile {
    let file = [UInt8](data)
    func fail(_ problem: SafeTensorsError.Problem) -> SafeTensorsError {
      SafeTensorsError(source: source, problem: problem)
    }

    guard file.count >= 8 else { throw fail(.tooShortForHeaderLength(fileSize: file.count)) }
    var headerLength64: UInt64 = 0
    for i in (0..<8).reversed() { headerLength64 = headerLength64 << 8 | UInt64(file[i]) }
    guard headerLength64 <= UInt64(maxHeaderLength) else {
      throw fail(.headerTooLarge(headerLength: headerLength64, limit: maxHeaderLength))
    }
    let headerLength = Int(headerLength64)  // ≤ 1e8, and 8 + it cannot overflow
    guard 8 + headerLength <= file.count else {
      throw fail(.headerBeyondFile(headerLength: headerLength64, fileSize: file.count))
    }
    let header = file[8..<(8 + headerLength)]
    guard isValidUTF8(header) else { throw fail(.headerNotUTF8) }

    var parser = JSONParser(bytes: Array(header))
    let root: JSONValue
    do {
      root = try parser.parseDocument()
    } catch let error as JSONParser.ParseError {
      throw fail(.headerNotJSON(byteOffset: error.offset, reason: error.reason))
    } catch let error as JSONParser.DuplicateKey {
      throw fail(.duplicateKey(key: error.key, object: error.object ?? "header"))
    } catch {
      throw fail(.headerNotJSON(byteOffset: 0, reason: "\(error)"))
    }
    guard case .object(let entries) = root else { throw fail(.headerNotObject(found: root.summary)) }

    let bufferStart = 8 + headerLength
    let bufferSize = file.count - bufferStart
    var metadata: [String: String] = [:]
    var layout: [(name: String, dtype: SafeTensorsDType, shape: [Int], range: Range<Int>)] = []
    layout.reserveCapacity(entries.count)

    for (name, value) in entries {
      if name == "__metadata__" {
        guard case .object(let pairs) = value else { throw fail(.metadataNotObject(found: value.summary)) }
        for (key, v) in pairs {
          guard case .string(let s) = v else {
            throw fail(.metadataValueNotString(key: key, found: v.summary))
          }
          metadata[key] = s
        }
        continue
      }
      let entry = try parseEntry(name: name, value: value, bufferSize: bufferSize, fail: fail)
      layout.append(entry)
    }

    // Coverage: sorted by (begin, end), each range must start exactly where the previous
    // one ended (earlier = overlap, later = gap), and the last must end at the buffer's end.
    let ordered = layout.sorted {
      ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
    }
    // Since an overlap stops the loop, `cursor` is always the largest end seen so far.
    var cursor = 0
    var previous: (name: String, range: Range<Int>)? = nil
    for item in ordered {
      if item.range.lowerBound < cursor, let previous {
        throw fail(.overlappingTensors(first: previous.name, firstRange: previous.range,
                                       second: item.name, secondRange: item.range))
      }
      if item.range.lowerBound > cursor {
        throw fail(.uncoveredBytes(range: cursor..<item.range.lowerBound, bufferSize: bufferSize))
      }
      cursor = item.range.upperBound
      previous = (item.name, item.range)
    }
    if cursor < bufferSize {
      throw fail(.uncoveredBytes(range: cursor..<bufferSize, bufferSize: bufferSize))
    }

    var tensors: [String: SafeTensor] = [:]
    tensors.reserveCapacity(layout.count)
    for item in layout {
      let slice = file[(bufferStart + item.range.lowerBound)..<(bufferStart + item.range.upperBound)]
      // Cannot fail: parseEntry checked the byte size against shape × dtype.
      guard let tensor = SafeTensor(dtype: item.dtype, shape: item.shape, bytes: Array(slice)) else {
        throw fail(.byteSizeMismatch(tensor: item.name, dtype: item.dtype, shape: item.shape,
                                     expectedBytes: -1, actualBytes: item.range.count))
      }
      tensors[item.name] = tensor
    }
    return SafeTensorsFile(tensors: tensors, metadata: metadata)
  }

  /// Validates one tensor entry of the header and returns its layout.
  private static func parseEntry(
    name: String, value: JSONValue, bufferSize: Int,
    fail: (SafeTensorsError.Problem) -> SafeTensorsError
  ) throws(SafeTensorsError) -> (name: String, dtype: SafeTensorsDType, shape: [Int], range: Range<Int>) {
    guard case .object(let fields) = value else { throw fail(.entryNotObject(tensor: name, found: value.summary)) }
    var dtypeValue: JSONValue?
    var shapeValue: JSONValue?
    var offsetsValue: JSONValue?
    for (field, v) in fields {
      switch field {
      case "dtype": dtypeValue = v
      case "shape": shapeValue = v
      case "data_offsets": offsetsValue = v
      default: throw fail(.unexpectedField(tensor: name, field: field))
      }
    }
    guard let dtypeValue else { throw fail(.missingField(tensor: name, field: "dtype")) }
    guard let shapeValue else { throw fail(.missingField(tensor: name, field: "shape")) }
    guard let offsetsValue else { throw fail(.missingField(tensor: name, field: "data_offsets")) }

    guard case .string(let dtypeName) = dtypeValue else {
      throw fail(.wrongFieldType(tensor: name, field: "dtype", expected: "a string", found: dtypeValue.summary))
    }
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
      throw fail(.unknownDType(tensor: name, dtype: dtypeName))
    }

    guard case .array(let dims) = shapeValue else {
      throw fail(.wrongFieldType(tensor: name, field: "shape", expected: "an array of integers", found: shapeValue.summary))
    }
    var shape: [Int] = []
    shape.reserveCapacity(dims.count)
    for d in dims {
      guard case .integer(let n) = d else {
        throw fail(.wrongFieldType(tensor: name, field: "shape", expected: "an array of integers",
                                   found: "an array containing \(d.summary)"))
      }
      shape.append(n)
    }
    guard shape.allSatisfy({ $0 >= 0 }) else { throw fail(.negativeDimension(tensor: name, shape: shape)) }
    guard let count = checkedProduct(shape),
      case (let expectedBytes, false) = count.multipliedReportingOverflow(by: dtype.byteSize)
    else { throw fail(.sizeOverflow(tensor: name, shape: shape, dtype: dtype)) }

    let twoIntegers = "an array of 2 integers"
    guard case .array(let offsets) = offsetsValue else {
      throw fail(.wrongFieldType(tensor: name, field: "data_offsets", expected: twoIntegers, found: offsetsValue.summary))
    }
    guard offsets.count == 2 else {
      throw fail(.wrongFieldType(tensor: name, field: "data_offsets", expected: twoIntegers,
                                 found: "an array of \(offsets.count) values"))
    }
    guard case .integer(let begin) = offsets[0], case .integer(let end) = offsets[1] else {
      let bad = offsets.first { if case .integer = $0 { return false } else { return true } }
      throw fail(.wrongFieldType(tensor: name, field: "data_offsets", expected: twoIntegers,
                                 found: "an array containing \(bad?.summary ?? "?")"))
    }
    guard begin >= 0, end >= 0 else { throw fail(.negativeOffset(tensor: name, begin: begin, end: end)) }
    guard begin <= end else { throw fail(.beginAfterEnd(tensor: name, begin: begin, end: end)) }
    guard end <= bufferSize else { throw fail(.endBeyondBuffer(tensor: name, end: end, bufferSize: bufferSize)) }
    guard end - begin == expectedBytes else {
      throw fail(.byteSizeMismatch(tensor: name, dtype: dtype, shape: shape,
                                   expectedBytes: expectedBytes, actualBytes: end - begin))
    }
    return (name, dtype, shape, begin..<end)
  }

  // MARK: Writing

  /// The file's bytes: deterministic, so equal contents always give equal bytes.
  ///
  /// `__metadata__` comes first (omitted when empty) with keys in UTF-8 byte order; tensors
  /// follow ordered by element size, largest first, then by name in UTF-8 byte order, packed
  /// back to back; the compact JSON header is padded with spaces to a multiple of 8 bytes.
  /// - Throws: ``SafeTensorsError`` `.reservedTensorName` if a tensor is named `__metadata__`.
  public func encoded() throws(SafeTensorsError) -> Data {
    if tensors["__metadata__"] != nil {
      throw SafeTensorsError(source: "<encoding>", problem: .reservedTensorName("__metadata__"))
    }
    let ordered = tensors.sorted { a, b in
      let sa = a.value.dtype.byteSize, sb = b.value.dtype.byteSize
      if sa != sb { return sa > sb }
      return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }
    var items: [String] = []
    if !metadata.isEmpty {
      let pairs = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
      let fields = pairs.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
      items.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
    }
    var offset = 0
    for (name, t) in ordered {
      let end = offset + t.bytes.count
      let shape = t.shape.map(String.init).joined(separator: ",")
      items.append("\(jsonString(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
      offset = end
    }
    var headerBytes = Array(("{" + items.joined(separator: ",") + "}").utf8)
    let padding = (8 - headerBytes.count % 8) % 8
    headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))

    var out = [UInt8]()
    out.reserveCapacity(8 + headerBytes.count + offset)
    appendLittleEndian(UInt64(headerBytes.count), to: &out)
    out.append(contentsOf: headerBytes)
    for (_, t) in ordered { out.append(contentsOf: t.bytes) }
    return Data(out)
  }

  /// Writes ``encoded()`` to `url` atomically: the bytes go to a temporary file in the same
  /// folder, are flushed to disk, and the temporary file is then renamed over `url`, so a
  /// crash leaves either the old file or the new one, never half of one.
  /// - Throws: ``SafeTensorsError`` with `source` = the path: `.unwritable` if the temporary
  ///   file cannot be written or renamed (it is removed), `.reservedTensorName` as in
  ///   ``encoded()``.
  public func write(to url: URL) throws(SafeTensorsError) {
    let data: Data
    do {
      data = try encoded()
    } catch {
      throw SafeTensorsError(source: url.path, problem: error.problem)
    }
    let temporary = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    do {
      try data.write(to: temporary)
      let handle = try FileHandle(forWritingTo: temporary)
      try handle.synchronize()
      try handle.close()
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw SafeTensorsError(source: url.path, problem: .unwritable(reason: error.localizedDescription))
    }
    if rename(temporary.path, url.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw SafeTensorsError(source: url.path, problem: .unwritable(reason: "rename failed: \(reason)"))
    }
  }

  // MARK: Lookup

  /// The tensor named `name`.
  /// - Throws: ``SafeTensorsError`` `.missingTensor` (with similar names) if there is none.
  public func tensor(named name: String, source: String = "<checkpoint>") throws(SafeTensorsError) -> SafeTensor {
    if let t = tensors[name] { return t }
    // Suggest names sharing the longest dotted prefix with the one asked for.
    var prefix = name
    var similar: [String] = []
    while similar.isEmpty, !prefix.isEmpty {
      if let dot = prefix.lastIndex(of: ".") { prefix = String(prefix[..<dot]) } else { prefix = "" }
      similar = tensors.keys.filter { prefix.isEmpty ? false : $0.hasPrefix(prefix + ".") }
    }
    similar = Array(similar.sorted().prefix(5))
    throw SafeTensorsError(source: source, problem: .missingTensor(name: name, similar: similar))
  }

  /// The elements of the floating-point tensor `name` as `Float` (see ``SafeTensor/floats``).
  /// - Throws: `.missingTensor`, or `.dtypeMismatch` if it holds integers.
  public func floats(named name: String, source: String = "<checkpoint>") throws(SafeTensorsError) -> [Float] {
    let t = try tensor(named: name, source: source)
    guard let values = t.floats else {
      throw SafeTensorsError(source: source, problem: .dtypeMismatch(tensor: name, expected: "floating point", found: t.dtype))
    }
    return values
  }

  /// The elements of the integer tensor `name` as `Int64` (see ``SafeTensor/int64s``).
  /// - Throws: `.missingTensor`, or `.dtypeMismatch` if it holds floating-point values.
  public func int64s(named name: String, source: String = "<checkpoint>") throws(SafeTensorsError) -> [Int64] {
    let t = try tensor(named: name, source: source)
    guard let values = t.int64s else {
      throw SafeTensorsError(source: source, problem: .dtypeMismatch(tensor: name, expected: "integer", found: t.dtype))
    }
    return values
  }
}

// MARK: - JSON

/// `s` as a JSON string literal: quotes, backslashes and control characters escaped,
/// everything else (including non-ASCII) as raw UTF-8.
private func jsonString(_ s: String) -> String {
  var out = "\""
  for scalar in s.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case _ where scalar.value < 0x20:
      let hex = String(scalar.value, radix: 16)
      out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out + "\""
}

/// Strict UTF-8 validation (rejects overlong forms, surrogates and values above U+10FFFF).
private func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
  var iterator = bytes.makeIterator()
  var decoder = UTF8()
  while true {
    switch decoder.decode(&iterator) {
    case .scalarValue: continue
    case .emptyInput: return true
    case .error: return false
    }
  }
}

/// A parsed JSON value. Objects keep their key order; integers that fit in `Int` are kept
/// exactly, other numbers as their text.
enum JSONValue {
  case object([(key: String, value: JSONValue)])
  case array([JSONValue])
  case string(String)
  case integer(Int)
  case number(String)
  case bool(Bool)
  case null

  /// A short description for error messages, e.g. `a string "F32"` or `the number 1.5`.
  var summary: String {
    switch self {
    case .object: return "an object"
    case .array(let a): return "an array of \(a.count) values"
    case .string(let s): return "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
    case .integer(let n): return "the integer \(n)"
    case .number(let text): return "the number \(text.count > 40 ? String(text.prefix(40)) + "…" : text) (not an integer that fits in 64 bits)"
    case .bool(let b): return "\(b)"
    case .null: return "null"
    }
  }
}

/// A strict RFC 8259 JSON parser over bytes, with a nesting limit so hostile input cannot
/// exhaust the stack, and duplicate-key detection.
struct JSONParser {
  struct ParseError: Error {
    let offset: Int
    let reason: String
  }
  struct DuplicateKey: Error {
    let key: String
    /// The key of the object that holds the duplicate, `nil` for the top level.
    let object: String?
  }

  static let maxDepth = 64
  let bytes: [UInt8]
  var index = 0

  init(bytes: [UInt8]) { self.bytes = bytes }

  /// Parses one value surrounded by optional whitespace.
  mutating func parseDocument() throws -> JSONValue {
    skipWhitespace()
    let value = try parseValue(depth: 0, key: nil)
    skipWhitespace()
    guard index == bytes.count else { throw ParseError(offset: index, reason: "unexpected characters after the JSON value") }
    return value
  }

  private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

  private mutating func skipWhitespace() {
    while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { index += 1 }
  }

  private func error(_ reason: String) -> ParseError { ParseError(offset: index, reason: reason) }

  private mutating func expect(_ c: UInt8) throws {
    guard current == c else {
      throw error(current == nil ? "unexpected end, expected '\(Character(UnicodeScalar(c)))'"
                                 : "expected '\(Character(UnicodeScalar(c)))'")
    }
    index += 1
  }

  private mutating func parseValue(depth: Int, key: String?) throws -> JSONValue {
    guard let c = current else { throw error("unexpected end of header, expected a value") }
    switch c {
    case UInt8(ascii: "{"):
      guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
      return try parseObject(depth: depth + 1, key: key)
    case UInt8(ascii: "["):
      guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
      return try parseArray(depth: depth + 1, key: key)
    case UInt8(ascii: "\""):
      return .string(try parseString())
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      return try parseNumber()
    case UInt8(ascii: "t"):
      try parseLiteral("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try parseLiteral("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try parseLiteral("null")
      return .null
    default:
      throw error("unexpected character '\(Character(UnicodeScalar(c)))'")
    }
  }

  private mutating func parseLiteral(_ word: String) throws {
    for b in word.utf8 {
      guard current == b else { throw error("invalid literal, expected '\(word)'") }
      index += 1
    }
  }

  private mutating func parseObject(depth: Int, key: String?) throws -> JSONValue {
    try expect(UInt8(ascii: "{"))
    var pairs: [(key: String, value: JSONValue)] = []
    var seen = Set<String>()
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      index += 1
      return .object(pairs)
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let k = try parseString()
      guard seen.insert(k).inserted else { throw DuplicateKey(key: k, object: key) }
      skipWhitespace()
      try expect(UInt8(ascii: ":"))
      skipWhitespace()
      pairs.append((k, try parseValue(depth: depth, key: k)))
      skipWhitespace()
      if current == UInt8(ascii: ",") {
        index += 1
        continue
      }
      try expect(UInt8(ascii: "}"))
      return .object(pairs)
    }
  }

  private mutating func parseArray(depth: Int, key: String?) throws -> JSONValue {
    try expect(UInt8(ascii: "["))
    var values: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      index += 1
      return .array(values)
    }
    while true {
      skipWhitespace()
      values.append(try parseValue(depth: depth, key: key))
      skipWhitespace()
      if current == UInt8(ascii: ",") {
        index += 1
        continue
      }
      try expect(UInt8(ascii: "]"))
      return .array(values)
    }
  }

  /// Parses a string literal; the input was already checked to be valid UTF-8.
  private mutating func parseString() throws -> String {
    try expect(UInt8(ascii: "\""))
    var out: [UInt8] = []
    while true {
      guard let c = current else { throw error("unterminated string") }
      index += 1
      switch c {
      case UInt8(ascii: "\""):
        return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"):
        guard let e = current else { throw error("unterminated escape") }
        index += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var code = try parseHex4()
          if (0xD800...0xDBFF).contains(code) {
            guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
              throw error("unpaired high surrogate in \\u escape")
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid low surrogate in \\u escape") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          } else if (0xDC00...0xDFFF).contains(code) {
            throw error("unpaired low surrogate in \\u escape")
          }
          guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
          out.append(contentsOf: Array(String(Character(scalar)).utf8))
        default:
          throw error("invalid escape '\\\(Character(UnicodeScalar(e)))'")
        }
      case 0x00..<0x20:
        throw ParseError(offset: index - 1, reason: "control character in string")
      default:
        out.append(c)
      }
    }
  }

  private mutating func parseHex4() throws -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let c = current else { throw error("unterminated \\u escape") }
      let digit: UInt32
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
      default: throw error("invalid hex digit in \\u escape")
      }
      value = value << 4 | digit
      index += 1
    }
    return value
  }

  /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`; an integer literal that fits in `Int`
  /// becomes `.integer`, anything else `.number(text)`.
  private mutating func parseNumber() throws -> JSONValue {
    let start = index
    func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
    let negative = current == UInt8(ascii: "-")
    if negative { index += 1 }
    guard isDigit(current) else { throw error("expected a digit") }
    var magnitude = 0
    var fits = true
    if current == UInt8(ascii: "0") {
      index += 1
      if isDigit(current) { throw error("leading zero in number") }
    } else {
      while let c = current, isDigit(c) {
        let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
        let (s, o2) = m.addingReportingOverflow(Int(c - 0x30))
        if o1 || o2 { fits = false } else { magnitude = s }
        index += 1
      }
    }
    var isInteger = true
    if current == UInt8(ascii: ".") {
      isInteger = false
      index += 1
      guard isDigit(current) else { throw error("expected a digit after '.'") }
      while isDigit(current) { index += 1 }
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      isInteger = false
      index += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
      guard isDigit(current) else { throw error("expected a digit in exponent") }
      while isDigit(current) { index += 1 }
    }
    if isInteger && fits { return .integer(negative ? -magnitude : magnitude) }
    return .number(String(decoding: bytes[start..<index], as: UTF8.self))
  }
}
