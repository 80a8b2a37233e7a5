// Writing a dataset folder exactly as ReChorus does, atomically (Tensor's AtomicWrite).

import Dispatch
import Foundation
import Tensor

extension Dataset {
  /// Writes `train.csv`, `dev.csv`, `test.csv` (+ `items.tsv` if `catalog`, `dataset.json` if
  /// `manifest`) into `folder`.
  ///
  /// Format (docs/MODEL.md §1.1): tab-separated, header `user_id\titem_id\ttime` (+ `\tneg_items` for
  /// dev/test), `neg_items` as `[a, b, ...]`, LF line ends — byte-for-byte what pandas'
  /// `to_csv(sep='\t', index=False)` writes for these columns.
  ///
  /// The folder is replaced as a whole with `AtomicWrite.writeFolder` (every file written and
  /// fsynced into a temporary sibling, then swapped in): on any error `folder` is left as it
  /// was, and a reader never sees a partial folder. Missing parent folders are created.
  /// - Parameters:
  ///   - folder: destination; must not exist unless `overwrite`.
  ///   - overwrite: replace an existing folder (its previous files are removed).
  /// - Throws: `DataError.outputExists`, `.unreadable` (I/O failure, with the OS reason).
  public func write(to folder: String, overwrite: Bool = false) throws {
    let fm = FileManager.default
    let target = (folder as NSString).standardizingPath
    if fm.fileExists(atPath: target) && !overwrite { throw DataError.outputExists(path: folder) }
    // Foundation on Linux traps in deletingLastPathComponent on a one-character path such as
    // "A" (`--output A`), so a path without "/" is taken to have no parent here.
    let parent = target.contains("/") ? (target as NSString).deletingLastPathComponent : ""
    let parentPath = parent.isEmpty ? "." : parent
    do {
      try fm.createDirectory(atPath: parentPath, withIntermediateDirectories: true)
    } catch {
      throw DataError.unreadable(path: parentPath, reason: "cannot create folder")
    }
    let contents = try files()
    do {
      try AtomicWrite.writeFolder(target, files: contents)
    } catch {
      throw DataError.unreadable(path: target, reason: "\(error)")
    }
  }

  /// The dataset folder's files by name (see ``write(to:overwrite:)`` for their format): the
  /// three splits (rendered concurrently), `items.tsv` if `catalog`, `dataset.json` if
  /// `manifest`.
  /// - Throws: `DataError.unreadable` naming `dataset.json` if the manifest cannot be encoded.
  public func files() throws -> [String: Data] {
    let tables = [train, dev, test]
    let rendered = ResultSlots<[UInt8]>(count: 3)
    DispatchQueue.concurrentPerform(iterations: 3) { i in
      rendered.set(i, .success(renderTable(tables[i], withNegatives: Split.allCases[i] != .train)))
    }
    var files: [String: Data] = [:]
    for (i, split) in Split.allCases.enumerated() { files[split.fileName] = Data(try rendered.get(i)) }
    if let catalog { files["items.tsv"] = Data(catalog.tsvBytes()) }
    if let manifest {
      do { files["dataset.json"] = Data(try manifest.jsonBytes()) } catch {
        throw DataError.unreadable(path: "dataset.json", reason: "\(error)")
      }
    }
    return files
  }
}

/// One split table as its CSV bytes.
func renderTable(_ table: InteractionTable, withNegatives: Bool) -> [UInt8] {
  var buffer: [UInt8] = []
  buffer.reserveCapacity(table.count * (withNegatives ? 8 + 6 * table.negativeCount : 24))
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
  }
  return buffer
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
