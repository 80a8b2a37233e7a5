import XCTest
@testable import Tensor

/// Finite-difference gradient checks for the matrix, elementwise, reduction and shape ops.
final class CoreOpsGradientTests: XCTestCase {
  func testMatmulAllTransposeFlags() {
    for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
      let a = param(tA ? [4, 3] : [3, 4], seed: 2), b = param(tB ? [5, 4] : [4, 5], seed: 3)
      assertGradientsMatch([a, b]) { $0[0].matmul($0[1], transposeSelf: tA, transposeOther: tB) }
    }
  }

  func testBatchedMatmulAllTransposeFlags() {
    for (tA, tB) in [(false, false), (true, false), (false, true), (true, true)] {
      let a = param(tA ? [2, 4, 3] : [2, 3, 4], seed: 4), b = param(tB ? [2, 5, 4] : [2, 4, 5], seed: 5)
      assertGradientsMatch([a, b]) { $0[0].bmm($0[1], transposeSelf: tA, transposeOther: tB) }
    }
  }

  func testLinearWithPyTorchLayout() {
    let x = param([2, 3, 4], seed: 6), w = param([5, 4], seed: 7), b = param([5], seed: 8)
    let y = x.linear(weight: w, bias: b)
    XCTAssertEqual(y.shape, [2, 3, 5])
    // y[0,0,0] = Σ_i x[0,0,i] w[0,i] + b[0]
    let expected = (0..<4).reduce(Float(0)) { $0 + x.data[$1] * w.data[$1] } + b.data[0]
    XCTAssertEqual(y.data[0], expected, accuracy: 1e-5)
    assertGradientsMatch([x, w, b]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
  }

  func testBroadcastingBinaryOps() {
    let cases: [([Int], [Int])] = [([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([2, 3, 4], [2, 3, 1]),
                                   ([2, 1, 4], [2, 3, 1]), ([3], [2, 3]), ([2, 3], [1])]
    for (sa, sb) in cases {
      let a = param(sa, seed: 10), b = param(sb, seed: 11)
      assertGradientsMatch([a, b]) { $0[0] + $0[1] }
      assertGradientsMatch([a, b]) { $0[0] - $0[1] }
      assertGradientsMatch([a, b]) { $0[0] * $0[1] }
      let positive = Tensor(shape: sb, data: testValues(sb.reduce(1, *), seed: 12).map { 1.5 + $0 }, requiresGrad: true)
      assertGradientsMatch([a, positive]) { $0[0] / $0[1] }
    }
  }

  func testBroadcastShapeValues() {
    let a = Tensor(shape: [2, 1], data: [1, 2]), b = Tensor(shape: [3], data: [10, 20, 30])
    XCTAssertEqual((a + b).data, [11, 21, 31, 12, 22, 32])
    XCTAssertEqual((a * b).shape, [2, 3])
  }

  func testScalarAndUnaryOps() {
    let x = param([3, 4], seed: 13, scale: 2)
    let positive = Tensor(shape: [3, 4], data: testValues(12, seed: 14).map { 1.2 + $0 }, requiresGrad: true)
    assertGradientsMatch([x]) { ($0[0] * 3 + 1 - 0.5) / 2 }
    assertGradientsMatch([x]) { 1 - $0[0] }
    assertGradientsMatch([x]) { -$0[0] }
    assertGradientsMatch([x]) { $0[0].exp() }
    assertGradientsMatch([positive]) { $0[0].log() }
    assertGradientsMatch([x]) { $0[0].tanh() }
    assertGradientsMatch([x]) { $0[0].sigmoid() }
    assertGradientsMatch([x]) { $0[0].logSigmoid() }
    assertGradientsMatch([positive]) { $0[0].sqrt() }
    assertGradientsMatch([x]) { $0[0].square() }
    // relu away from its kink at 0
    let away = Tensor(shape: [6], data: [-1.5, -0.7, -0.2, 0.3, 0.9, 1.4], requiresGrad: true)
    assertGradientsMatch([away]) { $0[0].relu() }
  }

  func testLogSigmoidIsStableAtExtremes() {
    let x = Tensor(shape: [3], data: [-100, 0, 100])
    let y = x.logSigmoid().data
    XCTAssertEqual(y[0], -100, accuracy: 1e-4)
    XCTAssertEqual(y[1], -0.6931472, accuracy: 1e-6)
    XCTAssertEqual(y[2], 0, accuracy: 1e-6)
    let s = x.sigmoid().data
    XCTAssertEqual(s[0], 0, accuracy: 1e-30)
    XCTAssertEqual(s[1], 0.5)
    XCTAssertEqual(s[2], 1)
  }

  func testReductions() {
    let x = param([2, 3, 4], seed: 15)
    for axis in [0, 1, 2, -1] {
      assertGradientsMatch([x]) { $0[0].sum(axis: axis) }
      assertGradientsMatch([x]) { $0[0].mean(axis: axis, keepDims: true) }
      assertGradientsMatch([x]) { $0[0].max(axis: axis) }
    }
    assertGradientsMatch([x]) { $0[0].sum() }
    assertGradientsMatch([x]) { $0[0].mean() }
    let m = Tensor(shape: [2, 3], data: [1, 5, 2, 7, 0, 7])
    XCTAssertEqual(m.max(axis: 1).data, [5, 7])
    XCTAssertEqual(m.argmax(axis: 1), [1, 0])
    XCTAssertEqual(m.argmax(axis: 0), [1, 0, 1])
    XCTAssertEqual(m.sum(axis: 0).data, [8, 5, 9])
  }

  func testUnusedInputGetsZeroGradient() {
    let used = param([3], seed: 16), unused = param([3], seed: 17)
    unused.zeroGrad()
    (used * 2).sum().backward()
    XCTAssertEqual(unused.grad, [0, 0, 0])
    XCTAssertEqual(used.grad, [2, 2, 2])
  }

  func testGradientsAccumulateUntilZeroed() {
    let x = param([2], seed: 18)
    x.zeroGrad()
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    XCTAssertEqual(x.grad, [6, 6])
    x.zeroGrad()
    XCTAssertEqual(x.grad, [0, 0])
  }

  func testShapeOps() {
    let x = param([2, 3, 4], seed: 19)
    assertGradientsMatch([x]) { $0[0].reshape([6, -1]) }
    assertGradientsMatch([x]) { $0[0].permute([2, 0, 1]) }
    assertGradientsMatch([x]) { $0[0].transpose(1, 2) }
    assertGradientsMatch([x]) { $0[0].narrow(axis: 1, start: 1, length: 2) }
    let y = param([2, 2, 4], seed: 20)
    assertGradientsMatch([x, y]) { Tensor.concat([$0[0], $0[1]], axis: 1) }
    assertGradientsMatch([x]) { $0[0].split([1, 2], axis: 1)[1] * 2 }
    let idx = [2, 0, 2, 1, 1, 0, 0, 2]  // (2, 1, 4) picks along axis 1
    assertGradientsMatch([x]) { $0[0].gather(axis: 1, indices: idx, count: 1) }
    // Values: permute (2,3) → (3,2) is the matrix transpose.
    let m = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(m.transpose(0, 1).data, [1, 4, 2, 5, 3, 6])
    XCTAssertEqual(Tensor.concat([m, m], axis: 1).data, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
    XCTAssertEqual(m.gather(axis: 1, indices: [2, 0], count: 1).data, [3, 4])
  }

  func testDetachStopsGradient() {
    let x = param([3], seed: 21)
    x.zeroGrad()
    (x * x.detach()).sum().backward()
    XCTAssertEqual(x.grad, x.data)  // d/dx (x · c) = c = x, not 2x
  }

  func testNoGradModeRecordsNothing() {
    let x = param([3], seed: 22)
    let y = GradMode.withoutGrad { (x * 2).sum() }
    XCTAssertFalse(y.requiresGrad)
    XCTAssertTrue(GradMode.isEnabled)
  }
}
