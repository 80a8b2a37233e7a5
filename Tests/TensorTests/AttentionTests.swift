import Foundation
import TestSupport
import XCTest
@testable import Tensor

/// The fused ops of the transformer layer (issue 11) against the composed ops they replace:
/// `linear(weights:biases:)` against separate `linear`s side by side, `attention(mask:scale:)`
/// against bmm · scale → masked softmax → bmm; values and every gradient, plus central
/// differences for the attention op and the softmax row kernels against their reference.
final class AttentionTests: XCTestCase {
  /// Runs `f` on fresh copies of `inputs` and returns the output and each input's gradient of
  /// Σ w ⊙ output (fixed weights w).
  private func valueAndGradients(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> (value: [Float], grads: [[Float]]) {
    let copies = inputs.map { Tensor(shape: $0.shape, data: $0.data, requiresGrad: true) }
    let y = f(copies)
    let w = Tensor(shape: y.shape, data: testValues(y.count, seed: 7))
    (y * w).sum().backward()
    return (y.data, copies.map(\.grad))
  }

  func testStackedLinearEqualsSeparateLinearsSideBySide() {
    // x (2, 5, 8); three layers of 8 → 6, 8 → 4, 8 → 6.
    let x = param([2, 5, 8], seed: 1)
    let weights = [param([6, 8], seed: 2), param([4, 8], seed: 3), param([6, 8], seed: 4)]
    let biases = [param([6], seed: 5), param([4], seed: 6), param([6], seed: 8)]
    let inputs = [x] + weights + biases
    let fused = valueAndGradients(inputs) { t in t[0].linear(weights: Array(t[1...3]), biases: Array(t[4...6])) }
    let composed = valueAndGradients(inputs) { t in
      Tensor.concat((0..<3).map { t[0].linear(weight: t[1 + $0], bias: t[4 + $0]) }, axis: -1)
    }
    XCTAssertEqual(fused.value.count, 2 * 5 * 16)
    assertClose(fused.value, composed.value, relative: 1e-5, absolute: 1e-6, "output")
    for i in inputs.indices {
      assertClose(fused.grads[i], composed.grads[i], relative: 1e-5, absolute: 1e-6, "gradient of input \(i)")
    }
  }

  /// (B, L, L) flags: key j valid for row b when j < lengths[b] (padding keys masked), for
  /// every query; a length of 0 leaves every query of that row without a valid key.
  private func keyMask(lengths: [Int], l: Int) -> [Bool] {
    var mask = [Bool](repeating: false, count: lengths.count * l * l)
    for (b, n) in lengths.enumerated() { for i in 0..<l { for j in 0..<n { mask[(b * l + i) * l + j] = true } } }
    return mask
  }

  private func composedAttention(_ qkv: Tensor, mask: [Bool]?, scale: Float) -> Tensor {
    let d = qkv.shape[2] / 3
    let parts = qkv.split([d, d, d], axis: 2)
    let logits = parts[0].bmm(parts[1], transposeOther: true) * scale
    return logits.softmax(axis: -1, mask: mask).bmm(parts[2])
  }

  func testAttentionEqualsComposedOpsWithPaddingAndAnEmptyRow() {
    // B 4, L 6, D 8: lengths 6, 3, 1 and 0 (the last row has no valid key at all).
    let (b, l, d) = (4, 6, 8)
    let qkv = param([b, l, 3 * d], seed: 11, scale: 2)
    let scale = 1 / Float(d).squareRoot()
    for mask in [keyMask(lengths: [6, 3, 1, 0], l: l), nil] {
      let fused = valueAndGradients([qkv]) { $0[0].attention(mask: mask, scale: scale) }
      let composed = valueAndGradients([qkv]) { composedAttention($0[0], mask: mask, scale: scale) }
      assertClose(fused.value, composed.value, relative: 1e-5, absolute: 1e-6, "output, mask \(mask == nil ? "none" : "padding")")
      assertClose(fused.grads[0], composed.grads[0], relative: 1e-4, absolute: 1e-6, "gradient")
    }
    // The row without valid keys gives zeros and no gradient.
    let empty = valueAndGradients([qkv]) { $0[0].attention(mask: keyMask(lengths: [6, 3, 1, 0], l: l), scale: scale) }
    XCTAssertEqual(Array(empty.value[(3 * l * d)...]), [Float](repeating: 0, count: l * d))
    XCTAssertEqual(Array(empty.grads[0][(3 * l * 3 * d)...]), [Float](repeating: 0, count: l * 3 * d))
  }

  func testAttentionWithACausalMaskEqualsComposedOps() {
    // SASRec's mask: query i sees keys j ≤ i that are not padding.
    let (b, l, d) = (2, 5, 4)
    var mask = [Bool](repeating: false, count: b * l * l)
    for row in 0..<b { for i in 0..<l { for j in 0...i where j < l - row { mask[(row * l + i) * l + j] = true } } }
    let qkv = param([b, l, 3 * d], seed: 12)
    let fused = valueAndGradients([qkv]) { $0[0].attention(mask: mask, scale: 0.5) }
    let composed = valueAndGradients([qkv]) { composedAttention($0[0], mask: mask, scale: 0.5) }
    assertClose(fused.value, composed.value, relative: 1e-5, absolute: 1e-6, "output")
    assertClose(fused.grads[0], composed.grads[0], relative: 1e-4, absolute: 1e-6, "gradient")
  }

  func testAttentionGradientMatchesCentralDifferences() {
    let (b, l, d) = (2, 4, 3)
    let mask = keyMask(lengths: [4, 2], l: l)
    assertGradientsMatch([param([b, l, 3 * d], seed: 13)]) { $0[0].attention(mask: mask, scale: 0.7) }
  }

  func testVectorSoftmaxRowsAgreeWithTheReference() {
    // 20 × 20 blocks as in training, and 7 × 9 (tails); masks with empty rows, and −∞ logits.
    for (rows, n) in [(20, 20), (7, 9)] {
      var x = testValues(rows * n, seed: 21, scale: 30)
      x[3] = -.infinity
      var valid = (0..<(rows * n)).map { ($0 * 7) % 5 != 0 }
      for j in 0..<n { valid[2 * n + j] = false }  // row 2: nothing valid
      for j in 0..<n { valid[4 * n + j] = j == 1; x[4 * n + j] = j == 1 ? -.infinity : 1 }  // row 4: only −∞
      var fast = x, slow = x
      valid.withUnsafeBufferPointer { v in
        fast.withUnsafeMutableBufferPointer { AttentionKernels.maskedSoftmax(rows: rows, n: n, $0.baseAddress!, valid: v.baseAddress!) }
        slow.withUnsafeMutableBufferPointer { AttentionKernels.maskedSoftmaxReference(rows: rows, n: n, $0.baseAddress!, valid: v.baseAddress!) }
      }
      assertClose(fast, slow, relative: 2e-6, absolute: 1e-7, "softmax rows (\(rows), \(n))")
      XCTAssertEqual(Array(slow[(2 * n)..<(3 * n)]), [Float](repeating: 0, count: n))
      XCTAssertEqual(Array(fast[(4 * n)..<(5 * n)]), [Float](repeating: 0, count: n))
      for r in 0..<rows where r != 2 && r != 4 {
        XCTAssertEqual(Double(fast[(r * n)..<((r + 1) * n)].reduce(0, +)), 1, accuracy: 1e-5, "row \(r) sums to 1")
      }
    }
  }

  func testSoftmaxRowBackwardByHand() {
    // One row P = (0.5, 0.5, 0), dP = (1, 3, 7), scale 2: dot = 2, dS = 2·P·(dP − 2) = (−1, 1, 0).
    var g: [Float] = [1, 3, 7]
    let p: [Float] = [0.5, 0.5, 0]
    p.withUnsafeBufferPointer { p in
      g.withUnsafeMutableBufferPointer {
        AttentionKernels.softmaxBackward(rows: 1, n: 3, probabilities: p.baseAddress!, gradient: $0.baseAddress!, scale: 2)
      }
    }
    XCTAssertEqual(g, [-1, 1, 0])
  }
}
