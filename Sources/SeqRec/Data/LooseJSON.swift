// A small JSON reader that also accepts Python literals (the 2014 Amazon metadata files
// are `str(dict)` lines: single quotes, True/False/None).

/// A parsed JSON / Python-literal value.
public indirect enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }
  public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
  public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
  public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
  /// Integral numbers, and strings holding an integer (some dumps quote numbers).
  public var intValue: Int? {
    switch self {
    case .number(let d): return d == d.rounded() && abs(d) < 9.0e15 ? Int(d) : nil
    case .string(let s): return Int(s)
    default: return nil
    }
  }
}

/// Parses one JSON / Python-literal value from `bytes`.
/// - Throws: `JSONSyntaxError` with a byte offset and reason.
public func parseLooseJSON(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
  var p = LooseJSONParser(bytes: bytes)
  p.skipWhitespace()
  let v = try p.value()
  p.skipWhitespace()
  guard p.pos == p.bytes.count else { throw p.fail("unexpected text after the value") }
  return v
}

/// Parses one JSON / Python-literal value from a byte array.
public func parseLooseJSON(_ bytes: [UInt8]) throws -> JSONValue {
  try bytes.withUnsafeBytes { try parseLooseJSON($0) }
}

/// Lists and objects may nest this deep (real files nest 3 levels); deeper input is refused
/// instead of recursing until the stack overflows.
public let looseJSONMaximumDepth = 512

public struct JSONSyntaxError: Error, Sendable {
  public let offset: Int
  public let reason: String
}

private struct LooseJSONParser {
  let bytes: UnsafeRawBufferPointer
  var pos = 0
  /// Lists and objects open around `pos`.
  var depth = 0

  init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  func fail(_ reason: String) -> JSONSyntaxError { JSONSyntaxError(offset: pos, reason: "\(reason) at byte \(pos + 1)") }

  mutating func skipWhitespace() {
    while pos < bytes.count, [9, 10, 13, 32].contains(bytes[pos]) { pos += 1 }
  }

  mutating func value() throws -> JSONValue {
    guard pos < bytes.count else { throw fail("unexpected end") }
    switch bytes[pos] {
    case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "("):
      guard depth < looseJSONMaximumDepth else { throw fail("lists and objects nested deeper than \(looseJSONMaximumDepth) levels") }
      depth += 1
      defer { depth -= 1 }
      return bytes[pos] == UInt8(ascii: "{") ? try object() : try array()
    case UInt8(ascii: "\""), UInt8(ascii: "'"): return .string(try string())
    case UInt8(ascii: "t"): try word("true"); return .bool(true)
    case UInt8(ascii: "T"): try word("True"); return .bool(true)
    case UInt8(ascii: "f"): try word("false"); return .bool(false)
    case UInt8(ascii: "F"): try word("False"); return .bool(false)
    case UInt8(ascii: "n"): try word("null"); return .null
    case UInt8(ascii: "N"): try word("None"); return .null
    default: return try number()
    }
  }

  mutating func word(_ w: String) throws {
    for b in w.utf8 {
      guard pos < bytes.count, bytes[pos] == b else { throw fail("expected '\(w)'") }
      pos += 1
    }
  }

  mutating func number() throws -> JSONValue {
    let start = pos
    while pos < bytes.count, "+-0123456789.eE".utf8.contains(bytes[pos]) { pos += 1 }
    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
    guard let d = Double(text) else { pos = start; throw fail("unexpected character") }
    return .number(d)
  }

  mutating func object() throws -> JSONValue {
    pos += 1
    var result: [String: JSONValue] = [:]
    skipWhitespace()
    if pos < bytes.count && bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(result) }
    while true {
      skipWhitespace()
      guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") || bytes[pos] == UInt8(ascii: "'") else {
        throw fail("expected a quoted key")
      }
      let key = try string()
      skipWhitespace()
      guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
      pos += 1
      skipWhitespace()
      result[key] = try value()
      skipWhitespace()
      guard pos < bytes.count else { throw fail("unterminated object") }
      if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
      if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(result) }
      throw fail("expected ',' or '}'")
    }
  }

  mutating func array() throws -> JSONValue {
    let close = bytes[pos] == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: ")")
    pos += 1
    var result: [JSONValue] = []
    skipWhitespace()
    if pos < bytes.count && bytes[pos] == close { pos += 1; return .array(result) }
    while true {
      skipWhitespace()
      result.append(try value())
      skipWhitespace()
      guard pos < bytes.count else { throw fail("unterminated list") }
      if bytes[pos] == UInt8(ascii: ",") {
        pos += 1
        skipWhitespace()
        if pos < bytes.count && bytes[pos] == close { pos += 1; return .array(result) }  // trailing comma
        continue
      }
      if bytes[pos] == close { pos += 1; return .array(result) }
      throw fail("expected ',' or '\(Character(UnicodeScalar(close)))'")
    }
  }

  mutating func string() throws -> String {
    let quote = bytes[pos]
    pos += 1
    var out: [UInt8] = []
    while true {
      guard pos < bytes.count else { throw fail("unterminated string") }
      let c = bytes[pos]
      if c == quote { pos += 1; break }
      if c != UInt8(ascii: "\\") { out.append(c); pos += 1; continue }
      pos += 1
      guard pos < bytes.count else { throw fail("unterminated escape") }
      let e = bytes[pos]
      pos += 1
      switch e {
      case UInt8(ascii: "n"): out.append(10)
      case UInt8(ascii: "t"): out.append(9)
      case UInt8(ascii: "r"): out.append(13)
      case UInt8(ascii: "b"): out.append(8)
      case UInt8(ascii: "f"): out.append(12)
      case UInt8(ascii: "u"):
        var scalar = try hex(4)
        if (0xD800..<0xDC00).contains(scalar), pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"),
          bytes[pos + 1] == UInt8(ascii: "u") {
          let next = pos
          pos += 2
          let low = try hex(4)
          if (0xDC00..<0xE000).contains(low) {
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          } else {
            pos = next  // not a pair: the high surrogate alone becomes U+FFFD, the next escape is read on its own
          }
        }
        out.append(contentsOf: String(UnicodeScalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
      case UInt8(ascii: "x"):  // Python \xNN: a code point below 256
        let v = try hex(2)
        out.append(contentsOf: String(Character(UnicodeScalar(UInt8(v)))).utf8)
      default: out.append(e)  // \" \' \\ \/ and anything else: the character itself
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  mutating func hex(_ digits: Int) throws -> UInt32 {
    var v: UInt32 = 0
    for _ in 0..<digits {
      guard pos < bytes.count, let d = hexDigit(bytes[pos]) else { throw fail("bad hex escape") }
      v = v * 16 + d
      pos += 1
    }
    return v
  }
}

private func hexDigit(_ c: UInt8) -> UInt32? {
  switch c {
  case 48...57: return UInt32(c - 48)
  case 65...70: return UInt32(c - 55)
  case 97...102: return UInt32(c - 87)
  default: return nil
  }
}
