// Source format `movielens`: ML-100K `u.data` (tab) or ML-1M `ratings.dat` (`::`), detected
// from the first line, plus item titles and genres from `u.item` / `movies.dat` (latin-1).

import Foundation

/// The two MovieLens rating layouts.
public enum MovieLensLayout: Sendable, Equatable {
  /// `user \t item \t rating \t timestamp` (ML-100K u.data).
  case tabSeparated
  /// `user::item::rating::timestamp` (ML-1M ratings.dat).
  case doubleColon
}

/// Reads MovieLens ratings. Every rating is an interaction (value dropped, no threshold;
/// docs/MODEL.md §1.2). Ids are integers and re-index numerically.
/// - Returns: the interactions and the detected layout.
/// - Throws: `DataError` with file:line for an empty file, a line without 4 fields, or a
///   non-integer user, item or timestamp.
public func readMovieLensRatings(path: String) throws -> (RawInteractions, MovieLensLayout) {
  let file = try MappedFile(path: path)
  var c = ByteCursor(file.bytes)
  while !c.atEnd && c.atLineEnd { c.consumeLineEnd() }
  if c.atEnd { throw DataError.emptyFile(path: path) }
  let layout: MovieLensLayout = c.restOfLine().contains("::") ? .doubleColon : .tabSeparated
  var raw = RawInteractions(userOrder: .numeric, itemOrder: .numeric)
  let estimate = file.bytes.count / 18
  raw.userIndex.reserveCapacity(estimate)
  raw.itemIndex.reserveCapacity(estimate)
  raw.times.reserveCapacity(estimate)
  let names = ["user", "item", "rating", "timestamp"]
  var values = [Int](repeating: 0, count: 4)
  while !c.atEnd {
    if c.atLineEnd { c.consumeLineEnd(); continue }
    for f in 0..<4 {
      if f > 0 {
        guard separator(&c, layout) else {
          throw DataError.wrongFieldCount(path: path, line: c.line, found: fields(in: c.currentLineText(), layout),
                                          expected: 4)
        }
      }
      let start = c.pos
      // The rating may be fractional in some dumps; it is dropped, so only skip it.
      if f == 2 {
        while !c.atLineEnd && !atSeparator(c, layout) { c.pos += 1 }
        continue
      }
      guard let v = c.parseInt(), c.atLineEnd || atSeparator(c, layout) else {
        if c.atLineEnd && c.pos == start {
          throw DataError.wrongFieldCount(path: path, line: c.line, found: fields(in: c.currentLineText(), layout), expected: 4)
        }
        throw DataError.notAnInteger(path: path, line: c.line, column: names[f],
                                     value: c.token(from: start, stoppingAt: layout == .tabSeparated ? [9] : [58]))
      }
      values[f] = v
    }
    guard c.atLineEnd else {
      throw DataError.wrongFieldCount(path: path, line: c.line, found: fields(in: c.currentLineText(), layout), expected: 4)
    }
    raw.append(user: raw.users.intern(values[0]), item: raw.items.intern(values[1]), time: Int64(values[3]))
    c.consumeLineEnd()
  }
  return (raw, layout)
}

@inline(__always) private func atSeparator(_ c: ByteCursor, _ layout: MovieLensLayout) -> Bool {
  switch layout {
  case .tabSeparated: return c.peek() == Byte.tab
  case .doubleColon: return c.peek() == Byte.colon && c.pos + 1 < c.end && c.base[c.pos + 1] == Byte.colon
  }
}

@inline(__always) private func separator(_ c: inout ByteCursor, _ layout: MovieLensLayout) -> Bool {
  guard atSeparator(c, layout) else { return false }
  c.pos += layout == .tabSeparated ? 1 : 2
  return true
}

private func fields(in line: String, _ layout: MovieLensLayout) -> Int {
  line.components(separatedBy: layout == .tabSeparated ? "\t" : "::").count
}

/// The 19 ML-100K genre names in flag order (as listed in its `u.genre`), used when no
/// `u.genre` file sits beside `u.item`.
public let movieLens100KGenres = [
  "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
  "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]

/// Titles and genres per original MovieLens item id, from `u.item` (`id|title|date|video
/// date|url|19 genre flags`) or `movies.dat` (`id::title::Genre|Genre`), both latin-1.
/// Genre names for `u.item` come from `genres` (e.g. read from `u.genre`).
/// - Returns: original id → (title in UTF-8, `|`-joined genres).
/// - Throws: `DataError` with file:line for malformed lines.
public func readMovieLensItems(path: String, genres: [String] = movieLens100KGenres) throws
  -> [Int: (title: String, category: String)] {
  let file = try MappedFile(path: path)
  if file.bytes.isEmpty { throw DataError.emptyFile(path: path) }
  var result: [Int: (title: String, category: String)] = [:]
  var line = 0
  for rawLine in file.bytes.split(separator: Byte.newline, omittingEmptySubsequences: false) {
    line += 1
    var bytes = Array(rawLine)
    if bytes.last == Byte.carriageReturn { bytes.removeLast() }
    if bytes.isEmpty { continue }
    let text = decodeLatin1(bytes)
    if text.contains("::") {
      let parts = text.components(separatedBy: "::")
      guard parts.count == 3 else { throw DataError.wrongFieldCount(path: path, line: line, found: parts.count, expected: 3) }
      guard let id = Int(parts[0]) else { throw DataError.notAnInteger(path: path, line: line, column: "movie id", value: parts[0]) }
      result[id] = (parts[1], parts[2])
    } else {
      let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
      guard parts.count >= 5 else { throw DataError.wrongFieldCount(path: path, line: line, found: parts.count, expected: 5 + genres.count) }
      guard let id = Int(parts[0]) else { throw DataError.notAnInteger(path: path, line: line, column: "movie id", value: parts[0]) }
      let flags = parts.dropFirst(5)
      var names: [String] = []
      for (k, flag) in flags.enumerated() where flag == "1" && k < genres.count { names.append(genres[k]) }
      result[id] = (parts[1], names.joined(separator: "|"))
    }
  }
  return result
}

/// Genre names from an ML-100K `u.genre` file (`name|index` per line), ordered by index.
/// - Throws: `DataError` with file:line for a malformed line.
public func readMovieLensGenres(path: String) throws -> [String] {
  let file = try MappedFile(path: path)
  var pairs: [(Int, String)] = []
  var line = 0
  for rawLine in file.bytes.split(separator: Byte.newline, omittingEmptySubsequences: false) {
    line += 1
    let text = decodeLatin1(rawLine).trimmingCharacters(in: .whitespacesAndNewlines)
    if text.isEmpty { continue }
    let parts = text.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 2 else { throw DataError.wrongFieldCount(path: path, line: line, found: parts.count, expected: 2) }
    guard let index = Int(parts[1]) else { throw DataError.notAnInteger(path: path, line: line, column: "genre index", value: String(parts[1])) }
    pairs.append((index, String(parts[0])))
  }
  return pairs.sorted { $0.0 < $1.0 }.map(\.1)
}
