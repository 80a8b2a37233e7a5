import ArgumentParser

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "(not built yet)")

  @Argument(parsing: .captureForPassthrough) var rest: [String] = []

  func run() throws {
    throw NotBuiltYet(command: "train")
  }
}
