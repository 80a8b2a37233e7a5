import Foundation
import SeqRec
import XCTest

@testable import Explorer

/// The case table (`c`) on the tiny hand-set TiMiRec: it opens with every test user, sorts,
/// filters, switches split (`p`), jumps with Enter to the ranks the explorer shows, and fits
/// 80×24.
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
    XCTAssertEqual(KeyBindings.caseFooterItems.map(\.keys), ["c/Esc", "p", "s/S", "f/F", "a", "Enter", "?", "q"])
    XCTAssertEqual(s.handle(.character("p"), context: context), .redraw)
    XCTAssertEqual(s.status, "p works in the case table (c opens it)")
    XCTAssertEqual(s.caseTable.split, .test)
  }

  /// `p` cycles test → dev → every step → test. Each split's table is the one `CaseFinder`
  /// computes headless on the same session (dev: user 1 at t = 3, user 2 at t = 1; every
  /// step: t = 1…4, 1…2 and 1 of users 1, 2, 3), computed once with its progress frames
  /// and then kept; the header names the split; the cursor stays with each table, the sort
  /// with all of them; Enter on a dev row or an every-step row opens
  /// that user at that step, not at their last.
  func testSplitKeyCyclesTheSplitsAndEnterOpensTheirRows() throws {
    let (loop, terminal) = openTable()
    var headless: [CaseSplit: CaseTable] = [:]
    for split in CaseSplit.allCases {
      headless[split] = try CaseFinder.find(session.model, corpus: session.corpus, split: split, threads: 1)
    }
    XCTAssertEqual(headless.mapValues(\.rows.count), [.test: 3, .dev: 2, .all: 7])
    XCTAssertEqual(headless[.dev]!.rows.map { [$0.user, $0.step, $0.target] }, [[1, 3, 5], [2, 1, 4]])
    loop.press(.down, terminal: terminal)
    XCTAssertEqual(loop.state.caseTable.cursor, 1)

    for (split, name) in [(CaseSplit.dev, "dev"), (.all, "every step"), (.test, "test")] {
      let frames = terminal.frames.count
      loop.press(.character("p"), terminal: terminal)
      XCTAssertEqual(loop.state.mode, .cases)
      XCTAssertEqual(loop.state.caseTable.split, split)
      let table = try XCTUnwrap(loop.cases.table)
      XCTAssertEqual(table.split, split)
      XCTAssertEqual(table.rows, headless[split]!.rows, "\(split)")
      XCTAssertEqual(loop.context.cases?.rows.count, headless[split]!.rows.count)
      XCTAssertEqual(loop.cases.order.count, headless[split]!.rows.count)
      let frame = terminal.frames.last!
      XCTAssertTrue(frame.contains("· \(name) ·"), frame)
      XCTAssertTrue(frame.contains("\(table.rows.count) rows · sorted by gain"), frame)
      XCTAssertEqual(drawnUsers(frame).count, table.rows.count, frame)
      let total = table.rows.count
      if split == .test {
        XCTAssertEqual(terminal.frames.count, frames + 1, "test was computed on c: kept, no progress frames")
        XCTAssertEqual(loop.state.caseTable.cursor, 1, "test's cursor is where it was")
      } else {
        XCTAssertTrue(terminal.frames[frames...].contains { $0.contains("\(total) of \(total) rows (100 %)") })
        XCTAssertEqual(loop.state.caseTable.cursor, 0)
      }
    }
    // Each table is kept: a second round draws one frame per key.
    for split in [CaseSplit.dev, .all, .test] {
      XCTAssertNotNil(loop.cases.computed(split))
      let frames = terminal.frames.count
      loop.press(.character("p"), terminal: terminal)
      XCTAssertEqual(terminal.frames.count, frames + 1, "\(split) is not recomputed")
    }

    // Dev, sorted by user: Enter on the second row opens user 2 at t = 1 (its dev target 4,
    // not its last step 2), with the ranks of the dev table.
    loop.press(.character("p"), terminal: terminal)
    XCTAssertEqual(loop.state.caseTable.split, .dev)
    for _ in 0..<3 { loop.press(.character("s"), terminal: terminal) }
    XCTAssertEqual(loop.state.caseTable.sort, .user)
    XCTAssertEqual(drawnUsers(terminal.frames.last!), [1, 2])
    loop.press(.down, terminal: terminal)
    let devRow = headless[.dev]!.rows[1]
    loop.press(.enter, terminal: terminal)
    XCTAssertEqual(loop.state.mode, .browse)
    XCTAssertEqual(session.users[loop.state.userIndex], 2)
    XCTAssertEqual(loop.state.step, 1)
    XCTAssertEqual(loop.view.target?.id, devRow.target)
    XCTAssertEqual(loop.view.recommendations?.timirecTargetRank, devRow.model.mix)
    XCTAssertEqual(loop.view.recommendations?.bestMatchTargetRank, devRow.model.bestMatch)

    // Back in the table (dev, its cursor kept); p: every step, still sorted by user, so its
    // rows are (1, 1) … (1, 4), (2, 1), (2, 2), (3, 1); its third row opens user 1 at t = 3.
    loop.press(.character("c"), terminal: terminal)
    XCTAssertEqual(loop.state.caseTable.split, .dev)
    XCTAssertEqual(loop.state.caseTable.cursor, 1)
    loop.press(.character("p"), terminal: terminal)
    XCTAssertEqual(loop.context.cases?.rows.map { [session.users[$0.userIndex], $0.step] },
                   [[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [3, 1]])
    XCTAssertEqual(loop.state.caseTable.cursor, 0, "the new sort put every table's cursor on its first row")
    loop.press(.down, terminal: terminal)
    loop.press(.down, terminal: terminal)
    loop.press(.enter, terminal: terminal)
    XCTAssertEqual(session.users[loop.state.userIndex], 1)
    XCTAssertEqual(loop.state.step, 3)
    XCTAssertEqual(loop.view.target?.id, 5)
    let allRow = headless[.all]!.rows.first { $0.user == 1 && $0.step == 3 }!
    XCTAssertEqual(loop.view.recommendations?.timirecTargetRank, allRow.model.mix)
    XCTAssertEqual(loop.view.recommendations?.bestMatchTargetRank, allRow.model.bestMatch)
  }

  /// Every step on data with more interactions than the limit (here a limit of 9 for the 10
  /// interactions): `p` from dev says why, in the words of `timirec cases --split all`, and
  /// the dev table stays on screen; the next `p` goes on to test. Nothing is recomputed.
  func testEveryStepOverTheLimitSaysWhyAndKeepsTheTable() throws {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    let loop = ExplorerLoop(session: session, state: .initial(session: session))
    loop.cases.allStepsLimit = 9
    loop.draw(on: terminal)
    loop.press(.character("c"), terminal: terminal)
    loop.press(.character("p"), terminal: terminal)
    XCTAssertEqual(loop.cases.table?.split, .dev)
    let refusal = CaseFinderError.tooManySteps(steps: 10, limit: 9)
    XCTAssertEqual(refusal.reason, "every step needs ≤ 9 interactions; this dataset has 10")
    XCTAssertEqual(refusal.description, "--split all: every step needs ≤ 9 interactions; this dataset has 10; use --split test or --split dev")

    let frames = terminal.frames.count
    loop.press(.character("p"), terminal: terminal)
    XCTAssertEqual(terminal.frames.count, frames + 1, "no progress frames")
    XCTAssertEqual(loop.state.mode, .cases)
    XCTAssertEqual(loop.state.caseTable.split, .dev)
    XCTAssertEqual(loop.cases.table?.split, .dev)
    XCTAssertNil(loop.cases.computed(.all))
    XCTAssertEqual(loop.state.status, "\(refusal.reason); p: test")
    let frame = terminal.frames.last!
    XCTAssertTrue(frame.contains("· dev ·"), frame)
    XCTAssertEqual(drawnUsers(frame).count, 2, frame)
    XCTAssertTrue(frame.split(separator: "\n").last!.contains(refusal.reason), frame)

    loop.press(.character("p"), terminal: terminal)
    XCTAssertEqual(terminal.frames.count, frames + 2, "test is kept")
    XCTAssertEqual(loop.state.caseTable.split, .test)
    XCTAssertNil(loop.state.status)
    // From dev again, any other key between the two p's starts over: the reason shows again.
    loop.press(.character("p"), terminal: terminal)
    loop.press(.character("p"), terminal: terminal)
    loop.press(.down, terminal: terminal)
    loop.press(.character("p"), terminal: terminal)
    XCTAssertEqual(loop.state.caseTable.split, .dev)
    XCTAssertEqual(loop.state.status, "\(refusal.reason); p: test")
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
    // Dev and every step fit too, their split named in the header.
    for name in ["dev", "every step"] {
      loop.press(.character("p"), terminal: terminal)
      let frame = terminal.frames.last!
      let lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
      XCTAssertEqual(lines.count, 24)
      for line in lines { XCTAssertLessThanOrEqual(cellWidth(String(line)), 80, String(line)) }
      XCTAssertTrue(lines[0].contains("· \(name) ·"), frame)
      XCTAssertTrue(lines.last!.contains("p split") && lines.last!.contains("Enter open"), frame)
    }
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
    // The header names both checkpoints (ckpt1 = --ckpt, ckpt2 = --compare); the progress
    // counted the 3 rows of the table per checkpoint, not 6.
    XCTAssertTrue(terminal.frames.last!.split(separator: "\n")[0].contains("ckpt1 = tiny-ckpt · ckpt2 = tiny-ckpt"),
                  terminal.frames.last!)
    XCTAssertTrue(terminal.frames.contains { $0.contains("ckpt1 (tiny-ckpt): 3 of 3 rows (100 %)") }, terminal.frames.joined())
    XCTAssertTrue(terminal.frames.contains { $0.contains("ckpt2 (tiny-ckpt): 3 of 3 rows (100 %)") }, terminal.frames.joined())
    XCTAssertFalse(terminal.frames.contains { $0.contains("of 6 rows") }, terminal.frames.joined())
    XCTAssertTrue(terminal.frames.contains { $0.contains("under ckpt1 = tiny-ckpt, then ckpt2 = tiny-ckpt") },
                  terminal.frames.joined())
  }

  /// Esc on the progress screen (here after model 1's pass of a compare: the finder asks
  /// between rounds, and the tiny table is one round per model) cancels: back to the browsing
  /// screen with where it stopped, nothing kept, so the next `c` computes the table whole.
  /// The progress screen names its keys.
  func testEscOnTheProgressScreenCancelsAndKeepsNothing() throws {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [])
    terminal.holdKeysUntil = { $0.contains("ckpt1 (tiny-ckpt): 3 of 3 rows") }
    let loop = ExplorerLoop(session: session, state: .initial(session: session),
                            comparison: TinyExplorer.session(stage: .pretrain))
    loop.draw(on: terminal)
    terminal.keys = [.escape]
    XCTAssertTrue(loop.press(.character("c"), terminal: terminal))
    XCTAssertTrue(terminal.keys.isEmpty, "the Esc was read on the progress screen")
    XCTAssertTrue(terminal.frames.contains { $0.split(separator: "\n").last!.contains("Esc cancels · q quits") })
    XCTAssertFalse(terminal.frames.contains { $0.contains("ckpt2 (tiny-ckpt)") }, "model 2 never started")
    XCTAssertEqual(loop.state.mode, .browse)
    XCTAssertEqual(loop.state.status, "test: cancelled at 3 of 3 rows of ckpt1; c computes it again")
    XCTAssertNil(loop.cases.computed(.test))
    XCTAssertNil(loop.context.cases)
    XCTAssertTrue(terminal.frames.last!.contains("Recommendations") || terminal.frames.last!.contains("Users"),
                  terminal.frames.last!)

    loop.press(.character("c"), terminal: terminal)
    XCTAssertEqual(loop.state.mode, .cases)
    XCTAssertEqual(loop.cases.table?.rows.count, 3)
    XCTAssertTrue(terminal.frames.contains { $0.contains("ckpt2 (tiny-ckpt): 3 of 3 rows (100 %)") })
  }

  /// Esc while `p` computes the next split goes back to the table shown before it (the
  /// split it was on), and q on a progress screen quits the explorer (`press` returns false).
  func testEscDuringPKeepsTheShownTableAndQQuits() throws {
    let (loop, terminal) = openTable()
    loop.press(.down, terminal: terminal)
    terminal.keys = [.character("j"), .escape]  // j is dropped; Esc is read before the first round
    XCTAssertTrue(loop.press(.character("p"), terminal: terminal))
    XCTAssertEqual(loop.state.mode, .cases)
    XCTAssertEqual(loop.state.caseTable.split, .test)
    XCTAssertEqual(loop.state.caseTable.cursor, 1)
    XCTAssertNil(loop.cases.computed(.dev))
    XCTAssertEqual(loop.state.status, "dev: cancelled; p computes it again")
    let frame = terminal.frames.last!
    XCTAssertTrue(frame.contains("· test ·"), frame)
    XCTAssertEqual(drawnUsers(frame).count, 3, frame)

    terminal.keys = [.character("q")]
    XCTAssertFalse(loop.press(.character("p"), terminal: terminal), "q on the progress screen quits")
    XCTAssertNil(loop.cases.computed(.dev))
  }

  /// The category filter is one choice for every split, as `f` and the sort: chosen in the
  /// test table it filters the dev table by the same label; `a` clears both filters; the
  /// cursor ▸ keeps a space before the user id.
  func testCategoryIsSharedAcrossSplitsAndAShowsAllRows() throws {
    let (loop, terminal) = openTable()
    XCTAssertTrue(terminal.frames.last!.split(separator: "\n").contains { $0.hasPrefix("▸ ") }, terminal.frames.last!)
    loop.press(.character("F"), terminal: terminal)  // berry: user 2's test target 5
    XCTAssertEqual(loop.state.caseTable.category, "berry")
    loop.press(.character("f"), terminal: terminal)
    loop.press(.character("f"), terminal: terminal)
    loop.press(.character("f"), terminal: terminal)  // both hit
    XCTAssertEqual(loop.state.caseTable.filter, .bothHit)
    XCTAssertEqual(drawnUsers(terminal.frames.last!), [2])
    // Dev: user 1's target is 5 (berry), user 2's is 4 (dried): berry keeps user 1.
    loop.press(.character("p"), terminal: terminal)
    XCTAssertEqual(loop.state.caseTable.split, .dev)
    XCTAssertEqual(loop.state.caseTable.category, "berry")
    XCTAssertTrue(terminal.frames.last!.contains("category: berry"), terminal.frames.last!)
    XCTAssertEqual(drawnUsers(terminal.frames.last!), [1])
    // a: all rows of dev; a again says so.
    loop.press(.character("a"), terminal: terminal)
    XCTAssertNil(loop.state.caseTable.category)
    XCTAssertEqual(loop.state.caseTable.filter, .all)
    XCTAssertEqual(drawnUsers(terminal.frames.last!).count, 2)
    XCTAssertTrue(terminal.frames.last!.contains("all rows · category: all"), terminal.frames.last!)
    loop.press(.character("a"), terminal: terminal)
    XCTAssertEqual(loop.state.status, "every row is shown already (f and F filter them)")
    // Outside the table `a` says where it works.
    loop.press(.escape, terminal: terminal)
    loop.press(.character("a"), terminal: terminal)
    XCTAssertEqual(loop.state.status, "a works in the case table (c opens it)")
  }

  /// `?` in the table opens the help over it at the case table's keys; closing the help
  /// comes back to the table.
  func testHelpFromTheTableShowsItsKeysAndComesBack() throws {
    let (loop, terminal) = openTable()
    loop.press(.character("?"), terminal: terminal)
    XCTAssertEqual(loop.state.mode, .help)
    let frame = terminal.frames.last!
    let lines = frame.split(separator: "\n")
    let top = try XCTUnwrap(lines.firstIndex { $0.contains("┌ Help") }, frame)
    XCTAssertTrue(lines[top + 1].contains("Case table (c opens it; these keys work there)"), frame)
    XCTAssertTrue(frame.contains("All rows again"), frame)
    XCTAssertTrue(lines[0].contains("Cases · test"), "the table stays under the help: \(frame)")
    loop.press(.escape, terminal: terminal)
    XCTAssertEqual(loop.state.mode, .cases)
    XCTAssertFalse(terminal.frames.last!.contains("┌ Help"), terminal.frames.last!)
    XCTAssertTrue(terminal.frames.last!.contains("Cases · test"), terminal.frames.last!)
    // From browsing, the help still opens at its top and closes to browsing.
    loop.press(.escape, terminal: terminal)
    loop.press(.character("?"), terminal: terminal)
    XCTAssertEqual(loop.state.helpScroll, 0)
    loop.press(.character("?"), terminal: terminal)
    XCTAssertEqual(loop.state.mode, .browse)
  }
}
