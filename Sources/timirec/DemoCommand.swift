import ArgumentParser

struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo", abstract: "(not built yet)")

  @Argument(parsing: .captureForPassthrough) var rest: [String] = []

  func run() throws {
    throw NotBuiltYet(command: "demo")
  }
}
