// `timirec prepare`: raw source → split (docs/MODEL.md §1.2) → metadata → manifest, in memory.

import Foundation

/// The raw formats `timirec prepare` understands.
public enum SourceFormat: String, CaseIterable, Sendable {
  /// `user item item ...` per line (Beauty.txt); see `readSequences`.
  case sequences
  /// ML-100K `u.data` or ML-1M `ratings.dat`; see `readMovieLensRatings`.
  case movielens
  /// Amazon review JSON lines, plain or .gz; see `readAmazonReviews`.
  case amazon
}

/// Everything `prepareDataset` needs.
public struct PrepareOptions: Sendable {
  public var source: SourceFormat
  /// Interaction file (for `movielens` also a folder holding `u.data` or `ratings.dat`).
  public var input: String
  /// Dataset name stored in dataset.json.
  public var name: String
  /// Negatives per dev/test row (docs/MODEL.md §1.2 step 7; ReChorus uses 1000).
  public var negatives: Int = 1000
  /// Seed of the negative sampler.
  public var seed: UInt64 = 0
  /// `item_id<TAB>...<TAB>title` table keyed by original item id.
  public var titles: String? = nil
  /// S3-Rec item → attribute ids JSON (needs `datamaps`).
  public var attributes: String? = nil
  /// P5 datamaps.json holding `id2attribute`.
  public var datamaps: String? = nil
  /// Item metadata: Amazon product lines, or a MovieLens `u.item` / `movies.dat` that is
  /// not beside the ratings file.
  public var metadata: String? = nil

  public init(source: SourceFormat, input: String, name: String) {
    self.source = source
    self.input = input
    self.name = name
  }
}

/// Runs a preparer: reads the source, splits it (docs/MODEL.md §1.2 steps 1–7), attaches titles and
/// categories, fingerprints every input file (SHA-256) and fills `dataset.manifest`.
/// Nothing is written; call `result.dataset.write(to:)`.
/// - Returns: the prepared dataset with statistics.
/// - Throws: `DataError` (file:line for malformed input).
public func prepareDataset(_ options: PrepareOptions) throws -> PreparedDataset {
  var sources: [SourceFile] = []
  var itemMetadataPath: String? = options.metadata
  var genresPath: String? = nil

  let raw: RawInteractions
  let interactionsPath: String
  switch options.source {
  case .sequences:
    interactionsPath = options.input
    raw = try readSequences(path: interactionsPath)
  case .movielens:
    interactionsPath = try movieLensRatingsPath(options.input)
    let (r, layout) = try readMovieLensRatings(path: interactionsPath)
    raw = r
    // No deletingLastPathComponent on a path without "/": Foundation on Linux traps on "A".
    let folder = interactionsPath.contains("/") ? (interactionsPath as NSString).deletingLastPathComponent : ""
    if itemMetadataPath == nil {
      let sibling = (folder as NSString).appendingPathComponent(layout == .tabSeparated ? "u.item" : "movies.dat")
      if FileManager.default.fileExists(atPath: sibling) { itemMetadataPath = sibling }
    }
    let genreFile = (folder as NSString).appendingPathComponent("u.genre")
    if layout == .tabSeparated && FileManager.default.fileExists(atPath: genreFile) { genresPath = genreFile }
  case .amazon:
    interactionsPath = options.input
    raw = try readAmazonReviews(path: interactionsPath)
  }
  sources.append(try SourceFile.fingerprint(role: "interactions", path: interactionsPath))

  var prepared = try leaveOneOutSplit(raw, name: options.name, negatives: options.negatives, seed: options.seed,
                                      sourcePath: interactionsPath)

  // Item metadata: source-specific first, then --titles and --attributes override.
  if let path = itemMetadataPath {
    switch options.source {
    case .movielens:
      let genres = try genresPath.map { try readMovieLensGenres(path: $0) } ?? movieLens100KGenres
      if let g = genresPath { sources.append(try SourceFile.fingerprint(role: "genres", path: g)) }
      let items = try readMovieLensItems(path: path, genres: genres)
      prepared.attach(titles: items.reduce(into: [:]) { $0[String($1.key)] = $1.value.title },
                      categories: items.reduce(into: [:]) { $0[String($1.key)] = $1.value.category })
    case .amazon, .sequences:
      let items = try readAmazonMetadata(path: path)
      prepared.attach(titles: items.mapValues(\.title), categories: items.mapValues(\.category))
    }
    sources.append(try SourceFile.fingerprint(role: "items", path: path))
  }
  if let path = options.titles {
    prepared.attach(titles: try readTitlesTable(path: path))
    sources.append(try SourceFile.fingerprint(role: "titles", path: path))
  }
  if options.attributes != nil || options.datamaps != nil {
    guard let attributes = options.attributes, let datamaps = options.datamaps else {
      throw DataError.fileMissing(path: options.attributes == nil ? "--attributes (needed with --datamaps)" : "--datamaps (needed with --attributes)")
    }
    let (categories, agreement) = try readAttributeCategories(attributesPath: attributes, datamapsPath: datamaps)
    prepared.attach(categories: categories)
    if let (matching, total) = agreement, total > 0, matching * 2 < total {
      prepared.warnings.append(
        "attribute ids of \((attributes as NSString).lastPathComponent) do not match \((datamaps as NSString).lastPathComponent): "
          + "usage counts agree with attributeid2num for only \(matching) of \(total) ids, so the category labels are likely wrong")
    }
    sources.append(try SourceFile.fingerprint(role: "attributes", path: attributes))
    sources.append(try SourceFile.fingerprint(role: "datamaps", path: datamaps))
  }

  prepared.dataset.manifest = DatasetManifest(name: options.name, source: options.source.rawValue, sources: sources,
                                              seed: options.seed, negatives: options.negatives,
                                              statistics: prepared.statistics)
  return prepared
}

/// `u.data` or `ratings.dat` inside a folder, or the path itself.
private func movieLensRatingsPath(_ input: String) throws -> String {
  var isDir: ObjCBool = false
  guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else { throw DataError.fileMissing(path: input) }
  guard isDir.boolValue else { return input }
  for name in ["u.data", "ratings.dat"] {
    let p = (input as NSString).appendingPathComponent(name)
    if FileManager.default.fileExists(atPath: p) { return p }
  }
  throw DataError.fileMissing(path: (input as NSString).appendingPathComponent("u.data or ratings.dat"))
}
