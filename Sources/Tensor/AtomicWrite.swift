// Atomic replacement of files and folders: a reader of the destination sees the old content
// or the new content, complete, at every instant, and a crash (SIGKILL, power loss) leaves one
// of the two on disk. Decision record: docs/DECISIONS.md "Atomic writes".
import CRenameExchange
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an atomic write (or a consistent read) failed. A failed write leaves the destination
/// as it was and removes its own temporary.
public struct AtomicWriteError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The destination (file or folder) that was being written or read.
  public var path: String
  /// What failed, e.g. "creating the temporary folder /runs/.pre.tmp-41-0a1b2c3d".
  public var operation: String
  /// The errno of the failing call (0 when the failure is not a system call's).
  public var code: Int32
  /// A reason when `code` is 0.
  public var detail: String

  public init(path: String, operation: String, code: Int32, detail: String = "") {
    self.path = path
    self.operation = operation
    self.code = code
    self.detail = detail
  }

  /// Why it failed: the errno's text (e.g. "No space left on device"), else `detail`.
  public var reason: String { code != 0 ? String(cString: strerror(code)) : detail }

  public var description: String {
    "\(path): cannot write it safely: \(operation) failed: \(reason)"
  }
}

/// The one way this package replaces a file or a folder on disk.
///
/// **Files** (``writeFile(_:to:)``): the bytes go to a temporary file in the same folder, are
/// fsynced, and the temporary file is renamed over the destination; then the folder is fsynced
/// so that the rename itself is durable.
///
/// **Folders** (``writeFolder(_:files:)``): every file is written and fsynced into a temporary
/// sibling folder, which then takes the destination's place:
/// - when the destination exists, the two are *exchanged* in one step
///   (Linux `renameat2(RENAME_EXCHANGE)`, macOS `renameatx_np(RENAME_SWAP)`), so the
///   destination path names a complete folder at every instant; the previous copy, now under
///   the temporary name, is removed afterwards;
/// - when the file system refuses the exchange (EINVAL, ENOTSUP, ENOSYS: some network and
///   FUSE file systems, old kernels), the *fallback* moves the previous copy aside to
///   `.NAME.old-<pid>-<random>`, renames the new folder in and removes the previous copy.
///   Between those two renames the destination does not exist; the **reader's recovery
///   rule** covers that moment: a reader that finds no destination opens the copy set aside
///   (``readablePath(_:)``, used by ``readFolder(_:files:)``), and the next write renames it
///   back before anything else (``recoverInterruptedWrite(of:)``).
///
/// **Temporaries** are named `.NAME.tmp-<pid>-<8 hex digits>` (and `.NAME.old-…` for the
/// fallback), next to the destination, so a later run recognises them. Each write first
/// removes *every* temporary of its destination, whatever its pid. This relies on the rule
/// that a destination has a single writer at a time (one `timirec train --out X` per X), and
/// is preferred to "remove those whose pid is not alive" because pids are not a safe
/// identity: after a reboot or in another pid namespace (containers sharing a volume) a live,
/// unrelated process can carry the pid of the writer that died, and its leftovers would then
/// never be removed. A second concurrent writer breaks the single-writer rule anyway (its
/// temporary may vanish and its write then fails with an error; the destination stays whole).
///
/// All functions are stateless and may be called from any thread.
public enum AtomicWrite {
  /// An absolute path with symbolic links resolved: its longest existing ancestor through
  /// `realpath`, then the components that do not exist yet (so a file about to be written can
  /// be compared with the folders it must stay out of).
  public static func resolvedPath(_ path: String) -> String {
    var existing = URL(fileURLWithPath: path).standardizedFileURL
    var rest: [String] = []
    while existing.path != "/" && !FileManager.default.fileExists(atPath: existing.path) {
      rest.insert(existing.lastPathComponent, at: 0)
      existing.deleteLastPathComponent()
    }
    var base = existing.path
    if let real = realpath(existing.path, nil) {
      base = String(cString: real)
      free(real)
    }
    return rest.reduce(base) { ($0 as NSString).appendingPathComponent($1) }
  }

  /// How ``writeFolder(_:files:)`` put the new folder in place.
  public enum FolderReplacement: Sendable, Equatable {
    /// There was no folder before.
    case created
    /// The new folder was exchanged with the old one in one step.
    case exchanged
    /// The file system refused the exchange: the old folder was moved aside, then replaced
    /// (the fallback of the type's documentation).
    case movedAside
  }

  // MARK: Files

  /// Replaces the file at `path` with `data` atomically (temporary file in the same folder,
  /// fsync, rename, fsync of the folder). The folder must exist. Stale temporaries of `path`
  /// (`.NAME.tmp-*`, left by a killed writer) are removed first.
  ///
  /// Guarantees: a reader of `path` sees either the previous file or all of `data`; after
  /// a crash or power loss the disk holds one of the two, never an empty or partial file.
  /// - Throws: ``AtomicWriteError`` when the folder cannot be opened or the temporary file
  ///   cannot be created, written, synced or renamed; `path` is then unchanged and the
  ///   temporary removed.
  public static func writeFile(_ data: Data, to path: String) throws(AtomicWriteError) {
    let (parent, name) = split(path)
    let directory = try openDirectory(parent, destination: path)
    defer { close(directory) }
    removeTemporaries(of: name, in: parent)
    let temporary = temporaryName(of: name)
    do throws(AtomicWriteError) {
      try createFile(temporary, in: directory, data: data, destination: path, shownAs: parent + "/" + temporary)
      try call("renaming \(parent)/\(temporary) to \(path)", path) { renameat(directory, temporary, directory, name) }
    } catch {
      unlinkat(directory, temporary, 0)
      throw error
    }
    try call("syncing the folder \(parent)", path) { fsync(directory) }
  }

  // MARK: Folders

  /// Makes `path` a folder holding exactly `files` (name → contents), replacing the folder
  /// there atomically (see the type's documentation: exchange, or the fallback with the
  /// reader's recovery rule). The parent folder must exist. First recovers an interrupted
  /// fallback and removes stale temporaries of `path` (``recoverInterruptedWrite(of:)``).
  ///
  /// Guarantees: every file is fsynced before the swap, so after a crash or power loss `path`
  /// holds the complete old set or the complete new set; a reader going through
  /// ``readFolder(_:files:)`` sees one complete generation at every instant, and with the
  /// exchange (Linux file systems such as ext4, xfs, btrfs, tmpfs) `path` itself always names
  /// a complete folder.
  /// - Parameter files: file names (no "/", not "." or "..") and their contents.
  /// - Returns: how the folder was put in place.
  /// - Throws: ``AtomicWriteError`` when a file name is invalid, the parent cannot be opened,
  ///   or a temporary file, folder or rename fails; the old folder (if any) is then left
  ///   intact at `path` and the temporary folder removed.
  @discardableResult
  public static func writeFolder(_ path: String, files: [String: Data]) throws(AtomicWriteError) -> FolderReplacement {
    try writeFolder(path, files: files, exchange: true)
  }

  /// ``writeFolder(_:files:)``; `exchange: false` takes the fallback as if the file system
  /// refused the exchange (for tests).
  static func writeFolder(_ path: String, files: [String: Data], exchange: Bool) throws(AtomicWriteError)
    -> FolderReplacement {
    for name in files.keys where name.isEmpty || name == "." || name == ".." || name.contains("/") {
      throw AtomicWriteError(path: path, operation: "checking the file names", code: 0,
                             detail: "\"\(name)\" is not a plain file name")
    }
    let (parent, name) = split(path)
    let directory = try openDirectory(parent, destination: path)
    defer { close(directory) }
    try recoverInterruptedWrite(of: path)

    let temporary = temporaryName(of: name)
    let shown = parent + "/" + temporary
    try call("creating the temporary folder \(shown)", path) { mkdirat(directory, temporary, 0o777) }
    do throws(AtomicWriteError) {
      let folder = openat(directory, temporary, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
      guard folder >= 0 else { throw AtomicWriteError(path: path, operation: "opening \(shown)", code: errno) }
      defer { close(folder) }
      for (file, data) in files.sorted(by: { $0.key < $1.key }) {
        try createFile(file, in: folder, data: data, destination: path, shownAs: shown + "/" + file)
      }
      try call("syncing the folder \(shown)", path) { fsync(folder) }
    } catch {
      removeTree(shown)
      throw error
    }

    var status = stat()
    guard fstatat(directory, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
      let code = errno
      guard code == ENOENT else {
        removeTree(shown)
        throw AtomicWriteError(path: path, operation: "looking at the current folder", code: code)
      }
      do throws(AtomicWriteError) {
        try call("renaming \(shown) to \(path)", path) { renameat(directory, temporary, directory, name) }
      } catch {
        removeTree(shown)
        throw error
      }
      try call("syncing the folder \(parent)", path) { fsync(directory) }
      return .created
    }

    if exchange && timirec_rename_exchange(directory, temporary, directory, name) == 0 {
      // The previous generation now sits under the temporary name.
      fsync(directory)
      removeTree(shown)
      return .exchanged
    }
    let code = exchange ? errno : EINVAL
    guard [EINVAL, ENOSYS, ENOTSUP, EOPNOTSUPP].contains(code) else {
      removeTree(shown)
      throw AtomicWriteError(path: path, operation: "exchanging \(shown) with \(path)", code: code)
    }
    // Fallback: move the old copy aside, then the new one in. A reader meanwhile follows the
    // recovery rule (readablePath); a crash in between is repaired by the next write.
    let aside = asideName(of: name)
    do throws(AtomicWriteError) {
      try call("moving \(path) aside to \(parent)/\(aside)", path) { renameat(directory, name, directory, aside) }
    } catch {
      removeTree(shown)
      throw error
    }
    if renameat(directory, temporary, directory, name) != 0 {
      let code = errno
      renameat(directory, aside, directory, name)
      removeTree(shown)
      throw AtomicWriteError(path: path, operation: "renaming \(shown) to \(path)", code: code)
    }
    fsync(directory)
    removeTree(parent + "/" + aside)
    return .movedAside
  }

  /// Repairs what an interrupted write of the folder `path` left beside it: if `path` is
  /// missing but a copy set aside by the fallback exists (`.NAME.old-*`), renames the newest
  /// such copy back to `path`; then removes every temporary of `path` (`.NAME.tmp-*`,
  /// `.NAME.old-*`). ``writeFolder(_:files:)`` calls it first; a program that is about to
  /// become the single writer of `path` may call it earlier.
  /// - Returns: the names of the removed entries (empty when there was nothing to repair).
  /// - Throws: ``AtomicWriteError`` only when the set-aside copy cannot be renamed back
  ///   (removing stale temporaries is best effort: what is left is removed next time).
  @discardableResult
  public static func recoverInterruptedWrite(of path: String) throws(AtomicWriteError) -> [String] {
    let (parent, name) = split(path)
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    if access(path, F_OK) != 0, let aside = newestAside(of: name, among: entries, in: parent) {
      try call("renaming the copy set aside \(parent)/\(aside) back to \(path)", path) {
        rename(parent + "/" + aside, path)
      }
      syncFolder(parent)
    }
    return removeTemporaries(of: name, in: parent)
  }

  // MARK: Reading

  /// The folder a reader should open for `path`: `path` itself, or, while a fallback
  /// replacement is between its two renames (or was killed there), the previous copy set
  /// aside beside it. Returns `path` when neither exists, so that "missing" errors name it.
  public static func readablePath(_ path: String) -> String {
    if access(path, F_OK) == 0 { return path }
    let (parent, name) = split(path)
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    if let aside = newestAside(of: name, among: entries, in: parent) { return parent + "/" + aside }
    return path
  }

  /// Reads `files` from the folder `path` as one generation: all of them from the same
  /// completed write, even while writes replace the folder (the folder is opened once and
  /// the files relative to it; a folder replaced meanwhile is opened again).
  /// - Throws: ``AtomicWriteError`` with ENOENT naming the folder or the file when the
  ///   folder, or a file in the folder currently at `path`, does not exist; other errors of
  ///   opening or reading.
  public static func readFolder(_ path: String, files: [String]) throws(AtomicWriteError) -> [String: Data] {
    var attempt = 0
    while true {
      attempt += 1
      let folderPath = readablePath(path)
      let folder = open(folderPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
      if folder < 0 {
        let code = errno
        if code == ENOENT && attempt < 100 { continue }
        throw AtomicWriteError(path: path, operation: "opening the folder", code: code)
      }
      defer { close(folder) }
      var result: [String: Data] = [:]
      var replaced = false
      for file in files {
        let descriptor = openat(folder, file, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
          let code = errno
          // A file vanishes from an open folder only when that folder was replaced and is
          // being removed: read the one a reader should open now.
          if code == ENOENT && attempt < 100 && !isSameFolder(folder, readablePath(path)) { replaced = true; break }
          throw AtomicWriteError(path: path, operation: "opening \(file)", code: code)
        }
        defer { close(descriptor) }
        result[file] = try readAll(descriptor, destination: path, file: file)
      }
      if !replaced { return result }
    }
  }

  // MARK: Names

  /// `.NAME.tmp-<pid>-<8 hex digits>`.
  static func temporaryName(of name: String) -> String {
    ".\(name).tmp-\(getpid())-\(randomHex())"
  }

  /// `.NAME.old-<pid>-<8 hex digits>`.
  static func asideName(of name: String) -> String {
    ".\(name).old-\(getpid())-\(randomHex())"
  }

  static func randomHex() -> String {
    let value = UInt32.random(in: 0...UInt32.max)
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
  }

  /// Whether `entry` is a temporary (`kind` "tmp" or "old") of `name`: exactly
  /// `.NAME.kind-<digits>-<8 hex digits>`, so that another folder's name that merely starts
  /// the same way ("NAME.tmp-x") is never matched.
  static func isTemporary(_ entry: String, of name: String, kind: String) -> Bool {
    let prefix = ".\(name).\(kind)-"
    guard entry.hasPrefix(prefix) else { return false }
    let parts = entry.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let pid = parts.first, let random = parts.last else { return false }
    return !pid.isEmpty && pid.allSatisfy(\.isASCII) && pid.allSatisfy(\.isNumber)
      && random.count == 8 && random.allSatisfy(\.isHexDigit)
  }

  /// The most recently modified `.NAME.old-*` entry.
  static func newestAside(of name: String, among entries: [String], in parent: String) -> String? {
    let asides = entries.filter { isTemporary($0, of: name, kind: "old") }
    return asides.max { a, b in
      let ta = modificationTime(parent + "/" + a), tb = modificationTime(parent + "/" + b)
      return ta != tb ? ta < tb : a < b
    }
  }

  /// Removes every `.NAME.tmp-*` and `.NAME.old-*` beside `name` in `parent` (best effort).
  @discardableResult
  static func removeTemporaries(of name: String, in parent: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    var removed: [String] = []
    for entry in entries.sorted()
    where isTemporary(entry, of: name, kind: "tmp") || isTemporary(entry, of: name, kind: "old") {
      removeTree(parent + "/" + entry)
      removed.append(entry)
    }
    return removed
  }

  // MARK: System calls

  /// (parent folder, last component) of `path`, made absolute.
  static func split(_ path: String) -> (String, String) {
    let url = URL(fileURLWithPath: path).standardizedFileURL
    return (url.deletingLastPathComponent().path, url.lastPathComponent)
  }

  static func openDirectory(_ folder: String, destination: String) throws(AtomicWriteError) -> Int32 {
    let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else {
      throw AtomicWriteError(path: destination, operation: "opening the parent folder \(folder)", code: errno)
    }
    return descriptor
  }

  /// Runs a call returning 0 or -1 with errno; throws on -1.
  static func call(_ operation: @autoclosure () -> String, _ destination: String,
                   _ body: () -> Int32) throws(AtomicWriteError) {
    if body() != 0 { throw AtomicWriteError(path: destination, operation: operation(), code: errno) }
  }

  /// Creates `name` in `folder` (it must not exist), writes `data` and fsyncs it.
  static func createFile(_ name: String, in folder: Int32, data: Data, destination: String,
                         shownAs shown: String) throws(AtomicWriteError) {
    let descriptor = openat(folder, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else {
      throw AtomicWriteError(path: destination, operation: "creating \(shown)", code: errno)
    }
    defer { close(descriptor) }
    let code: Int32 = data.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return errno
        }
        offset += written
      }
      return 0
    }
    if code != 0 { throw AtomicWriteError(path: destination, operation: "writing \(shown)", code: code) }
    try call("syncing \(shown)", destination) { fsync(descriptor) }
  }

  static func readAll(_ descriptor: Int32, destination: String, file: String) throws(AtomicWriteError) -> Data {
    var result = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw AtomicWriteError(path: destination, operation: "reading \(file)", code: errno)
      }
      if count == 0 { return result }
      result.append(contentsOf: chunk[0..<count])
    }
  }

  /// Whether the open folder `descriptor` is still the one at `path`.
  static func isSameFolder(_ descriptor: Int32, _ path: String) -> Bool {
    var opened = stat(), current = stat()
    guard fstat(descriptor, &opened) == 0, stat(path, &current) == 0 else { return false }
    return opened.st_dev == current.st_dev && opened.st_ino == current.st_ino
  }

  static func modificationTime(_ path: String) -> Double {
    guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
      return 0
    }
    return date.timeIntervalSince1970
  }

  static func syncFolder(_ folder: String) {
    let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
  }

  /// Removes a file or a folder tree (best effort).
  static func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
  }
}
