// Source format `sequences`: one user per line, `user item item ...` in time order
// (the S3-Rec / ICLRec `Beauty.txt` format).

/// Reads a `sequences` file.
///
/// Fields are separated by spaces or tabs; LF or CRLF; blank lines are skipped. Ids must be
/// integers (re-indexing sorts them numerically, docs/MODEL.md §1.2 step 3). There are no timestamps:
/// time = the item's position in the line (1 for the first item). Under the stable
/// (time, user) sort of step 2 this orders rows as: every user's 1st item (by user id), then
/// every user's 2nd item, and so on — each user's own order is the line order.
/// - Throws: `DataError` with file:line for a line without items or a non-integer id.
public func readSequences(path: String) throws -> RawInteractions {
  let file = try MappedFile(path: path)
  var raw = RawInteractions(userOrder: .numeric, itemOrder: .numeric)
  raw.userIndex.reserveCapacity(file.bytes.count / 5)
  raw.itemIndex.reserveCapacity(file.bytes.count / 5)
  raw.times.reserveCapacity(file.bytes.count / 5)
  var c = ByteCursor(file.bytes)
  while !c.atEnd {
    skipBlanks(&c)
    if c.atLineEnd { c.consumeLineEnd(); continue }
    let start = c.pos
    guard let user = c.parseInt(), c.atLineEnd || isBlank(c.peek()) else {
      throw DataError.notAnInteger(path: path, line: c.line, column: "user", value: c.token(from: start, stoppingAt: [32, 9]))
    }
    let u = raw.users.intern(user)
    var position: Int64 = 0
    skipBlanks(&c)
    while !c.atLineEnd {
      let s = c.pos
      guard let item = c.parseInt(), c.atLineEnd || isBlank(c.peek()) else {
        throw DataError.notAnInteger(path: path, line: c.line, column: "item", value: c.token(from: s, stoppingAt: [32, 9]))
      }
      position += 1
      raw.append(user: u, item: raw.items.intern(item), time: position)
      skipBlanks(&c)
    }
    if position == 0 { throw DataError.wrongFieldCount(path: path, line: c.line, found: 1, expected: 2) }
    c.consumeLineEnd()
  }
  if raw.count == 0 { throw file.bytes.isEmpty ? DataError.emptyFile(path: path) : DataError.noInteractions(path: path) }
  return raw
}

@inline(__always) func isBlank(_ b: UInt8?) -> Bool { b == 32 || b == 9 }
@inline(__always) func skipBlanks(_ c: inout ByteCursor) { while isBlank(c.peek()) { c.pos += 1 } }
