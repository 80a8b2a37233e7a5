// One fuzz harness per input the program reads (docs/INPUTS.md lists them). A harness takes
// the fuzzer's bytes, puts them where the program's reader expects them (a file in this
// process's scratch folder, overwritten for every input) and calls the entry point the
// program uses. A thrown error is a success: the reader refused the input. What counts as a
// failure is a crash, a sanitizer report, a timeout, an allocation over libFuzzer's limit, or
// a refusal whose message is not one line (the house rule for bad input).

import Foundation
import SeqRec
import Tensor

/// A named fuzz target.
public struct FuzzHarness: Sendable {
  /// The name `Tests/Fuzz/run.sh` takes; also the corpus folder `Tests/Fuzz/corpus/<name>`.
  public let name: String
  /// The input and the entry point, for `--list` and docs/INPUTS.md.
  public let summary: String
  let body: @Sendable (UnsafeRawBufferPointer) -> Void

  /// Runs one input through the reader; returns normally whether or not the reader refused it.
  public func run(_ bytes: UnsafeRawBufferPointer) { body(bytes) }

  /// Convenience for tests and the corpus replayer.
  public func run(_ bytes: [UInt8]) { bytes.withUnsafeBytes { run($0) } }
}

/// Calls `body`, treating any thrown error as the reader's refusal. A `DataError` must render
/// as one non-empty line (`Tests/SeqRecTests` asserts the same for hand-made inputs).
func refusalIsFine(_ body: () throws -> Void) {
  do {
    try body()
    if showRefusals { FileHandle.standardError.write(Data("accepted\n".utf8)) }
  } catch let error as DataError {
    let message = error.message
    if showRefusals { FileHandle.standardError.write(Data("refused: \(message)\n".utf8)) }
    precondition(!message.isEmpty && !message.contains("\n") && !message.contains("\r"),
                 "DataError message is not one line: \(message.debugDescription)")
  } catch {
    if showRefusals { FileHandle.standardError.write(Data("refused: \(error)\n".utf8)) }
    precondition(!"\(error)".isEmpty, "an error with an empty description: \(type(of: error))")
  }
}

/// FUZZ_SHOW_REFUSALS=1 prints what each input did (for looking at a corpus, not while fuzzing).
let showRefusals = ProcessInfo.processInfo.environment["FUZZ_SHOW_REFUSALS"] != nil

/// Splits `bytes` at NUL bytes into at most `parts` sections (the last keeps any further NULs).
/// Harnesses whose reader takes several files read them from one input this way.
func sections(_ bytes: UnsafeRawBufferPointer, parts: Int) -> [UnsafeRawBufferPointer] {
  var out: [UnsafeRawBufferPointer] = []
  var start = 0
  var i = 0
  while i < bytes.count && out.count < parts - 1 {
    if bytes[i] == 0 {
      out.append(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
      start = i + 1
    }
    i += 1
  }
  out.append(UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
  return out
}

/// This process's scratch folder: one subfolder per harness, whose files are overwritten for
/// every input (no file is created per input). Removed when the process exits normally
/// (`Tests/Fuzz/run.sh` also points TMPDIR at a folder it removes, for crashes).
final class Scratch: Sendable {
  /// Immutable after init; each harness writes only into its own subfolder, and libFuzzer
  /// runs one input at a time, so no two threads write the same file.
  let root: String

  init() {
    root = (NSTemporaryDirectory() as NSString).appendingPathComponent("timirec-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratch.root) }
  }

  /// The folder of harness `name`, created on first use.
  func folder(_ name: String) -> String {
    let path = (root as NSString).appendingPathComponent(name)
    if !FileManager.default.fileExists(atPath: path) {
      try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    return path
  }

  /// Writes `bytes` to `folder/file` (truncating) and returns the path.
  @discardableResult
  func write(_ bytes: UnsafeRawBufferPointer, to file: String, in folder: String) -> String {
    let path = (folder as NSString).appendingPathComponent(file)
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot write the scratch file \(path): \(String(cString: strerror(errno)))")
    var done = 0
    while done < bytes.count {
      let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
      precondition(n > 0, "cannot write the scratch file \(path): \(String(cString: strerror(errno)))")
      done += n
    }
    close(fd)
    return path
  }

  func write(_ bytes: [UInt8], to file: String, in folder: String) {
    bytes.withUnsafeBytes { _ = write($0, to: file, in: folder) }
  }

  func remove(_ file: String, in folder: String) {
    unlink((folder as NSString).appendingPathComponent(file))
  }
}

/// The scratch folder (a global `let`: initialised once, thread-safely, on first use).
let scratch = Scratch()
