import TestSupport
import XCTest
@testable import Tensor

/// Softmax and log-softmax (Tensor+Softmax.swift): gradients over every axis, masks with a
/// fully masked slice, hand-checkable values, stability at large logits.
final class SoftmaxTests: XCTestCase {
  func testGradientsOverEveryAxis() {
    let x = param([2, 3, 4], seed: 30, scale: 2)
    for axis in [0, 1, 2, -1] {
      assertGradientsMatch([x]) { $0[0].softmax(axis: axis) }
      assertGradientsMatch([x]) { $0[0].logSoftmax(axis: axis) }
    }
  }

  func testMaskedGradientsOverEveryAxisIncludingAFullyMaskedSlice() {
    let x = param([2, 3, 4], seed: 31, scale: 2)
    for axis in [0, 1, 2] {
      // Mask pseudo-randomly, then mask the whole slice through element 0 along `axis`.
      var mask = testValues(24, seed: 32).map { $0 > -0.4 }
      let (outer, n, inner) = x.around(axis)
      _ = outer
      for j in 0..<n { mask[j * inner] = false }
      for (name, op) in [("softmax", { (t: Tensor) in t.softmax(axis: axis, mask: mask) }),
                         ("logSoftmax", { (t: Tensor) in t.logSoftmax(axis: axis, mask: mask) })] {
        assertGradientsMatch([x]) { op($0[0]) }
        let y = op(x)
        for i in 0..<24 where !mask[i] {
          XCTAssertEqual(y.data[i], 0, "\(name) axis \(axis): masked element \(i) must be exactly 0")
        }
        XCTAssertFalse(y.data.contains { $0.isNaN }, "\(name) axis \(axis): NaN in output")
        x.zeroGrad()
        (y * Tensor(shape: [2, 3, 4], data: testValues(24, seed: 33))).sum().backward()
        for i in 0..<24 where !mask[i] {
          XCTAssertEqual(x.grad[i], 0, "\(name) axis \(axis): masked element \(i) must get no gradient")
        }
      }
    }
  }

  func testValuesByHand() {
    // Row [0, log 2, log 1e-9 (masked)]: softmax over valid = [1/3, 2/3, 0].
    let x = Tensor(shape: [2, 3], data: [0, Float(log(2.0)), 5, 1, 1, 1])
    let mask = [true, true, false, false, false, false]
    assertClose(x.softmax(axis: 1, mask: mask).data, [1.0 / 3, 2.0 / 3, 0, 0, 0, 0], "masked softmax")
    assertClose(x.logSoftmax(axis: 1, mask: mask).data,
                [Float(log(1.0 / 3)), Float(log(2.0 / 3)), 0, 0, 0, 0], "masked logSoftmax")
    assertClose(x.softmax(axis: 1).data.suffix(3).map { $0 }, [1.0 / 3, 1.0 / 3, 1.0 / 3], "uniform row")
    // Axis 0 of [[0, a, 5], [1, 1, 1]]: column 0 = softmax(0, 1).
    let e = Float(exp(1.0))
    XCTAssertEqual(x.softmax(axis: 0).data[0], 1 / (1 + e), accuracy: 1e-6)
  }

  func testStableAtLargeLogits() {
    let x = Tensor(shape: [2, 3], data: [1000, 999, -1000, -1000, -1001, -1000])
    let y = x.softmax(axis: -1).data, logY = x.logSoftmax(axis: -1).data
    XCTAssertFalse(y.contains { !$0.isFinite } || logY.contains { !$0.isFinite })
    let e = Float(exp(-1.0))
    assertClose(Array(y.prefix(2)), [1 / (1 + e), e / (1 + e)], "large positive")
    XCTAssertEqual(y[2], 0)
    assertClose(Array(y.suffix(3)), [1 / (2 + e), e / (2 + e), 1 / (2 + e)], "large negative")
    XCTAssertEqual(logY[0], -Float(log1p(exp(-1.0))), accuracy: 1e-5)
    XCTAssertEqual(logY[2], -2000 - Float(log1p(exp(-1.0))), accuracy: 1e-2)
  }

  func testNegativeInfinityLogitsActLikeAMask() {
    let x = Tensor(shape: [2, 2], data: [-.infinity, -.infinity, -.infinity, 0], requiresGrad: true)
    let y = x.softmax(axis: 1)
    XCTAssertEqual(y.data, [0, 0, 0, 1])
    x.zeroGrad()
    (y * Tensor(shape: [2, 2], data: [1, 2, 3, 4])).sum().backward()
    XCTAssertFalse(x.grad.contains { $0.isNaN })
  }
}
