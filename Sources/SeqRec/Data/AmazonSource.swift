// Source format `amazon`: McAuley review JSON lines (5-core files such as
// reviews_Beauty_5.json.gz), plain or gzip, plus optional product metadata lines.

/// Reads review lines: `reviewerID` (user), `asin` (item), `unixReviewTime` (time, seconds).
///
/// Every review is an interaction (rating ignored, docs/MODEL.md §1.2). Ids are strings and re-index
/// in byte order (Python's string order for ASCII ids). Accepts strict JSON or Python
/// literal lines; blank lines are skipped; `.gz` is decompressed through zlib.
/// - Throws: `DataError.malformedJSON` / `.missingField` with file:line, `.gzip`, `.emptyFile`.
public func readAmazonReviews(path: String) throws -> RawInteractions {
  let bytes = try readPossiblyGzipped(path: path)
  if bytes.isEmpty { throw DataError.emptyFile(path: path) }
  var raw = RawInteractions(userOrder: .text, itemOrder: .text)
  try forEachJSONLine(bytes, path: path) { value, line in
    guard let user = value["reviewerID"]?.stringValue else { throw DataError.missingField(path: path, line: line, field: "reviewerID") }
    guard let item = value["asin"]?.stringValue else { throw DataError.missingField(path: path, line: line, field: "asin") }
    guard let time = value["unixReviewTime"]?.intValue else {
      throw DataError.missingField(path: path, line: line, field: "unixReviewTime")
    }
    raw.append(user: raw.users.intern(user), item: raw.items.intern(item), time: Int64(time))
  }
  if raw.count == 0 { throw DataError.noInteractions(path: path) }
  return raw
}

/// Reads product metadata lines: `asin`, optional `title`, and categories from either
/// `categories` (2014: a list of category paths) or `category` (2018: one path). Categories
/// are flattened in order without repeats and joined with `|`.
/// - Returns: asin → (title, categories); lines for unknown asins are kept too.
/// - Throws: `DataError.malformedJSON` / `.missingField` with file:line, `.gzip`.
public func readAmazonMetadata(path: String) throws -> [String: (title: String, category: String)] {
  let bytes = try readPossiblyGzipped(path: path)
  if bytes.isEmpty { throw DataError.emptyFile(path: path) }
  var result: [String: (title: String, category: String)] = [:]
  try forEachJSONLine(bytes, path: path) { value, line in
    guard let asin = value["asin"]?.stringValue else { throw DataError.missingField(path: path, line: line, field: "asin") }
    var labels: [String] = []
    func add(_ v: JSONValue?) {
      switch v {
      case .string(let s)?: if !s.isEmpty && !labels.contains(s) { labels.append(s) }
      case .array(let a)?: for x in a { add(x) }
      default: break
      }
    }
    add(value["categories"])
    add(value["category"])
    result[asin] = (value["title"]?.stringValue ?? "", labels.joined(separator: "|"))
  }
  return result
}

/// Calls `body` with each non-blank line parsed as a JSON / Python-literal value.
func forEachJSONLine(_ bytes: [UInt8], path: String, _ body: (JSONValue, Int) throws -> Void) throws {
  try bytes.withUnsafeBytes { all in
    var line = 0
    var start = 0
    while start < all.count {
      line += 1
      var end = start
      while end < all.count && all[end] != Byte.newline { end += 1 }
      var stop = end
      while stop > start && (all[stop - 1] == Byte.carriageReturn || all[stop - 1] == Byte.space) { stop -= 1 }
      if stop > start {
        let value: JSONValue
        do {
          value = try parseLooseJSON(UnsafeRawBufferPointer(rebasing: all[start..<stop]))
        } catch let e as JSONSyntaxError {
          throw DataError.malformedJSON(path: path, line: line, reason: e.reason)
        }
        guard case .object = value else { throw DataError.malformedJSON(path: path, line: line, reason: "line is not an object") }
        try body(value, line)
      }
      start = end + 1
    }
  }
}
