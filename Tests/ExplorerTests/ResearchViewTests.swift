import Foundation
import SeqRec
import TestSupport
import XCTest

@testable import Explorer

/// Interest diagnostics and the timeline strip on the tiny model (hand computations in Double),
/// and the strip against the explorer's own view at every step of a demo user.
final class ResearchViewTests: XCTestCase {
  typealias H = TinyExplorer

  func state(step: Int, temperature: Float = 0.5, user: Int = 0) -> ExplorerState {
    ExplorerState(userIndex: user, step: step, temperature: temperature)
  }

  /// User 1 at t = 3 (window items 1, 2, 3): entropy −Σ a ln a (nats) and 1/Σa² of each
  /// interest's attention, the cosine between the two interests, no collapsed pair.
  func testDiagnosticsOfTheTinyModelByHand() throws {
    let view = ViewBuilder(session: H.session()).view(for: state(step: 3))
    let d = try XCTUnwrap(view.diagnostics)
    let (attention, interests) = H.interests(window: [1, 2, 3])
    assertClose(d.attentionEntropy, attention.map { row in -row.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) } })
    assertClose(d.effectiveSources, attention.map { row in 1 / row.reduce(0) { $0 + $1 * $1 } })
    let c = H.cosine(interests[0], interests[1])
    assertClose(d.cosines.flatMap { $0 }, [1, c, c, 1])
    XCTAssertLessThan(c, 0.95)
    XCTAssertEqual(d.collapsedPairs, [])
    XCTAssertNil(d.collapsedPartner(of: 0))
    // Step 0: no history, no diagnostics.
    XCTAssertNil(ViewBuilder(session: H.session()).view(for: state(step: 0)).diagnostics)
  }

  /// Two identical interests (both read item 1 alone) are a collapsed pair; the pane marks the
  /// later one "≈i1 cos 1.00" and shows n and H in its column.
  func testCollapsedPairIsMarkedInTheInterestsPane() throws {
    // User 3 at t = 1: the window is [5] = (1, 1): both interests are e_5 (cos 1).
    let session = H.session()
    var s = state(step: 1, user: 2)
    s.step = 1
    let view = ViewBuilder(session: session).view(for: s)
    let d = try XCTUnwrap(view.diagnostics)
    XCTAssertEqual(d.collapsedPairs, [[0, 1]])
    assertClose(d.attentionEntropy, [0, 0] as [Double])
    assertClose(d.effectiveSources, [1, 1] as [Double])
    let text = Panes.interests(view, width: 60, detailed: false).lines.map { $0.map(\.text).joined() }
    XCTAssertTrue(text[1].contains("n=1.0 H=0.00 ≈i1 cos 1.00"), text[1])
    XCTAssertTrue(text[0].contains("≈i2 cos 1.00"), text[0])
    let snapshot = SnapshotText.render(view, state: s, width: 100)
    XCTAssertTrue(snapshot.contains("pairwise cos (collapsed ≥ 0.95): i1·i2 1.00 collapsed"), snapshot)
  }

  /// The strip of user 1 (items 1, 2, 3, 5, 4): steps 1…4; at each, the mix rank of the true
  /// next item among the items not in the history (by hand: w = softmax(1, 0), score_i =
  /// Σ_k w_k ⟨v_k, e_i⟩), the strongest interest argmax z^q = i1, JS(q_T, p_T) — and each the
  /// same as the explorer's own view at that step.
  func testTimelineValuesByHandAndAsTheViewShowsThem() throws {
    let session = H.session()
    let builder = ViewBuilder(session: session)
    let strip = try XCTUnwrap(builder.view(for: state(step: 3)).steps)
    XCTAssertEqual(strip.list, "timirec")
    XCTAssertEqual(strip.points.map(\.step), [1, 2, 3, 4])
    let items = [1, 2, 3, 5, 4]
    let w = H.softmax(H.logits)
    for (index, point) in strip.points.enumerated() {
      let t = index + 1
      let (_, v) = H.interests(window: Array(items[..<t]))
      let history = Set(items[..<t])
      let score = { (i: Int) in (0..<2).reduce(0.0) { $0 + w[$1] * H.dot(v[$1], H.embeddings[i]) } }
      let target = items[t]
      let ranked = (1...5).filter { !history.contains($0) }
      XCTAssertEqual(point.rank, ranked.filter { $0 != target && !(score($0) < score(target)) }.count + 1, "t=\(t)")
      XCTAssertEqual(point.rankedCount, ranked.count)
      XCTAssertEqual(point.strongestInterest, 0)
      let p = H.softmax((0..<2).map { H.cosine(v[$0], H.embeddings[target]) }, 0.5)
      assertClose([try XCTUnwrap(point.jensenShannon)], [H.jensenShannon(H.softmax(H.logits, 0.5), p)], "t=\(t)")
      let view = ViewBuilder(session: session).view(for: state(step: t))
      XCTAssertEqual(point.rank, view.recommendations?.timirecTargetRank, "t=\(t)")
      XCTAssertEqual(point.jensenShannon, view.distributions?.jensenShannon, "t=\(t)")
    }
    // The temperature changes JS only; the ranks are the model mix's.
    let warm = try XCTUnwrap(builder.view(for: state(step: 3, temperature: 2)).steps)
    XCTAssertEqual(warm.points.map(\.rank), strip.points.map(\.rank))
    XCTAssertNotEqual(warm.points.map(\.jensenShannon), strip.points.map(\.jensenShannon))
  }

  /// A pretrain checkpoint: the strip ranks by the best match and has no mix interest or JS.
  func testPretrainStripRanksByTheBestMatch() throws {
    let session = H.session(stage: .pretrain)
    let strip = try XCTUnwrap(ViewBuilder(session: session).view(for: state(step: 3)).steps)
    XCTAssertEqual(strip.list, "best-match")
    for point in strip.points {
      XCTAssertNil(point.strongestInterest)
      XCTAssertNil(point.jensenShannon)
      let view = ViewBuilder(session: session).view(for: state(step: point.step))
      XCTAssertEqual(point.rank, view.recommendations?.bestMatchTargetRank, "t=\(point.step)")
    }
  }

  /// The demo's model (transformer, histories of up to 20): the batched strip gives, at every
  /// step of a user, the rank, JS and strongest interest the single-step view shows.
  func testStripMatchesTheViewAtEveryStepOfADemoUser() throws {
    let demo = packageRoot.appendingPathComponent("demo-data").path
    guard FileManager.default.fileExists(atPath: demo + "/checkpoint/model.safetensors") else {
      throw XCTSkip("no demo checkpoint")
    }
    let session = try ExplorerSession.load(data: demo, checkpoint: demo + "/checkpoint")
    let index = try XCTUnwrap(session.userIndex(forId: 1239))
    var s = ExplorerState.initial(session: session, userIndex: index)
    let strip = try XCTUnwrap(ViewBuilder(session: session).view(for: s).steps)
    XCTAssertEqual(strip.points.count, session.sequenceLength(user: 1239) - 1)
    let single = ViewBuilder(session: session)
    for point in strip.points {
      s.step = point.step
      let view = single.view(for: s)
      XCTAssertEqual(point.rank, view.recommendations?.timirecTargetRank, "t=\(point.step)")
      XCTAssertEqual(point.strongestInterest, view.distributions?.modelMix.map { Scoring.argmax($0[...]) })
      assertClose([point.jensenShannon ?? .nan], [view.distributions?.jensenShannon ?? .nan], relative: 1e-3, absolute: 1e-5)
    }
  }

  /// The terminal loop draws a new user's frame first and fills its strip in when no key
  /// waits: a waiting key goes first, so only the last user's strip is computed. Model 2 of a
  /// comparison never computes one.
  func testLoopFillsTheStripWhenNoKeyWaits() throws {
    let terminal = MemoryTerminal(rows: 24, columns: 80, keys: [.down])
    let loop = ExplorerLoop(session: H.session(), state: state(step: 3), comparison: CompareTests.secondSession(),
                            defersTimeline: true)
    XCTAssertNil(loop.view.steps)
    XCTAssertEqual(loop.run(on: terminal, maxIdleReads: 1), .inputEnded)
    XCTAssertEqual(loop.builder.stepCache.user, 2, "↓ was handled before any strip was computed")
    XCTAssertEqual(loop.view.steps?.points.map(\.step), [1, 2])
    XCTAssertTrue(terminal.frames[0].contains("computing…"), terminal.frames[0])
    XCTAssertFalse(terminal.frames.last!.contains("computing…"), terminal.frames.last!)
    XCTAssertEqual(try XCTUnwrap(loop.builder.comparison).stepCache.user, -1)
  }

  /// Glyphs: ranks on a log scale (#1 ▁, the last █), JS in eighths of a bit.
  func testGlyphScales() {
    XCTAssertEqual(Panes.rankGlyph(1, of: 2360), "▁")
    XCTAssertEqual(Panes.rankGlyph(2360, of: 2360), "█")
    XCTAssertEqual(Panes.rankGlyph(49, of: 2401), "▅")  // 7 · ln 49 / ln 2401 = 3.5 → 4 (▅)
    XCTAssertEqual(Panes.divergenceGlyph(0), "▁")
    XCTAssertEqual(Panes.divergenceGlyph(0.5), "▅")
    XCTAssertEqual(Panes.divergenceGlyph(1), "█")
    XCTAssertEqual(Panes.interestGlyph(0), "1")
    XCTAssertEqual(Panes.interestGlyph(9), "a")
  }
}
