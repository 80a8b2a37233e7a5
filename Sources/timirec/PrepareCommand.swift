import ArgumentParser

struct PrepareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prepare", abstract: "(not built yet)")

  @Argument(parsing: .captureForPassthrough) var rest: [String] = []

  func run() throws {
    throw NotBuiltYet(command: "prepare")
  }
}
