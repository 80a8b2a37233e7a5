// Item metadata of a dataset folder: `items.tsv` with item_id, title, category.

import Foundation

/// Titles and categories per item id (index 0 = padding, empty strings).
///
/// `items.tsv` is tab-separated UTF-8 with header `item_id\ttitle\tcategory`; `category`
/// holds one or more labels joined by `|` (MovieLens genres, Amazon categories, Beauty
/// attribute names). Items without metadata have empty strings.
public struct ItemCatalog: Equatable, Sendable {
  /// Title per item id, length = itemCount.
  public var titles: [String]
  /// `|`-joined category labels per item id, length = itemCount.
  public var categories: [String]

  /// An empty catalog for ids 0 ..< itemCount.
  public init(itemCount: Int) {
    titles = Array(repeating: "", count: itemCount)
    categories = Array(repeating: "", count: itemCount)
  }

  public init(titles: [String], categories: [String]) {
    precondition(titles.count == categories.count, "titles (\(titles.count)) and categories (\(categories.count)) differ in length")
    self.titles = titles
    self.categories = categories
  }

  public var itemCount: Int { titles.count }

  /// Title of `item`, or "" if unknown or out of range.
  public func title(_ item: Int) -> String { item >= 0 && item < titles.count ? titles[item] : "" }

  /// Category labels of `item` (split on `|`), empty if unknown.
  public func categoryLabels(_ item: Int) -> [String] {
    guard item >= 0 && item < categories.count, !categories[item].isEmpty else { return [] }
    return categories[item].split(separator: "|").map(String.init)
  }

  /// Number of items 1..<itemCount that have a non-empty title.
  public var titledCount: Int { titles.dropFirst().filter { !$0.isEmpty }.count }

  /// The `items.tsv` bytes: header, then one row per item id 1..<itemCount.
  /// Tabs and line breaks inside text become spaces so the table stays rectangular.
  public func tsvBytes() -> [UInt8] {
    var out: [UInt8] = Array("item_id\ttitle\tcategory\n".utf8)
    for id in 1..<max(1, titles.count) {
      out.append(contentsOf: String(id).utf8)
      out.append(Byte.tab)
      appendClean(titles[id], to: &out)
      out.append(Byte.tab)
      appendClean(categories[id], to: &out)
      out.append(Byte.newline)
    }
    return out
  }

  /// Reads `items.tsv`. Extra columns are ignored; ids beyond `itemCount` are ignored.
  /// - Throws: `DataError` for a missing header or column, wrong field counts, bad ids.
  public static func read(path: String, itemCount: Int) throws -> ItemCatalog {
    let file = try MappedFile(path: path)
    if file.bytes.isEmpty { throw DataError.emptyFile(path: path) }
    var catalog = ItemCatalog(itemCount: itemCount)
    var cursor = ByteCursor(file.bytes)
    let header = cursor.restOfLine().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    guard let idColumn = header.firstIndex(of: "item_id") else {
      throw DataError.missingHeader(path: path, found: cursor.restOfLine(), expected: ["item_id", "title", "category"])
    }
    guard let titleColumn = header.firstIndex(of: "title") else {
      throw DataError.missingColumn(path: path, column: "title", header: header.joined(separator: "\t"))
    }
    let categoryColumn = header.firstIndex(of: "category")
    cursor.skipLine()
    while !cursor.atEnd {
      let text = cursor.restOfLine()
      if text.isEmpty { cursor.skipLine(); continue }
      let fields = text.split(separator: "\t", omittingEmptySubsequences: false)
      guard fields.count == header.count else {
        throw DataError.wrongFieldCount(path: path, line: cursor.line, found: fields.count, expected: header.count)
      }
      guard let id = Int(fields[idColumn]) else {
        throw DataError.notAnInteger(path: path, line: cursor.line, column: "item_id", value: String(fields[idColumn]))
      }
      guard id >= 1 else { throw DataError.idNotPositive(path: path, line: cursor.line, column: "item_id", value: id) }
      if id < itemCount {
        catalog.titles[id] = String(fields[titleColumn])
        if let c = categoryColumn { catalog.categories[id] = String(fields[c]) }
      }
      cursor.skipLine()
    }
    return catalog
  }
}

private func appendClean(_ s: String, to out: inout [UInt8]) {
  for b in s.utf8 {
    out.append(b == Byte.tab || b == Byte.newline || b == Byte.carriageReturn ? Byte.space : b)
  }
}
