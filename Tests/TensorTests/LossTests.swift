import XCTest
@testable import Tensor

/// KL divergence (batchmean) and BPR (Tensor+Losses.swift).
final class LossTests: XCTestCase {
  func testKLDivergenceByHand() {
    // p = [[0.5, 0.5], [1, 0]], q = [[0.25, 0.75], [0.5, 0.5]], B = 2:
    // row 0: 0.5 log(0.5/0.25) + 0.5 log(0.5/0.75) = 0.5 log 2 + 0.5 log(2/3)
    // row 1: 1 · log(1/0.5) + 0 (0 · log 0 = 0) = log 2
    let p = Tensor(shape: [2, 2], data: [0.5, 0.5, 1, 0])
    let logQ = Tensor(shape: [2, 2], data: [0.25, 0.75, 0.5, 0.5].map { Float(log($0)) })
    let expected = (0.5 * log(2.0) + 0.5 * log(2.0 / 3) + log(2.0)) / 2
    XCTAssertEqual(Tensor.klDivergenceBatchMean(target: p, logProbabilities: logQ).item(), Float(expected), accuracy: 1e-6)
    XCTAssertEqual(Tensor.klDivergenceBatchMean(target: p, logProbabilities: p.log()).item(), 0, accuracy: 1e-6)
  }

  func testKLDivergenceGradientsToBothInputs() {
    // The Table 4 "no stop-gradient" variant: p = softmax(t) carries a gradient too.
    let t = param([3, 4], seed: 50, scale: 2), o = param([3, 4], seed: 51, scale: 2)
    assertGradientsMatch([t, o]) {
      Tensor.klDivergenceBatchMean(target: $0[0].softmax(axis: 1), logProbabilities: $0[1].logSoftmax(axis: 1))
    }
    // Directly on leaves (p > 0 away from 0), and a zero target entry getting no gradient.
    let p = Tensor(shape: [2, 3], data: [0.2, 0.5, 0.3, 0.6, 0.4, 0], requiresGrad: true)
    let logQ = param([2, 3], seed: 52)
    assertGradientsMatch([logQ]) { Tensor.klDivergenceBatchMean(target: p, logProbabilities: $0[0]) }
    let positive = Tensor(shape: [2, 2], data: [0.3, 0.7, 0.9, 0.1], requiresGrad: true)
    assertGradientsMatch([positive, logQ], h: 1e-3) {
      Tensor.klDivergenceBatchMean(target: $0[0], logProbabilities: $0[1].narrow(axis: 1, start: 0, length: 2))
    }
    p.zeroGrad()
    Tensor.klDivergenceBatchMean(target: p, logProbabilities: logQ).backward()
    XCTAssertEqual(p.grad[5], 0)
    XCTAssertEqual(p.grad[0], (Float(log(0.2)) + 1 - logQ.data[0]) / 2, accuracy: 1e-6)
  }

  func testBPRValueAndGradient() {
    // One pair with difference 1: L = −log σ(1), dL/dpos = −(1 − σ(1)) = −σ(−1).
    let pos = Tensor(shape: [1], data: [1.5], requiresGrad: true), neg = Tensor(shape: [1], data: [0.5], requiresGrad: true)
    let loss = Tensor.bprLoss(positive: pos, negative: neg)
    XCTAssertEqual(loss.item(), Float(-log(1 / (1 + exp(-1.0)))), accuracy: 1e-6)
    loss.backward()
    let sigmoidMinusOne = Float(1 / (1 + exp(1.0)))
    XCTAssertEqual(pos.grad[0], -sigmoidMinusOne, accuracy: 1e-6)
    XCTAssertEqual(neg.grad[0], sigmoidMinusOne, accuracy: 1e-6)
    let a = param([4, 1], seed: 53), b = param([4, 1], seed: 54)
    assertGradientsMatch([a, b]) { Tensor.bprLoss(positive: $0[0], negative: $0[1]) }
    let c = param([4], seed: 55), d = param([4], seed: 56)
    assertGradientsMatch([c, d]) { Tensor.bprLoss(positive: $0[0], negative: $0[1]) }
  }
}
