import XCTest

@testable import Explorer

/// Whole rendered views compared with stored files in Snapshots/ (RECORD_SNAPSHOTS=1 records).
final class SnapshotTests: XCTestCase {
  func state(step: Int, focus: FocusPane = .users, temperature: Float = 0.5) -> ExplorerState {
    var s = ExplorerState(userIndex: 0, step: step, temperature: temperature)
    s.focus = focus
    return s
  }

  func testSnapshotTextFinetune() {
    let session = TinyExplorer.session()
    let s = state(step: 3, focus: .bestMatch)
    let view = ViewBuilder(session: session).view(for: s)
    assertSnapshot(SnapshotText.render(view, state: s, width: 100), named: "tiny-finetune-step3")
  }

  func testSnapshotTextEdgeCases() {
    let session = TinyExplorer.session()
    let builder = ViewBuilder(session: session)
    assertSnapshot(SnapshotText.render(builder.view(for: state(step: 0)), state: state(step: 0), width: 80),
                   named: "tiny-step0")
    assertSnapshot(SnapshotText.render(builder.view(for: state(step: 5)), state: state(step: 5), width: 80),
                   named: "tiny-after-last")
    let pretrain = TinyExplorer.session(stage: .pretrain)
    let s = state(step: 3)
    assertSnapshot(SnapshotText.render(ViewBuilder(session: pretrain).view(for: s), state: s, width: 80),
                   named: "tiny-pretrain-step3")
  }

  func testScreenFrames() {
    let session = TinyExplorer.session()
    let context = ExplorerContext(session: session, listLength: 20)
    let builder = ViewBuilder(session: session)
    let s = state(step: 3, focus: .timirec)
    let view = builder.view(for: s)
    let frame = ScreenRenderer.render(view: view, state: s, context: context, rows: 24, columns: 80, interestCount: 2)
    assertSnapshot(frame.text + "\n", named: "screen-80x24")
    var help = s
    help.mode = .help
    let helpFrame = ScreenRenderer.render(view: view, state: help, context: context, rows: 30, columns: 100, interestCount: 2)
    assertSnapshot(helpFrame.text + "\n", named: "screen-100x30-help")
    let small = ScreenRenderer.render(view: view, state: s, context: context, rows: 20, columns: 70, interestCount: 2)
    assertSnapshot(small.text + "\n", named: "screen-too-small")
  }
}

/// The snapshot text carries w and the cursor item's per-interest contributions, the same
/// numbers as the JSON.
final class SnapshotNumbersTests: XCTestCase {
  func testSnapshotTextCarriesMixWeightsAndContributions() throws {
    let session = TinyExplorer.session()
    var s = ExplorerState(userIndex: 0, step: 3, temperature: 0.5)
    s.focus = .timirec
    s.selection = 1
    let view = ViewBuilder(session: session).view(for: s)
    let text = SnapshotText.render(view, state: s, width: 100)
    let w = try XCTUnwrap(view.distributions?.modelMix)
    let selected = try XCTUnwrap(view.recommendations?.selected)
    let c = try XCTUnwrap(selected.contributions)
    for k in 0..<2 {
      let row = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("\(k + 1) ") && $0.contains(" w ") })
      // The label column is "k Cherry · fruit/red " wide here (21 cells, under 100 / 4).
      XCTAssertTrue(row.hasSuffix("w " + bar(w[k], width: (100 - 21 - 27) / 3) + " " + format(w[k], 3)), String(row))
    }
    XCTAssertTrue(text.contains("w = softmax(z^q) (no T) ranks the TiMiRec list"), text)
    XCTAssertTrue(text.contains("▸ #2 TiMiRec \(selected.item.title)"), text)
    XCTAssertTrue(text.contains("TiMiRec score \(format(try XCTUnwrap(selected.mixedScore), 2)) = w_k·⟨v_k,e⟩: i1 \(format(c[0], 2)) + i2 \(format(c[1], 2))"), text)
  }
}
