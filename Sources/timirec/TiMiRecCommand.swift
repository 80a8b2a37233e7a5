import ArgumentParser

/// The `timirec` executable: thin glue over the SeqRec and Explorer libraries.
/// Each subcommand lives in its own file (`<Name>Command.swift`).
@main
struct TiMiRecCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "timirec",
    abstract: "Train, evaluate and explore the TiMiRec multi-interest recommender (Wang et al., CIKM 2022).",
    subcommands: [
      PrepareCommand.self, TrainCommand.self, EvaluateCommand.self, ExploreCommand.self,
      DemoCommand.self,
    ])
}
