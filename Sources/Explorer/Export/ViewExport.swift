// Export (issue 14, item 6): the view as JSON and the item and interest vectors as the
// TensorBoard Embedding Projector's TSV files. The bytes are built here, from the same view and
// forward pass the screen shows; files are written with Tensor's `AtomicWrite` by
// `timirec export` and by the loop when `e` asks for it (handlers never write:
// docs/EXPLORER.md, "Rules").

import Foundation
import SeqRec
import Tensor

/// Why an export was refused or failed; each message says what to do.
public enum ExportError: Error, CustomStringConvertible, Equatable {
  /// The view holds NaN or ±inf at `path` (a JSON field path): it has no JSON form.
  case notFinite(value: String, path: String)
  /// An interest vector holds NaN or ±inf.
  case notFiniteVector(what: String)
  /// The destination exists and `--force` was not given.
  case exists(path: String, isFolder: Bool)
  /// The destination exists with the other kind (a folder where a file goes, or the reverse).
  case wrongKind(path: String, isFolder: Bool)
  /// The destination lies inside a folder the explorer only reads.
  case insideInput(path: String, folder: String, what: String)
  /// The folder that should hold the export does not exist or is not a folder.
  case noFolder(path: String)
  /// `--force` was given for an existing folder that holds more than an earlier export's files
  /// (`ViewExport.exportFiles`): `unrelated` names them (sorted).
  case notAnExport(path: String, unrelated: [String])
  /// The folder is one an export never replaces: `what` says which ("the current directory",
  /// "an ancestor of the current directory", "your home folder", "the root folder").
  case protectedFolder(path: String, what: String)
  /// The destination exists and is neither a regular file nor a folder (a device, a pipe, a
  /// symbolic link): an export never replaces it.
  case notRegularFile(path: String)
  /// The view could not be encoded (a message saying why).
  case encode(String)
  /// Writing failed: AtomicWrite's error (the destination, the step and the reason).
  case write(AtomicWriteError)

  public var description: String {
    switch self {
    case let .notFinite(value, path):
      return "the view has a value that is not a finite number (\(value) at \(path)), so it has no JSON form; nothing was written"
    case let .notFiniteVector(what):
      return "\(what) has a value that is not a finite number; nothing was written"
    case let .exists(path, isFolder):
      return "\(path) exists; pass --force to replace it (the whole \(isFolder ? "folder" : "file")), or choose another --out"
    case let .wrongKind(path, isFolder):
      return "\(path) exists and is \(isFolder ? "a folder" : "a file"), not \(isFolder ? "a file" : "a folder"); choose another --out"
    case let .insideInput(path, folder, what):
      return "\(path) is inside the \(what) \(folder), which is only read (the demo's is tracked in git); write the export elsewhere"
    case let .noFolder(path):
      return "\(path) is not an existing folder; create it or choose another"
    case let .notAnExport(path, unrelated):
      let shown = unrelated.prefix(3).joined(separator: ", ") + (unrelated.count > 3 ? " and \(unrelated.count - 3) more" : "")
      return "\(path) holds \(shown), not only an earlier export's files (\(ViewExport.exportFiles.sorted().joined(separator: ", "))); --force replaces only an earlier export, so nothing was written; choose another --out (a new folder)"
    case let .protectedFolder(path, what):
      return "\(path) is \(what); an export replaces its --out folder whole, so it never goes there; choose another --out (a new folder, e.g. projector)"
    case let .notRegularFile(path):
      return "\(path) exists and is not a regular file; an export never replaces it; choose another --out"
    case let .encode(message):
      return message
    case let .write(error):
      return error.description
    }
  }

  /// The path the message starts with (nil for the errors about values, not files).
  var leadingPath: String? {
    switch self {
    case .notFinite, .notFiniteVector, .encode: return nil
    case let .exists(path, _), let .wrongKind(path, _), let .insideInput(path, _, _), let .noFolder(path),
         let .notAnExport(path, _), let .protectedFolder(path, _), let .notRegularFile(path):
      return path
    case let .write(error): return error.path
    }
  }
}

/// One user's interests at one step, as rows for the Embedding Projector.
public struct ProjectorInterests: Equatable, Sendable {
  public var user: Int
  public var step: Int
  /// Each interest's label as the explorer names it (`InterestSummary.label`), (K).
  public var labels: [String]
  /// v (K, D) row-major, the vectors the view was computed from.
  public var vectors: [Float]
  /// True when the vectors come from an edited (what-if) history, not the data's.
  public var edited: Bool = false
}

public enum ViewExport {
  /// File names inside an export folder.
  public static let viewFile = "view.json"
  public static let vectorsFile = "vectors.tsv"
  public static let metadataFile = "metadata.tsv"
  /// Every file an export folder may hold: `--force` replaces a folder only when it holds
  /// nothing else (an earlier export).
  public static let exportFiles: Set<String> = [viewFile, vectorsFile, metadataFile]

  /// The view as JSON: pretty-printed with sorted keys, no trailing newline. The one encoder
  /// behind `explore --snapshot --json`, `export view` and the `e` key.
  /// - Throws: `ExportError.notFinite` with the field's path when a number is NaN or ±inf
  ///   (docs/EXPLORER.md: never a number that is not one).
  public static func json(_ view: ExplorerView) throws(ExportError) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do { return try encoder.encode(view) } catch let EncodingError.invalidValue(value, context) {
      let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
      throw .notFinite(value: "\(value)", path: path)
    } catch {
      throw .encode("cannot encode the view as JSON: \(error)")
    }
  }

  /// The JSON file's contents: `json(view)` and a newline (byte for byte what
  /// `explore --snapshot --json` prints).
  public static func jsonFile(_ view: ExplorerView) throws(ExportError) -> Data {
    var data = try json(view)
    data.append(0x0A)
    return data
  }

  /// `vectors.tsv` and `metadata.tsv` for projector.tensorflow.org ("Load"): one row per item
  /// (ids 1…N−1; the padding row 0 is left out), then one per interest when `interests` is
  /// given.
  /// - vectors.tsv: D tab-separated floats per row, no header, each the shortest decimal that
  ///   reads back as the same Float;
  /// - metadata.tsv: the header id, title, category, kind (tab-separated), then per item its id, title,
  ///   items.tsv category and `item`; per interest `interest-k` (1-based), its label, `user U
  ///   step t` (with ` (edited history)` after it for a what-if history) and `interest`. Tabs,
  ///   newlines and carriage returns in text become spaces. Only the model of `session`: a
  ///   compared model's interests live in its own item space and are left out.
  /// - Throws: `ExportError.notFiniteVector` when a vector holds NaN or ±inf.
  public static func projectorFiles(session: ExplorerSession, interests: ProjectorInterests?) throws(ExportError)
    -> [String: Data] {
    let model = session.model
    let n = model.itemCount, d = model.embeddingSize
    let table = model.itemEmbeddings.data  // (N, D)
    var vectors = "", metadata = "id\ttitle\tcategory\tkind\n"
    vectors.reserveCapacity((n + 8) * d * 11)
    func appendRow(_ row: ArraySlice<Float>, what: @autoclosure () -> String) throws(ExportError) {
      var first = true
      for x in row {
        guard x.isFinite else { throw .notFiniteVector(what: what()) }
        if !first { vectors += "\t" }
        vectors += x.description
        first = false
      }
      vectors += "\n"
    }
    for item in 1..<n {
      try appendRow(table[(item * d)..<((item + 1) * d)], what: "item \(item)'s embedding")
      let label = session.label(item)
      metadata += "\(item)\t\(tsvField(label.title))\t\(tsvField(label.category))\titem\n"
    }
    if let interests {
      let category = "user \(interests.user) step \(interests.step)" + (interests.edited ? " (edited history)" : "")
      for k in interests.labels.indices {
        try appendRow(interests.vectors[(k * d)..<((k + 1) * d)], what: "interest \(k + 1) of user \(interests.user)")
        let label = interests.labels[k].isEmpty ? "interest \(k + 1)" : interests.labels[k]
        metadata += "interest-\(k + 1)\t\(tsvField(label))\t\(category)\tinterest\n"
      }
    }
    return [vectorsFile: Data(vectors.utf8), metadataFile: Data(metadata.utf8)]
  }

  /// `text` with tabs, newlines and carriage returns as spaces (one TSV field).
  static func tsvField(_ text: String) -> String {
    String(text.unicodeScalars.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : Character($0) })
  }

  /// Refuses a destination inside the session's checkpoint or dataset folder (read only; the
  /// demo's are tracked in git). Symbolic links are resolved on both sides.
  public static func checkOutsideInputs(_ path: String, session: ExplorerSession) throws(ExportError) {
    let target = AtomicWrite.resolvedPath(path)
    for (folder, what) in [(session.checkpointPath, "checkpoint folder"), (session.datasetPath, "dataset folder")]
    where !folder.isEmpty {
      let inside = AtomicWrite.resolvedPath(folder)
      if target == inside || target.hasPrefix(inside.hasSuffix("/") ? inside : inside + "/") {
        throw .insideInput(path: path, folder: folder, what: what)
      }
    }
  }

  /// Writes `data` to the file `path` atomically (`AtomicWrite.writeFile`); an existing file is
  /// replaced only with `force`.
  /// - Throws: `ExportError` (exists, wrong kind, inside the inputs, the folder missing, or
  ///   the write's own error); nothing is left half-written.
  public static func writeFile(_ data: Data, to path: String, force: Bool, session: ExplorerSession) throws(ExportError) {
    try checkOutsideInputs(path, session: session)
    try checkDestination(path, isFolder: false, force: force)
    do { try AtomicWrite.writeFile(data, to: path) } catch { throw .write(error) }
  }

  /// Makes `path` a folder holding exactly `files`, atomically (`AtomicWrite.writeFolder`); an
  /// existing folder is replaced only with `force`.
  /// - Throws: as `writeFile`.
  public static func writeFolder(_ files: [String: Data], to path: String, force: Bool,
                                 session: ExplorerSession) throws(ExportError) {
    try checkOutsideInputs(path, session: session)
    try checkDestination(path, isFolder: true, force: force)
    do { try AtomicWrite.writeFolder(path, files: files) } catch { throw .write(error) }
  }

  /// The parent must be a folder; an existing `path` must be of the right kind and `force`
  /// given. A folder is replaced only when it holds nothing but an earlier export's files
  /// (`exportFiles`) and is none of `protectedFolder`'s; a file only when it is a regular file.
  static func checkDestination(_ path: String, isFolder: Bool, force: Bool) throws(ExportError) {
    let parent = (URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()).path
    var existingIsFolder: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &existingIsFolder)
    if exists && isFolder && existingIsFolder.boolValue, let what = protectedFolder(path) {
      throw .protectedFolder(path: path, what: what)
    }
    var parentIsFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsFolder), parentIsFolder.boolValue else {
      throw .noFolder(path: parent)
    }
    guard exists else { return }
    guard existingIsFolder.boolValue == isFolder else { throw .wrongKind(path: path, isFolder: existingIsFolder.boolValue) }
    if isFolder {
      let unrelated = unrelatedFiles(in: path)
      guard unrelated.isEmpty else { throw .notAnExport(path: path, unrelated: unrelated) }
    } else {
      // Not through a symbolic link: the rename would replace the link, not its file.
      let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
      guard type == .typeRegular else { throw .notRegularFile(path: path) }
    }
    guard force else { throw .exists(path: path, isFolder: isFolder) }
  }

  /// Why `path` (a folder) is never replaced by an export, or nil: the root folder, the home
  /// folder or one of its ancestors, the current directory or one of its ancestors (`.`, `..`).
  /// Symbolic links are resolved on every side.
  static func protectedFolder(_ path: String, currentDirectory: String = FileManager.default.currentDirectoryPath,
                              home: String? = ProcessInfo.processInfo.environment["HOME"]) -> String? {
    let target = AtomicWrite.resolvedPath(path)
    func isAncestor(of folder: String) -> Bool { folder.hasPrefix(target.hasSuffix("/") ? target : target + "/") }
    if target == "/" { return "the root folder" }
    let cwd = AtomicWrite.resolvedPath(currentDirectory)
    if target == cwd { return "the current directory" }
    if isAncestor(of: cwd) { return "an ancestor of the current directory" }
    if let home, !home.isEmpty {
      let home = AtomicWrite.resolvedPath(home)
      if target == home { return "your home folder ($HOME)" }
      if isAncestor(of: home) { return "an ancestor of your home folder ($HOME)" }
    }
    return nil
  }

  /// The names in the folder `path` that an export does not write (hidden ones included;
  /// sorted); an entry named like an export file but that is a folder counts as unrelated.
  static func unrelatedFiles(in path: String) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
      return ["entries it cannot list"]
    }
    return names.filter { name in
      var isFolder: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(name), isDirectory: &isFolder)
      return !exportFiles.contains(name) || isFolder.boolValue
    }.sorted()
  }
}

extension ViewBuilder {
  /// The interests behind `view` (a view this builder made) with the labels it gives them;
  /// nil at step 0 (an empty history has no interests).
  public func projectorInterests(for view: ExplorerView) -> ProjectorInterests? {
    guard view.step > 0, !view.interests.isEmpty else { return nil }
    // An edited view's interests come from its edited history (its history and window
    // entries, in order), as on screen.
    let edited = view.edited ? view.timeline.filter { $0.role == .history || $0.role == .window }.map { Int32($0.item.id) } : nil
    let f = forward(user: view.user, step: view.step, history: edited)
    return ProjectorInterests(user: view.user, step: view.step, labels: view.interests.map(\.label), vectors: f.interests,
                              edited: view.edited)
  }
}

/// The `e` key's effect, run by the loop: a new folder `timirec-export-u<user>-t<step>-<time>`
/// in `directory` holding view.json (the JSON `--snapshot --json` prints), vectors.tsv and
/// metadata.tsv (every item, and the user's interests at the step).
public struct ExportEffect: Sendable {
  /// Where export folders go (the current directory unless `--export-dir`).
  public var directory: String

  public init(directory: String) { self.directory = directory }

  /// An effect writing into `directory`, which must be an existing folder outside the
  /// session's dataset and checkpoint folders (`--export-dir`, checked before the UI opens).
  /// - Throws: `ExportError.noFolder` or `.insideInput`.
  public static func checked(directory: String, session: ExplorerSession) throws(ExportError) -> ExportEffect {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
      throw .noFolder(path: directory)
    }
    try ViewExport.checkOutsideInputs(directory, session: session)
    return ExportEffect(directory: directory)
  }

  /// Writes the export of `view` (made by `builder`) and returns the folder's path. Two
  /// exports in the same second get `-2`, `-3`, … rather than replacing one another.
  /// - Throws: `ExportError`.
  public func run(builder: ViewBuilder, view: ExplorerView, date: Date = Date()) throws(ExportError) -> String {
    let session = builder.session
    var files = try ViewExport.projectorFiles(session: session, interests: builder.projectorInterests(for: view))
    files[ViewExport.viewFile] = try ViewExport.jsonFile(view)
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    let base = "timirec-export-u\(view.user)-t\(view.step)-\(formatter.string(from: date))"
    var path = (directory as NSString).appendingPathComponent(base)
    var suffix = 1
    while FileManager.default.fileExists(atPath: path) {
      suffix += 1
      path = (directory as NSString).appendingPathComponent("\(base)-\(suffix)")
    }
    try ViewExport.writeFolder(files, to: path, force: false, session: session)
    return path
  }

  /// The footer's message for an export to `path`, at most `columns` − 1 cells: the path keeps
  /// its last components and loses its first ones to "…" when it is too long.
  public static func message(path: String, columns: Int) -> String {
    let lead = "exported view.json, vectors.tsv, metadata.tsv to "
    let short = "exported to "
    let room = columns - 1
    for prefix in [lead, short] where cellWidth(prefix + path) <= room { return prefix + path }
    var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    while parts.count > 1 {
      parts.removeFirst()
      let cut = short + "…/" + parts.joined(separator: "/")
      if cellWidth(cut) <= room { return cut }
    }
    return clip(short + path, to: room)
  }

  /// The footer's message for a failed export, at most `columns` − 1 cells, with the reason
  /// whole (docs/EXPLORER.md: a status is never clipped): the path's first folders give way to
  /// "…/" as in `message(path:columns:)` (in the failing step's paths too); when that is not
  /// enough a write failure leaves out the failing step, keeping the folder's name and the
  /// reason (e.g. "No space left on device").
  public static func message(failure error: ExportError, columns: Int) -> String {
    let lead = "export failed: "
    let room = columns - 1
    let full = error.description
    guard let path = error.leadingPath, !path.isEmpty, full.hasPrefix(path) else { return clip(lead + full, to: room) }
    var details = [String(full.dropFirst(path.count))]
    var reason: String?
    if case let .write(failure) = error {
      reason = failure.reason
      details.append(": " + failure.reason)
    }
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    for detail in details {
      for cut in 0..<parts.count {
        let dropped = parts[..<cut].joined(separator: "/")
        let shown = cut == 0 ? path : "…/" + parts[cut...].joined(separator: "/")
        let text = dropped.isEmpty ? detail : detail.replacingOccurrences(of: dropped + "/", with: "…/")
        if cellWidth(lead + shown + text) <= room { return lead + shown + text }
      }
    }
    // Narrower still: the reason first, then as much of the folder's name as fits.
    let name = parts.last ?? path
    if let reason { return clip(lead + reason + ": …/" + name, to: room) }
    return clip(lead + "…/" + name + details[0], to: room)
  }
}
