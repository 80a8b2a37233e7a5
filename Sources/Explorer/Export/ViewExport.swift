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
  /// Writing failed (the message of `AtomicWriteError`: what and why).
  case write(String)

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
      return "\(path) is not an existing folder; create it first or choose another"
    case let .write(message):
      return message
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
}

public enum ViewExport {
  /// File names inside an export folder.
  public static let viewFile = "view.json"
  public static let vectorsFile = "vectors.tsv"
  public static let metadataFile = "metadata.tsv"

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
      throw .write("cannot encode the view as JSON: \(error)")
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
  ///   step t` and `interest`. Tabs, newlines and carriage returns in text become spaces.
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
      for k in interests.labels.indices {
        try appendRow(interests.vectors[(k * d)..<((k + 1) * d)], what: "interest \(k + 1) of user \(interests.user)")
        let label = interests.labels[k].isEmpty ? "interest \(k + 1)" : interests.labels[k]
        metadata += "interest-\(k + 1)\t\(tsvField(label))\tuser \(interests.user) step \(interests.step)\tinterest\n"
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
    let target = resolved(path)
    for (folder, what) in [(session.checkpointPath, "checkpoint folder"), (session.datasetPath, "dataset folder")]
    where !folder.isEmpty {
      let inside = resolved(folder)
      if target == inside || target.hasPrefix(inside.hasSuffix("/") ? inside : inside + "/") {
        throw .insideInput(path: path, folder: folder, what: what)
      }
    }
  }

  /// An absolute path with symbolic links resolved: its longest existing ancestor through
  /// `realpath`, then the components that do not exist yet.
  static func resolved(_ path: String) -> String {
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

  /// Writes `data` to the file `path` atomically (`AtomicWrite.writeFile`); an existing file is
  /// replaced only with `force`.
  /// - Throws: `ExportError` (exists, wrong kind, inside the inputs, the folder missing, or
  ///   the write's own error); nothing is left half-written.
  public static func writeFile(_ data: Data, to path: String, force: Bool, session: ExplorerSession) throws(ExportError) {
    try checkOutsideInputs(path, session: session)
    try checkDestination(path, isFolder: false, force: force)
    do { try AtomicWrite.writeFile(data, to: path) } catch { throw .write(error.description) }
  }

  /// Makes `path` a folder holding exactly `files`, atomically (`AtomicWrite.writeFolder`); an
  /// existing folder is replaced only with `force`.
  /// - Throws: as `writeFile`.
  public static func writeFolder(_ files: [String: Data], to path: String, force: Bool,
                                 session: ExplorerSession) throws(ExportError) {
    try checkOutsideInputs(path, session: session)
    try checkDestination(path, isFolder: true, force: force)
    do { try AtomicWrite.writeFolder(path, files: files) } catch { throw .write(error.description) }
  }

  /// The parent must be a folder; an existing `path` must be of the right kind and `force` given.
  static func checkDestination(_ path: String, isFolder: Bool, force: Bool) throws(ExportError) {
    let parent = (URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()).path
    var parentIsFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsFolder), parentIsFolder.boolValue else {
      throw .noFolder(path: parent)
    }
    var existingIsFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &existingIsFolder) else { return }
    guard existingIsFolder.boolValue == isFolder else { throw .wrongKind(path: path, isFolder: existingIsFolder.boolValue) }
    guard force else { throw .exists(path: path, isFolder: isFolder) }
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
    return ProjectorInterests(user: view.user, step: view.step, labels: view.interests.map(\.label), vectors: f.interests)
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
}
