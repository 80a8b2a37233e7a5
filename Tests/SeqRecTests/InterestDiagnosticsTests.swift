import Foundation
import TestSupport
import XCTest

@testable import SeqRec

/// Collapse measures on cases small enough to compute by hand.
final class InterestDiagnosticsTests: XCTestCase {
  /// v1 = (1, 0), v2 = (1, 1), v3 = (0, 2), v4 = (2, 0.1): cos(1,2) = cos(2,3) = 1/√2,
  /// cos(1,3) = 0, cos(1,4) = 2/√4.01 = 0.998752 (collapsed), cos(2,4) = 2.1/(√2·√4.01) = 0.741536,
  /// cos(3,4) = 0.2/(2·√4.01) = 0.049938.
  func testPairwiseCosinesAndCollapsedPairs() {
    let v: [Float] = [1, 0, 1, 1, 0, 2, 2, 0.1]
    let cos = InterestDiagnostics.pairwiseCosines(v[...], count: 4)
    let r = 1 / 2.0.squareRoot()
    assertClose(cos, [1, r, 0, 0.998752,
                      r, 1, r, 0.741536,
                      0, r, 1, 0.049938,
                      0.998752, 0.741536, 0.049938, 1])
    XCTAssertEqual(InterestDiagnostics.collapsedPairs(v[...], count: 4).map { [$0.0, $0.1] }, [[0, 3]])
    XCTAssertEqual(InterestDiagnostics.collapsedPairs(v[...], count: 4, threshold: 0.7).map { [$0.0, $0.1] },
                   [[0, 1], [0, 3], [1, 2], [1, 3]])
  }

  /// K = 3, L = 4, the last slot padding (length 3):
  /// a1 = (½, ½, 0 | 0): H = ln 2 = 0.693147 nats, 1/Σa² = 1/(¼+¼) = 2;
  /// a2 = (1, 0, 0 | 0): H = 0, 1 source;
  /// a3 = (¼, ¼, ½ | 0): H = −(2·¼ ln ¼ + ½ ln ½) = ½ ln 4 + ½ ln 2 = 1.039721, 1/(1/16+1/16+¼) = 8/3.
  func testEntropyAndEffectiveSourcesExcludePadding() {
    let a: [Float] = [0.5, 0.5, 0, 0,
                      1, 0, 0, 0,
                      0.25, 0.25, 0.5, 0]
    assertClose(InterestDiagnostics.attentionEntropy(a[...], count: 3, length: 3), [0.693147, 0, 1.039721])
    assertClose(InterestDiagnostics.effectiveSources(a[...], count: 3, length: 3), [2, 1, 8.0 / 3])
    // Without a length every column counts; zero weights add nothing.
    assertClose(InterestDiagnostics.attentionEntropy(a[...], count: 3), [0.693147, 0, 1.039721])
  }

  /// Weight on a padding slot is left out and the rest renormalised: (0.3, 0.3 | 0.4) over
  /// 2 slots reads as (½, ½): ln 2 nats, 2 sources. No positive weight (or no slot): 0 and 0.
  func testPaddingWeightIsRenormalisedAwayAndEmptyRowsGiveZero() {
    let a: [Float] = [0.3, 0.3, 0.4,
                      0, 0, 1]
    assertClose(InterestDiagnostics.attentionEntropy(a[...], count: 2, length: 2), [0.693147, 0] as [Double])
    assertClose(InterestDiagnostics.effectiveSources(a[...], count: 2, length: 2), [2, 0] as [Double])
    XCTAssertEqual(InterestDiagnostics.effectiveSources(a[...], count: 2, length: 0), [0, 0])
  }
}
