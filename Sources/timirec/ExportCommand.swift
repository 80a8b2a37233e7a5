import ArgumentParser
import Explorer
import Foundation

/// `timirec export`: the explorer's view as JSON, and the item and interest vectors for the
/// TensorBoard Embedding Projector (the `e` key writes both at once).
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export the explorer's view as JSON, or the item and interest vectors for the Embedding Projector.",
    discussion: """
      timirec export view    --data DIR --ckpt CKPT --user U --step T [--temp T] [--history …] [--compare CKPT2] [--select LIST:ROW] --out FILE.json
      timirec export vectors --data DIR --ckpt CKPT [--user U [--step T]] --out FOLDER
      An existing --out is replaced only with --force, and a folder only when it holds nothing but \
      an earlier export's files (never the current directory, an ancestor of it, or $HOME); \
      nothing is written inside the dataset or checkpoint folder. The case table is `timirec cases --csv`.
      """,
    subcommands: [ExportViewCommand.self, ExportVectorsCommand.self])
}

/// What both exports read: the dataset, the checkpoint and where to write.
struct ExportInput: ParsableArguments {
  @Option(help: "Dataset folder (default: the bundled demo, demo-data/).") var data: String?
  @Option(help: "Checkpoint folder (default: <data>/checkpoint).") var ckpt: String?
  @Option(help: "User id (default: the first user).") var user: Int?
  @Option(help: "Step t in 0…n_u (default: n_u − 1, the test item as target).") var step: Int?
  @Flag(help: "Replace an existing --out.") var force = false
}

/// `timirec export view`: byte for byte what `explore --snapshot --json` prints.
struct ExportViewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "view",
    abstract: "Write the view of (user, step, T) as JSON, exactly what `explore --snapshot --json` prints with the same options.")

  @OptionGroup var input: ExportInput
  @Option(help: "Temperature T in 0.01…100 (default: the checkpoint's training temperature).") var temp: Float?
  @OptionGroup var shape: ViewOptions
  @Option(help: "The JSON file to write.") var out: String

  func validate() throws { try ExploreCommand.validateTemperature(temp) }

  func run() throws {
    let session = try DemoPaths.openSession(data: input.data, ckpt: input.ckpt)
    let comparison = try shape.comparison(session: session)
    let state = try shape.state(session: session, user: input.user, step: input.step, temperature: temp)
    let view = ViewOptions.view(session: session, state: state, comparison: comparison)
    try ViewExport.writeFile(try ViewExport.jsonFile(view), to: out, force: input.force, session: session)
    print("wrote the view of user \(view.user) at step \(view.step) (T = \(formatTemperature(state.temperature))) to \(out)")
  }
}

/// `timirec export vectors`: vectors.tsv and metadata.tsv for projector.tensorflow.org.
struct ExportVectorsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vectors",
    abstract: "Write vectors.tsv and metadata.tsv for the TensorBoard Embedding Projector: every item embedding, and with --user a user's K interests at a step.",
    discussion: """
      Load both files at projector.tensorflow.org ("Load": vectors.tsv, then metadata.tsv). \
      metadata.tsv has the header id, title, category, kind (item or interest); an interest's \
      title is its label in the explorer, its category "user U step t".
      """)

  @OptionGroup var input: ExportInput
  @Option(help: "The folder to write (it holds vectors.tsv and metadata.tsv).") var out: String

  func validate() throws {
    if input.step != nil && input.user == nil { throw ValidationError("--step goes with --user (whose interests to add)") }
  }

  func run() throws {
    let session = try DemoPaths.openSession(data: input.data, ckpt: input.ckpt)
    var interests: ProjectorInterests?
    if input.user != nil {
      let state = try ExplorerState.opening(session: session, user: input.user, step: input.step, temperature: nil)
      guard state.step > 0 else {
        throw CommandError("step 0 has an empty history, so user \(input.user!) has no interests there; give --step 1 or later, or leave out --user for the items alone")
      }
      let builder = ViewBuilder(session: session)
      interests = builder.projectorInterests(for: builder.view(for: state))
    }
    try ViewExport.writeFolder(try ViewExport.projectorFiles(session: session, interests: interests), to: out,
                               force: input.force, session: session)
    let added = interests.map { " and user \($0.user)'s \($0.labels.count) interests at step \($0.step)" } ?? ""
    print("wrote \(session.model.itemCount - 1) item vectors\(added) (D = \(session.model.embeddingSize)) to \((out as NSString).appendingPathComponent(ViewExport.vectorsFile)) and \(ViewExport.metadataFile)")
  }
}
