import Foundation
import SeqRec
import TestSupport
import XCTest

@testable import Explorer

/// A new user's trial of the what-if editing with compare mode and the timeline strip: the
/// compare lists' cursor, the top-10 turnover line, model 2's own what-if, the strip's label,
/// the numbering of insert places and the snapshot's wording (tiny model, TinyExplorer).
final class WhatIfFollowUpTests: XCTestCase {
  let session = TinyExplorer.session()

  /// User 1 at t = 4: S(u, t) = [1, 2, 3, 5], the target is item 4 (Date).
  func state(focus: FocusPane = .users, edit: [Int32]? = nil, step: Int = 4) -> ExplorerState {
    var s = ExplorerState(userIndex: 0, step: step, temperature: 0.5)
    s.focus = focus
    if let edit { s.historyEdit = HistoryEdit(userIndex: 0, step: step, items: edit, undoStack: [[1, 2, 3, 5]]) }
    return s
  }

  func compareBuilder() -> ViewBuilder {
    let b = ViewBuilder(session: session)
    b.comparison = ViewBuilder(session: CompareTests.secondSession(k: 2, stage: .finetune))
    return b
  }

  /// The compare lists show the cursor ▸ only while a list has the focus, as the plain view.
  func testCompareListsHaveNoCursorWhileTheHistoryHasTheFocus() throws {
    let builder = compareBuilder()
    for (focus, cursor) in [(FocusPane.users, false), (.history, false), (.timirec, true), (.bestMatch, true)] {
      let s = state(focus: focus)
      let versus = try XCTUnwrap(Panes.versus(builder.fullView(for: s), state: s, height: 8, width: 100))
      let text = versus.lines.map { $0.map(\.text).joined() }.joined(separator: "\n")
      XCTAssertEqual(text.contains("▸"), cursor, "\(focus):\n\(text)")
    }
  }

  /// The third what-if row names each list with the items that left its top 10, and says
  /// which entered when none left (step 0: the data's empty history had no lists), never
  /// "unchanged" then.
  func testTopTurnoverNamesEachListAndCountsItemsThatEntered() throws {
    let builder = ViewBuilder(session: session)
    var zero = state(step: 0)
    zero.historyEdit = HistoryEdit(userIndex: 0, step: 0, items: [2], undoStack: [])
    let v = builder.view(for: zero)
    XCTAssertEqual(v.whatIf?.bestMatchTop.left, [])
    XCTAssertEqual(v.whatIf?.bestMatchTop.entered.map(\.id), v.recommendations?.bestMatch.prefix(10).map(\.item.id))
    XCTAssertEqual(v.whatIf?.bestMatchTop.entered.count, 4)
    let rows = Panes.whatIfRows(v, width: 200, showing: true).map { $0.map(\.text).joined() }
    XCTAssertTrue(rows[2].hasPrefix("entered the top 10: TiMiRec: "), rows[2])
    XCTAssertTrue(rows[2].contains("; best-match: "), rows[2])
    XCTAssertFalse(rows.joined().contains("unchanged"), rows.joined())
    // Step 0 had no list to rank in: said so, not "was in history".
    XCTAssertTrue(rows[0].contains("(no list at t=0)"), rows[0])
    XCTAssertFalse(rows[0].contains("was in history"), rows[0])

    // Items that left: each under its list's name.
    var w = try XCTUnwrap(builder.view(for: state(edit: [1, 2, 3])).whatIf)
    w.droppedRecommended = []
    w.timirecTop = TopChange(entered: [], left: [session.label(5)])
    w.bestMatchTop = TopChange(entered: [], left: [session.label(3)])
    XCTAssertEqual(Panes.topTurnover(w), "left the top 10: TiMiRec: Elderberry; best-match: Cherry")
    w.timirecTop = TopChange(entered: [], left: [])
    XCTAssertEqual(Panes.topTurnover(w), "left the top 10: best-match: Cherry")
    w.bestMatchTop = TopChange(entered: [], left: [])
    XCTAssertNil(Panes.topTurnover(w))
  }

  /// With --compare, model 2 ranks with the edited history and carries its own what-if
  /// summary: the one `WhatIfSummary.compare` on its own views, as it computes alone; the
  /// compare pane shows each model's Δrank, its own marks and a before → after row; the JSON's
  /// `compare` says edited and carries `whatIf`.
  func testModel2HasItsOwnWhatIfInTheComparePaneAndTheJSON() throws {
    let s = state(focus: .history, edit: [1, 2, 3])
    let view = compareBuilder().fullView(for: s)
    let compared = try XCTUnwrap(view.compare)
    let alone = ViewBuilder(session: CompareTests.secondSession(k: 2, stage: .finetune)).view(for: s)
    XCTAssertTrue(compared.edited)
    XCTAssertEqual(compared.whatIf, alone.whatIf)
    let w2 = try XCTUnwrap(compared.whatIf)
    XCTAssertEqual(w2.dropped.map(\.id), [5])
    XCTAssertNotEqual(compared.whatIf, view.whatIf, "model 2's summary, not model 1's")
    // The second model's drawn view carries its own summary (its Δw under its distributions).
    XCTAssertEqual(view.comparedView?.whatIf, w2)
    XCTAssertEqual(view.comparedView?.edited, true)

    // Model 1: TiMiRec true next #1 → #2 (Δ+1), Elderberry back at #1 (↺).
    XCTAssertEqual(view.whatIf?.timirecTargetRank, RankChange(data: 1, edited: 2))
    let versus = try XCTUnwrap(Panes.versus(view, state: s, height: 8, width: 120))
    let lines = versus.lines.map { $0.map(\.text).joined() }
    let rank2 = try XCTUnwrap(w2.timirecTargetRank)
    let delta2 = try XCTUnwrap(rank2.delta)
    XCTAssertTrue(lines[0].contains("1 TiMiRec · true next #2/2 (Δ+1)"), lines[0])
    XCTAssertTrue(lines[0].contains("2 TiMiRec · true next #\(rank2.edited!)/2 (Δ\(delta2 > 0 ? "+" : "")\(delta2))"), lines[0])
    XCTAssertTrue(lines[1].hasPrefix("  1↺Elderberry"), lines[1])
    let row2 = try XCTUnwrap(w2.droppedRecommended.first { $0.list == "timirec" })
    XCTAssertTrue(lines[1 + row2.row].contains(" \(row2.row + 1)↺Elderberry"), lines.joined(separator: "\n"))
    let whatIfRow = try XCTUnwrap(lines.first { $0.hasPrefix("what-if ★") })
    XCTAssertTrue(whatIfRow.contains("1 TiMiRec #1→#2 top 10 +1 −0"), whatIfRow)
    XCTAssertTrue(whatIfRow.contains("2 TiMiRec \(Panes.rankTransition(rank2))"), whatIfRow)

    // The JSON: compare.edited and compare.whatIf.
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: ViewExport.jsonFile(view)) as? [String: Any])
    let compare = try XCTUnwrap(json["compare"] as? [String: Any])
    XCTAssertEqual(compare["edited"] as? Bool, true)
    let whatIf = try XCTUnwrap(compare["whatIf"] as? [String: Any])
    XCTAssertEqual((whatIf["dropped"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [5])
    XCTAssertEqual((whatIf["timirecTargetRank"] as? [String: Any])?["delta"] as? Int, delta2)
    // Not edited: compare.edited false, no whatIf.
    let plain = try XCTUnwrap(JSONSerialization.jsonObject(with: ViewExport.jsonFile(compareBuilder().fullView(for: state())))
      as? [String: Any])
    XCTAssertEqual((plain["compare"] as? [String: Any])?["edited"] as? Bool, false)
    XCTAssertNil((plain["compare"] as? [String: Any])?["whatIf"])
  }

  /// The compare screen with an edit made with the keys still fits 80×24 and shows the edit.
  func testEditedCompareScreenFits80x24() {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: session, state: state(), comparison: CompareTests.secondSession(k: 2, stage: .finetune))
    loop.draw(on: terminal)
    for key: Key in [.backTab, .character("d")] { loop.press(key, terminal: terminal) }
    XCTAssertEqual(loop.state.historyEdit?.items, [1, 2, 3])
    let frame = terminal.frames.last!
    let rows = frame.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(rows.count, 24)
    for row in rows { XCTAssertLessThanOrEqual(cellWidth(String(row)), 80, String(row)) }
    for text in ["Model 1 vs model 2", "(Δ+1)", "★ 1 #1→#2", "Timeline (data's)", "1↺Elderberry"] {
      XCTAssertTrue(frame.contains(text), "\(text) missing:\n\(frame)")
    }
  }

  /// The timeline strip is over the data's histories: with an edit its title says so.
  func testTimelineSaysItIsTheDataHistoryWhenEdited() {
    let builder = ViewBuilder(session: session)
    XCTAssertEqual(Panes.timeline(builder.view(for: state()), width: 60).title, "Timeline")
    let edited = builder.view(for: state(edit: [1, 2, 3]))
    XCTAssertEqual(Panes.timeline(edited, width: 60).title, "Timeline · data's history")
    // Its points stay the data's (the view's steps are computed without the edit).
    XCTAssertEqual(edited.steps, builder.view(for: state()).steps)
  }

  /// The snapshot has no keys: its header says "history edited" without "u undo · U reset";
  /// an empty `--history` is the empty history (as dropping every item makes it).
  func testSnapshotWordingAndAnEmptyHistoryList() throws {
    let builder = ViewBuilder(session: session)
    let v = builder.view(for: state(edit: [1, 2, 3, 5]))
    let text = SnapshotText.render(v, state: state(edit: [1, 2, 3, 5]), width: 100)
    XCTAssertTrue(text.contains("history edited"), text)
    XCTAssertFalse(text.contains("u undo"), text)
    XCTAssertTrue(text.contains("top 10 unchanged in both lists\n"), text)
    XCTAssertTrue(Panes.header(v, width: 200).map(\.text).joined().contains("history edited (u undo · U reset)"))

    for list in ["", " "] {
      let edit = try HistoryEdit.parse(list, session: session, userIndex: 0, step: 4)
      XCTAssertEqual(edit.items, [], "'\(list)'")
      var s = state()
      s.historyEdit = edit
      let empty = builder.view(for: s)
      XCTAssertEqual(empty.historyLength, 0)
      XCTAssertNil(empty.recommendations)
    }
    XCTAssertThrowsError(try HistoryEdit.parse("1,", session: session, userIndex: 0, step: 4))
  }

  /// `--compare` naming a folder without a checkpoint: the hint names --compare.
  func testMissingCompareCheckpointHintNamesCompare() {
    let text = "\(ExplorerError.compare(path: "runs/x", reason: .noCheckpoint(path: "runs/x", data: "data/beauty", defaulted: false)))"
    XCTAssertTrue(text.hasPrefix("--compare runs/x: no checkpoint at runs/x"), text)
    XCTAssertTrue(text.contains("pass it with --compare"), text)
    XCTAssertTrue(text.contains("timirec explore --data data/beauty --compare runs/beauty"), text)
    XCTAssertFalse(text.contains("--ckpt"), text)
    let plain = "\(ExplorerError.noCheckpoint(path: "runs/x", data: "data/beauty", defaulted: true))"
    XCTAssertTrue(plain.contains("the default for --ckpt") && plain.contains("pass it with --ckpt"), plain)
  }

  /// In the JSON both interest numbers are 0-based: `interests[].index` and
  /// `steps.points[].strongestInterest` (the screen shows k + 1).
  func testInterestNumbersInTheJSONAreZeroBased() throws {
    let v = ViewBuilder(session: session).view(for: state())
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: ViewExport.jsonFile(v)) as? [String: Any])
    let indices = (json["interests"] as? [[String: Any]])?.compactMap { $0["index"] as? Int }
    XCTAssertEqual(indices, [0, 1])
    let points = try XCTUnwrap((json["steps"] as? [String: Any])?["points"] as? [[String: Any]])
    let strongest = points.compactMap { $0["strongestInterest"] as? Int }
    XCTAssertFalse(strongest.isEmpty)
    XCTAssertTrue(strongest.allSatisfy { (0..<2).contains($0) }, "\(strongest)")
    let mix = try XCTUnwrap(v.distributions?.modelMix)
    XCTAssertEqual(points[3]["strongestInterest"] as? Int, mix[1] > mix[0] ? 1 : 0, "step 4's point is the view's own mix")
  }
}
