import ArgumentParser

/// Thrown by subcommands whose library code has not landed yet: a clear message and exit code 2.
struct NotBuiltYet: Error, CustomStringConvertible {
  let command: String
  var description: String {
    "timirec \(command): not built yet. This subcommand is planned (see the open issues) but has no implementation in this build."
  }
}
