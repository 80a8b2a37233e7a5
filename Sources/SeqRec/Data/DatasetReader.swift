// Loading a ReChorus dataset folder (docs/MODEL.md §1.1) with strict validation.
//
// Speed: a Beauty folder with 1,000 negatives per dev/test row is ~270 MB of text. Files are
// mmapped and parsed byte by byte straight into preallocated Int32 columns (no String per
// line); train, dev and test are parsed concurrently, and the cross-file checks run as one
// tight pass over the flat negative arrays afterwards.

import Dispatch
import Foundation

extension Dataset {
  /// Loads `train.csv`, `dev.csv`, `test.csv` (+ optional `items.tsv`, `dataset.json`) from `folder`.
  ///
  /// Accepts folders exactly as ReChorus writes them: tab-separated, a header row naming at
  /// least `user_id`, `item_id`, `time` (and `neg_items` in dev/test; other columns are
  /// skipped), `neg_items` written as `[a, b, ...]`. LF or CRLF line ends.
  ///
  /// Checks (docs/MODEL.md §1.1): header columns; integer ids >= 1; integer times; the same number of
  /// negatives on every row of a file (dev and test may differ); every negative in
  /// `1 ..< itemCount` (itemCount = max positive item id + 1) and never the row's positive;
  /// no dev/test user without train rows; no blank line inside a table.
  ///
  /// - Parameter folder: path of the dataset folder.
  /// - Returns: the whole dataset; nothing is returned half loaded.
  /// - Throws: `DataError` naming file, line and value of the first problem found
  ///   (files checked in the order train, dev, test).
  public static func load(folder: String) throws -> Dataset {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
      throw DataError.fileMissing(path: folder)
    }
    guard isDir.boolValue else { throw DataError.unreadable(path: folder, reason: "not a folder") }

    // Parse the three tables concurrently (2 cores: dev and test dominate).
    let splits = Split.allCases
    let slots = ResultSlots<InteractionTable>(count: splits.count)
    DispatchQueue.concurrentPerform(iterations: splits.count) { i in
      let split = splits[i]
      let path = (folder as NSString).appendingPathComponent(split.fileName)
      slots.set(i, Result { try parseTable(path: path, split: split) })
    }
    let train = try slots.get(0)
    let dev = try slots.get(1)
    let test = try slots.get(2)

    try checkIdsFitTheFiles(folder: folder, train: train, dev: dev, test: test)
    try validateAcrossFiles(folder: folder, train: train, dev: dev, test: test)

    let manifestPath = (folder as NSString).appendingPathComponent("dataset.json")
    let manifest = FileManager.default.fileExists(atPath: manifestPath) ? try DatasetManifest.read(path: manifestPath) : nil
    var dataset = Dataset(name: manifest?.name ?? (folder as NSString).lastPathComponent,
                          train: train, dev: dev, test: test, manifest: manifest)
    let itemsPath = (folder as NSString).appendingPathComponent("items.tsv")
    if FileManager.default.fileExists(atPath: itemsPath) {
      dataset.catalog = try ItemCatalog.read(path: itemsPath, itemCount: dataset.itemCount)
    }
    return dataset
  }

  /// The largest user and item ids size every per-user and per-item table (itemCount = max
  /// item id + 1), so an id is refused when it is larger than the files could number densely:
  /// more than the ids they mention (rows + negatives), with a floor of 65,536. Real folders
  /// number ids 1...N (`timirec prepare` does), so they always pass.
  /// - Throws: `DataError.implausibleSize` naming the file and line of the first such id.
  static func checkIdsFitTheFiles(folder: String, train: InteractionTable, dev: InteractionTable,
                                  test: InteractionTable) throws {
    let mentions = train.count + dev.count + test.count + dev.negatives.count + test.negatives.count
    let limit = max(mentions, 1 << 16)
    for (split, table) in [(Split.train, train), (Split.dev, dev), (Split.test, test)] {
      for (column, ids) in [("user_id", table.users), ("item_id", table.items)] {
        guard let r = ids.firstIndex(where: { Int($0) > limit }) else { continue }
        throw DataError.implausibleSize(
          path: (folder as NSString).appendingPathComponent(split.fileName), line: r + 2, what: column,
          value: Int(ids[r]), limit: limit,
          reason: "the number of ids train/dev/test mention (\(mentions), or 65536); ids must number users and items from 1 without large gaps (as `timirec prepare` writes them): re-index the data")
      }
    }
  }

  /// Cross-file checks: dev/test users have train rows; negatives in range and not the positive.
  static func validateAcrossFiles(folder: String, train: InteractionTable, dev: InteractionTable,
                                  test: InteractionTable) throws {
    let itemCount = Int(max(train.items.max() ?? 0, dev.items.max() ?? 0, test.items.max() ?? 0)) + 1
    let userCount = Int(max(train.users.max() ?? 0, dev.users.max() ?? 0, test.users.max() ?? 0)) + 1
    var hasTrain = [Bool](repeating: false, count: userCount)
    for u in train.users { hasTrain[Int(u)] = true }
    for (split, table) in [(Split.dev, dev), (Split.test, test)] {
      let path = (folder as NSString).appendingPathComponent(split.fileName)
      for r in 0..<table.count where !hasTrain[Int(table.users[r])] {
        throw DataError.userWithoutTrainRows(path: path, line: r + 2, user: Int(table.users[r]))
      }
    }
    // Negatives: one pass per file, in parallel; report the first bad row of the first file.
    let tables = [dev, test]
    let slots = ResultSlots<Void>(count: 2)
    DispatchQueue.concurrentPerform(iterations: 2) { i in
      let table = tables[i]
      let path = (folder as NSString).appendingPathComponent((i == 0 ? Split.dev : Split.test).fileName)
      slots.set(i, Result { try checkNegatives(table, itemCount: itemCount, path: path) })
    }
    try slots.get(0)
    try slots.get(1)
  }
}

/// Every negative in 1..<itemCount and different from the row's positive.
private func checkNegatives(_ table: InteractionTable, itemCount: Int, path: String) throws {
  let k = table.negativeCount
  guard k > 0 else { return }
  let limit = Int32(truncatingIfNeeded: itemCount)
  try table.negatives.withUnsafeBufferPointer { negs in
    try table.items.withUnsafeBufferPointer { items in
      for r in 0..<items.count {
        let positive = items[r]
        let base = r * k
        var bad = false
        for j in 0..<k {
          let v = negs[base + j]
          bad = bad || v < 1 || v >= limit || v == positive
        }
        if bad {
          for j in 0..<k {
            let v = negs[base + j]
            if v < 1 || v >= limit {
              throw DataError.negativeOutOfRange(path: path, line: r + 2, value: Int(v), itemCount: itemCount)
            }
            if v == positive { throw DataError.negativeIsPositive(path: path, line: r + 2, item: Int(v)) }
          }
        }
      }
    }
  }
}

/// What the parser does with one header column.
private enum ColumnRole { case user, item, time, negatives, skip }

/// Parses one split file into columns.
/// - Throws: `DataError` for header, field-count, integer, id and list problems.
func parseTable(path: String, split: Split) throws -> InteractionTable {
  let file = try MappedFile(path: path)
  var bytes = file.bytes
  // A UTF-8 byte-order mark is tolerated.
  if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
    bytes = UnsafeRawBufferPointer(rebasing: bytes[3...])
  }
  if bytes.allSatisfy({ $0 == Byte.newline || $0 == Byte.carriageReturn || $0 == Byte.space }) {
    throw DataError.emptyFile(path: path)
  }
  var cursor = ByteCursor(bytes)

  // Header.
  let needsNegatives = split != .train
  let required = needsNegatives ? ["user_id", "item_id", "time", "neg_items"] : ["user_id", "item_id", "time"]
  let headerText = cursor.restOfLine()
  let names = headerText.split(separator: "\t", omittingEmptySubsequences: false).map {
    $0.trimmingCharacters(in: .whitespaces)
  }
  if let first = names.first, Int(first) != nil || !names.contains(where: { required.contains($0) }) {
    throw DataError.missingHeader(path: path, found: headerText, expected: required)
  }
  for column in required where !names.contains(column) {
    throw DataError.missingColumn(path: path, column: column, header: headerText)
  }
  var roles: [ColumnRole] = names.map { name in
    switch name {
    case "user_id": return .user
    case "item_id": return .item
    case "time": return .time
    case "neg_items" where needsNegatives: return .negatives
    default: return .skip
    }
  }
  // A duplicated column name: only its first occurrence is used.
  var seen = Set<String>()
  for (i, name) in names.enumerated() where !seen.insert(name).inserted { roles[i] = .skip }
  cursor.skipLine()

  // Capacity: data rows <= number of line feeds (+1 for an unterminated last line).
  let rowCapacity = countLineFeeds(bytes) + 1
  let negativeEstimate = needsNegatives ? estimateNegatives(cursor: cursor, names: names) : 0

  var users = [Int32](repeating: 0, count: rowCapacity)
  var items = [Int32](repeating: 0, count: rowCapacity)
  var times = [Int64](repeating: 0, count: rowCapacity)
  // Each negative takes at least 2 bytes (a digit and ',' or ']'), so a file holds at most
  // bytes/2 of them: the capacity never exceeds that, however many commas the first row has.
  let (estimate, overflow) = rowCapacity.multipliedReportingOverflow(by: negativeEstimate)
  let negativeCapacity = needsNegatives ? min(overflow ? Int.max : estimate, bytes.count / 2 + 1) : 0
  var negatives = [Int32](repeating: 0, count: negativeCapacity)
  var rows = 0
  var negativeCount = -1
  try users.withUnsafeMutableBufferPointer { u in
    try items.withUnsafeMutableBufferPointer { it in
      try times.withUnsafeMutableBufferPointer { t in
        try negatives.withUnsafeMutableBufferPointer { n in
          var parser = RowParser(cursor: cursor, path: path, roles: roles, users: u, items: it, times: t,
                                 negatives: n, negativeCount: needsNegatives ? -1 : 0,
                                 firstRowNegatives: min(negativeEstimate, negativeCapacity))
          try parser.parseAll()
          rows = parser.rows
          negativeCount = parser.negativeCount
        }
      }
    }
  }
  users.removeLast(rowCapacity - rows)
  items.removeLast(rowCapacity - rows)
  times.removeLast(rowCapacity - rows)
  if needsNegatives { negatives.removeLast(negatives.count - rows * max(negativeCount, 0)) }
  if rows == 0 { throw DataError.emptyFile(path: path) }
  return InteractionTable(users: users, items: items, times: times, negatives: negatives,
                          negativeCount: max(negativeCount, 0))
}

/// The row loop over preallocated columns.
private struct RowParser {
  var cursor: ByteCursor
  let path: String
  let roles: [ColumnRole]
  let users: UnsafeMutableBufferPointer<Int32>
  let items: UnsafeMutableBufferPointer<Int32>
  let times: UnsafeMutableBufferPointer<Int64>
  let negatives: UnsafeMutableBufferPointer<Int32>
  /// -1 until the first row fixes it.
  var negativeCount: Int
  /// The capacity estimate for the first row's list (its commas + 1, within `negatives`).
  let firstRowNegatives: Int
  var rows = 0

  init(cursor: ByteCursor, path: String, roles: [ColumnRole], users: UnsafeMutableBufferPointer<Int32>,
       items: UnsafeMutableBufferPointer<Int32>, times: UnsafeMutableBufferPointer<Int64>,
       negatives: UnsafeMutableBufferPointer<Int32>, negativeCount: Int, firstRowNegatives: Int) {
    self.firstRowNegatives = firstRowNegatives
    self.cursor = cursor
    self.path = path
    self.roles = roles
    self.users = users
    self.items = items
    self.times = times
    self.negatives = negatives
    self.negativeCount = negativeCount
  }

  mutating func parseAll() throws {
    let columnNames = roles.map { role -> String in
      switch role {
      case .user: return "user_id"
      case .item: return "item_id"
      case .time: return "time"
      case .negatives: return "neg_items"
      case .skip: return "column"
      }
    }
    while !cursor.atEnd {
      if cursor.atLineEnd {
        // Blank line: fine only if nothing but blank lines follows.
        let blankLine = cursor.line
        var probe = cursor
        while !probe.atEnd && probe.atLineEnd { probe.consumeLineEnd() }
        if probe.atEnd { break }
        throw DataError.blankLine(path: path, line: blankLine)
      }
      for (c, role) in roles.enumerated() {
        if c > 0 {
          guard cursor.peek() == Byte.tab else { throw fieldCountError() }
          cursor.pos += 1
        }
        let fieldStart = cursor.pos
        switch role {
        case .user, .item:
          guard let v = cursor.parseInt(), cursor.atLineEnd || cursor.peek() == Byte.tab else {
            throw integerError(column: columnNames[c], from: fieldStart)
          }
          guard v >= 1 && v <= Int(Int32.max) else {
            if v < 1 { throw DataError.idNotPositive(path: path, line: cursor.line, column: columnNames[c], value: v) }
            throw DataError.notAnInteger(path: path, line: cursor.line, column: columnNames[c], value: String(v))
          }
          if role == .user { users[rows] = Int32(v) } else { items[rows] = Int32(v) }
        case .time:
          guard let v = cursor.parseInt(), cursor.atLineEnd || cursor.peek() == Byte.tab else {
            throw integerError(column: "time", from: fieldStart)
          }
          times[rows] = Int64(v)
        case .negatives:
          try parseNegativeList(from: fieldStart)
        case .skip:
          while !cursor.atLineEnd && cursor.base[cursor.pos] != Byte.tab { cursor.pos += 1 }
        }
      }
      guard cursor.atLineEnd else { throw fieldCountError() }
      cursor.consumeLineEnd()
      rows += 1
    }
  }

  /// `[a, b, ...]` written straight into this row's slice of `negatives`.
  private mutating func parseNegativeList(from fieldStart: Int) throws {
    let malformed = { [cursor, path] in
      DataError.malformedNegativeList(path: path, line: cursor.line,
                                      value: cursor.token(from: fieldStart, stoppingAt: [Byte.tab]))
    }
    guard cursor.peek() == Byte.openBracket else { throw malformed() }
    cursor.pos += 1
    cursor.skipSpaces()
    var count = 0
    let expected = negativeCount
    // Before the first row is done, the capacity estimate (from the first row's commas) bounds it.
    let perRow = expected >= 0 ? expected : firstRowNegatives
    let rowBase = expected >= 0 ? rows * expected : 0
    // Unreachable for a file whose rows all hold `expected` negatives (see the capacity), but
    // a row must never write past the columns.
    guard rowBase + perRow <= negatives.count else { throw malformed() }
    if cursor.peek() == Byte.closeBracket {
      cursor.pos += 1
    } else {
      while true {
        guard let v = cursor.parseInt() else { throw malformed() }
        if count < perRow {
          // Values outside Int32 become -1, which the range check reports.
          negatives[rowBase + count] = v >= Int(Int32.min) && v <= Int(Int32.max) ? Int32(v) : -1
        }
        count += 1
        cursor.skipSpaces()
        if cursor.peek() == Byte.comma {
          cursor.pos += 1
          cursor.skipSpaces()
          continue
        }
        guard cursor.peek() == Byte.closeBracket else { throw malformed() }
        cursor.pos += 1
        break
      }
    }
    guard cursor.atLineEnd || cursor.peek() == Byte.tab else { throw malformed() }
    if expected < 0 {
      guard count <= perRow else { throw malformed() }
      negativeCount = count
    } else if count != expected {
      throw DataError.negativeCountMismatch(path: path, line: cursor.line, found: count, expected: expected)
    }
  }

  private func fieldCountError() -> DataError {
    DataError.wrongFieldCount(path: path, line: cursor.line, found: cursor.fieldCount(separator: Byte.tab),
                              expected: roles.count)
  }

  private func integerError(column: String, from start: Int) -> DataError {
    let value = cursor.token(from: start, stoppingAt: [Byte.tab])
    if let v = Int(value.trimmingCharacters(in: .whitespaces)), v < 1, column != "time" {
      return DataError.idNotPositive(path: path, line: cursor.line, column: column, value: v)
    }
    if start >= cursor.end || cursor.base[start] == Byte.newline || cursor.base[start] == Byte.tab
      || cursor.base[start] == Byte.carriageReturn, cursor.fieldCount(separator: Byte.tab) != roles.count {
      return fieldCountError()
    }
    return DataError.notAnInteger(path: path, line: cursor.line, column: column, value: value)
  }
}

/// Number of elements in the first data row's `neg_items` list (a capacity estimate only).
private func estimateNegatives(cursor: ByteCursor, names: [String]) -> Int {
  guard let column = names.firstIndex(of: "neg_items") else { return 0 }
  let fields = cursor.restOfLine().split(separator: "\t", omittingEmptySubsequences: false)
  guard column < fields.count else { return 0 }
  let list = fields[column].trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
  return list.isEmpty ? 0 : list.utf8.reduce(1) { $0 + ($1 == Byte.comma ? 1 : 0) }
}

/// Line feeds in `bytes` (memchr speed).
private func countLineFeeds(_ bytes: UnsafeRawBufferPointer) -> Int {
  guard var p = bytes.baseAddress else { return 0 }
  let end = p + bytes.count
  var n = 0
  while p < end, let hit = memchr(p, Int32(Byte.newline), end - p) {
    n += 1
    p = UnsafeRawPointer(hit) + 1
  }
  return n
}

/// Write-once result slots filled from `concurrentPerform` iterations (each index by one thread).
final class ResultSlots<T>: @unchecked Sendable {
  private var slots: [Result<T, Error>?]
  private let lock = NSLock()
  init(count: Int) { slots = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ r: Result<T, Error>) { lock.lock(); slots[i] = r; lock.unlock() }
  func get(_ i: Int) throws -> T {
    lock.lock()
    defer { lock.unlock() }
    guard let r = slots[i] else { preconditionFailure("result slot \(i) was never filled") }
    return try r.get()
  }
}

/// Namespace spelling of `Dataset.load(folder:)`, for call sites that read better as
/// `DatasetReader.load(folder:)`.
public enum DatasetReader {
  /// See `Dataset.load(folder:)`: loads and validates a ReChorus dataset folder.
  /// - Throws: `DataError` with file, line and value of the first problem.
  public static func load(folder: String) throws -> Dataset { try Dataset.load(folder: folder) }
}
