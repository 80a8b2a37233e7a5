import Foundation
import SeqRec
import TestSupport
import XCTest

/// `timirec export` on the bundled demo (K = 2, D = 64, 2,400 items): the JSON is byte for
/// byte what `explore --snapshot --json` prints; vectors.tsv holds the checkpoint's item table
/// (read back exactly) and household 1239's interests at step 25 as SeqRec computes them;
/// metadata.tsv has its header and one row per vector; nothing is overwritten without --force.
final class ExportCommandTests: CLITestCase {
  var demo: String { Timirec.packageRoot.appendingPathComponent("demo-data").path }

  func testViewIsTheSnapshotJSON() throws {
    for (step, temp) in [("25", "0.2"), ("25", "1.5"), ("0", "0.5")] {
      let out = path("view-\(step)-\(temp).json")
      let export = try timirec("export", "view", "--data", demo, "--user", "1239", "--step", step, "--temp", temp, "--out", out)
      XCTAssertEqual(export.exitCode, 0, export.transcript)
      let snapshot = try timirec("explore", "--data", demo, "--snapshot", "--json", "--user", "1239", "--step", step,
                                 "--temp", temp)
      XCTAssertEqual(snapshot.exitCode, 0, snapshot.transcript)
      let written = try String(contentsOfFile: out, encoding: .utf8)
      XCTAssertEqual(written, snapshot.stdout, "step \(step), T \(temp)")
      XCTAssertTrue(written.contains("\"user\" : 1239"), written)
    }
  }

  func testVectorsAreTheCheckpointsTablesAndTheUsersInterests() throws {
    let out = path("projector")
    let run = try timirec("export", "vectors", "--data", demo, "--user", "1239", "--step", "25", "--out", out)
    XCTAssertEqual(run.exitCode, 0, run.transcript)
    XCTAssertEqual(entries(out), ["vectors.tsv", "metadata.tsv"])

    // The model as SeqRec opens it, and the interests of the window before step 25.
    let dataset = try Dataset.load(folder: demo)
    let opened = try CheckpointDirectory.openModel(demo + "/checkpoint", for: dataset.fingerprint)
    let model = try XCTUnwrap(opened.model as? any MultiInterestRecommender)
    let n = model.itemCount, d = model.embeddingSize, k = model.interestCount
    XCTAssertEqual([n, d, k], [2401, 64, 2])
    let corpus = SequenceCorpus(dataset: dataset, historyMax: model.historyMax)
    let window = Array(corpus.history(user: 1239, position: corpus.sequenceOffsets[1239] + 25))
    let interests = model.interests(history: window, lengths: [Int32(window.count)], batch: 1, length: window.count).interests.data

    let vectors = try String(contentsOfFile: out + "/vectors.tsv", encoding: .utf8)
    XCTAssertTrue(vectors.hasSuffix("\n"))
    let rows = vectors.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(rows.count, (n - 1) + k, "every item but the padding row, then the K interests")
    let table = model.itemEmbeddings.data
    for (r, row) in rows.enumerated() {
      let values = row.split(separator: "\t", omittingEmptySubsequences: false).map { Float(String($0)) }
      XCTAssertEqual(values.count, d, "row \(r + 1)")
      if r < n - 1 {
        // Items read back bit for bit (shortest round-trip decimals).
        let expected = Array(table[((r + 1) * d)..<((r + 2) * d)])
        if values.map({ $0 ?? .nan }) != expected { return XCTFail("row \(r + 1) (item \(r + 1)) differs from the checkpoint") }
      } else {
        let kk = r - (n - 1)
        for j in 0..<d {
          let v = try XCTUnwrap(values[j])
          XCTAssertEqual(v, interests[kk * d + j], accuracy: 1e-5 * max(1, abs(v)), "interest \(kk + 1), dimension \(j)")
        }
      }
    }

    // metadata.tsv: the header, one row per vector, the interests labelled as the explorer
    // labels them (the snapshot's `interests[].label`).
    let metadata = try String(contentsOfFile: out + "/metadata.tsv", encoding: .utf8)
    let lines = metadata.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertEqual(lines.first, "id\ttitle\tcategory\tkind")
    XCTAssertEqual(lines.count, 1 + rows.count)
    XCTAssertEqual(lines[1], "1\tNorthern Robo ep. 1\tcartoon|preschool\titem")
    for line in lines { XCTAssertEqual(line.split(separator: "\t", omittingEmptySubsequences: false).count, 4, line) }
    let snapshot = try timirec("explore", "--data", demo, "--snapshot", "--json", "--user", "1239", "--step", "25")
    let view = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(snapshot.stdout.utf8)) as? [String: Any])
    let labels = try XCTUnwrap((view["interests"] as? [[String: Any]])?.compactMap { $0["label"] as? String })
    XCTAssertEqual(labels.count, 2)
    XCTAssertEqual(Array(lines.suffix(2)), labels.enumerated().map { "interest-\($0.offset + 1)\t\($0.element)\tuser 1239 step 25\tinterest" })

    // Items alone.
    let items = path("items")
    XCTAssertEqual(try timirec("export", "vectors", "--data", demo, "--out", items).exitCode, 0)
    let itemRows = try String(contentsOfFile: items + "/vectors.tsv", encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(itemRows.count, n - 1)
  }

  /// The new-user trial's case: `--out . --force` in a folder holding a file of the user's
  /// used to empty it. Now `.`, `..` and any folder holding more than an earlier export's
  /// files are refused, with or without --force, and every file stays; an earlier export is
  /// still replaced.
  func testForceNeverEmptiesTheCurrentDirectoryNorAnUnrelatedFolder() throws {
    let important = try write("x/sub/important.txt", "keep\n")
    let sub = (important as NSString).deletingLastPathComponent
    let x = (sub as NSString).deletingLastPathComponent
    for out in [".", "..", "./", sub, x] {
      let run = try Timirec.run(["export", "vectors", "--data", demo, "--out", out, "--force"], in: sub)
      assertOneLineError(run, location: out, says: out == "." || out == "./" || out == sub
                           ? "is the current directory; an export replaces its --out folder whole"
                           : "is an ancestor of the current directory", case: out)
      XCTAssertEqual(try String(contentsOfFile: important, encoding: .utf8), "keep\n", out)
      XCTAssertEqual(entries(sub), ["important.txt"], out)
      XCTAssertEqual(entries(x), ["sub"], out)
    }

    let notes = try write("notes/todo.txt", "keep\n")
    let folder = (notes as NSString).deletingLastPathComponent
    for force in [["--force"], []] {
      let run = try Timirec.run(["export", "vectors", "--data", demo, "--out", folder] + force)
      assertOneLineError(run, location: folder, says: "holds todo.txt, not only an earlier export's files")
      XCTAssertTrue(run.stderr.contains("choose another --out"), run.transcript)
    }
    XCTAssertEqual(entries(folder), ["todo.txt"])

    // An earlier export is replaced with --force; `export view` never replaces a folder.
    let earlier = path("earlier")
    XCTAssertEqual(try timirec("export", "vectors", "--data", demo, "--out", earlier).exitCode, 0)
    let again = try timirec("export", "vectors", "--data", demo, "--user", "1239", "--step", "25", "--out", earlier, "--force")
    XCTAssertEqual(again.exitCode, 0, again.transcript)
    XCTAssertEqual(entries(earlier), ["vectors.tsv", "metadata.tsv"])
    let view = try Timirec.run(["export", "view", "--data", demo, "--out", ".", "--force"], in: sub)
    assertOneLineError(view, location: ".", says: "is a folder, not a file")
    XCTAssertEqual(entries(sub), ["important.txt"])
  }

  /// `export view` takes `explore --snapshot`'s --history, --select and --compare and writes
  /// byte for byte what `explore --snapshot --json` prints with them.
  func testViewTakesTheSnapshotsHistorySelectAndCompare() throws {
    let base = ["--data", demo, "--user", "1239", "--step", "25"]
    for extra in [["--history", "12,7,40"], ["--select", "best:3"], ["--compare", demo + "/checkpoint"],
                  ["--history", "12,7,40", "--select", "timirec:2", "--compare", demo + "/checkpoint", "--tempered-mix"]] {
      let out = path("view-\(extra.joined().filter { $0.isLetter || $0.isNumber }.prefix(40)).json")
      let export = try Timirec.run(["export", "view"] + base + extra + ["--out", out])
      XCTAssertEqual(export.exitCode, 0, export.transcript)
      let snapshot = try Timirec.run(["explore", "--snapshot", "--json"] + base + extra)
      XCTAssertEqual(snapshot.exitCode, 0, snapshot.transcript)
      XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), snapshot.stdout, "\(extra)")
      let view = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(snapshot.stdout.utf8)) as? [String: Any])
      if extra.contains("--history") { XCTAssertEqual(view["edited"] as? Bool, true, "\(extra)") }
      if extra.contains("--compare") { XCTAssertNotNil(view["compare"], "\(extra)") }
    }
  }

  func testNothingIsOverwrittenWithoutForceNorWrittenIntoTheInputs() throws {
    let file = try write("view.json", "keep")
    let before = entries(workDir)
    let refused = try timirec("export", "view", "--data", demo, "--user", "1239", "--step", "25", "--out", file)
    assertOneLineError(refused, location: file, says: "exists; pass --force to replace it")
    XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "keep")
    XCTAssertEqual(entries(workDir), before, "no temporary left beside it")
    let forced = try timirec("export", "view", "--data", demo, "--user", "1239", "--step", "25", "--out", file, "--force")
    XCTAssertEqual(forced.exitCode, 0, forced.transcript)
    XCTAssertTrue(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("{"))

    let folder = path("projector")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let refusedFolder = try timirec("export", "vectors", "--data", demo, "--out", folder)
    assertOneLineError(refusedFolder, location: folder, says: "exists; pass --force to replace it (the whole folder)")
    XCTAssertEqual(entries(folder), [])
    let wrongKind = try timirec("export", "vectors", "--data", demo, "--out", file, "--force")
    assertOneLineError(wrongKind, location: file, says: "is a file, not a folder")

    let inside = demo + "/checkpoint/projector"
    let intoCheckpoint = try timirec("export", "vectors", "--data", demo, "--out", inside)
    assertOneLineError(intoCheckpoint, location: inside, says: "is inside the checkpoint folder")
    XCTAssertFalse(FileManager.default.fileExists(atPath: inside))
    let intoData = try timirec("export", "view", "--data", demo, "--out", demo + "/view.json", "--force")
    assertOneLineError(intoData, location: demo + "/view.json", says: "is inside the dataset folder")

    // The explorer's --export-dir: refused inside the inputs before anything opens.
    let exploreInside = try timirec("explore", "--data", demo, "--export-dir", demo + "/checkpoint")
    assertOneLineError(exploreInside, location: demo + "/checkpoint", says: "is inside the checkpoint folder")
    let exploreMissing = try timirec("explore", "--data", demo, "--export-dir", path("nowhere") + "/x")
    assertOneLineError(exploreMissing, location: "nowhere/x", says: "is not an existing folder")

    let withSnapshot = try timirec("explore", "--data", demo, "--snapshot", "--export-dir", workDir)
    XCTAssertEqual(withSnapshot.exitCode, 64, withSnapshot.transcript)
    XCTAssertTrue(withSnapshot.stderr.contains("for --snapshot use `timirec export view`"), withSnapshot.transcript)

    let step0 = try timirec("export", "vectors", "--data", demo, "--user", "1239", "--step", "0", "--out", path("p0"))
    assertOneLineError(step0, location: "user 1239", says: "give --step 1 or later")
  }
}
