import ArgumentParser
import Foundation
import SeqRec

/// `timirec prepare <source> --input PATH --output DIR`: raw data → ReChorus dataset folder.
struct PrepareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prepare",
    abstract: "Build a ReChorus-format dataset folder (train/dev/test.csv, items.tsv, dataset.json) from raw data.",
    discussion: """
      Implements the authors' preprocessing (docs/MODEL.md §1.2): stable sort by (time, user), re-index from 1, \
      leave-one-out (last item test, second-to-last dev, first always train), dev/test negatives drawn \
      uniformly outside the user's clicked items. The folder is written to a temporary name and renamed \
      when complete.
      Examples:
        timirec prepare sequences --input $RAW_DATA/beauty/Beauty.txt --output data/Beauty \\
          --titles $RAW_DATA/beauty/item_titles.tsv \\
          --attributes $RAW_DATA/beauty/Beauty_item2attributes.json --datamaps $RAW_DATA/beauty/datamaps.json
        timirec prepare movielens --input $RAW_DATA/ml-100k/u.data --output data/ml-100k
      """)

  @Argument(help: "Source format: sequences (user item item ...), movielens (u.data / ratings.dat), amazon (review JSON lines, .gz ok).")
  var source: SourceFormat

  @Option(help: "Interaction file (movielens: also a folder with u.data or ratings.dat).")
  var input: String

  @Option(help: "Output dataset folder (must not exist unless --force).")
  var output: String

  @Option(help: "Negatives per dev/test row.")
  var negatives: Int = PrepareCommand.defaults.negatives

  @Option(help: "Seed of the negative sampler (xoshiro256**).")
  var seed: UInt64 = PrepareCommand.defaults.seed

  @Option(help: "Titles table item_id<TAB>...<TAB>title, keyed by the source's item ids.")
  var titles: String?

  @Option(help: "Item -> attribute ids JSON (S3-Rec *_item2attributes.json); needs --datamaps.")
  var attributes: String?

  @Option(help: "datamaps.json with id2attribute (attribute names for --attributes).")
  var datamaps: String?

  @Option(help: "Item metadata: Amazon product JSON lines, or a MovieLens u.item / movies.dat not beside the ratings.")
  var metadata: String?

  @Option(help: "Dataset name in dataset.json (default: the output folder's name).")
  var name: String?

  @Flag(help: "Replace an existing output folder.")
  var force = false

  /// The library's defaults (`PrepareOptions`) the options start from; source, input and
  /// name are always given.
  static let defaults = PrepareOptions(source: .sequences, input: "", name: "")

  func validate() throws {
    guard negatives >= 0 else { throw ValidationError("--negatives must be >= 0, got \(negatives)") }
  }

  func run() throws {
    let started = Date()
    var options = PrepareOptions(source: source, input: input, name: name ?? (output as NSString).lastPathComponent)
    options.negatives = negatives
    options.seed = seed
    options.titles = titles
    options.attributes = attributes
    options.datamaps = datamaps
    options.metadata = metadata
    // A DataError reaches ArgumentParser, which prints it as one "Error: …" line and exits 1.
    if FileManager.default.fileExists(atPath: output) && !force { throw DataError.outputExists(path: output) }
    let prepared = try prepareDataset(options)
    try prepared.dataset.write(to: output, overwrite: force)
    print("prepared \(options.name) from \(input) (\(source.rawValue)) -> \(output)")
    print(prepared.statistics.summary)
    if let catalog = prepared.dataset.catalog {
      print("items with a title: \(catalog.titledCount) of \(prepared.dataset.itemCount - 1)")
    }
    for warning in prepared.warnings { print("warning: \(warning)") }
    print(String(format: "done in %.2f s", Date().timeIntervalSince(started)))
  }
}

extension SourceFormat: ExpressibleByArgument {}
