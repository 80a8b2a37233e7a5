import Foundation
import TestSupport
import XCTest
@testable import Tensor

/// The fused GRU (GRU.swift): hand-computed values, a Double reference, a reference composed
/// from the engine's primitives, gradient checks over right-padded sequences, and padding
/// that never enters.
final class GRUTests: XCTestCase {
  private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

  /// The five GRU inputs for (B, L, D) input and hidden size H, filled with test values.
  private func gruInputs(batch: Int, length: Int, d: Int, h: Int, seed: UInt64) -> [Tensor] {
    [param([batch, length, d], seed: seed), param([3 * h, d], seed: seed + 1, scale: 0.8),
     param([3 * h, h], seed: seed + 2, scale: 0.8), param([3 * h], seed: seed + 3, scale: 0.5),
     param([3 * h], seed: seed + 4, scale: 0.5)]
  }

  private func runGRU(_ t: [Tensor], _ lengths: [Int]) -> Tensor {
    Tensor.gru(t[0], lengths: lengths, weightIH: t[1], weightHH: t[2], biasIH: t[3], biasHH: t[4])
  }

  func testTwoStepsByHand() {
    // B = 1, L = 2, D = H = 1. Gate rows are (r, z, n) as in PyTorch.
    let wih: [Float] = [0.5, -0.3, 0.8], whh: [Float] = [0.2, 0.4, -0.6]
    let bih: [Float] = [0.1, 0.0, -0.1], bhh: [Float] = [0.0, 0.2, 0.3]
    let x = Tensor(shape: [1, 2, 1], data: [1.0, -2.0])
    // Step 1, x = 1, h = 0:
    let r1 = sigmoid(0.5 * 1 + 0.1 + 0.2 * 0 + 0.0)                 // σ(0.6)
    let z1 = sigmoid(-0.3 * 1 + 0.0 + 0.4 * 0 + 0.2)                // σ(−0.1)
    let n1 = Foundation.tanh(0.8 * 1 - 0.1 + r1 * (-0.6 * 0 + 0.3))  // tanh(0.7 + 0.3 r1)
    let h1 = (1 - z1) * n1 + z1 * 0
    // Step 2, x = −2:
    let r2 = sigmoid(0.5 * -2 + 0.1 + 0.2 * h1 + 0.0)
    let z2 = sigmoid(-0.3 * -2 + 0.0 + 0.4 * h1 + 0.2)
    let n2 = Foundation.tanh(0.8 * -2 - 0.1 + r2 * (-0.6 * h1 + 0.3))
    let h2 = (1 - z2) * n2 + z2 * h1
    XCTAssertEqual(h1, 0.374422978, accuracy: 1e-8)  // the same formulas evaluated in Python
    XCTAssertEqual(h2, 0.009887788, accuracy: 1e-8)
    func run(_ lengths: [Int]) -> Tensor {
      Tensor.gru(x, lengths: lengths, weightIH: Tensor(shape: [3, 1], data: wih),
                 weightHH: Tensor(shape: [3, 1], data: whh), biasIH: Tensor(shape: [3], data: bih),
                 biasHH: Tensor(shape: [3], data: bhh))
    }
    XCTAssertEqual(run([2]).shape, [1, 1])
    XCTAssertEqual(run([2]).item(), Float(h2), accuracy: 1e-6)
    XCTAssertEqual(run([1]).item(), Float(h1), accuracy: 1e-6)
    XCTAssertEqual(run([0]).item(), 0)
  }

  /// A plain Double GRU written straight from the equations, one sequence at a time.
  private func referenceGRU(_ t: [Tensor], _ lengths: [Int]) -> [Double] {
    let (batch, length, d) = (t[0].shape[0], t[0].shape[1], t[0].shape[2])
    let h = t[2].shape[1]
    let x = t[0].data.map(Double.init), wih = t[1].data.map(Double.init), whh = t[2].data.map(Double.init)
    let bih = t[3].data.map(Double.init), bhh = t[4].data.map(Double.init)
    var out: [Double] = []
    for b in 0..<batch {
      var state = [Double](repeating: 0, count: h)
      for step in 0..<lengths[b] {
        let xt = Array(x[(b * length + step) * d ..< (b * length + step + 1) * d])
        // a_g[j] = W_ig[j]·x + b_ig[j], c_g[j] = W_hg[j]·h + b_hg[j] for gate g ∈ {r=0, z=1, n=2}
        func inputPart(_ g: Int, _ j: Int) -> Double {
          (0..<d).reduce(bih[g * h + j]) { $0 + wih[(g * h + j) * d + $1] * xt[$1] }
        }
        func hiddenPart(_ g: Int, _ j: Int) -> Double {
          (0..<h).reduce(bhh[g * h + j]) { $0 + whh[(g * h + j) * h + $1] * state[$1] }
        }
        var next = state
        for j in 0..<h {
          let r = sigmoid(inputPart(0, j) + hiddenPart(0, j))
          let z = sigmoid(inputPart(1, j) + hiddenPart(1, j))
          let n = Foundation.tanh(inputPart(2, j) + r * hiddenPart(2, j))
          next[j] = (1 - z) * n + z * state[j]
        }
        state = next
      }
      out += state
    }
    return out
  }

  func testMatchesDoubleReferenceWithUnequalLengths() {
    let t = gruInputs(batch: 4, length: 3, d: 2, h: 2, seed: 60)
    let lengths = [2, 3, 0, 1]
    let y = runGRU(t, lengths)
    XCTAssertEqual(y.shape, [4, 2])
    assertClose(y.data, referenceGRU(t, lengths).map { Float($0) }, relative: 1e-5, absolute: 1e-6, "GRU vs Double")
    XCTAssertEqual(Array(y.data[4..<6]), [0, 0], "length 0 gives zeros")
  }

  /// The same GRU built from the engine's primitives (linear, split, sigmoid, tanh, masking
  /// by multiplication): a second oracle for values and all five gradients.
  private func composedGRU(_ t: [Tensor], _ lengths: [Int]) -> Tensor {
    let (batch, length, d) = (t[0].shape[0], t[0].shape[1], t[0].shape[2])
    let h = t[2].shape[1]
    var state = Tensor.zeros([batch, h])
    for step in 0..<length {
      let xt = t[0].narrow(axis: 1, start: step, length: 1).reshape([batch, d])
      let gi = xt.linear(weight: t[1], bias: t[3]).split([h, h, h], axis: 1)
      let gh = state.linear(weight: t[2], bias: t[4]).split([h, h, h], axis: 1)
      let r = (gi[0] + gh[0]).sigmoid(), z = (gi[1] + gh[1]).sigmoid()
      let n = (gi[2] + r * gh[2]).tanh()
      let next = (1 - z) * n + z * state
      let running = Tensor(shape: [batch, 1], data: lengths.map { $0 > step ? 1 : 0 })
      state = running * next + (1 - running) * state
    }
    return state
  }

  func testMatchesComposedPrimitivesValuesAndGradients() {
    let t = gruInputs(batch: 6, length: 5, d: 4, h: 3, seed: 70)
    let lengths = [5, 2, 5, 0, 3, 2]  // ties and a zero length exercise the packed ordering
    assertClose(runGRU(t, lengths).data, composedGRU(t, lengths).data, relative: 1e-4, absolute: 1e-5, "values")
    let weights = Tensor(shape: [6, 3], data: testValues(18, seed: 77))
    func gradients(_ build: ([Tensor], [Int]) -> Tensor) -> [[Float]] {
      for p in t { p.zeroGrad() }
      (build(t, lengths) * weights).sum().backward()
      return t.map(\.grad)
    }
    let fused = gradients(runGRU), composed = gradients(composedGRU)
    for (i, name) in ["input", "weightIH", "weightHH", "biasIH", "biasHH"].enumerated() {
      assertClose(fused[i], composed[i], relative: 1e-4, absolute: 1e-5, "gradient of \(name)")
    }
  }

  func testGradientsOverRightPaddedSequences() {
    let t = gruInputs(batch: 3, length: 4, d: 3, h: 2, seed: 80)
    let lengths = [4, 2, 1]
    assertGradientsMatch(t) { runGRU($0, lengths) }
    // Padded positions get exactly zero gradient.
    for p in t { p.zeroGrad() }
    runGRU(t, lengths).sum().backward()
    for b in 0..<3 {
      for step in lengths[b]..<4 {
        for k in 0..<3 { XCTAssertEqual(t[0].grad[(b * 4 + step) * 3 + k], 0, "padding (\(b), \(step)) got a gradient") }
      }
    }
  }

  func testPaddingNeverEnters() {
    let t = gruInputs(batch: 3, length: 4, d: 3, h: 2, seed: 90)
    let lengths = [4, 2, 1]
    let before = runGRU(t, lengths).data
    for b in 0..<3 {
      for step in lengths[b]..<4 {
        for k in 0..<3 { t[0].data[(b * 4 + step) * 3 + k] = step == 3 ? .nan : 1000 }
      }
    }
    XCTAssertEqual(runGRU(t, lengths).data, before)
  }

  func testBatchOfOnlyEmptySequences() {
    let t = gruInputs(batch: 2, length: 3, d: 2, h: 2, seed: 95)
    let y = runGRU(t, [0, 0])
    XCTAssertEqual(y.data, [0, 0, 0, 0])
    for p in t { p.zeroGrad() }
    y.sum().backward()
    XCTAssert(t.allSatisfy { $0.grad.allSatisfy { $0 == 0 } })
  }

  func testGateActivationsAreAccurateAndSaturate() {
    var worstTanh = 0.0, worstSigmoid = 0.0
    for v in stride(from: Float(-12), through: 12, by: 1e-3) {
      let t = Foundation.tanh(Double(v)), s = 1 / (1 + Foundation.exp(-Double(v)))
      if t != 0 { worstTanh = max(worstTanh, abs(Double(gateTanh(v)) - t) / abs(t)) }
      worstSigmoid = max(worstSigmoid, abs(Double(gateSigmoid(v)) - s) / s)
    }
    XCTAssertLessThan(worstTanh, 1e-6)
    XCTAssertLessThan(worstSigmoid, 1e-6)
    XCTAssertEqual(gateTanh(1e-20), 1e-20)
    XCTAssertEqual([gateTanh(-200), gateTanh(200), gateSigmoid(-200), gateSigmoid(200)], [-1, 1, 0, 1])
  }

  /// Forward + backward at the training size (B = 256, L = 20, D = H = 64). Prints a timing
  /// only when GRU_TIMING is set (meaningful in a release build: `swift test -c release`).
  func testTimingAtTrainingSize() throws {
    guard ProcessInfo.processInfo.environment["GRU_TIMING"] != nil else { throw XCTSkip("set GRU_TIMING=1 to time") }
    let (batch, length, d, h) = (256, 20, 64, 64)
    let t = gruInputs(batch: batch, length: length, d: d, h: h, seed: 100)
    let lengths = (0..<batch).map { _ in length }
    var best = Double.infinity, bestForward = Double.infinity
    for _ in 0..<20 {
      for p in t { p.zeroGrad() }
      let start = DispatchTime.now().uptimeNanoseconds
      let y = runGRU(t, lengths)
      let mid = DispatchTime.now().uptimeNanoseconds
      y.sum().backward()
      let end = DispatchTime.now().uptimeNanoseconds
      best = min(best, Double(end - start) / 1e6)
      bestForward = min(bestForward, Double(mid - start) / 1e6)
    }
    // FLOPs: forward 2·P·D·3H + 2·P·H·3H, backward twice each of those plus dx: ≈ 3× forward.
    let packed = Double(batch * length)
    let flops = 3 * (2 * packed * Double(d * 3 * h) + 2 * packed * Double(h * 3 * h))
    print(String(format: "GRU B=%d L=%d D=H=%d: forward %.2f ms, forward+backward %.2f ms (%.1f GFLOP/s), BLAS %@ threads %d",
                 batch, length, d, bestForward, best, flops / best / 1e6, BLAS.coreName, BLAS.threads))
  }

  /// The GRU on an embedding lookup (one projection per distinct item) against
  /// `gru(embedding(…))`: same output and same gradients for the table, weights and biases,
  /// with repeated items, padding ids that must not be read, and lengths 0…L.
  func testTableLookupGRUEqualsEmbeddingThenGRU() {
    let (batch, length, d, h, n) = (5, 4, 16, 16, 7)
    let lengths = [4, 2, 0, 3, 4]
    // Items repeat across rows and steps; the padded slots hold id 6, which no valid slot uses.
    let history: [Int32] = [1, 2, 1, 3, 2, 2, 6, 6, 6, 6, 6, 6, 5, 1, 4, 6, 3, 3, 0, 1]
    let table = param([n, d], seed: 40), weights = gruInputs(batch: 1, length: 1, d: d, h: h, seed: 41)[1...4]
    let inputs = [table] + Array(weights)
    func gradients(_ f: ([Tensor]) -> Tensor) -> (value: [Float], grads: [[Float]]) {
      let copies = inputs.map { Tensor(shape: $0.shape, data: $0.data, requiresGrad: true) }
      let y = f(copies)
      (y * Tensor(shape: y.shape, data: testValues(y.count, seed: 3))).sum().backward()
      return (y.data, copies.map(\.grad))
    }
    let fused = gradients { t in
      Tensor.gru(table: t[0], history: history, batch: batch, length: length, lengths: lengths, weightIH: t[1],
                 weightHH: t[2], biasIH: t[3], biasHH: t[4])
    }
    let composed = gradients { t in
      Tensor.gru(Tensor.embedding(t[0], indices: history, shape: [batch, length]), lengths: lengths, weightIH: t[1],
                 weightHH: t[2], biasIH: t[3], biasHH: t[4])
    }
    assertClose(fused.value, composed.value, relative: 1e-5, absolute: 1e-6, "h")
    XCTAssertEqual(Array(fused.value[(2 * h)..<(3 * h)]), [Float](repeating: 0, count: h), "length 0 gives zeros")
    for (i, name) in ["table", "weight_ih", "weight_hh", "bias_ih", "bias_hh"].enumerated() {
      assertClose(fused.grads[i], composed.grads[i], relative: 1e-4, absolute: 1e-6, "gradient of \(name)")
    }
    // Row 6 (only in padded slots) and row 0 (used) of the table: no gradient for the unused row.
    XCTAssertEqual(Array(fused.grads[0][(6 * d)..<(7 * d)]), [Float](repeating: 0, count: d))
  }
}
