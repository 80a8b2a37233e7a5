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
// Sized to what this project uses: it reads F32 and I64 (the model, the optimizer state and
// the reference fixture) and F16, BF16 and F64 (imported weights, converted to Float); it
// writes whatever a `SafeTensor` holds, in practice F32 (and I64 in tests). Other dtypes of
// the format (BOOL, U8, I8, I16, I32, U16, …) are refused as unknown.
//
// The reader trusts nothing: every number in the header is checked against the file size and
// against the other entries before a byte of the buffer is touched, with overflow-checked
// arithmetic, and each failure is a `SafeTensorsError` naming the problem. The rules (the
// same as the reference Rust implementation unless said otherwise):
//   * header length ≤ 100,000,000 bytes and 8 + N ≤ file size;
//   * the header is valid UTF-8 without NUL bytes and strict JSON (RFC 8259), parsed by
//     Foundation's `JSONSerialization` (which also bounds the nesting depth), and an object;
//     a key repeated in one object is an error (JSON leaves this open; Foundation silently
//     keeps the last one, so a small scan over the accepted header finds repeats, and the
//     trailing commas Foundation tolerates);
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
/// Only these types are read: `F32` and `I64` (what this project writes) and `F16`, `BF16`,
/// `F64` (imported weights, converted to `Float`). The format's other types (`BOOL`, `U8`,
/// `I32`, `F8_*`, …) are rejected with ``SafeTensorsError/Problem/unknownDType(tensor:dtype:)``.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Hashable {
  case i64 = "I64"
  case f16 = "F16"
  case bf16 = "BF16"
  case f32 = "F32"
  case f64 = "F64"

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .f16, .bf16: return 2
    case .f32: return 4
    case .i64, .f64: return 8
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

  /// The elements as `Float`, or `nil` for `I64`.
  ///
  /// `F32` is exact; `F16` and `BF16` widen exactly; `F64` rounds to nearest `Float`.
  public var floats: [Float]? {
    switch dtype {
    case .f32: return decodeWords(UInt32.self) { Float(bitPattern: $0) }
    case .f64: return decodeWords(UInt64.self) { Float(Double(bitPattern: $0)) }
    case .bf16: return decodeWords(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
    case .f16: return decodeWords(UInt16.self) { floatFromHalf($0) }
    case .i64: return nil
    }
  }

  /// The elements as `Int64`, or `nil` for a floating-point dtype.
  public var int64s: [Int64]? {
    dtype == .i64 ? decodeWords(UInt64.self) { Int64(bitPattern: $0) } : nil
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
    /// The header is not valid JSON (or holds a NUL byte); `reason` is Foundation's
    /// description of where parsing stopped.
    case headerNotJSON(reason: String)
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
    case .headerNotJSON(let reason):
      text = "the header is not valid JSON (\(reason)); \(corrupt)"
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
  /// Foundation's `JSONSerialization` parses the header; the checks are explicit here.
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
    let header = Array(file[8..<(8 + headerLength)])
    guard isValidUTF8(header) else { throw fail(.headerNotUTF8) }
    // NUL is never valid in JSON text; refusing it also keeps Foundation from guessing UTF-16.
    guard !header.contains(0) else { throw fail(.headerNotJSON(reason: "a NUL byte")) }
    let root: Any
    do {
      root = try JSONSerialization.jsonObject(with: Data(header), options: .fragmentsAllowed)
    } catch {
      let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
      throw fail(.headerNotJSON(reason: reason ?? "\(error)"))
    }
    let keys = HeaderKeys(header)
    if keys.trailingComma { throw fail(.headerNotJSON(reason: "a trailing comma")) }
    if case let (key, object)? = keys.duplicate { throw fail(.duplicateKey(key: key, object: object)) }
    guard let entries = root as? [String: Any] else { throw fail(.headerNotObject(found: summary(root))) }

    let bufferStart = 8 + headerLength
    let bufferSize = file.count - bufferStart
    var metadata: [String: String] = [:]
    var layout: [(name: String, dtype: SafeTensorsDType, shape: [Int], range: Range<Int>)] = []
    layout.reserveCapacity(entries.count)

    // Header order (the scan's), unless the scan and Foundation disagree on the keys.
    let known = keys.topLevel.count == entries.count && keys.topLevel.allSatisfy { entries[$0] != nil }
    for name in known ? keys.topLevel : entries.keys.sorted() {
      let value = entries[name]!
      if name == "__metadata__" {
        guard let pairs = value as? [String: Any] else { throw fail(.metadataNotObject(found: summary(value))) }
        for key in pairs.keys.sorted() {
          guard let s = pairs[key] as? String, !(pairs[key] is NSNumber) else {
            throw fail(.metadataValueNotString(key: key, found: summary(pairs[key]!)))
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
    name: String, value: Any, bufferSize: Int,
    fail: (SafeTensorsError.Problem) -> SafeTensorsError
  ) throws(SafeTensorsError) -> (name: String, dtype: SafeTensorsDType, shape: [Int], range: Range<Int>) {
    guard let fields = value as? [String: Any] else { throw fail(.entryNotObject(tensor: name, found: summary(value))) }
    if let field = fields.keys.sorted().first(where: { !["dtype", "shape", "data_offsets"].contains($0) }) {
      throw fail(.unexpectedField(tensor: name, field: field))
    }
    guard let dtypeValue = fields["dtype"] else { throw fail(.missingField(tensor: name, field: "dtype")) }
    guard let shapeValue = fields["shape"] else { throw fail(.missingField(tensor: name, field: "shape")) }
    guard let offsetsValue = fields["data_offsets"] else { throw fail(.missingField(tensor: name, field: "data_offsets")) }

    guard !(dtypeValue is NSNumber), let dtypeName = dtypeValue as? String else {
      throw fail(.wrongFieldType(tensor: name, field: "dtype", expected: "a string", found: summary(dtypeValue)))
    }
    guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
      throw fail(.unknownDType(tensor: name, dtype: dtypeName))
    }

    guard let dims = shapeValue as? [Any] else {
      throw fail(.wrongFieldType(tensor: name, field: "shape", expected: "an array of integers", found: summary(shapeValue)))
    }
    var shape: [Int] = []
    shape.reserveCapacity(dims.count)
    for d in dims {
      guard let n = integer(d) else {
        throw fail(.wrongFieldType(tensor: name, field: "shape", expected: "an array of integers",
                                   found: "an array containing \(summary(d))"))
      }
      shape.append(n)
    }
    guard shape.allSatisfy({ $0 >= 0 }) else { throw fail(.negativeDimension(tensor: name, shape: shape)) }
    guard let count = checkedProduct(shape),
      case (let expectedBytes, false) = count.multipliedReportingOverflow(by: dtype.byteSize)
    else { throw fail(.sizeOverflow(tensor: name, shape: shape, dtype: dtype)) }

    let twoIntegers = "an array of 2 integers"
    guard let offsets = offsetsValue as? [Any] else {
      throw fail(.wrongFieldType(tensor: name, field: "data_offsets", expected: twoIntegers, found: summary(offsetsValue)))
    }
    guard offsets.count == 2 else {
      throw fail(.wrongFieldType(tensor: name, field: "data_offsets", expected: twoIntegers,
                                 found: "an array of \(offsets.count) values"))
    }
    guard let begin = integer(offsets[0]), let end = integer(offsets[1]) else {
      let bad = offsets.first { integer($0) == nil }
      throw fail(.wrongFieldType(tensor: name, field: "data_offsets", expected: twoIntegers,
                                 found: "an array containing \(bad.map(summary) ?? "?")"))
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

  /// Writes ``encoded()`` to `url` with ``AtomicWrite/writeFile(_:to:)``: a crash or a
  /// concurrent reader sees either the old file or the new one, never half of one.
  /// - Throws: ``SafeTensorsError`` with `source` = the path: `.unwritable` (with the
  ///   ``AtomicWriteError``'s text) if the file cannot be written, `.reservedTensorName` as
  ///   in ``encoded()``.
  public func write(to url: URL) throws(SafeTensorsError) {
    do {
      try AtomicWrite.writeFile(try encoded(), to: url.path)
    } catch let error as SafeTensorsError {
      throw SafeTensorsError(source: url.path, problem: error.problem)
    } catch {
      throw SafeTensorsError(source: url.path, problem: .unwritable(reason: "\(error)"))
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
private func isValidUTF8(_ bytes: [UInt8]) -> Bool {
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

/// A short description of a parsed JSON value for error messages, e.g. `the string "F32"`.
private func summary(_ value: Any) -> String {
  if value is NSNull { return "null" }
  if let number = value as? NSNumber {
    if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
    if let n = integer(number) { return "the integer \(n)" }
    let text = number.description
    return "the number \(text.count > 40 ? String(text.prefix(40)) + "…" : text) (not an integer that fits in 64 bits)"
  }
  if let s = value as? String { return "the string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\"" }
  if let array = value as? [Any] { return "an array of \(array.count) values" }
  return value is [String: Any] ? "an object" : "\(value)"
}

/// A JSON number written as an integer that fits in `Int`; `nil` for booleans, numbers with
/// a fraction or exponent (Foundation parses those as Double), larger integers and non-numbers.
private func integer(_ value: Any) -> Int? {
  guard let number = value as? NSNumber, !(number is NSDecimalNumber) else { return nil }
  switch String(cString: number.objCType) {
  case "c", "d", "f": return nil
  case "Q": return Int(exactly: number.uint64Value)
  default: return Int(exactly: number.int64Value)
  }
}

/// What a scan of the bytes of a header that `JSONSerialization` accepted finds: the top
/// level's keys in header order, the first key repeated within one object (Foundation keeps
/// the last of equal keys without a word) and a trailing comma (which Foundation accepts and
/// RFC 8259 does not).
private struct HeaderKeys {
  /// The top-level object's keys in the order they appear.
  var topLevel: [String] = []
  /// A repeated key and the object holding it (`"header"` or the key that names the object).
  var duplicate: (key: String, object: String)?
  /// A `,` directly before `}` or `]`.
  var trailingComma = false

  init(_ json: [UInt8]) {
    // One frame per open object or array: its name for messages and the keys seen so far.
    var frames: [(isObject: Bool, name: String, keys: Set<String>)] = []
    var lastKey = "header"
    var expectKey = false
    var previous: UInt8 = 0  // the last byte outside strings that is not whitespace
    var i = 0
    while i < json.count && duplicate == nil && !trailingComma {
      let byte = json[i]
      switch byte {
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        let name = frames.last.map { $0.isObject ? lastKey : $0.name } ?? "header"
        frames.append((json[i] == UInt8(ascii: "{"), name, []))
        expectKey = json[i] == UInt8(ascii: "{")
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        if !frames.isEmpty { frames.removeLast() }
        trailingComma = previous == UInt8(ascii: ",")
      case UInt8(ascii: ","):
        expectKey = frames.last?.isObject ?? false
      case UInt8(ascii: "\""):
        var end = i + 1
        while end < json.count && json[end] != UInt8(ascii: "\"") {
          end += json[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        if expectKey, !frames.isEmpty {
          let raw = json[i...min(end, json.count - 1)]
          let key = raw.contains(UInt8(ascii: "\\"))
            ? (try? JSONSerialization.jsonObject(with: Data(raw), options: .fragmentsAllowed)) as? String ?? ""
            : String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
          if !frames[frames.count - 1].keys.insert(key).inserted { duplicate = (key, frames[frames.count - 1].name) }
          if frames.count == 1 { topLevel.append(key) }
          lastKey = key
          expectKey = false
        }
        i = end
      default:
        break
      }
      if ![0x20, 0x0A, 0x0D, 0x09].contains(byte) { previous = byte }
      i += 1
    }
  }
}
