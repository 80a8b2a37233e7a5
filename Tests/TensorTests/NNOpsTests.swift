import TestSupport
import XCTest
@testable import Tensor

/// Embedding, L2 normalisation, cosine similarity, layer norm, dropout (Tensor+NN.swift).
final class NNOpsTests: XCTestCase {
  func testEmbeddingGathersRowsAndScatterAddsRepeatedIndices() {
    let table = param([5, 3], seed: 40)
    let indices: [Int32] = [1, 4, 1, 0, 1, 2]  // (2, 3), row 1 used three times
    let y = Tensor.embedding(table, indices: indices, shape: [2, 3])
    XCTAssertEqual(y.shape, [2, 3, 3])
    XCTAssertEqual(Array(y.data[9..<12]), Array(table.data[0..<3]))  // indices[3] = 0
    assertGradientsMatch([table]) { Tensor.embedding($0[0], indices: indices, shape: [2, 3]) }
    table.zeroGrad()
    Tensor.embedding(table, indices: indices, shape: [2, 3]).sum().backward()
    XCTAssertEqual(table.grad, [1, 1, 1, 3, 3, 3, 1, 1, 1, 0, 0, 0, 1, 1, 1])
  }

  func testL2NormalizeGradientsOverEachAxis() {
    let x = param([2, 3, 4], seed: 41)
    for axis in [0, 1, 2, -1] {
      assertGradientsMatch([x]) { $0[0].l2Normalize(axis: axis) }
    }
    let y = Tensor(shape: [2, 2], data: [3, 4, 0, -2]).l2Normalize()
    assertClose(y.data, [0.6, 0.8, 0, -1], "values")
  }

  func testL2NormalizeClampBranch() {
    // Norm 5e-13 < eps = 1e-12: y = x / eps and dx = g / eps (PyTorch F.normalize).
    let tiny = Tensor(shape: [1, 2], data: [3e-13, 4e-13], requiresGrad: true)
    let y = tiny.l2Normalize()
    assertClose(y.data, [0.3, 0.4], "clamped values")
    tiny.zeroGrad()
    (y * Tensor(shape: [1, 2], data: [1, -2])).sum().backward()
    assertClose(tiny.grad, [1e12, -2e12], "clamped gradient")
    // Finite differences on the clamp branch, with a larger eps so the step stays inside it;
    // row 0 is clamped (norm ≈ 0.22 < 0.5), row 1 is not (norm ≈ 1.9).
    let mixed = Tensor(shape: [2, 3], data: [0.1, -0.15, 0.12, 1.0, -1.2, 1.1], requiresGrad: true)
    assertGradientsMatch([mixed], h: 1e-3) { $0[0].l2Normalize(axis: 1, eps: 0.5) }
    let zero = Tensor(shape: [3], data: [0, 0, 0], requiresGrad: true)
    XCTAssertEqual(zero.l2Normalize(axis: 0).data, [0, 0, 0])
  }

  func testCosineSimilarityWithBroadcasting() {
    let a = param([2, 3, 4], seed: 42), b = param([2, 1, 4], seed: 43)
    let c = Tensor.cosineSimilarity(a, b)
    XCTAssertEqual(c.shape, [2, 3])
    assertGradientsMatch([a, b]) { Tensor.cosineSimilarity($0[0], $0[1]) }
    assertGradientsMatch([a, b]) { Tensor.cosineSimilarity($0[0], $0[1], axis: 2) }
    // By hand: cos([1, 0], [1, 1]) = 1/√2; cos([0, 2], [1, 1]) = 1/√2; cos([-1, 0], [1, 1]) = −1/√2.
    let u = Tensor(shape: [3, 2], data: [1, 0, 0, 2, -1, 0]), v = Tensor(shape: [2], data: [1, 1])
    let r = Float(0.5).squareRoot()
    assertClose(Tensor.cosineSimilarity(u, v).data, [r, r, -r], "values")
  }

  func testLayerNormGradientsForAllInputs() {
    let x = param([2, 3, 5], seed: 44, scale: 2)
    let w = Tensor(shape: [5], data: testValues(5, seed: 45).map { 1 + 0.5 * $0 }, requiresGrad: true)
    let b = param([5], seed: 46)
    assertGradientsMatch([x, w, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
  }

  func testLayerNormValuesByHand() {
    // Row [1, 2, 3]: μ = 2, σ² = 2/3 (biased), x̂ = (x − 2)/√(2/3 + 1e-5).
    let x = Tensor(shape: [1, 3], data: [1, 2, 3])
    let y = x.layerNorm(weight: Tensor(shape: [3], data: [1, 2, 1]), bias: Tensor(shape: [3], data: [0, 0, 0.5]))
    let s = Float(1 / (2.0 / 3 + 1e-5).squareRoot())
    assertClose(y.data, [-s, 0, s + 0.5], "values")
  }

  func testDropoutTrainingGradientAndScaling() {
    let x = param([4, 5], seed: 47)
    let p: Float = 0.4
    assertGradientsMatch([x]) {
      var rng = SplitMix64(seed: 7)  // re-created per call: the same mask every time
      return $0[0].dropout(p: p, training: true, rng: &rng)
    }
    var rng = SplitMix64(seed: 7)
    let y = x.dropout(p: p, training: true, rng: &rng)
    var kept = 0
    for i in 0..<x.count where y.data[i] != 0 {
      kept += 1
      XCTAssertEqual(y.data[i], x.data[i] / (1 - p), accuracy: 1e-6)
    }
    XCTAssert(kept > 0 && kept < x.count, "with p = 0.4 some but not all of 20 elements are kept (kept \(kept))")
    // Keep rate over many draws ≈ 1 − p.
    let ones = Tensor.full([10_000], 1)
    let rate = Float(ones.dropout(p: p, training: true, rng: &rng).data.filter { $0 != 0 }.count) / 10_000
    XCTAssertEqual(rate, 1 - p, accuracy: 0.03)
    XCTAssertEqual(ones.dropout(p: 1, training: true, rng: &rng).data.max(), 0)
  }

  func testDropoutIsIdentityInEvaluationAndAtZero() {
    let x = param([3, 2], seed: 48)
    var rng = SplitMix64(seed: 1)
    XCTAssertTrue(x.dropout(p: 0.5, training: false, rng: &rng) === x)
    XCTAssertTrue(x.dropout(p: 0, training: true, rng: &rng) === x)
    assertGradientsMatch([x]) {
      var rng = SplitMix64(seed: 1)
      return $0[0].dropout(p: 0.5, training: false, rng: &rng) * 1
    }
  }
}
