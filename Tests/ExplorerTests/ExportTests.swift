import Foundation
import Tensor
import TestSupport
import XCTest

@testable import Explorer

/// Export (issue 14, item 6) on the tiny set-weight model: the Embedding Projector's TSV files
/// hold the hand-known item table and the hand-computed interests, the JSON is the snapshot's,
/// the `e` key writes a new folder and says where, and nothing is overwritten or written inside
/// the inputs.
final class ExportTests: XCTestCase {
  typealias H = TinyExplorer
  private var scratch = ""

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-export-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
  }

  override func tearDown() {
    if !scratch.isEmpty { try? FileManager.default.removeItem(atPath: scratch) }
  }

  func lines(_ data: Data?) -> [String] {
    String(decoding: data ?? Data(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }

  /// User 1 at step 3 (window 1, 2, 3): five item rows with the set embeddings, two interest
  /// rows equal to the hand-computed v_k; titles with a tab or a newline become one field.
  func testProjectorFilesHoldTheItemTableAndTheInterests() throws {
    let titles = ["", "Apple\tpie", "Banana\nsplit", "Cherry\r", "Date", "Elderberry"]
    let session = H.session(titles: titles)
    let builder = ViewBuilder(session: session)
    let state = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    let view = builder.view(for: state)
    let interests = try XCTUnwrap(builder.projectorInterests(for: view))
    XCTAssertEqual(interests.labels, view.interests.map(\.label))
    XCTAssertEqual(interests.user, 1)
    XCTAssertEqual(interests.step, 3)
    let files = try ViewExport.projectorFiles(session: session, interests: interests)
    XCTAssertEqual(Set(files.keys), ["vectors.tsv", "metadata.tsv"])

    let vectors = lines(files["vectors.tsv"])
    XCTAssertEqual(vectors.last, "", "vectors.tsv ends with a newline")
    XCTAssertEqual(Array(vectors.prefix(5)), ["1.0\t0.0", "0.0\t1.0", "2.0\t0.0", "0.0\t2.0", "1.0\t1.0"])
    XCTAssertEqual(vectors.count, 5 + 2 + 1)
    let expected = H.interests(window: [1, 2, 3]).interests
    for k in 0..<2 {
      let row = vectors[5 + k].split(separator: "\t").map { Double($0)! }
      XCTAssertEqual(row.count, 2)
      for d in 0..<2 { XCTAssertEqual(row[d], expected[k][d], accuracy: 1e-5, "interest \(k + 1), dimension \(d)") }
    }

    let metadata = lines(files["metadata.tsv"])
    XCTAssertEqual(metadata, [
      "id\ttitle\tcategory\tkind",
      "1\tApple pie\tfruit|red\titem",
      "2\tBanana split\tfruit|yellow\titem",
      "3\tCherry \tfruit|red\titem",
      "4\tDate\tdried\titem",
      "5\tElderberry\tberry\titem",
      "interest-1\tCherry  · fruit/red\tuser 1 step 3\tinterest",
      "interest-2\tDate · fruit/red\tuser 1 step 3\tinterest",
      "",
    ])
    // The labels are the explorer's, with the title's carriage return made a space.
    XCTAssertEqual(view.interests.map(\.label), ["Cherry\r · fruit/red", "Date · fruit/red"])
    // Every data row has four fields, every vector row D = 2.
    for line in metadata.dropLast() { XCTAssertEqual(line.split(separator: "\t", omittingEmptySubsequences: false).count, 4, line) }

    // Items alone (no user): five rows; at step 0 there are no interests.
    let items = try ViewExport.projectorFiles(session: session, interests: nil)
    XCTAssertEqual(lines(items["vectors.tsv"]).count, 5 + 1)
    XCTAssertEqual(lines(items["metadata.tsv"]).count, 1 + 5 + 1)
    let empty = ExplorerState(userIndex: 0, step: 0, temperature: 0.5)
    XCTAssertNil(builder.projectorInterests(for: builder.view(for: empty)))
  }

  /// A NaN is refused with where it is, never written as a number.
  /// An edited history's export holds the interests of the edited history, as on screen,
  /// not the data's.
  func testAnEditedViewExportsTheEditedInterests() throws {
    let session = H.session()
    let builder = ViewBuilder(session: session)
    var state = ExplorerState(userIndex: 0, step: 4, temperature: 0.5)
    let data = try XCTUnwrap(builder.projectorInterests(for: builder.fullView(for: state)))
    state.historyEdit = HistoryEdit(userIndex: 0, step: 4, items: [4, 1], undoStack: [[1, 2, 3, 5]])
    let view = builder.fullView(for: state)
    XCTAssertTrue(view.edited)
    let edited = try XCTUnwrap(builder.projectorInterests(for: view))
    XCTAssertEqual(edited.vectors, builder.forward(user: 1, step: 4, history: [4, 1]).interests)
    XCTAssertNotEqual(edited.vectors, data.vectors)
    XCTAssertEqual(edited.labels, view.interests.map(\.label))
    // metadata.tsv says the edited history produced them; the data's do not say so.
    let metadata = lines(try ViewExport.projectorFiles(session: session, interests: edited)[ViewExport.metadataFile])
    XCTAssertEqual(metadata.suffix(3), ["interest-1\t\(edited.labels[0])\tuser 1 step 4 (edited history)\tinterest",
                                        "interest-2\t\(edited.labels[1])\tuser 1 step 4 (edited history)\tinterest", ""])
    let dataRows = lines(try ViewExport.projectorFiles(session: session, interests: data)[ViewExport.metadataFile])
    XCTAssertEqual(dataRows[dataRows.count - 2], "interest-2\t\(data.labels[1])\tuser 1 step 4\tinterest")
  }

  func testNonFiniteValuesAreRefused() throws {
    let session = H.session()
    session.model.itemEmbeddings.data[5 * 2] = .nan
    var state = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    state.focus = .bestMatch
    let view = ViewBuilder(session: session).view(for: state)
    XCTAssertThrowsError(try ViewExport.json(view)) { error in
      guard case let .notFinite(value, path)? = error as? ExportError else { return XCTFail("\(error)") }
      XCTAssertEqual(value, "nan")
      XCTAssertFalse(path.isEmpty)
    }
    XCTAssertThrowsError(try ViewExport.projectorFiles(session: session, interests: nil)) { error in
      XCTAssertEqual(error as? ExportError, .notFiniteVector(what: "item 5's embedding"))
    }
  }

  /// `e` in the loop: a new folder in the export directory with the view's JSON (the
  /// snapshot's bytes) and the TSV files, and the footer says where; a second `e` makes a
  /// second folder.
  func testEWritesANewFolderAndTheFooterSaysWhere() throws {
    let session = H.session()
    let terminal = MemoryTerminal(rows: 30, columns: 200, keys: [])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    loop.export = ExportEffect(directory: scratch)
    loop.press(.character("e"), terminal: terminal)
    let made = try FileManager.default.contentsOfDirectory(atPath: scratch)
    XCTAssertEqual(made.count, 1, "\(made)")
    let name = try XCTUnwrap(made.first)
    XCTAssertTrue(name.hasPrefix("timirec-export-u1-t4-"), name)
    let folder = (scratch as NSString).appendingPathComponent(name)
    XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder)), ["view.json", "vectors.tsv", "metadata.tsv"])
    let json = try Data(contentsOf: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("view.json")))
    XCTAssertEqual(json, try ViewExport.jsonFile(loop.view))
    XCTAssertEqual(try JSONDecoder().decode(ExplorerView.self, from: json), loop.view)
    let status = try XCTUnwrap(loop.state.status)
    XCTAssertEqual(status, "exported view.json, vectors.tsv, metadata.tsv to \(folder)")
    XCTAssertTrue(try XCTUnwrap(terminal.frames.last).contains(name), "the footer names the folder")

    loop.press(.character("e"), terminal: terminal)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch).count, 2)
    // Same second, same view: the second folder gets a suffix rather than replacing the first.
    let date = Date(timeIntervalSince1970: 1_800_000_000)
    let first = try loop.export.run(builder: loop.builder, view: loop.view, date: date)
    let second = try loop.export.run(builder: loop.builder, view: loop.view, date: date)
    XCTAssertEqual(second, first + "-2")

    // An export directory that has gone: the footer says why, nothing is written.
    loop.export = ExportEffect(directory: (scratch as NSString).appendingPathComponent("gone"))
    loop.press(.character("e"), terminal: terminal)
    XCTAssertTrue(try XCTUnwrap(loop.state.status).hasPrefix("export failed: "), loop.state.status ?? "")
  }

  /// The footer message keeps the folder's name and as many of the last folders as fit; the
  /// path's start gives way to "…/" at 80 columns.
  func testMessageFitsTheFooter() {
    let short = "/tmp/x/timirec-export-u1-t4-20261202-233000"
    XCTAssertEqual(ExportEffect.message(path: short, columns: 100), "exported view.json, vectors.tsv, metadata.tsv to \(short)")
    XCTAssertEqual(ExportEffect.message(path: short, columns: 80), "exported to \(short)")
    let long = "/home/someone/projects/recommenders/explorations/exports/timirec-export-u1239-t25-20261202-233000"
    let cut = ExportEffect.message(path: long, columns: 80)
    XCTAssertEqual(cut, "exported to …/explorations/exports/timirec-export-u1239-t25-20261202-233000")
    XCTAssertLessThanOrEqual(cellWidth(cut), 79)
  }

  /// `--force` replaces a folder only when it holds nothing but an earlier export's files:
  /// any other entry (hidden ones and a folder named like an export file included) is named
  /// in the refusal, with or without force, and nothing in the folder changes.
  func testForceReplacesOnlyAnEarlierExport() throws {
    let session = H.session()
    let files = try ViewExport.projectorFiles(session: session, interests: nil)
    let manager = FileManager.default
    let out = (scratch as NSString).appendingPathComponent("notes")
    try manager.createDirectory(atPath: out + "/vectors.tsv", withIntermediateDirectories: true)
    for name in ["important.txt", ".hidden", "metadata.tsv", "b.txt", "c.txt"] {
      try Data("keep".utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent(name)))
    }
    let before = Set(try manager.contentsOfDirectory(atPath: out))
    for force in [true, false] {
      XCTAssertThrowsError(try ViewExport.writeFolder(files, to: out, force: force, session: session)) { error in
        XCTAssertEqual(error as? ExportError, .notAnExport(path: out, unrelated: [".hidden", "b.txt", "c.txt", "important.txt", "vectors.tsv"]))
        XCTAssertEqual("\(error)", "\(out) holds .hidden, b.txt, c.txt and 2 more, not only an earlier export's files (metadata.tsv, vectors.tsv, view.json); --force replaces only an earlier export, so nothing was written; choose another --out (a new folder)")
      }
    }
    XCTAssertEqual(Set(try manager.contentsOfDirectory(atPath: out)), before)
    XCTAssertEqual(try String(contentsOfFile: out + "/important.txt", encoding: .utf8), "keep")
    XCTAssertEqual(Set(try manager.contentsOfDirectory(atPath: scratch)), ["notes"], "no temporary left beside it")

    // An earlier `e` export (view.json too) is replaced; an empty folder as well.
    let earlier = (scratch as NSString).appendingPathComponent("earlier")
    try ViewExport.writeFolder(files.merging([ViewExport.viewFile: Data("{}".utf8)]) { a, _ in a }, to: earlier, force: false,
                               session: session)
    try ViewExport.writeFolder(files, to: earlier, force: true, session: session)
    XCTAssertEqual(Set(try manager.contentsOfDirectory(atPath: earlier)), ["vectors.tsv", "metadata.tsv"])
    let empty = (scratch as NSString).appendingPathComponent("empty")
    try manager.createDirectory(atPath: empty, withIntermediateDirectories: false)
    try ViewExport.writeFolder(files, to: empty, force: true, session: session)

    // A file destination is replaced only when it is a regular file.
    let link = (scratch as NSString).appendingPathComponent("view-link.json")
    try manager.createSymbolicLink(atPath: link, withDestinationPath: out + "/important.txt")
    XCTAssertThrowsError(try ViewExport.writeFile(Data("x".utf8), to: link, force: true, session: session)) { error in
      XCTAssertEqual(error as? ExportError, .notRegularFile(path: link))
    }
    XCTAssertEqual(try String(contentsOfFile: out + "/important.txt", encoding: .utf8), "keep")
  }

  /// The folders an export never replaces, whatever they hold: the root, the current
  /// directory and its ancestors (`.`, `..`), $HOME and its ancestors; symbolic links resolved.
  /// (Pure: the current directory and home are given, so nothing real is at stake.)
  func testProtectedFolders() throws {
    let manager = FileManager.default
    let cwd = (scratch as NSString).appendingPathComponent("x/sub")
    let home = (scratch as NSString).appendingPathComponent("home/me")
    for folder in [cwd, home, scratch + "/other", scratch + "/x/sibling"] {
      try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    let link = (scratch as NSString).appendingPathComponent("link-to-x")
    try manager.createSymbolicLink(atPath: link, withDestinationPath: scratch + "/x")
    func why(_ path: String) -> String? { ViewExport.protectedFolder(path, currentDirectory: cwd, home: home) }
    XCTAssertEqual(why("/"), "the root folder")
    XCTAssertEqual(why(cwd), "the current directory")
    XCTAssertEqual(why(cwd + "/."), "the current directory")
    XCTAssertEqual(why(cwd + "/.."), "an ancestor of the current directory")
    XCTAssertEqual(why(scratch), "an ancestor of the current directory")
    XCTAssertEqual(why(link), "an ancestor of the current directory")
    XCTAssertEqual(why(home), "your home folder ($HOME)")
    XCTAssertEqual(why(scratch + "/home"), "an ancestor of your home folder ($HOME)")
    XCTAssertNil(why(scratch + "/other"))
    XCTAssertNil(why(scratch + "/x/sibling"))
    XCTAssertNil(why(cwd + "/new-export"))
    XCTAssertEqual("\(ExportError.protectedFolder(path: ".", what: "the current directory"))",
                   ". is the current directory; an export replaces its --out folder whole, so it never goes there; choose another --out (a new folder, e.g. projector)")
  }

  /// A failed export's footer keeps its reason whole at 80 and 100 columns: the path's first
  /// folders give way to "…/" (in the failing step too), then the step is left out; the
  /// export folder's name stays while it fits.
  func testFailureMessageKeepsTheReason() throws {
    let folder = "/tmp/timirec-scratch/exports/timirec-export-u1-t40-20261202-233000"
    let full = ExportError.write(AtomicWriteError(path: folder, operation: "writing /tmp/timirec-scratch/exports/.timirec-export-u1-t40-20261202-233000.tmp-41-0a1b2c3d/vectors.tsv",
                                                  code: ENOSPC))
    XCTAssertEqual(ExportEffect.message(failure: full, columns: 100),
                   "export failed: …/exports/timirec-export-u1-t40-20261202-233000: No space left on device")
    XCTAssertEqual(ExportEffect.message(failure: full, columns: 80),
                   "export failed: …/timirec-export-u1-t40-20261202-233000: No space left on device")
    let wide = ExportEffect.message(failure: full, columns: 250)
    XCTAssertEqual(wide, "export failed: \(full)")
    XCTAssertEqual(ExportEffect.message(failure: full, columns: 150), "export failed: \(folder): No space left on device")
    let medium = ExportEffect.message(failure: full, columns: 210)
    XCTAssertEqual(medium, "export failed: …/exports/timirec-export-u1-t40-20261202-233000: cannot write it safely: writing …/exports/.timirec-export-u1-t40-20261202-233000.tmp-41-0a1b2c3d/vectors.tsv failed: No space left on device")
    let denied = ExportError.write(AtomicWriteError(path: "/proc/timirec-export-u1239-t25-20261202-233000",
                                                    operation: "creating the temporary folder /proc/.timirec-export-u1239-t25-20261202-233000.tmp-41-0a1b2c3d",
                                                    code: EACCES))
    for columns in [80, 100] {
      let message = ExportEffect.message(failure: denied, columns: columns)
      XCTAssertTrue(message.hasSuffix("Permission denied"), message)
      XCTAssertTrue(message.contains("timirec-export-u1239-t25-20261202-233000"), message)
      XCTAssertLessThanOrEqual(cellWidth(message), columns - 1, message)
    }
    // Narrower than the name and the reason together: the reason first.
    XCTAssertEqual(ExportEffect.message(failure: full, columns: 50), "export failed: No space left on device: …/timire…")
    // Errors with no write step shorten the path the same way.
    let gone = ExportError.noFolder(path: "/home/someone/projects/recommenders/explorations/exports/gone")
    XCTAssertEqual(ExportEffect.message(failure: gone, columns: 80),
                   "export failed: …/gone is not an existing folder; create it or choose another")
  }

  /// `e` with an export directory where nothing can be created (Linux's /proc): the 80-column
  /// footer shows the reason, not a cut path.
  func testEFailureShowsItsReasonInTheFooter() throws {
    try XCTSkipUnless(FileManager.default.fileExists(atPath: "/proc/self"), "needs Linux's /proc")
    let session = H.session()
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    loop.export = try ExportEffect.checked(directory: "/proc", session: session)
    loop.press(.character("e"), terminal: terminal)
    let status = try XCTUnwrap(loop.state.status)
    XCTAssertTrue(status.hasPrefix("export failed: "), status)
    // The folder's name and the reason do not both fit in 79 cells: the reason comes first.
    XCTAssertTrue(status.hasPrefix("export failed: No such file or directory: …/timirec-export-u1-t4-"), status)
    XCTAssertLessThanOrEqual(cellWidth(status), 79, status)
    XCTAssertTrue(try XCTUnwrap(terminal.frames.last).contains(status), "the footer shows the whole message")
  }

  /// No overwrite without force; a folder replaced whole with force; never inside the
  /// dataset or the checkpoint folder, nor into a missing folder; nothing half-written.
  func testRefusals() throws {
    let data = (scratch as NSString).appendingPathComponent("data")
    let checkpoint = (data as NSString).appendingPathComponent("checkpoint")
    try FileManager.default.createDirectory(atPath: checkpoint, withIntermediateDirectories: true)
    let base = H.session()
    let session = ExplorerSession(dataset: base.dataset, model: base.model, checkpoint: base.checkpoint,
                                  datasetPath: data, checkpointPath: checkpoint)
    let files = try ViewExport.projectorFiles(session: session, interests: nil)

    let out = (scratch as NSString).appendingPathComponent("projector")
    try ViewExport.writeFolder(["view.json": Data("old".utf8), "vectors.tsv": Data()], to: out, force: false, session: session)
    XCTAssertThrowsError(try ViewExport.writeFolder(files, to: out, force: false, session: session)) { error in
      XCTAssertEqual(error as? ExportError, .exists(path: out, isFolder: true))
      XCTAssertEqual("\(error)", "\(out) exists; pass --force to replace it (the whole folder), or choose another --out")
    }
    XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out)), ["view.json", "vectors.tsv"])
    try ViewExport.writeFolder(files, to: out, force: true, session: session)
    XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out)), ["vectors.tsv", "metadata.tsv"])

    let file = (scratch as NSString).appendingPathComponent("view.json")
    try ViewExport.writeFile(Data("a".utf8), to: file, force: false, session: session)
    XCTAssertThrowsError(try ViewExport.writeFile(Data("b".utf8), to: file, force: false, session: session))
    XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "a")
    try ViewExport.writeFile(Data("b".utf8), to: file, force: true, session: session)
    XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "b")
    XCTAssertThrowsError(try ViewExport.writeFile(Data(), to: out, force: true, session: session)) { error in
      XCTAssertEqual(error as? ExportError, .wrongKind(path: out, isFolder: true))
    }

    let inside = (checkpoint as NSString).appendingPathComponent("projector")
    XCTAssertThrowsError(try ViewExport.writeFolder(files, to: inside, force: true, session: session)) { error in
      XCTAssertEqual(error as? ExportError, .insideInput(path: inside, folder: checkpoint, what: "checkpoint folder"))
    }
    XCTAssertThrowsError(try ViewExport.writeFile(Data(), to: (data as NSString).appendingPathComponent("v.json"), force: true,
                                                  session: session)) { error in
      guard case .insideInput(_, _, "dataset folder")? = error as? ExportError else { return XCTFail("\(error)") }
    }
    // Through a symbolic link to the checkpoint folder: still inside.
    let link = (scratch as NSString).appendingPathComponent("link")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: checkpoint)
    XCTAssertThrowsError(try ViewExport.writeFolder(files, to: link + "/p", force: true, session: session))
    // A sibling whose name merely starts like the dataset folder is outside.
    XCTAssertNoThrow(try ViewExport.checkOutsideInputs(data + "-exports", session: session))
    let missing = (scratch as NSString).appendingPathComponent("missing/projector")
    XCTAssertThrowsError(try ViewExport.writeFolder(files, to: missing, force: true, session: session)) { error in
      XCTAssertEqual(error as? ExportError, .noFolder(path: (scratch as NSString).appendingPathComponent("missing")))
    }
    XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: checkpoint)), [])
  }
}
