// A forward cursor over bytes for the hand-rolled parsers (ReChorus CSV, raw sources).
// No String is built on the success path; errors re-read the offending field as text.

/// Bytes of interest to the parsers.
@usableFromInline enum Byte {
  @usableFromInline static let tab: UInt8 = 9
  @usableFromInline static let newline: UInt8 = 10
  @usableFromInline static let carriageReturn: UInt8 = 13
  @usableFromInline static let space: UInt8 = 32
  @usableFromInline static let comma: UInt8 = 44
  @usableFromInline static let minus: UInt8 = 45
  @usableFromInline static let zero: UInt8 = 48
  @usableFromInline static let colon: UInt8 = 58
  @usableFromInline static let openBracket: UInt8 = 91
  @usableFromInline static let closeBracket: UInt8 = 93
}

/// A position in a byte buffer plus the current 1-based line number.
///
/// The buffer must outlive the cursor (it points into a `MappedFile` or an array).
struct ByteCursor {
  let base: UnsafePointer<UInt8>
  let end: Int
  var pos: Int = 0
  var line: Int = 1

  init(_ bytes: UnsafeRawBufferPointer) {
    // A zero-length buffer may have a nil base; point at a static byte instead.
    base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? emptyBytePointer
    end = bytes.count
  }

  var atEnd: Bool { pos >= end }

  @inline(__always) func peek() -> UInt8? { pos < end ? base[pos] : nil }

  /// True at `\n`, `\r\n` or the end of the buffer.
  @inline(__always) var atLineEnd: Bool {
    if pos >= end { return true }
    let c = base[pos]
    return c == Byte.newline || (c == Byte.carriageReturn && (pos + 1 >= end || base[pos + 1] == Byte.newline))
  }

  /// Skips the line terminator at `pos` (if any) and counts the line.
  @inline(__always) mutating func consumeLineEnd() {
    if pos < end && base[pos] == Byte.carriageReturn { pos += 1 }
    if pos < end && base[pos] == Byte.newline { pos += 1 }
    line += 1
  }

  /// Moves to the start of the next line and counts it.
  mutating func skipLine() {
    while pos < end && base[pos] != Byte.newline { pos += 1 }
    if pos < end { pos += 1 }
    line += 1
  }

  /// The rest of the current line (without the terminator) as text; for errors and headers.
  func restOfLine(from start: Int? = nil) -> String {
    var i = start ?? pos
    let s = i
    while i < end && base[i] != Byte.newline { i += 1 }
    var e = i
    if e > s && base[e - 1] == Byte.carriageReturn { e -= 1 }
    return String(decoding: UnsafeBufferPointer(start: base + s, count: e - s), as: UTF8.self)
  }

  /// The whole current line, from its start, as text.
  func currentLineText() -> String {
    var s = min(pos, end)
    while s > 0 && base[s - 1] != Byte.newline { s -= 1 }
    return restOfLine(from: s)
  }

  /// Text from `start` up to the next byte in `stops` or the line end; for error values.
  func token(from start: Int, stoppingAt stops: [UInt8]) -> String {
    var i = start
    while i < end && base[i] != Byte.newline && !stops.contains(base[i]) { i += 1 }
    var e = i
    if e > start && base[e - 1] == Byte.carriageReturn { e -= 1 }
    return String(decoding: UnsafeBufferPointer(start: base + start, count: e - start), as: UTF8.self)
  }

  /// Parses an optionally negative decimal integer at `pos`. Returns nil (and leaves `pos`)
  /// if no digit is there or the value overflows Int64.
  @inline(__always) mutating func parseInt() -> Int? {
    var i = pos
    var negative = false
    if i < end && base[i] == Byte.minus { negative = true; i += 1 }
    let digitsStart = i
    var value = 0
    while i < end {
      let d = base[i] &- Byte.zero
      if d > 9 { break }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(Int(d))
      if o1 || o2 { return nil }
      value = a
      i += 1
    }
    if i == digitsStart { return nil }
    pos = i
    return negative ? -value : value
  }

  /// Skips spaces (not tabs).
  @inline(__always) mutating func skipSpaces() {
    while pos < end && base[pos] == Byte.space { pos += 1 }
  }

  /// Number of `separator`-separated fields on the current line (for error messages).
  func fieldCount(separator: UInt8) -> Int {
    var s = min(pos, end)
    while s > 0 && base[s - 1] != Byte.newline { s -= 1 }
    var i = s
    var count = 1
    var empty = true
    while i < end && base[i] != Byte.newline {
      if base[i] == separator { count += 1 }
      if base[i] != Byte.carriageReturn { empty = false }
      i += 1
    }
    return empty ? 0 : count
  }
}

// Immutable after its one-time initialisation (a global `let` is initialised once, thread
// safely): every thread only reads this one zero byte. `nonisolated(unsafe)` only because
// UnsafePointer is not Sendable.
nonisolated(unsafe) private let emptyBytePointer: UnsafePointer<UInt8> = {
  let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
  p.initialize(to: 0)
  return UnsafePointer(p)
}()
