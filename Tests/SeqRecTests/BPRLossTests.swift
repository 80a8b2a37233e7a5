import Foundation
import XCTest
@testable import SeqRec
import Tensor

/// The BPR loss (Models/BPRLoss.swift): value and gradients against hand-computed formulas.
final class BPRLossTests: XCTestCase {
  private func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

  func testOnePairValueAndGradient() {
    // One pair with difference 1: L = −log σ(1), dL/dpos = −(1 − σ(1)) = −σ(−1).
    let pos = Tensor(shape: [1], data: [1.5], requiresGrad: true), neg = Tensor(shape: [1], data: [0.5], requiresGrad: true)
    let loss = bprLoss(positive: pos, negative: neg)
    XCTAssertEqual(loss.item(), Float(-log(sigmoid(1))), accuracy: 1e-6)
    loss.backward()
    XCTAssertEqual(pos.grad[0], Float(-sigmoid(-1)), accuracy: 1e-6)
    XCTAssertEqual(neg.grad[0], Float(sigmoid(-1)), accuracy: 1e-6)
  }

  /// B rows in both layouts, (B, 1) and (B): L = −(1/B) Σ log σ(d_b) with d = pos − neg, and
  /// dL/dpos_b = −σ(−d_b)/B = −dL/dneg_b, including a large |d| where a naive log σ overflows.
  func testBatchValueAndGradientInBothLayouts() {
    let positive: [Float] = [0.3, -1.2, 2.5, 40]
    let negative: [Float] = [0.1, 0.4, -0.5, -40]
    let d = zip(positive, negative).map { Double($0) - Double($1) }
    let expectedLoss = -d.map { log(sigmoid($0)) }.reduce(0, +) / 4
    for shape in [[4, 1], [4]] {
      let pos = Tensor(shape: shape, data: positive, requiresGrad: true)
      let neg = Tensor(shape: shape, data: negative, requiresGrad: true)
      let loss = bprLoss(positive: pos, negative: neg)
      XCTAssertEqual(loss.shape, [])
      XCTAssertEqual(Double(loss.item()), expectedLoss, accuracy: 1e-6)
      loss.backward()
      for b in 0..<4 {
        XCTAssertEqual(Double(pos.grad[b]), -sigmoid(-d[b]) / 4, accuracy: 1e-6, "row \(b), \(shape)")
        XCTAssertEqual(Double(neg.grad[b]), sigmoid(-d[b]) / 4, accuracy: 1e-6, "row \(b), \(shape)")
      }
    }
  }
}
