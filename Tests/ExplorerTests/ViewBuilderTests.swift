import SeqRec
import Tensor
import TestSupport
import XCTest

@testable import Explorer

/// The pure view on the tiny model: every number equals a hand computation.
final class ViewBuilderTests: XCTestCase {
  let session = TinyExplorer.session()
  typealias H = TinyExplorer

  /// User 1 at t = 3: window [1, 2, 3], target item 5 (dev).
  func view(step: Int = 3, temperature: Float = 0.5, mix: MixMode = .model, focus: FocusPane = .users,
            selection: Int = 0) -> ExplorerView {
    var state = ExplorerState(userIndex: 0, step: step, temperature: temperature)
    state.mix = mix
    state.focus = focus
    state.selection = selection
    return ViewBuilder(session: session).view(for: state)
  }

  func testTimelineRolesAndTarget() {
    let v = view()
    XCTAssertEqual(v.user, 1)
    XCTAssertEqual(v.sequenceLength, 5)
    XCTAssertEqual(v.timeline.map(\.item.id), [1, 2, 3, 5, 4])
    XCTAssertEqual(v.timeline.map(\.split), ["train", "train", "train", "dev", "test"])
    XCTAssertEqual(v.timeline.map(\.role), [.window, .window, .window, .target, .future])
    XCTAssertEqual(v.target?.id, 5)
    XCTAssertEqual(v.target?.title, "Elderberry")
    XCTAssertEqual(v.targetSplit, "dev")
    XCTAssertEqual(v.temperature, 0.5)
  }

  func testInterestsAttentionAndNearestItems() {
    let v = view()
    let (attention, interests) = H.interests(window: [1, 2, 3])
    XCTAssertEqual(v.interests.count, 2)
    for k in 0..<2 {
      let summary = v.interests[k]
      // Attention, listed heaviest first, equals softmax(3·tanh(x_j[k])).
      for entry in summary.attention {
        XCTAssertEqual(Double(entry.weight), attention[k][entry.position], accuracy: 1e-5)
      }
      XCTAssertEqual(summary.attention.map(\.weight), summary.attention.map(\.weight).sorted(by: >))
      // Nearest items: all five items by ⟨v_k, e_i⟩, best first (padding excluded).
      let scores = (1...5).map { (id: $0, score: H.dot(interests[k], H.embeddings[$0])) }
      let expected = scores.sorted { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
      XCTAssertEqual(summary.nearest.map(\.item.id), expected.map(\.id), "interest \(k)")
      assertClose(summary.nearest.map(\.score), expected.map(\.score))
      XCTAssertEqual(Double(summary.norm), H.dot(interests[k], interests[k]).squareRoot(), accuracy: 1e-5)
    }
    // Interest 1 reads the x-heavy items (1 and 3), interest 2 the y-heavy item 2.
    XCTAssertEqual(v.interests[0].attention.first?.item.id, 3)
    XCTAssertEqual(v.interests[1].attention.first?.item.id, 2)
    XCTAssertEqual(v.interests[0].nearest.first?.item.id, 3)
    XCTAssertEqual(v.interests[1].nearest.first?.item.id, 4)
    // Labels: both interests' nearest items are all five (3 × fruit, dried, berry; the
    // catalog is a hierarchy), so both are "fruit", then both "fruit/red" (red 2, yellow 1):
    // the nearest item's title tells them apart.
    XCTAssertEqual(v.interests[0].label, "Cherry · fruit/red")
    XCTAssertEqual(v.interests[1].label, "Date · fruit/red")
    // The window slots know which interest reads them most.
    XCTAssertEqual(v.timeline[1].strongestInterest, 1)
    XCTAssertEqual(v.timeline[2].strongestInterest, 0)
  }

  func testDistributionsAndJensenShannon() {
    let v = view(temperature: 0.5)
    let (_, interests) = H.interests(window: [1, 2, 3])
    let q = H.softmax(H.logits, 0.5)
    let cosines = interests.map { H.cosine($0, H.embeddings[5]) }
    let p = H.softmax(cosines, 0.5)
    assertClose(v.distributions?.logits, H.logits)
    assertClose(v.distributions?.q, q)
    assertClose(v.distributions?.cosines, cosines)
    assertClose(v.distributions?.p, p)
    XCTAssertEqual(Double(v.distributions!.jensenShannon!), H.jensenShannon(q, p), accuracy: 1e-5)
  }

  func testRecommendationListsExcludeHistoryAndRankTheTarget() throws {
    let v = view()
    let r = try XCTUnwrap(v.recommendations)
    let (_, interests) = H.interests(window: [1, 2, 3])
    let w = H.softmax(H.logits)  // the model's mix: no temperature
    let candidates = [4, 5]  // 1, 2, 3 are history
    let mixed = candidates.map { i in (i, (0..<2).reduce(0.0) { $0 + w[$1] * H.dot(interests[$1], H.embeddings[i]) }) }
      .sorted { $0.1 > $1.1 }
    let best = candidates.map { i in (i, (0..<2).map { H.dot(interests[$0], H.embeddings[i]) }.max()!) }
      .sorted { $0.1 > $1.1 }
    XCTAssertEqual(r.timirec?.map(\.item.id), mixed.map(\.0))
    assertClose(r.timirec?.map(\.score), mixed.map(\.1))
    XCTAssertEqual(r.bestMatch.map(\.item.id), best.map(\.0))
    assertClose(r.bestMatch.map(\.score), best.map(\.1))
    XCTAssertEqual(r.excludedCount, 3)
    XCTAssertEqual(r.rankedCount, 2)
    XCTAssertEqual(r.timirecTargetRank, mixed.firstIndex { $0.0 == 5 }! + 1)
    XCTAssertEqual(r.bestMatchTargetRank, best.firstIndex { $0.0 == 5 }! + 1)
    XCTAssertEqual(r.timirec?.first { $0.item.id == 5 }?.isTarget, true)
    assertClose(r.mixWeights, w)
    // Best-match rows name their interest: item 4 = (0,2) is served by interest 2.
    XCTAssertEqual(r.bestMatch.first { $0.item.id == 4 }?.interest, 1)
  }

  /// The TiMiRec list scores exactly as the model's evaluation path (one scoring path).
  func testScoresMatchTheModelsEvaluationScores() {
    for stage in [Stage.finetune, .pretrain] {
      let session = TinyExplorer.session(stage: stage)
      let v = ViewBuilder(session: session).view(for: ExplorerState(userIndex: 0, step: 3, temperature: 0.5))
      let input = ModelInput(history: [1, 2, 3], lengths: [3], candidates: [5, 4], batchSize: 1, historyLength: 3, candidateCount: 2)
      let reference = session.model.evaluationScores(input).data
      let list = stage == .finetune ? v.recommendations!.timirec! : v.recommendations!.bestMatch
      let shown = [5, 4].map { id in list.first { $0.item.id == id }!.score }
      assertClose(shown, reference.map(Double.init), absolute: 1e-6, "\(stage)")
    }
  }

  func testLoweringTemperatureSharpensQ() {
    let warm = view(temperature: 2).distributions!.q!
    let trained = view(temperature: 0.5).distributions!.q!
    let cold = view(temperature: 0.1).distributions!.q!
    XCTAssertLessThan(warm[0], trained[0])
    XCTAssertLessThan(trained[0], cold[0])
    XCTAssertGreaterThan(cold[0], 0.9999)
    assertClose(cold, H.softmax(H.logits, 0.1))
    // p sharpens too; the recommendations do not move with T unless the mix is tempered.
    XCTAssertEqual(view(temperature: 0.1).recommendations!.timirec, view(temperature: 2).recommendations!.timirec)
    let tempered = view(temperature: 0.1, mix: .tempered).recommendations!
    assertClose(tempered.mixWeights, H.softmax(H.logits, 0.1))
    XCTAssertEqual(tempered.mix, .tempered)
  }

  func testSelectedRecommendationShowsItsOwnP() throws {
    let v = view(focus: .bestMatch, selection: 0)
    let selected = try XCTUnwrap(v.recommendations?.selected)
    let (_, interests) = H.interests(window: [1, 2, 3])
    let item = v.recommendations!.bestMatch[0].item.id
    let p = H.softmax(interests.map { H.cosine($0, H.embeddings[item]) }, 0.5)
    XCTAssertEqual(selected.item.id, item)
    XCTAssertEqual(selected.list, "best-match")
    assertClose(selected.p, p)
    XCTAssertEqual(selected.interest, p[0] > p[1] ? 0 : 1)
    // The interest that scores it in the best-match list (dot product) is reported apart
    // from p's peak (cosine) and matches the list's own iK marker.
    let dots = interests.map { H.dot($0, H.embeddings[item]) }
    XCTAssertEqual(selected.scoringInterest, dots[0] > dots[1] ? 0 : 1)
    XCTAssertEqual(selected.scoringInterest, v.recommendations!.bestMatch[0].interest)
    XCTAssertNil(view(focus: .users).recommendations?.selected)
  }

  /// w = softmax(z^q) = softmax(1, 0) = (e/(1+e), 1/(1+e)) = (0.731, 0.269) whatever T (eq. 4),
  /// beside q_T; `m` makes the weights in use softmax(z^q/T). The selected TiMiRec item's
  /// score splits into w_k·⟨v_k, e_i⟩, which sum to the list's score.
  func testMixWeightsAndPerInterestContributions() throws {
    let (_, interests) = H.interests(window: [1, 2, 3])
    for temperature: Float in [0.5, 2] {
      let v = view(temperature: temperature, focus: .timirec, selection: 1)
      let w = H.softmax(H.logits)
      assertClose(try XCTUnwrap(v.distributions?.modelMix), w)
      assertClose(try XCTUnwrap(v.recommendations?.mixWeights), w)
      assertClose(try XCTUnwrap(v.distributions?.q), H.softmax(H.logits, Double(temperature)))
      let selected = try XCTUnwrap(v.recommendations?.selected)
      let row = v.recommendations!.timirec![1]
      XCTAssertEqual(selected.item.id, row.item.id)
      let dots = interests.map { H.dot($0, H.embeddings[row.item.id]) }
      assertClose(selected.interestScores, dots)
      assertClose(try XCTUnwrap(selected.contributions), [w[0] * dots[0], w[1] * dots[1]])
      XCTAssertEqual(Double(try XCTUnwrap(selected.mixedScore)), w[0] * dots[0] + w[1] * dots[1], accuracy: 1e-5)
      XCTAssertEqual(try XCTUnwrap(selected.mixedScore), row.score, accuracy: 1e-5)
    }
    let tempered = view(temperature: 0.5, mix: .tempered, focus: .timirec)
    let wT = H.softmax(H.logits, 0.5)
    assertClose(try XCTUnwrap(tempered.recommendations?.mixWeights), wT)
    assertClose(try XCTUnwrap(tempered.distributions?.modelMix), H.softmax(H.logits))
    let item = tempered.recommendations!.timirec![0].item.id
    let dots = interests.map { H.dot($0, H.embeddings[item]) }
    assertClose(try XCTUnwrap(tempered.recommendations?.selected?.contributions), [wT[0] * dots[0], wT[1] * dots[1]])
    // Pretrain: no w, no contributions, the dot products still.
    var state = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    state.focus = .bestMatch
    let pretrain = ViewBuilder(session: TinyExplorer.session(stage: .pretrain)).view(for: state)
    XCTAssertNil(pretrain.distributions?.modelMix)
    XCTAssertNil(pretrain.recommendations?.selected?.contributions)
    XCTAssertEqual(pretrain.recommendations?.selected?.interestScores.count, 2)
  }

  /// A NaN in the item table (the loader refuses one; here it is set after loading): the view
  /// says so, the screen shows "—" and the note, never "nan".
  func testNonFiniteValuesAreNotedAndNeverShownAsNumbers() throws {
    let session = TinyExplorer.session()
    let table = session.model.itemEmbeddings
    table.data[5 * 2] = .nan  // item 5, a candidate of both lists
    var state = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    state.focus = .bestMatch
    let v = ViewBuilder(session: session).view(for: state)
    XCTAssertTrue(v.notes.contains { $0.hasPrefix(ViewBuilder.nonFiniteNote) }, "\(v.notes)")
    let context = ExplorerContext(session: session, listLength: 20)
    let frame = ScreenRenderer.render(view: v, state: state, context: context, rows: 30, columns: 100, interestCount: 2).text
    XCTAssertTrue(frame.contains("a value is not a finite number"), frame)
    XCTAssertNil(frame.range(of: #"\b(nan|-?inf)\b"#, options: [.regularExpression, .caseInsensitive]), frame)
    let text = SnapshotText.render(v, state: state, width: 100)
    XCTAssertNil(text.range(of: #"\b(nan|-?inf)\b"#, options: [.regularExpression, .caseInsensitive]), text)
    XCTAssertTrue(text.contains("—"), text)
  }

  func testEmptyHistorySaysThereIsNothingToExtract() {
    let v = view(step: 0)
    XCTAssertTrue(v.interests.isEmpty)
    XCTAssertNil(v.distributions)
    XCTAssertNil(v.recommendations)
    XCTAssertTrue(v.notes.contains { $0.contains("nothing to extract yet") })
    XCTAssertEqual(v.timeline.first?.role, .target)
  }

  func testAfterTheLastItemThereIsNoTargetAndNoP() {
    let v = view(step: 5)
    XCTAssertNil(v.target)
    XCTAssertNil(v.distributions?.p)
    XCTAssertNil(v.distributions?.jensenShannon)
    XCTAssertNotNil(v.distributions?.q)
    XCTAssertNil(v.recommendations?.timirecTargetRank)
    XCTAssertEqual(v.recommendations?.excludedCount, 5)
    XCTAssertEqual(v.recommendations?.bestMatch.count, 0)
    XCTAssertTrue(v.notes.contains { $0.contains("no target") })
  }

  func testPretrainCheckpointHasNoQButInterestsPAndBestMatch() {
    let session = TinyExplorer.session(stage: .pretrain)
    let v = ViewBuilder(session: session).view(for: ExplorerState(userIndex: 0, step: 3, temperature: 0.5))
    XCTAssertNil(v.distributions?.q)
    XCTAssertNotNil(v.distributions?.p)
    XCTAssertNil(v.recommendations?.timirec)
    XCTAssertEqual(v.recommendations?.bestMatch.count, 2)
    XCTAssertEqual(v.interests.count, 2)
    XCTAssertTrue(v.notes.contains { $0.contains("q needs a finetuned checkpoint") })
  }

  func testTheTestStepRanksTheTestItemAmongTheRest() {
    // User 1 at t = 4: target 4 (test), history 1, 2, 3, 5, so 4 is the only candidate.
    let v = view(step: 4)
    XCTAssertEqual(v.recommendations?.targetInHistory, false)
    XCTAssertEqual(v.recommendations?.timirecTargetRank, 1)
  }

  func testJSONHoldsEveryNumberAndRoundTrips() throws {
    let v = view(focus: .timirec)
    let data = try JSONEncoder().encode(v)
    XCTAssertEqual(try JSONDecoder().decode(ExplorerView.self, from: data), v)
    // The mix weights and the selected item's per-interest contributions are in the JSON.
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    let distributions = try XCTUnwrap(json["distributions"] as? [String: Any])
    XCTAssertEqual((distributions["modelMix"] as? [Double])?.count, 2)
    let selected = try XCTUnwrap((json["recommendations"] as? [String: Any])?["selected"] as? [String: Any])
    XCTAssertEqual((selected["contributions"] as? [Double])?.count, 2)
    XCTAssertNotNil(selected["mixedScore"] as? Double)
  }

  func testMathHelpers() {
    XCTAssertEqual(InterestMath.jensenShannon([1, 0], [0, 1]), 1, accuracy: 1e-6)
    XCTAssertEqual(InterestMath.jensenShannon([0.3, 0.7], [0.3, 0.7]), 0, accuracy: 1e-7)
    let values: [Float] = [0.5, 2, 2, -1, 3]
    values.withUnsafeBufferPointer { b in
      XCTAssertEqual(Scoring.topIndices(b, count: 3), [4, 1, 2])
      XCTAssertEqual(Scoring.topIndices(b, count: 2) { $0 == 4 }, [1, 2])
      // Pessimistic rank: the tie at 2 counts against the target.
      XCTAssertEqual(Scoring.rank(of: 1, in: b) { _ in false }, 3)
      XCTAssertEqual(Scoring.rank(of: 1, in: b) { $0 == 4 }, 2)
    }
  }
}
