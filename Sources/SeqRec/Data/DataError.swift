// Errors of the data layer (ReChorus folders, raw sources, item metadata).
// The cases carry context only; `DataError+Message.swift` turns them into text.

/// A problem with a data file or folder that the user can fix.
///
/// Every case names the file (as given by the caller) and, where it applies, the 1-based
/// line and the offending value. Render with `message` (one line, ends with what to do).
public enum DataError: Error, Equatable, Sendable {
  /// A required file or folder does not exist.
  case fileMissing(path: String)
  /// The file exists but could not be opened, read or written (`reason` from the OS).
  case unreadable(path: String, reason: String)
  /// The file has no content at all.
  case emptyFile(path: String)
  /// The first line is not a header (e.g. it starts with a number).
  case missingHeader(path: String, found: String, expected: [String])
  /// The header lacks a required column.
  case missingColumn(path: String, column: String, header: String)
  /// A line has the wrong number of fields.
  case wrongFieldCount(path: String, line: Int, found: Int, expected: Int)
  /// A field that must be an integer is not one.
  case notAnInteger(path: String, line: Int, column: String, value: String)
  /// A user or item id is 0 or negative (ids start at 1; 0 is padding).
  case idNotPositive(path: String, line: Int, column: String, value: Int)
  /// The `neg_items` field is not a list literal like `[12, 7, 93]`.
  case malformedNegativeList(path: String, line: Int, value: String)
  /// A row has a different number of negatives than the first row of the file.
  case negativeCountMismatch(path: String, line: Int, found: Int, expected: Int)
  /// A negative item id is outside `1 ..< itemCount` (itemCount = max item id + 1).
  case negativeOutOfRange(path: String, line: Int, value: Int, itemCount: Int)
  /// A negative equals the row's positive item.
  case negativeIsPositive(path: String, line: Int, item: Int)
  /// A dev or test row belongs to a user with no train row.
  case userWithoutTrainRows(path: String, line: Int, user: Int)
  /// An empty line in the middle of a table.
  case blankLine(path: String, line: Int)
  /// A JSON (or Python-literal) text could not be parsed.
  case malformedJSON(path: String, line: Int, reason: String)
  /// A JSON record lacks a field the source format requires.
  case missingField(path: String, line: Int, field: String)
  /// A gzip stream is corrupt or truncated.
  case gzip(path: String, reason: String)
  /// A gzip stream expands beyond `limit` bytes (`readPossiblyGzipped`'s bound for a file of
  /// `fileSize` bytes).
  case gzipExpansion(path: String, limit: Int, fileSize: Int, ratio: Int)
  /// A count or id claimed in a file would need more memory than the file's size justifies.
  case implausibleSize(path: String, line: Int, what: String, value: Int, limit: Int, reason: String)
  /// The source produced no interactions.
  case noInteractions(path: String)
  /// A user clicked every item in the pool, so no negative can be drawn.
  case cannotDrawNegatives(user: String, clicked: Int, pool: Int)
  /// The output folder already exists.
  case outputExists(path: String)
  /// `dataset.json` is not valid for this reader.
  case badManifest(path: String, reason: String)
}
