// fuzz-readers: the libFuzzer driver of Tests/Fuzz (built with -DFUZZING and
// -sanitize=fuzzer,address by Tests/Fuzz/run.sh), or, in a normal build, a replayer that runs
// files through a harness (no fuzzing, same harness code).
//
//   fuzz-readers --list
//   fuzz-readers NAME [libFuzzer flags] [corpus folders]     (fuzzing build)
//   FUZZ_HARNESS=NAME fuzz-readers [libFuzzer flags] [inputs] (the same; how libFuzzer runs
//                                                              the program again to minimise,
//                                                              merge or fork)
//   fuzz-readers NAME FILE_OR_FOLDER...                       (normal build: replay)
//   fuzz-readers --write-generated-seeds CORPUS_ROOT          (seeds that need the tiny model)

import FuzzHarnesses
import Foundation
#if FUZZING
import CFuzzDriver
#endif

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("fuzz-readers: \(message)\n".utf8))
  exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fail("usage: fuzz-readers --list | NAME [args...]") }

if arguments[1] == "--list" {
  for harness in FuzzHarnesses.all { print("\(harness.name)\t\(harness.summary)") }
  exit(0)
}

if arguments[1] == "--write-generated-seeds" {
  guard arguments.count == 3 else { fail("usage: fuzz-readers --write-generated-seeds CORPUS_ROOT") }
  for (name, files) in FuzzHarnesses.generatedSeeds {
    let folder = (arguments[2] as NSString).appendingPathComponent(name)
    try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (file, bytes) in files {
      try! Data(bytes).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(file)))
    }
  }
  exit(0)
}

// The harness is the first argument, or, when that is not a harness name, $FUZZ_HARNESS.
let harness: FuzzHarness
let rest: ArraySlice<String>
if let named = FuzzHarnesses.named(arguments[1]) {
  harness = named
  rest = arguments.dropFirst(2)
} else if let name = ProcessInfo.processInfo.environment["FUZZ_HARNESS"] {
  guard let named = FuzzHarnesses.named(name) else { fail("no harness '\(name)' (FUZZ_HARNESS); --list names them") }
  harness = named
  rest = arguments.dropFirst(1)
} else {
  fail("no harness '\(arguments[1])'; --list names them")
}

#if FUZZING
// Set once here, before libFuzzer starts, and only read afterwards (libFuzzer calls the
// callback on this thread, one input at a time).
nonisolated(unsafe) var selected: FuzzHarness = harness
// libFuzzer sees argv without the harness name, and runs this program again with that argv
// for -minimize_crash, -merge and -fork: the environment carries the name to those runs.
setenv("FUZZ_HARNESS", harness.name, 1)
var fuzzerArguments = [arguments[0]] + rest
var cArguments: [UnsafeMutablePointer<CChar>?] = fuzzerArguments.map { strdup($0) } + [nil]
var argc = Int32(fuzzerArguments.count)
let status = cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
  var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
  return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
  }
}
exit(status)
#else
// Replay: every file given, or every file under a folder given, in name order.
var files: [String] = []
for path in rest {
  var isFolder: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { fail("\(path): no such file or folder") }
  if isFolder.boolValue {
    let inside = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    for name in inside {
      let full = (path as NSString).appendingPathComponent(name)
      var sub: ObjCBool = false
      if FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { files.append(full) }
    }
  } else {
    files.append(path)
  }
}
for file in files {
  guard let data = FileManager.default.contents(atPath: file) else { fail("\(file): cannot read") }
  harness.run([UInt8](data))
}
print("\(harness.name): replayed \(files.count) inputs, none crashed")
#endif
