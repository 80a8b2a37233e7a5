// The in-memory form of a ReChorus dataset folder (docs/MODEL.md §1.1).

/// One of the three files of a dataset folder.
public enum Split: UInt8, Sendable, CaseIterable, Codable {
  case train = 0, dev = 1, test = 2

  /// The file name in a dataset folder: `train.csv`, `dev.csv`, `test.csv`.
  public var fileName: String {
    switch self {
    case .train: return "train.csv"
    case .dev: return "dev.csv"
    case .test: return "test.csv"
    }
  }
}

/// Rows of one split file, column by column (structure of arrays).
///
/// Row `r` is (`users[r]`, `items[r]`, `times[r]`) and, for dev/test, the negatives
/// `negatives[r * negativeCount ..< (r + 1) * negativeCount]`. Ids are dense and start at 1
/// (0 is padding); `times` is whatever the file holds (unix seconds for ReChorus data, the
/// position in the sequence for the `sequences` source).
public struct InteractionTable: Equatable, Sendable {
  /// User id per row, shape (R).
  public var users: [Int32]
  /// Positive item id per row, shape (R).
  public var items: [Int32]
  /// Time per row, shape (R).
  public var times: [Int64]
  /// Negatives per row, shape (R, negativeCount) row-major; empty for train.
  public var negatives: [Int32]
  /// Negatives per row (0 for train).
  public var negativeCount: Int

  public init(users: [Int32] = [], items: [Int32] = [], times: [Int64] = [], negatives: [Int32] = [], negativeCount: Int = 0) {
    self.users = users
    self.items = items
    self.times = times
    self.negatives = negatives
    self.negativeCount = negativeCount
  }

  /// Number of rows R.
  public var count: Int { users.count }

  /// The negatives of row `r` (length `negativeCount`).
  public func negatives(ofRow r: Int) -> ArraySlice<Int32> {
    negatives[(r * negativeCount)..<((r + 1) * negativeCount)]
  }
}

/// A ReChorus dataset: three split tables plus optional item metadata and manifest.
public struct Dataset: Sendable {
  /// Folder name (or the manifest's name).
  public var name: String
  public let train: InteractionTable
  public let dev: InteractionTable
  public let test: InteractionTable
  /// Titles and categories from `items.tsv`, if present.
  public var catalog: ItemCatalog?
  /// Contents of `dataset.json`, if present.
  public var manifest: DatasetManifest?

  public init(name: String, train: InteractionTable, dev: InteractionTable, test: InteractionTable,
              catalog: ItemCatalog? = nil, manifest: DatasetManifest? = nil) {
    self.name = name
    self.train = train
    self.dev = dev
    self.test = test
    self.catalog = catalog
    self.manifest = manifest
    userCount = Int(max(train.users.max() ?? 0, dev.users.max() ?? 0, test.users.max() ?? 0)) + 1
    itemCount = Int(max(train.items.max() ?? 0, dev.items.max() ?? 0, test.items.max() ?? 0)) + 1
  }

  /// The table of `split`.
  public func table(_ split: Split) -> InteractionTable {
    switch split {
    case .train: return train
    case .dev: return dev
    case .test: return test
    }
  }

  /// `n_users` of the reference reader: max user id over train+dev+test, plus 1 (row 0 = padding).
  public let userCount: Int

  /// `n_items` of the reference reader: max item id over train+dev+test positives, plus 1.
  /// Every item embedding table has this many rows; row 0 is padding (docs/MODEL.md §1.1).
  public let itemCount: Int
}
