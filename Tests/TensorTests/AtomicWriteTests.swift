import Foundation
import TestSupport
import XCTest
@testable import Tensor

/// AtomicWrite: files and folders are replaced, never removed first; a concurrent reader sees
/// one complete generation at every instant (exchange and fallback); stale temporaries are
/// removed by the next write; failures throw and keep the old content.
final class AtomicWriteTests: XCTestCase {
  func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-atomic-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }

  func entries(_ folder: String) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
  }

  /// Files of generation `generation`: each starts "gen G file F size S\n" and is padded to S
  /// bytes (sizes vary, up to ~200 kB, so a partial file is visible as a short one).
  static func generationFiles(_ generation: Int, count: Int = 4) -> [String: Data] {
    var files: [String: Data] = [:]
    for file in 0..<count {
      let size = 64 + (generation * 7919 + file * 104_729) % 200_000
      var text = "gen \(generation) file \(file) size \(size)\n"
      text += String(repeating: "x", count: size - text.utf8.count)
      files["f\(file).txt"] = Data(text.utf8)
    }
    return files
  }

  /// The generation of a complete generation file, or nil if it is partial or garbled.
  static func generation(of data: Data, file: Int) -> Int? {
    guard let newline = data.firstIndex(of: UInt8(ascii: "\n")),
          let header = String(data: data[..<newline], encoding: .utf8) else { return nil }
    let words = header.split(separator: " ")
    guard words.count == 6, words[0] == "gen", words[2] == "file", words[3] == "\(file)", words[4] == "size",
          let generation = Int(words[1]), let size = Int(words[5]), size == data.count else { return nil }
    return generation
  }

  func testWriteFileReplacesContentAndRemovesStaleTemporaries() throws {
    let folder = try temporaryDirectory()
    let path = folder + "/weights.bin"
    try AtomicWrite.writeFile(Data("first".utf8), to: path)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("first".utf8))
    // A writer killed earlier left its temporary file; another name is not touched.
    _ = FileManager.default.createFile(atPath: folder + "/.weights.bin.tmp-4242-0badc0de", contents: Data("stale".utf8))
    _ = FileManager.default.createFile(atPath: folder + "/.weights.bin.tmp-keep", contents: Data())
    try AtomicWrite.writeFile(Data("second, longer".utf8), to: path)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data("second, longer".utf8))
    XCTAssertEqual(entries(folder), ["weights.bin", ".weights.bin.tmp-keep"])
  }

  func testWriteFolderCreatesThenExchangesWithTheOldFolder() throws {
    let folder = try temporaryDirectory()
    let path = folder + "/ckpt"
    XCTAssertEqual(try AtomicWrite.writeFolder(path, files: ["a": Data("1".utf8), "old-only": Data("x".utf8)]), .created)
    let firstInode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    XCTAssertEqual(try AtomicWrite.writeFolder(path, files: ["a": Data("2".utf8), "b": Data("3".utf8)]), .exchanged)
    XCTAssertEqual(entries(path), ["a", "b"])
    XCTAssertEqual(try AtomicWrite.readFolder(path, files: ["a", "b"]), ["a": Data("2".utf8), "b": Data("3".utf8)])
    let secondInode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    XCTAssertNotEqual(firstInode, secondInode, "the new folder takes the old one's place")
    XCTAssertEqual(entries(folder), ["ckpt"], "no temporary left beside it")
    // Writing an empty set is allowed and gives an empty folder.
    try AtomicWrite.writeFolder(path, files: [:])
    XCTAssertEqual(entries(path), [])
  }

  /// Many rewrites while another thread keeps opening the folder: the folder is never
  /// missing, no file is ever missing or partial, and `readFolder` always returns the files of
  /// one generation, never going back in time.
  func testConcurrentReaderSeesOneCompleteGenerationDuringExchanges() throws {
    try checkConcurrentReader(exchange: true, rewrites: 100)
  }

  /// The same through the fallback (old copy moved aside, then the new one moved in) for
  /// readers that follow the recovery rule (`readFolder`, `readablePath`).
  func testConcurrentReaderSeesOneCompleteGenerationDuringTheFallback() throws {
    try checkConcurrentReader(exchange: false, rewrites: 100)
  }

  func checkConcurrentReader(exchange: Bool, rewrites: Int) throws {
    let folder = try temporaryDirectory()
    let path = folder + "/ckpt"
    let names = (0..<4).map { "f\($0).txt" }
    try AtomicWrite.writeFolder(path, files: Self.generationFiles(0))

    let report = ReaderReport()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      defer { done.signal() }
      var last = 0
      while !report.stopRequested {
        // The recovery-rule reader: one generation, complete, monotonic.
        do {
          let files = try AtomicWrite.readFolder(path, files: names)
          let generations = names.enumerated().map { Self.generation(of: files[$0.element]!, file: $0.offset) }
          if generations.contains(where: { $0 == nil }) || Set(generations).count != 1 {
            report.fail("readFolder gave a mixed or partial set: \(generations)")
          } else if let generation = generations[0], generation < last {
            report.fail("readFolder went back from generation \(last) to \(generation)")
          } else {
            last = generations[0]!
          }
        } catch {
          report.fail("readFolder: \(error)")
        }
        // A plain reader opening the path's files one by one (the checkpoint readers do
        // this): with the exchange, every file is there and complete at every instant.
        if exchange {
          for (index, name) in names.enumerated() {
            guard let data = FileManager.default.contents(atPath: path + "/" + name) else {
              report.fail("\(name) missing at \(path)")
              continue
            }
            if Self.generation(of: data, file: index) == nil { report.fail("\(name) partial (\(data.count) bytes)") }
          }
        }
        report.countRead()
      }
    }
    thread.start()
    for generation in 1...rewrites {
      let how = try AtomicWrite.writeFolder(path, files: Self.generationFiles(generation), exchange: exchange)
      XCTAssertEqual(how, exchange ? .exchanged : .movedAside)
    }
    // Let the reader see the last generation too (and reach the read count checked below,
    // however slowly a loaded machine schedules it).
    let readsBefore = report.reads
    waitUntil(timeout: 60, interval: 0.001) { report.reads >= max(readsBefore + 3, 11) }
    report.stop()
    XCTAssertEqual(done.wait(timeout: .now() + 60), .success)
    XCTAssertEqual(report.failures.prefix(5), [], "\(report.failures.count) failures")
    XCTAssertGreaterThan(report.reads, 10, "the reader ran alongside the writer")
    XCTAssertEqual(entries(folder), ["ckpt"])
    let final = try AtomicWrite.readFolder(path, files: names)
    XCTAssertEqual(Self.generation(of: final["f0.txt"]!, file: 0), rewrites)
  }

  func testStaleTemporariesAreRemovedOnTheNextWrite() throws {
    let folder = try temporaryDirectory()
    let path = folder + "/ckpt"
    try AtomicWrite.writeFolder(path, files: Self.generationFiles(1))
    let fm = FileManager.default
    // Left by killed writers: a half-written new folder, a previous copy after an exchange,
    // one set aside by the fallback. Names that only look alike stay.
    let stale = [".ckpt.tmp-4242-0badc0de", ".ckpt.tmp-1-12345678", ".ckpt.old-77-abcdef01"]
    let unrelated = [".ckpt.tmp-keep", ".ckpt.tmp-x.tmp-1-12345678", "ckpt.tmp-1-12345678", ".other.tmp-1-12345678",
                     ".ckpt2.tmp-1-12345678"]
    for name in stale + unrelated {
      try fm.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: false)
      _ = fm.createFile(atPath: folder + "/" + name + "/f0.txt", contents: Data("partial".utf8))
    }
    try AtomicWrite.writeFolder(path, files: Self.generationFiles(2))
    XCTAssertEqual(entries(folder), Set(["ckpt"] + unrelated))
    XCTAssertEqual(Self.generation(of: try AtomicWrite.readFolder(path, files: ["f1.txt"])["f1.txt"]!, file: 1), 2)
  }

  /// A fallback write killed between its two renames leaves no folder but the copy set
  /// aside: readers open that copy, and the next write (or an explicit recovery) puts it back.
  func testAnInterruptedFallbackIsReadAndRecovered() throws {
    let folder = try temporaryDirectory()
    let path = folder + "/ckpt"
    try AtomicWrite.writeFolder(path, files: Self.generationFiles(5))
    let aside = folder + "/.ckpt.old-4242-0000abcd"
    try FileManager.default.moveItem(atPath: path, toPath: aside)
    try FileManager.default.createDirectory(atPath: folder + "/.ckpt.tmp-4242-0000abce", withIntermediateDirectories: false)

    XCTAssertEqual(AtomicWrite.readablePath(path), aside)
    let files = try AtomicWrite.readFolder(path, files: ["f0.txt", "f3.txt"])
    XCTAssertEqual(Self.generation(of: files["f3.txt"]!, file: 3), 5)

    let removed = try AtomicWrite.recoverInterruptedWrite(of: path)
    XCTAssertEqual(removed, [".ckpt.tmp-4242-0000abce"])
    XCTAssertEqual(entries(folder), ["ckpt"])
    XCTAssertEqual(AtomicWrite.readablePath(path), path)
    XCTAssertEqual(Self.generation(of: try AtomicWrite.readFolder(path, files: ["f2.txt"])["f2.txt"]!, file: 2), 5)

    // The same repair happens inside the next write, which then replaces the folder.
    try FileManager.default.moveItem(atPath: path, toPath: aside)
    XCTAssertEqual(try AtomicWrite.writeFolder(path, files: Self.generationFiles(6)), .exchanged)
    XCTAssertEqual(entries(folder), ["ckpt"])
  }

  func testAMissingFolderOrFileIsAnError() throws {
    let folder = try temporaryDirectory()
    XCTAssertThrowsError(try AtomicWrite.readFolder(folder + "/none", files: ["a"])) { error in
      XCTAssertEqual((error as? AtomicWriteError)?.code, ENOENT)
    }
    try AtomicWrite.writeFolder(folder + "/ckpt", files: ["a": Data()])
    XCTAssertThrowsError(try AtomicWrite.readFolder(folder + "/ckpt", files: ["a", "b"])) { error in
      XCTAssertEqual((error as? AtomicWriteError)?.code, ENOENT)
      XCTAssertEqual((error as? AtomicWriteError)?.operation, "opening b")
    }
  }

  /// A parent that cannot be written, a missing parent and an invalid file name: a clear
  /// error naming the destination, the old folder and file intact, nothing left behind.
  func testFailuresThrowAndLeaveTheOldContentIntact() throws {
    let root = try temporaryDirectory()
    let parent = root + "/runs"
    let path = parent + "/ckpt", file = parent + "/weights.bin"
    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: false)
    try AtomicWrite.writeFolder(path, files: Self.generationFiles(1))
    try AtomicWrite.writeFile(Data("old".utf8), to: file)

    XCTAssertThrowsError(try AtomicWrite.writeFolder(path, files: ["../escape": Data()])) { error in
      XCTAssertTrue("\(error)".contains("is not a plain file name"), "\(error)")
    }
    XCTAssertThrowsError(try AtomicWrite.writeFolder(root + "/missing/ckpt", files: ["a": Data()])) { error in
      XCTAssertEqual((error as? AtomicWriteError)?.code, ENOENT)
      XCTAssertTrue("\(error)".hasPrefix(root + "/missing/ckpt: cannot write it safely: opening the parent folder"), "\(error)")
    }

    try makeUnwritable(parent)
    XCTAssertThrowsError(try AtomicWrite.writeFolder(path, files: Self.generationFiles(2))) { error in
      let error = error as? AtomicWriteError
      XCTAssertTrue([EACCES, EPERM].contains(error?.code ?? 0), "\(String(describing: error))")
      XCTAssertEqual(error?.path, path)
      XCTAssertTrue(error?.description.contains("creating the temporary folder \(parent)/.ckpt.tmp-") ?? false,
                    "\(String(describing: error))")
    }
    XCTAssertThrowsError(try AtomicWrite.writeFile(Data("new".utf8), to: file)) { error in
      XCTAssertTrue([EACCES, EPERM].contains((error as? AtomicWriteError)?.code ?? 0), "\(error)")
    }
    try makeWritable(parent)
    XCTAssertEqual(entries(parent), ["ckpt", "weights.bin"])
    let files = try AtomicWrite.readFolder(path, files: ["f0.txt", "f1.txt", "f2.txt", "f3.txt"])
    XCTAssertEqual(files.map { Self.generation(of: $0.value, file: Int($0.key.dropFirst().prefix(1))!) }, [1, 1, 1, 1])
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), Data("old".utf8))
  }

  /// chmod 555; as root (which ignores it) the immutable attribute instead; skips the test
  /// when neither stops writing.
  func makeUnwritable(_ folder: String) throws {
    chmod(folder, 0o555)
    addTeardownBlock { [self] in try? makeWritable(folder) }
    if probeWritable(folder) {
      _ = runTool("/usr/bin/chattr", ["+i", folder])
      if probeWritable(folder) {
        try makeWritable(folder)
        throw XCTSkip("cannot make \(folder) unwritable here (root without chattr)")
      }
    }
  }

  func makeWritable(_ folder: String) throws {
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr") { _ = runTool("/usr/bin/chattr", ["-i", folder]) }
    chmod(folder, 0o755)
  }

  func probeWritable(_ folder: String) -> Bool {
    let probe = folder + "/.probe-\(UUID().uuidString)"
    guard mkdir(probe, 0o700) == 0 else { return false }
    rmdir(probe)
    return true
  }

  func runTool(_ tool: String, _ arguments: [String]) -> Int32 {
    guard FileManager.default.isExecutableFile(atPath: tool),
          let result = try? runProcess(tool, arguments, timeout: 60) else { return -1 }
    return result.end.exitCode ?? -1
  }
}

/// What the reader thread saw, behind a lock (the only state the two threads share).
final class ReaderReport: @unchecked Sendable {
  private let lock = NSLock()
  private var failureList: [String] = []
  private var readCount = 0
  private var stopFlag = false

  var failures: [String] { lock.withLock { failureList } }
  var reads: Int { lock.withLock { readCount } }
  var stopRequested: Bool { lock.withLock { stopFlag } }
  func fail(_ message: String) { lock.withLock { failureList.append(message) } }
  func countRead() { lock.withLock { readCount += 1 } }
  func stop() { lock.withLock { stopFlag = true } }
}
