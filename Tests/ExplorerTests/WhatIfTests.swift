import SeqRec
import TestSupport
import XCTest

@testable import Explorer

/// What-if editing of a history (issue 14): the edit stack in the state, the edited history
/// through the one forward path, and the change against the data's history, on the tiny
/// model whose numbers can be computed by hand (TinyExplorer).
final class WhatIfTests: XCTestCase {
  let session = TinyExplorer.session()
  typealias H = TinyExplorer

  /// User 1 at t = 4: S(u, t) = [1, 2, 3, 5], the target is item 4 (test).
  func state(focus: FocusPane = .users) -> ExplorerState {
    var s = ExplorerState(userIndex: 0, step: 4, temperature: 0.5)
    s.focus = focus
    return s
  }

  var context: ExplorerContext { ExplorerContext(session: session, listLength: 20) }

  // MARK: State: the edit stack

  func testTabFocusesTheHistoryAndTheEditKeysStackAndUndo() {
    let context = self.context
    var s = state()
    // Edit keys need the history pane; u and U need an edit.
    XCTAssertEqual(s.handle(.character("d"), context: context), .redraw)
    XCTAssertEqual(s.status, "Tab to the history pane first: d drops its cursor item")
    XCTAssertEqual(s.handle(.character("u"), context: context), .redraw)
    XCTAssertEqual(s.status, "no history edit to undo")
    // users → TiMiRec list → best-match list → history; the cursor on the most recent item.
    for _ in 0..<3 { _ = s.handle(.tab, context: context) }
    XCTAssertEqual(s.focus, .history)
    XCTAssertEqual(s.historySelection, 3)
    XCTAssertEqual(s.handle(.character(">"), context: context), .redraw)
    XCTAssertEqual(s.status, "the cursor item is already the most recent")
    // ↑ moves the history cursor (a redraw: nothing to recompute), not the user.
    XCTAssertEqual(s.handle(.up, context: context), .redraw)
    XCTAssertEqual(s.historySelection, 2)
    XCTAssertEqual(s.userIndex, 0)
    // d drops item 3 (Cherry): [1, 2, 5]; the cursor stays at place 2 (now item 5).
    XCTAssertEqual(s.handle(.character("d"), context: context), .recompute)
    XCTAssertEqual(s.historyEdit?.items, [1, 2, 5])
    XCTAssertEqual(s.historyEdit?.undoStack, [[1, 2, 3, 5]])
    XCTAssertEqual(s.historySelection, 2)
    XCTAssertEqual(s.status, "dropped Cherry: no longer excluded, it may be recommended (↺)")
    // < moves item 5 one place earlier: [1, 5, 2], the cursor follows it.
    XCTAssertEqual(s.handle(.character("<"), context: context), .recompute)
    XCTAssertEqual(s.historyEdit?.items, [1, 5, 2])
    XCTAssertEqual(s.historySelection, 1)
    _ = s.handle(.character("<"), context: context)
    XCTAssertEqual(s.historyEdit?.items, [5, 1, 2])
    XCTAssertEqual(s.handle(.character("<"), context: context), .redraw)
    XCTAssertEqual(s.status, "the cursor item is already the oldest")
    XCTAssertEqual(s.historyEdit?.undoStack, [[1, 2, 3, 5], [1, 2, 5], [1, 5, 2]])
    // u undoes one edit at a time, back to the data (no edit at all).
    XCTAssertEqual(s.handle(.character("u"), context: context), .recompute)
    XCTAssertEqual(s.historyEdit?.items, [1, 5, 2])
    XCTAssertEqual(s.status, "undone (2 edits left)")
    _ = s.handle(.character("u"), context: context)
    XCTAssertEqual(s.historyEdit?.items, [1, 2, 5])
    _ = s.handle(.character("u"), context: context)
    XCTAssertNil(s.historyEdit)
    XCTAssertEqual(s.status, "undone: the history is the data's again")
    // U resets every edit at once.
    _ = s.handle(.character("d"), context: context)
    _ = s.handle(.character("d"), context: context)
    XCTAssertEqual(s.historyEdit?.items, [3, 5], "the cursor was on the oldest item")
    XCTAssertEqual(s.handle(.character("U"), context: context), .recompute)
    XCTAssertNil(s.historyEdit)
    XCTAssertEqual(s.status, "history reset to the data (2 edits undone)")
    XCTAssertEqual(s.handle(.character("U"), context: context), .redraw)
    XCTAssertEqual(s.status, "the history is the data's: nothing to reset")
    // S-Tab goes back; Esc returns the focus to the users.
    _ = s.handle(.backTab, context: context)
    XCTAssertEqual(s.focus, .bestMatch)
    _ = s.handle(.tab, context: context)
    _ = s.handle(.escape, context: context)
    XCTAssertEqual(s.focus, .users)
  }

  /// A history given whole (`--history`) and then edited: `u` returns to the given history,
  /// then to the data's.
  func testUndoAfterAGivenHistory() throws {
    let context = self.context
    var s = state(focus: .history)
    s.historyEdit = try HistoryEdit.parse("4, 1", session: session, userIndex: 0, step: 4)
    XCTAssertEqual(s.historyEdit?.items, [4, 1])
    s.historySelection = 1
    _ = s.handle(.character("d"), context: context)
    XCTAssertEqual(s.historyEdit?.items, [4])
    _ = s.handle(.character("u"), context: context)
    XCTAssertEqual(s.historyEdit?.items, [4, 1])
    XCTAssertEqual(s.status, "undone (0 edits left)")
    _ = s.handle(.character("u"), context: context)
    XCTAssertNil(s.historyEdit)
  }

  func testMovingToAnotherStepOrUserClearsTheEditAndSaysSo() {
    let context = self.context
    var s = state(focus: .history)
    s.historySelection = 0
    _ = s.handle(.character("d"), context: context)
    XCTAssertEqual(s.historyEdit?.items, [2, 3, 5])
    XCTAssertEqual(s.handle(.left, context: context), .recompute)
    XCTAssertNil(s.historyEdit)
    XCTAssertEqual(s.status, "history edit cleared (an edit belongs to one user and step)")
    XCTAssertEqual(s.historySelection, 2, "the cursor on the most recent item of S(u, 3)")
    _ = s.handle(.character("d"), context: context)
    XCTAssertNotNil(s.historyEdit)
    s.focus = .users
    _ = s.handle(.down, context: context)
    XCTAssertNil(s.historyEdit)
    // A stale edit (set for another step) is never shown.
    var stale = state()
    stale.historyEdit = HistoryEdit(userIndex: 0, step: 3, items: [4], undoStack: [])
    XCTAssertFalse(ViewBuilder(session: session).view(for: stale).edited)
  }

  func testInsertFindsATitleAndInsertsAfterTheCursor() {
    let context = self.context
    var s = state(focus: .history)
    s.historySelection = 1
    XCTAssertEqual(s.handle(.character("i"), context: context), .redraw)
    XCTAssertEqual(s.mode, .insertItem(query: "", row: 0))
    // Enter with nothing typed stays in the prompt.
    XCTAssertEqual(s.handle(.enter, context: context), .redraw)
    XCTAssertEqual(s.status, "type part of a title first")
    // Letters are typed, not keys: "e" matches Elderberry (prefix) first, then Apple, Cherry,
    // Date by id.
    _ = s.handle(.character("e"), context: context)
    XCTAssertEqual(context.itemSearch.matches("e").items, [5, 1, 3, 4])
    XCTAssertEqual(s.handle(.down, context: context), .redraw)
    XCTAssertEqual(s.handle(.down, context: context), .redraw)
    XCTAssertEqual(s.mode, .insertItem(query: "e", row: 2))
    // Typing more starts the choice again: neither title starts with "er", so by id: Cherry
    // (3), Elderberry (5).
    _ = s.handle(.character("r"), context: context)
    XCTAssertEqual(s.mode, .insertItem(query: "er", row: 0))
    XCTAssertEqual(context.itemSearch.matches("er").items, [3, 5])
    _ = s.handle(.down, context: context)
    XCTAssertEqual(s.handle(.enter, context: context), .recompute)
    XCTAssertEqual(s.mode, .browse)
    XCTAssertEqual(s.historyEdit?.items, [1, 2, 5, 3, 5], "Elderberry inserted after place 1 (item 2)")
    XCTAssertEqual(s.historySelection, 2)
    XCTAssertEqual(s.status, "inserted Elderberry as history #2 (#0–#4)", "numbered as the history pane: #0 the oldest")
    // Esc cancels without an edit; Backspace removes a letter.
    _ = s.handle(.character("i"), context: context)
    _ = s.handle(.character("x"), context: context)
    _ = s.handle(.backspace, context: context)
    XCTAssertEqual(s.mode, .insertItem(query: "", row: 0))
    _ = s.handle(.character("z"), context: context)
    XCTAssertEqual(s.handle(.enter, context: context), .redraw)
    XCTAssertEqual(s.status, "no item title contains 'z'")
    _ = s.handle(.escape, context: context)
    XCTAssertEqual(s.mode, .browse)
    XCTAssertEqual(s.historyEdit?.undoStack.count, 1)
  }

  func testItemSearchIsCaseInsensitiveAndTakesAnId() {
    let search = ItemSearch(titles: H.plainTitles)
    XCTAssertEqual(search.matches("BAN").items, [2])
    XCTAssertEqual(search.matches("3").items, [3], "an all-digit query that is an id")
    XCTAssertEqual(search.matches("").total, 0)
    XCTAssertEqual(search.matches("e", limit: 2).items, [5, 1])
    XCTAssertEqual(search.matches("e", limit: 2).total, 4)
  }

  // MARK: View: the change against the data's history

  /// Dropping item 5 from S(u, 4) = [1, 2, 3, 5]: the model reads [1, 2, 3]; the lists exclude
  /// {1, 2, 3}, so they rank items 4 (the target) and 5 (the dropped item, recommended again).
  ///
  /// By hand (TinyExplorer: attention logit 3·tanh(x_j[k]), w = softmax(1, 0) = (0.731, 0.269)
  /// whatever the history, so Δw = 0): v_1 ≈ (1.590, 0.035), v_2 ≈ (0.254, 0.831);
  /// TiMiRec: item 5 ≈ 1.480 > item 4 ≈ 0.497, so the target is #2 (#1 with the data's history,
  /// where it is the only item not excluded: Δ +1); best match: item 4 ≈ 1.661 > item 5 ≈ 1.625,
  /// so the target stays #1 (Δ 0) and item 5 is row 2.
  func testDroppingAnItemRecomputesAndComparesWithTheData() throws {
    var s = state(focus: .history)
    s.historyEdit = HistoryEdit(userIndex: 0, step: 4, items: [1, 2, 3], undoStack: [[1, 2, 3, 5]])
    let builder = ViewBuilder(session: session)
    let data = builder.view(for: state(focus: .history))
    let v = builder.view(for: s)
    XCTAssertTrue(v.edited)
    XCTAssertFalse(data.edited)
    XCTAssertNil(data.whatIf)
    // The same forward as an unedited view of that window (user 1 at t = 3 reads [1, 2, 3]).
    let window = builder.view(for: ExplorerState(userIndex: 0, step: 3, temperature: 0.5))
    XCTAssertEqual(v.interests, window.interests)
    XCTAssertEqual(v.distributions?.q, window.distributions?.q)
    let (_, interests) = H.interests(window: [1, 2, 3])
    XCTAssertEqual(interests[0][0], 1.590, accuracy: 1e-3)
    XCTAssertEqual(interests[1][1], 0.831, accuracy: 1e-3)
    let w = H.softmax(H.logits)
    func mixed(_ item: Int) -> Double { (0..<2).reduce(0) { $0 + w[$1] * H.dot(interests[$1], H.embeddings[item]) } }
    func best(_ item: Int) -> Double { (0..<2).map { H.dot(interests[$0], H.embeddings[item]) }.max()! }
    XCTAssertEqual(mixed(5), 1.480, accuracy: 1e-3)
    XCTAssertEqual(mixed(4), 0.497, accuracy: 1e-3)
    XCTAssertEqual(best(4), 1.661, accuracy: 1e-3)
    XCTAssertEqual(best(5), 1.625, accuracy: 1e-3)

    let r = try XCTUnwrap(v.recommendations)
    XCTAssertEqual(r.timirec?.map(\.item.id), [5, 4])
    XCTAssertEqual(r.bestMatch.map(\.item.id), [4, 5])
    XCTAssertEqual(r.excludedCount, 3)
    XCTAssertEqual(data.recommendations?.timirec?.map(\.item.id), [4])
    let whatIf = try XCTUnwrap(v.whatIf)
    XCTAssertEqual(whatIf.timirecTargetRank, RankChange(data: 1, edited: 2))
    XCTAssertEqual(whatIf.timirecTargetRank?.delta, 1)
    XCTAssertEqual(whatIf.bestMatchTargetRank, RankChange(data: 1, edited: 1))
    XCTAssertEqual(whatIf.bestMatchTargetRank.delta, 0)
    XCTAssertEqual(whatIf.mixWeightDelta, [0, 0])
    XCTAssertEqual(whatIf.dropped.map(\.id), [5])
    XCTAssertEqual(whatIf.inserted, [])
    XCTAssertEqual(whatIf.timirecTop?.entered.map(\.id), [5])
    XCTAssertEqual(whatIf.timirecTop?.left, [])
    XCTAssertEqual(whatIf.bestMatchTop.entered.map(\.id), [5])
    XCTAssertEqual(whatIf.droppedRecommended, [
      ReturnedItem(item: session.label(5), list: "timirec", row: 0),
      ReturnedItem(item: session.label(5), list: "best-match", row: 1),
    ])
    XCTAssertEqual(whatIf.edits, 1)
    // The history: the edited items, then the data's target.
    XCTAssertEqual(v.timeline.map(\.item.id), [1, 2, 3, 4])
    XCTAssertEqual(v.timeline.map(\.role), [.window, .window, .window, .target])
    XCTAssertEqual(v.historyLength, 3)
    XCTAssertTrue(v.notes.contains { $0.contains("a dropped item may be recommended again") })

    // On screen: the header says edited, ↺ marks the dropped item back in the lists, the ranks
    // show their change, Δw under the distributions, and the dropped item in the history.
    let frame = ScreenRenderer.render(view: v, state: s, context: context, rows: 24, columns: 80, interestCount: 2)
    let text = frame.text
    XCTAssertTrue(frame.text(row: 0).contains("history edited"), frame.text(row: 0))
    XCTAssertTrue(text.contains("  1↺Elderberry"), text)
    XCTAssertTrue(text.contains("(Δ+1)"), text)
    XCTAssertTrue(text.contains("Δw against the data's history: 1 +0.000 · 2 +0.000"), text)
    XCTAssertTrue(text.contains("− dropped: Elderberry"), text)
    XCTAssertTrue(text.contains("↺ dropped Elderberry is recommended again: TiMiRec #1"), text)
    XCTAssertTrue(text.contains("History (edited)"), text)
  }

  /// An inserted item is excluded from the lists and marked in the history; the data's own
  /// history given as an edit changes nothing but the flag.
  func testInsertedItemsAreExcludedAndTheDataHistoryAsAnEditChangesNothing() throws {
    let builder = ViewBuilder(session: session)
    let data = builder.view(for: state())
    var same = state()
    same.historyEdit = try HistoryEdit.parse("1,2,3,5", session: session, userIndex: 0, step: 4)
    let v = builder.view(for: same)
    XCTAssertTrue(v.edited)
    XCTAssertEqual(v.recommendations, data.recommendations)
    XCTAssertEqual(v.interests, data.interests)
    XCTAssertEqual(v.distributions, data.distributions)
    XCTAssertEqual(v.whatIf?.timirecTargetRank?.delta, 0)
    XCTAssertEqual(v.whatIf?.bestMatchTop, TopChange(entered: [], left: []))
    XCTAssertEqual(v.whatIf?.mixWeightDelta, [0, 0])
    XCTAssertEqual(v.whatIf?.edits, 0)

    // Item 4 (the target) inserted: it is excluded, so it has no rank, and marked inserted.
    var inserted = state()
    inserted.historyEdit = HistoryEdit(userIndex: 0, step: 4, items: [1, 2, 4, 3, 5], undoStack: [[1, 2, 3, 5]])
    let w = builder.view(for: inserted)
    XCTAssertEqual(w.recommendations?.targetInHistory, true)
    XCTAssertEqual(w.recommendations?.timirec, [])
    XCTAssertEqual(w.whatIf?.timirecTargetRank, RankChange(data: 1, edited: nil))
    XCTAssertEqual(w.whatIf?.inserted.map(\.id), [4])
    XCTAssertEqual(w.timeline.map(\.inserted), [nil, nil, true, nil, nil, nil])
    XCTAssertEqual(w.timeline.map(\.split), ["train", "train", "inserted", "train", "dev", "test"])
    XCTAssertEqual(w.timeline.prefix(5).map(\.position), [0, 1, 2, 3, 4])
  }

  /// `--history` ids outside the catalogue: an error naming the id and the range.
  func testHistoryListRefusesIdsOutsideTheCatalogue() {
    for bad in ["1,9", "0", "1,,2", "x"] {
      XCTAssertThrowsError(try HistoryEdit.parse(bad, session: session, userIndex: 0, step: 4)) { error in
        let text = "\(error)"
        XCTAssertTrue(text.contains("item ids run 1…5"), text)
      }
    }
    XCTAssertEqual((try? HistoryEdit.parse("9", session: session, userIndex: 0, step: 4)).map(\.items), nil)
    XCTAssertEqual("\(ExplorerError.noSuchItem("9", available: 1...5))",
                   "--history: '9' is not an item id of this dataset's catalogue; item ids run 1…5 (items.tsv gives their titles)")
  }

  /// Every edit keeps the screen within 80×24: header, history cursor, the what-if rows and
  /// the insert prompt, with every number whole.
  func testEditedScreensFit80x24() {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: session, state: state())
    loop.draw(on: terminal)
    for key: Key in [.tab, .tab, .tab, .character("d"), .character("i"), .character("a"), .down, .enter, .character("<")] {
      loop.press(key, terminal: terminal)
      let rows = terminal.frames.last!.split(separator: "\n", omittingEmptySubsequences: false)
      XCTAssertEqual(rows.count, 24)
      for row in rows { XCTAssertLessThanOrEqual(cellWidth(String(row)), 80, String(row)) }
    }
    let last = terminal.frames.last!
    XCTAssertTrue(last.contains("history edited"), last)
    XCTAssertTrue(last.contains("ins "), last)
    XCTAssertEqual(loop.state.historyEdit?.items.count, 4)
  }

  /// Edges: every item dropped (nothing to extract, `d` disabled, `i` still inserts), an
  /// insert into the empty history of step 0, after the last item (no target), and a pretrain
  /// checkpoint (no TiMiRec list, no Δw): each draws at 80×24 without a mix or rank invented.
  func testEmptyHistoriesStepZeroNoTargetAndPretrain() throws {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    var s = state(focus: .history)
    s.historySelection = 0
    let loop = ExplorerLoop(session: session, state: s)
    for _ in 0..<4 { loop.press(.character("d"), terminal: terminal) }
    XCTAssertEqual(loop.state.historyEdit?.items, [])
    XCTAssertTrue(loop.view.edited)
    XCTAssertNil(loop.view.recommendations)
    XCTAssertEqual(loop.view.whatIf?.timirecTargetRank, RankChange(data: 1, edited: nil))
    XCTAssertTrue(terminal.frames.last!.contains("▸ (empty: i inserts)"), terminal.frames.last!)
    loop.press(.character("d"), terminal: terminal)
    XCTAssertEqual(loop.state.status, "the history is empty: nothing to drop")
    for key: Key in [.character("i"), .character("d"), .character("a"), .character("t"), .enter] { loop.press(key, terminal: terminal) }
    XCTAssertEqual(loop.state.historyEdit?.items, [4], "Date")
    XCTAssertEqual(loop.view.recommendations?.targetInHistory, true)

    // Step 0: the data's history is empty; an inserted item gives the model one.
    var zero = ExplorerState(userIndex: 0, step: 0, temperature: 0.5)
    zero.historyEdit = HistoryEdit(userIndex: 0, step: 0, items: [2], undoStack: [[]])
    let builder = ViewBuilder(session: session)
    let v = builder.view(for: zero)
    XCTAssertEqual(v.recommendations?.bestMatch.count, 4)
    XCTAssertEqual(v.whatIf?.bestMatchTargetRank.data, nil)
    XCTAssertEqual(v.whatIf?.bestMatchTop.entered.count, 4)
    XCTAssertEqual(v.whatIf?.inserted.map(\.id), [2])

    // After the last item: no target, so no ranks to compare.
    var after = ExplorerState(userIndex: 0, step: 5, temperature: 0.5)
    after.historyEdit = HistoryEdit(userIndex: 0, step: 5, items: [1, 2], undoStack: [[1, 2, 3, 5, 4]])
    let a = builder.view(for: after)
    XCTAssertEqual(a.whatIf?.bestMatchTargetRank, RankChange(data: nil, edited: nil))
    let frame = ScreenRenderer.render(view: a, state: after, context: context, rows: 24, columns: 80, interestCount: 2).text
    XCTAssertTrue(frame.contains("what-if: no true next item, no ranks to compare"), frame)

    // Pretrain: no q, so no TiMiRec list, no rank change for it and no Δw.
    let pretrain = TinyExplorer.session(stage: .pretrain)
    var p = state()
    p.historyEdit = HistoryEdit(userIndex: 0, step: 4, items: [1, 2, 3], undoStack: [[1, 2, 3, 5]])
    let pv = ViewBuilder(session: pretrain).view(for: p)
    XCTAssertNil(pv.whatIf?.timirecTargetRank)
    XCTAssertNil(pv.whatIf?.mixWeightDelta)
    XCTAssertNil(pv.whatIf?.timirecTop)
    XCTAssertEqual(pv.whatIf?.bestMatchTargetRank, RankChange(data: 1, edited: 1))
    let pframe = ScreenRenderer.render(view: pv, state: p, context: ExplorerContext(session: pretrain, listLength: 20),
                                       rows: 24, columns: 80, interestCount: 2).text
    XCTAssertTrue(pframe.contains("best-match #1→#1"), pframe)
  }
}
