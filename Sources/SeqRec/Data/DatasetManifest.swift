// `dataset.json`: provenance and statistics of a prepared dataset folder.

import Foundation

/// One input file of a preparer, fingerprinted.
public struct SourceFile: Codable, Equatable, Sendable {
  /// What the file contributed: "interactions", "items", "titles", "attributes", "datamaps", "metadata".
  public var role: String
  /// File name (no folder, so the manifest does not depend on where the inputs lived).
  public var file: String
  public var bytes: Int
  /// Lowercase hex SHA-256 of the file's bytes, as `sha256sum` prints it.
  public var sha256: String

  public init(role: String, file: String, bytes: Int, sha256: String) {
    self.role = role
    self.file = file
    self.bytes = bytes
    self.sha256 = sha256
  }

  /// Fingerprints the file at `path`.
  /// - Throws: `DataError.fileMissing` / `.unreadable`.
  public static func fingerprint(role: String, path: String) throws -> SourceFile {
    let mapped = try MappedFile(path: path)
    var hasher = SHA256Hasher()
    hasher.update(mapped.bytes)
    return SourceFile(role: role, file: (path as NSString).lastPathComponent, bytes: mapped.bytes.count,
                      sha256: hasher.hexDigest())
  }
}

/// Counts describing a dataset (printed by `timirec prepare`, stored in dataset.json).
public struct DatasetStatistics: Codable, Equatable, Sendable {
  /// Distinct users (ids 1...users).
  public var users: Int
  /// Distinct items (ids 1...items).
  public var items: Int
  /// Interactions after dropping exact duplicate (user, item, time) triples.
  public var interactions: Int
  public var trainRows: Int
  public var devRows: Int
  public var testRows: Int
  /// Training instances of docs/MODEL.md §1.3 (train rows that are not a user's first interaction).
  public var trainInstances: Int
  /// Users with exactly 2 interactions (train + test, no dev row; docs/MODEL.md §9).
  public var usersWithTwoInteractions: Int
  /// Users with exactly 1 interaction (train only; docs/MODEL.md §9).
  public var usersWithOneInteraction: Int
  public var minSequenceLength: Int
  public var maxSequenceLength: Int
  /// Mean interactions per user, rounded to 4 decimals.
  public var meanSequenceLength: Double
  public var firstTime: Int64
  public var lastTime: Int64
  /// Exact duplicate (user, item, time) triples dropped in step 1 of docs/MODEL.md §1.2.
  public var duplicatesDropped: Int
  /// Size n of the negative pool: distinct items among non-first interactions (docs/MODEL.md §1.2 step 7).
  public var negativePool: Int

  public init(users: Int, items: Int, interactions: Int, trainRows: Int, devRows: Int, testRows: Int,
              trainInstances: Int, usersWithTwoInteractions: Int, usersWithOneInteraction: Int,
              minSequenceLength: Int, maxSequenceLength: Int, meanSequenceLength: Double,
              firstTime: Int64, lastTime: Int64, duplicatesDropped: Int, negativePool: Int) {
    self.users = users
    self.items = items
    self.interactions = interactions
    self.trainRows = trainRows
    self.devRows = devRows
    self.testRows = testRows
    self.trainInstances = trainInstances
    self.usersWithTwoInteractions = usersWithTwoInteractions
    self.usersWithOneInteraction = usersWithOneInteraction
    self.minSequenceLength = minSequenceLength
    self.maxSequenceLength = maxSequenceLength
    self.meanSequenceLength = meanSequenceLength
    self.firstTime = firstTime
    self.lastTime = lastTime
    self.duplicatesDropped = duplicatesDropped
    self.negativePool = negativePool
  }

  /// A few human-readable lines (what `timirec prepare` prints).
  public var summary: String {
    """
    users \(users), items \(items), interactions \(interactions)
    train / dev / test rows \(trainRows) / \(devRows) / \(testRows); training instances \(trainInstances)
    sequence length min \(minSequenceLength), max \(maxSequenceLength), mean \(meanSequenceLength)
    users with 2 interactions (no dev row) \(usersWithTwoInteractions); with 1 (train only) \(usersWithOneInteraction)
    time \(firstTime) ... \(lastTime); duplicates dropped \(duplicatesDropped); negative pool \(negativePool) items
    """
  }
}

/// Contents of `dataset.json`.
///
/// Deterministic: no clock time, no absolute paths, sorted keys; the same inputs and seed
/// give the same bytes.
public struct DatasetManifest: Codable, Equatable, Sendable {
  /// Version of this manifest layout (currently 1).
  public var formatVersion: Int
  public var name: String
  /// Preparer that built the folder: "sequences", "movielens" or "amazon".
  public var source: String
  public var sources: [SourceFile]
  /// Seed of the `SeededRandom` stream that drew the dev/test negatives.
  public var seed: UInt64
  /// Negatives per dev/test row.
  public var negatives: Int
  /// Name of the random generator, so a reader knows what `seed` means.
  public var rng: String
  public var statistics: DatasetStatistics

  public init(name: String, source: String, sources: [SourceFile], seed: UInt64, negatives: Int,
              statistics: DatasetStatistics) {
    formatVersion = 1
    self.name = name
    self.source = source
    self.sources = sources
    self.seed = seed
    self.negatives = negatives
    rng = "xoshiro256** seeded by SplitMix64 (SeqRec.SeededRandom)"
    self.statistics = statistics
  }

  /// Pretty-printed JSON with sorted keys and a final newline.
  public func jsonBytes() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(self)) + [Byte.newline]
  }

  /// Reads `dataset.json`.
  /// - Throws: `DataError.badManifest` if it does not decode.
  public static func read(path: String) throws -> DatasetManifest {
    let file = try MappedFile(path: path)
    do {
      return try JSONDecoder().decode(DatasetManifest.self, from: Data(file.bytes))
    } catch {
      throw DataError.badManifest(path: path, reason: "\(error)")
    }
  }
}
