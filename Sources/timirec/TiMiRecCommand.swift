import ArgumentParser
import Foundation
import Tensor

/// The `timirec` executable: thin glue over the SeqRec and Explorer libraries.
/// Each subcommand lives in its own file (`<Name>Command.swift`).
@main
enum Entry {
  static func main() {
    chooseBLASKernel()
    // TiMiRecCommand.main() split in two, so that the errors of a command's run (never
    // ArgumentParser's own parse errors and help) are shown on one line (CommandError.oneLine).
    var command: ParsableCommand
    do { command = try TiMiRecCommand.parseAsRoot() } catch { TiMiRecCommand.exit(withError: error) }
    do { try command.run() } catch { TiMiRecCommand.exit(withError: CommandError.oneLine(error)) }
  }

  /// OpenBLAS picks its kernel when the library loads, before `main`. When it fell back to
  /// the slow generic kernel on an AVX2 machine and the user set no OPENBLAS_CORETYPE, run
  /// this program again with OPENBLAS_CORETYPE=Haswell (the kernel this machine's own
  /// environment pins; see benchmarks/README.md, "Which kernel"). An explicit setting is always respected.
  static func chooseBLASKernel() {
    let environment = ProcessInfo.processInfo.environment
    guard environment["OPENBLAS_CORETYPE"] == nil, environment["TIMIREC_KERNEL_CHOSEN"] == nil,
          BLAS.fellBackToGenericKernel else { return }
    setenv("OPENBLAS_CORETYPE", "Haswell", 1)
    setenv("TIMIREC_KERNEL_CHOSEN", "1", 1)
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv("/proc/self/exe", arguments)
    // execv only returns on failure: carry on with the generic kernel.
  }
}

struct TiMiRecCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "timirec",
    abstract: "Train, evaluate and explore the TiMiRec multi-interest recommender (Wang et al., CIKM 2022).",
    subcommands: [
      PrepareCommand.self, TrainCommand.self, EvaluateCommand.self, ExploreCommand.self,
      ImportCommand.self, DemoCommand.self, BenchmarkCommand.self, AnalyzeCommand.self, ExportCommand.self,
      CasesCommand.self,
    ])
}

/// A command-line failure with a ready message. ArgumentParser prints it as one
/// `Error: <message>` line and exits with code 1, like the library's own errors.
struct CommandError: Error, CustomStringConvertible {
  let description: String
  init(_ message: String) { description = message }

  /// `error` as one line on the terminal (plus the "hint: " lines some errors end with):
  /// control characters that a file's bytes put into a message (a JSON key holding a newline,
  /// an escape sequence in a field) are shown escaped (`\n`, `\u{1B}`), so that a bad input
  /// gives one line and cannot drive the terminal (docs/INPUTS.md, promise 2). An error
  /// without any, and ArgumentParser's own (exit codes, help, validation), pass unchanged.
  static func oneLine(_ error: Error) -> Error {
    if error is ExitCode || error is CleanExit || error is ValidationError { return error }
    let text = "\(error)"
    let escaped = text.components(separatedBy: hintSeparator).map(escapingControlCharacters).joined(separator: hintSeparator)
    return escaped == text ? error : CommandError(escaped)
  }

  /// Where a message's hint line begins (ExplorerError's messages end with one).
  static let hintSeparator = "\nhint: "

  /// `text` with every control character but the tab written as its Swift escape.
  static func escapingControlCharacters(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if scalar.properties.generalCategory == .control && scalar != "\t" {
        out.append(contentsOf: scalar.escaped(asASCII: false).unicodeScalars)
      } else {
        out.append(scalar)
      }
    }
    return String(out)
  }
}
