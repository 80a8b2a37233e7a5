// Rendering of `DataError` as one line of text: where, what, and what to do next.
import Foundation


extension DataError: CustomStringConvertible {
  /// Whether `path` names one of a prepared dataset folder's own files (or the folder).
  static func isDatasetFile(_ path: String) -> Bool {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    return ["train.csv", "dev.csv", "test.csv", "items.tsv", "dataset.json"].contains(name)
  }

  /// One line: `file:line: what is wrong; what to do`.
  public var message: String {
    switch self {
    case .fileMissing(let path):
      if Self.isDatasetFile(path) {
        return "\(path): no such file or folder; check the path (a prepared dataset folder holds train.csv, dev.csv and test.csv: make one from raw data with `timirec prepare`)"
      }
      return "\(path): no such file or folder; check the path"
    case .unreadable(let path, let reason):
      return "\(path): cannot read or write (\(reason)); check permissions and free space"
    case .emptyFile(let path):
      if Self.isDatasetFile(path) { return "\(path):1: file is empty; re-run `timirec prepare` or restore the file" }
      return "\(path):1: file is empty; it should hold the raw interactions"
    case .missingHeader(let path, let found, let expected):
      return "\(path):1: expected a header line '\(expected.joined(separator: "\\t"))' but found '\(clip(found))'; add the header row (ReChorus files start with one)"
    case .missingColumn(let path, let column, let header):
      return "\(path):1: header '\(clip(header))' has no column '\(column)'; columns must be tab-separated and include it"
    case .wrongFieldCount(let path, let line, let found, let expected):
      return "\(path):\(line): \(found) field\(found == 1 ? "" : "s"), expected \(expected); is the separator right (tab for ReChorus CSV and u.data, :: for ratings.dat)?"
    case .notAnInteger(let path, let line, let column, let value):
      return "\(path):\(line): \(column) '\(clip(value))' is not an integer; ids and times must be whole numbers"
    case .idNotPositive(let path, let line, let column, let value):
      return "\(path):\(line): \(column) \(value) is not >= 1; ids start at 1 (0 is padding), re-index the data"
    case .malformedNegativeList(let path, let line, let value):
      return "\(path):\(line): neg_items '\(clip(value))' is not a list like [12, 7, 93]; fix the list or re-run `timirec prepare`"
    case .negativeCountMismatch(let path, let line, let found, let expected):
      return "\(path):\(line): \(found) negatives, but the first row has \(expected); every row of a file needs the same count"
    case .negativeOutOfRange(let path, let line, let value, let itemCount):
      return "\(path):\(line): negative item \(value) is outside 1...\(itemCount - 1) (the largest item id in train/dev/test); drop it or re-draw the negatives"
    case .negativeIsPositive(let path, let line, let item):
      return "\(path):\(line): negative item \(item) equals the row's positive item; re-draw the negatives"
    case .userWithoutTrainRows(let path, let line, let user):
      return "\(path):\(line): user \(user) has no rows in train.csv; every dev/test user needs training history"
    case .blankLine(let path, let line):
      return "\(path):\(line): blank line inside the table; remove it"
    case .malformedJSON(let path, let line, let reason):
      return "\(path):\(line): not valid JSON (\(reason)); check that the file is JSON lines (one object per line)"
    case .missingField(let path, let line, let field):
      return "\(path):\(line): record has no '\(field)' field; is this the right kind of file for this source?"
    case .gzip(let path, let reason):
      return "\(path): gzip error (\(reason)); the download may be truncated, fetch it again"
    case .gzipExpansion(let path, let limit, let fileSize, let ratio):
      return "\(path): gzip content expands beyond \(limit) bytes (the bound is \(ratio) times the file's \(fileSize) bytes; review files compress about 5:1), so this is a decompression bomb or not a review file; if it is real, gunzip it and pass the plain file"
    case .implausibleSize(let path, let line, let what, let value, let limit, let reason):
      return "\(path):\(line): \(what) \(value) is larger than \(limit), \(reason)"
    case .noInteractions(let path):
      return "\(path): no interactions found; is this the right file and source format?"
    case .cannotDrawNegatives(let user, let clicked, let pool):
      return "user \(user) clicked \(clicked) of the \(pool) items in the pool, so no negative can be drawn; remove that user or use a larger item set"
    case .outputExists(let path):
      return "\(path): output folder already exists; remove it, pick another --output, or pass --force"
    case .badManifest(let path, let reason):
      return "\(path): invalid dataset.json (\(reason)); delete it or re-run `timirec prepare`"
    }
  }

  public var description: String { message }
}

/// Shortens a quoted value so that a message stays on one line.
private func clip(_ s: String, limit: Int = 60) -> String {
  let flat = s.replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\r", with: "\\r")
    .replacingOccurrences(of: "\n", with: "\\n")
  if flat.count <= limit { return flat }
  return String(flat.prefix(limit)) + "..."
}
