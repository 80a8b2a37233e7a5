// Attaching titles and categories to prepared items: `--titles TSV`, `--attributes JSON`
// with `--datamaps JSON` (Beauty), and the MovieLens / Amazon metadata readers.

import Foundation

/// Reads a titles table `item_id<TAB>...<TAB>title` (e.g. the S3-Rec Beauty item_titles.tsv:
/// `item_id  asin  title`). With a header row, the `item_id` and `title` columns are
/// used; without one, the first and last columns. Ids are the source's original item ids.
/// Empty titles are allowed (7 Beauty items have none).
/// - Returns: original item id (text) → title.
/// - Throws: `DataError` with file:line for a line with fewer than 2 fields.
public func readTitlesTable(path: String) throws -> [String: String] {
  let file = try MappedFile(path: path)
  if file.bytes.isEmpty { throw DataError.emptyFile(path: path) }
  var result: [String: String] = [:]
  var idColumn = 0
  var titleColumn: Int? = nil
  var line = 0
  for rawLine in file.bytes.split(separator: Byte.newline, omittingEmptySubsequences: false) {
    line += 1
    var text = String(decoding: rawLine, as: UTF8.self)
    if text.hasSuffix("\r") { text.removeLast() }
    if text.isEmpty { continue }
    let fields = text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    if line == 1, Int(fields[0]) == nil {
      idColumn = fields.firstIndex(of: "item_id") ?? 0
      titleColumn = fields.firstIndex(of: "title")
      continue
    }
    guard fields.count >= 2 else { throw DataError.wrongFieldCount(path: path, line: line, found: fields.count, expected: 2) }
    let t = titleColumn ?? fields.count - 1
    guard idColumn < fields.count, t < fields.count else {
      throw DataError.wrongFieldCount(path: path, line: line, found: fields.count, expected: max(idColumn, t) + 1)
    }
    result[fields[idColumn]] = fields[t]
  }
  return result
}

/// Category labels per original item id from S3-Rec `*_item2attributes.json`
/// (`{"item id": [attribute ids]}`) and P5 `datamaps.json` (`id2attribute`: attribute id →
/// name). Labels keep the attribute order of the item (for Beauty: brand, then categories)
/// and are joined with `|`.
///
/// The two files come from different projects. When datamaps also has `attributeid2num`
/// (items per attribute), the returned `agreement` counts the attribute ids whose usage in
/// the attributes file equals that number: a low share means the id spaces differ and the
/// labels are unreliable (the case for the S3-Rec Beauty files: 12 of 637).
/// - Throws: `DataError.malformedJSON` (line 1) or `.missingField` for a datamaps file
///   without `id2attribute`.
public func readAttributeCategories(attributesPath: String, datamapsPath: String) throws
  -> (categories: [String: String], agreement: (matching: Int, total: Int)?) {
  let attributes = try parseJSONFile(attributesPath)
  let datamaps = try parseJSONFile(datamapsPath)
  guard let names = datamaps["id2attribute"]?.objectValue else {
    throw DataError.missingField(path: datamapsPath, line: 1, field: "id2attribute")
  }
  guard let byItem = attributes.objectValue else {
    throw DataError.malformedJSON(path: attributesPath, line: 1, reason: "expected an object of item id -> attribute ids")
  }
  var result: [String: String] = [:]
  var usage: [Int: Int] = [:]
  for (item, list) in byItem {
    let ids = (list.arrayValue ?? []).compactMap { $0.intValue }
    for id in ids { usage[id, default: 0] += 1 }
    result[item] = ids.compactMap { names[String($0)]?.stringValue }.joined(separator: "|")
  }
  var agreement: (Int, Int)? = nil
  if let counts = datamaps["attributeid2num"]?.objectValue {
    agreement = (usage.filter { counts[String($0.key)]?.intValue == $0.value }.count, usage.count)
  }
  return (result, agreement)
}

func parseJSONFile(_ path: String) throws -> JSONValue {
  let file = try MappedFile(path: path)
  if file.bytes.isEmpty { throw DataError.emptyFile(path: path) }
  do {
    return try parseLooseJSON(file.bytes)
  } catch let e as JSONSyntaxError {
    // Report the line of the failing byte.
    let line = file.bytes[0..<min(e.offset, file.bytes.count)].reduce(1) { $0 + ($1 == Byte.newline ? 1 : 0) }
    throw DataError.malformedJSON(path: path, line: line, reason: e.reason)
  }
}

extension PreparedDataset {
  /// Fills `dataset.catalog` titles/categories from a map keyed by original item id.
  /// Existing entries are overwritten only by non-nil values.
  /// - Returns: how many dataset items received a value.
  @discardableResult
  public mutating func attach(titles: [String: String]? = nil, categories: [String: String]? = nil) -> Int {
    var catalog = dataset.catalog ?? ItemCatalog(itemCount: dataset.itemCount)
    var hits = 0
    for id in 1..<dataset.itemCount {
      let key = originalItemIds[id]
      var hit = false
      if let t = titles?[key] { catalog.titles[id] = t; hit = true }
      if let c = categories?[key] { catalog.categories[id] = c; hit = true }
      if hit { hits += 1 }
    }
    dataset.catalog = catalog
    return hits
  }
}
