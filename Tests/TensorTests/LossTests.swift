import XCTest
@testable import Tensor

/// KL divergence (batchmean) (Tensor+Losses.swift; BPR is tested in SeqRecTests/BPRLossTests).
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
}
