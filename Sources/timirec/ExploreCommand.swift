import ArgumentParser

struct ExploreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explore", abstract: "(not built yet)")

  @Argument(parsing: .captureForPassthrough) var rest: [String] = []

  func run() throws {
    throw NotBuiltYet(command: "explore")
  }
}
