// Writing a dataset folder exactly as ReChorus does, atomically (temp folder, then rename).

import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
private let posixClose = Glibc.close
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
private let posixClose = Darwin.close
#endif

extension Dataset {
  /// Writes `train.csv`, `dev.csv`, `test.csv` (+ `items.tsv` if `catalog`, `dataset.json` if
  /// `manifest`) into `folder`.
  ///
  /// Format (docs/MODEL.md §1.1): tab-separated, header `user_id\titem_id\ttime` (+ `\tneg_items` for
  /// dev/test), `neg_items` as `[a, b, ...]`, LF line ends — byte-for-byte what pandas'
  /// `to_csv(sep='\t', index=False)` writes for these columns.
  ///
  /// The files go to a hidden temporary folder beside `folder`, which is renamed into place
  /// only when everything is written: on any error no partial `folder` exists.
  /// - Parameters:
  ///   - folder: destination; must not exist unless `overwrite`.
  ///   - overwrite: replace an existing folder (the old one is removed after the rename).
  /// - Throws: `DataError.outputExists`, `.unreadable` (I/O failure, with the OS reason).
  public func write(to folder: String, overwrite: Bool = false) throws {
    let fm = FileManager.default
    let target = (folder as NSString).standardizingPath
    if fm.fileExists(atPath: target) && !overwrite { throw DataError.outputExists(path: folder) }
    // Foundation on Linux traps in deletingLastPathComponent on a one-character path such as
    // "A" (`--output A`), so a path without "/" is taken to have no parent here.
    let parent = target.contains("/") ? (target as NSString).deletingLastPathComponent : ""
    let base = (target as NSString).lastPathComponent
    let parentPath = parent.isEmpty ? "." : parent
    do {
      try fm.createDirectory(atPath: parentPath, withIntermediateDirectories: true)
    } catch {
      throw DataError.unreadable(path: parentPath, reason: "cannot create folder")
    }
    let temp = (parentPath as NSString).appendingPathComponent(".\(base).partial-\(getpid())")
    try? fm.removeItem(atPath: temp)
    guard mkdir(temp, 0o755) == 0 else {
      throw DataError.unreadable(path: temp, reason: String(cString: strerror(errno)))
    }
    do {
      let tables = [train, dev, test]
      let slots = ResultSlots<Void>(count: 3)
      DispatchQueue.concurrentPerform(iterations: 3) { i in
        let split = Split.allCases[i]
        let path = (temp as NSString).appendingPathComponent(split.fileName)
        slots.set(i, Result { try writeTable(tables[i], withNegatives: split != .train, to: path) })
      }
      for i in 0..<3 { try slots.get(i) }
      if let catalog {
        try writeBytes(catalog.tsvBytes(), to: (temp as NSString).appendingPathComponent("items.tsv"))
      }
      if let manifest {
        let path = (temp as NSString).appendingPathComponent("dataset.json")
        let bytes: [UInt8]
        do { bytes = try manifest.jsonBytes() } catch { throw DataError.unreadable(path: path, reason: "\(error)") }
        try writeBytes(bytes, to: path)
      }
      if fm.fileExists(atPath: target) {
        let old = (parentPath as NSString).appendingPathComponent(".\(base).old-\(getpid())")
        try? fm.removeItem(atPath: old)
        guard rename(target, old) == 0 else { throw DataError.unreadable(path: target, reason: String(cString: strerror(errno))) }
        guard rename(temp, target) == 0 else {
          let reason = String(cString: strerror(errno))
          _ = rename(old, target)
          throw DataError.unreadable(path: target, reason: reason)
        }
        try? fm.removeItem(atPath: old)
      } else {
        guard rename(temp, target) == 0 else { throw DataError.unreadable(path: target, reason: String(cString: strerror(errno))) }
      }
    } catch {
      try? fm.removeItem(atPath: temp)
      throw error
    }
  }
}

/// Writes one split table; formats rows into a reused 4 MiB buffer.
func writeTable(_ table: InteractionTable, withNegatives: Bool, to path: String) throws {
  let out = try OutputFile(path: path)
  defer { out.close() }
  var buffer: [UInt8] = []
  buffer.reserveCapacity(1 << 22)
  buffer.append(contentsOf: (withNegatives ? "user_id\titem_id\ttime\tneg_items\n" : "user_id\titem_id\ttime\n").utf8)
  let k = table.negativeCount
  for r in 0..<table.count {
    appendDecimal(Int(table.users[r]), to: &buffer)
    buffer.append(Byte.tab)
    appendDecimal(Int(table.items[r]), to: &buffer)
    buffer.append(Byte.tab)
    appendDecimal(Int(table.times[r]), to: &buffer)
    if withNegatives {
      buffer.append(Byte.tab)
      buffer.append(Byte.openBracket)
      for j in 0..<k {
        if j > 0 { buffer.append(Byte.comma); buffer.append(Byte.space) }
        appendDecimal(Int(table.negatives[r * k + j]), to: &buffer)
      }
      buffer.append(Byte.closeBracket)
    }
    buffer.append(Byte.newline)
    if buffer.count > (1 << 22) - 16_384 {
      try out.write(buffer)
      buffer.removeAll(keepingCapacity: true)
    }
  }
  try out.write(buffer)
}

/// Appends the decimal digits of `value`.
@inline(__always) func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
  if value < 0 { buffer.append(Byte.minus) }
  var v = value.magnitude
  if v < 10 { buffer.append(Byte.zero + UInt8(v)); return }
  var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
               UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
  var n = 0
  withUnsafeMutableBytes(of: &digits) { d in
    while v > 0 { d[n] = Byte.zero + UInt8(v % 10); v /= 10; n += 1 }
    for i in stride(from: n - 1, through: 0, by: -1) { buffer.append(d[i]) }
  }
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
  let out = try OutputFile(path: path)
  defer { out.close() }
  try out.write(bytes)
}

/// A file opened for writing with POSIX calls (typed errors, no Foundation buffering).
final class OutputFile {
  let path: String
  private var fd: Int32
  init(path: String) throws {
    self.path = path
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 { throw DataError.unreadable(path: path, reason: String(cString: strerror(errno))) }
  }
  func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let n = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        done += n
      }
    }
  }
  func close() {
    if fd >= 0 { _ = posixClose(fd); fd = -1 }
  }
  deinit { close() }
}
