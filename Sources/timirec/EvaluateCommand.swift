import ArgumentParser

struct EvaluateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "evaluate", abstract: "(not built yet)")

  @Argument(parsing: .captureForPassthrough) var rest: [String] = []

  func run() throws {
    throw NotBuiltYet(command: "evaluate")
  }
}
