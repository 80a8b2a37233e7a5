import Foundation
import SeqRec
import XCTest

@testable import Explorer

/// The case table (`c`) on the tiny hand-set TiMiRec: it opens with every test user, sorts,
/// filters, jumps with Enter to the ranks the explorer shows, and fits 80×24.
///
/// Test rows: user 1 at t = 4 (target 4, "dried"), user 2 at t = 2 (target 5, "berry"),
/// user 3 at t = 1 (target 1, "fruit|red").
final class CaseTableTests: XCTestCase {
  let session = TinyExplorer.session()

  func openTable(rows: Int = 24, columns: Int = 80) -> (ExplorerLoop, MemoryTerminal) {
    let terminal = MemoryTerminal(rows: rows, columns: columns, keys: [])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    loop.draw(on: terminal)
    loop.press(.character("c"), terminal: terminal)
    return (loop, terminal)
  }

  /// The user ids of the table's rows as drawn (the first number of each row below the
  /// column names), top to bottom.
  func drawnUsers(_ frame: String) -> [Int] {
    let lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.dropFirst(3).compactMap { line -> Int? in
      let fields = line.dropFirst().split(separator: " ")
      return fields.count > 8 ? Int(fields[0]) : nil
    }
  }

  func testOpenSortFilterAndEnterJumpsToTheCase() throws {
    let (loop, terminal) = openTable()
    XCTAssertEqual(loop.state.mode, .cases)
    let table = try XCTUnwrap(loop.cases.table)
    XCTAssertEqual(table.rows.map { [$0.user, $0.step, $0.target] }, [[1, 4, 4], [2, 2, 5], [3, 1, 1]])
    let first = try XCTUnwrap(terminal.frames.last)
    XCTAssertTrue(first.contains("Cases · test") || first.contains("Case finder · test"), first)
    XCTAssertTrue(first.contains("3 rows"), first)
    XCTAssertTrue(first.contains("gain↓"), first)
    // A progress frame came before the table.
    XCTAssertTrue(terminal.frames.contains { $0.contains("3 of 3 rows (100 %)") })

    // s: gain → js → interest → user; then ascending user ids; S reverses.
    for _ in 0..<3 { loop.press(.character("s"), terminal: terminal) }
    XCTAssertEqual(loop.state.caseTable.sort, .user)
    XCTAssertEqual(drawnUsers(terminal.frames.last!), [1, 2, 3])
    XCTAssertTrue(terminal.frames.last!.contains("user↑"), terminal.frames.last!)
    loop.press(.character("S"), terminal: terminal)
    XCTAssertEqual(drawnUsers(terminal.frames.last!), [3, 2, 1])

    // F: the targets' categories, most frequent first (all once: by name): berry keeps user 2.
    loop.press(.character("F"), terminal: terminal)
    XCTAssertEqual(loop.context.cases?.categories, ["berry", "dried", "fruit", "red"])
    XCTAssertEqual(drawnUsers(terminal.frames.last!), [2])
    XCTAssertTrue(terminal.frames.last!.contains("category: berry"), terminal.frames.last!)
    for _ in 0..<4 { loop.press(.character("F"), terminal: terminal) }  // dried, fruit, red, all
    XCTAssertNil(loop.state.caseTable.category)
    XCTAssertEqual(drawnUsers(terminal.frames.last!), [3, 2, 1])

    // ↓ then Enter: user 2 at t = 2, with the ranks the case table gave.
    loop.press(.down, terminal: terminal)
    let row = table.rows[1]
    loop.press(.enter, terminal: terminal)
    XCTAssertEqual(loop.state.mode, .browse)
    XCTAssertEqual(session.users[loop.state.userIndex], 2)
    XCTAssertEqual(loop.state.step, 2)
    XCTAssertEqual(loop.view.recommendations?.timirecTargetRank, row.model.mix)
    XCTAssertEqual(loop.view.recommendations?.bestMatchTargetRank, row.model.bestMatch)
    XCTAssertTrue(terminal.frames.last!.contains("user 2"), terminal.frames.last!)

    // c again: the same table (not recomputed), cursor and order kept; Esc closes it.
    let frames = terminal.frames.count
    loop.press(.character("c"), terminal: terminal)
    XCTAssertEqual(terminal.frames.count, frames + 1, "no progress frames: the table is cached")
    XCTAssertEqual(loop.state.caseTable.cursor, 1)
    XCTAssertEqual(terminal.frames.last!.split(separator: "\n").first { $0.hasPrefix("▸") }?.dropFirst()
                     .split(separator: " ").first, "2", terminal.frames.last!)
    loop.press(.escape, terminal: terminal)
    XCTAssertEqual(loop.state.mode, .browse)
  }

  /// The outcome filter: every row of the tiny data is a hit for both (6 items), so
  /// "TiMiRec hits, best-match misses" keeps none and says so; Enter then says why nothing opens.
  func testFilterThatKeepsNothingSaysSo() {
    let (loop, terminal) = openTable()
    loop.press(.character("f"), terminal: terminal)
    XCTAssertEqual(loop.state.caseTable.filter, .hitMiss)
    XCTAssertTrue(terminal.frames.last!.contains("TiMiRec hits, best-match misses"), terminal.frames.last!)
    XCTAssertTrue(terminal.frames.last!.contains("no row passes the filter"), terminal.frames.last!)
    loop.press(.enter, terminal: terminal)
    XCTAssertEqual(loop.state.mode, .cases)
    XCTAssertEqual(loop.state.status, "no case under the cursor (the filter keeps no rows)")
    loop.press(.character("f"), terminal: terminal)  // miss-hit
    loop.press(.character("f"), terminal: terminal)  // both hit: all three
    XCTAssertEqual(drawnUsers(terminal.frames.last!).count, 3)
  }

  /// Outside the table its keys say where they work; the footer of the browsing screen does
  /// not list them, the table's footer does.
  func testCaseKeysOutsideTheTable() {
    let context = ExplorerContext(session: session, listLength: 20)
    var s = ExplorerState.initial(session: session)
    XCTAssertEqual(s.handle(.character("s"), context: context), .redraw)
    XCTAssertEqual(s.status, "s works in the case table (c opens it)")
    XCTAssertEqual(s.handle(.enter, context: context), .redraw)
    XCTAssertEqual(s.mode, .browse)
    XCTAssertFalse(KeyBindings.footerItems.contains { $0.label == "sort" })
    XCTAssertEqual(KeyBindings.caseFooterItems.map(\.keys), ["↑↓", "c/Esc", "s", "S", "f", "F", "Enter"])
  }

  /// 80×24 with long titles: every row's numbers are whole (the title is cut instead), the
  /// footer lists the keys, and no line is wider than the screen.
  func testFitsEightyByTwentyFour() {
    let long = ["", String(repeating: "Apple ", count: 20), "Banana", String(repeating: "Cherry ", count: 20),
                String(repeating: "Date ", count: 20), "Elderberry"]
    let session = TinyExplorer.session(titles: long)
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    loop.draw(on: terminal)
    loop.press(.character("c"), terminal: terminal)
    let frame = terminal.frames.last!
    let lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
    XCTAssertEqual(lines.count, 24)
    for line in lines { XCTAssertLessThanOrEqual(cellWidth(String(line)), 80, String(line)) }
    let table = loop.cases.table!
    for row in table.rows {
      let line = lines.first { $0.dropFirst().split(separator: " ").first == Substring(String(row.user)) }
      let fields = line.map { $0.dropFirst().split(separator: " ").prefix(4).map(String.init) } ?? []
      XCTAssertEqual(fields, [String(row.user), String(row.step), String(row.model.mix!), String(row.model.bestMatch)],
                     frame)
    }
    XCTAssertTrue(lines.last!.contains("Enter open"), frame)
    XCTAssertTrue(frame.contains("…"), "the long titles are cut, not the numbers")
  }

  /// With `explore --compare` (here the pretrain checkpoint of the same weights as model 2,
  /// which ranks by the best match) the table compares the two models: gain = model 2's rank
  /// − model 1's, here the same numbers as one model's best match − mix.
  func testCompareModeGainIsModelTwoMinusModelOne() throws {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: session, state: .initial(session: session),
                            comparison: TinyExplorer.session(stage: .pretrain))
    loop.draw(on: terminal)
    loop.press(.character("c"), terminal: terminal)
    let table = try XCTUnwrap(loop.cases.table)
    XCTAssertTrue(table.compared)
    let single = try CaseFinder.find(session.model, corpus: session.corpus, split: .test, threads: 1)
    XCTAssertEqual(table.rows.map(\.gain), single.rows.map(\.gain))
    XCTAssertEqual(table.rows.map(\.secondRank), single.rows.map(\.model.bestMatch))
    XCTAssertTrue(terminal.frames.last!.contains("ckpt2"), terminal.frames.last!)
  }
}
