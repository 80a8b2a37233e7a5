import TestSupport
import XCTest
@testable import Tensor

// Adam against numbers worked out here in Double from the PyTorch 2.x formula (spec §3.6):
//   g = ∇ + λθ (not for names containing "bias");  m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²
//   θ ← θ − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
//
// Tolerance: the optimiser works in Float, the reference in Double. Each parameter value here
// has |θ| ≤ 2, where one Float ulp is ≤ 2.4e-7, and the update itself is computed to a few ulps
// of its own size (~lr), so we allow 5e-7 absolute on θ. The alternatives the tests must
// rule out differ by far more: no bias correction changes step 1 by 10× (m) and 30× (v), ε
// before the bias correction changes the ε = 1e-3 case below by ~1e-5, decaying a bias or
// not decaying a weight flips the sign of the step.

/// The reference: one parameter's trajectory in Double, step by step.
private struct ReferenceAdam {
  var theta: [Double]
  var m: [Double]
  var v: [Double]
  var t = 0
  let lr, beta1, beta2, eps, decay: Double

  init(theta: [Float], lr: Double, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double, decay: Double) {
    self.theta = theta.map(Double.init)
    m = Array(repeating: 0, count: theta.count)
    v = Array(repeating: 0, count: theta.count)
    (self.lr, self.beta1, self.beta2, self.eps, self.decay) = (lr, beta1, beta2, eps, decay)
  }

  mutating func step(_ grad: [Float]) {
    t += 1
    for i in theta.indices {
      let g = Double(grad[i]) + decay * theta[i]
      m[i] = beta1 * m[i] + (1 - beta1) * g
      v[i] = beta2 * v[i] + (1 - beta2) * g * g
      let mHat = m[i] / (1 - pow(beta1, Double(t)))
      let vHat = v[i] / (1 - pow(beta2, Double(t)))
      theta[i] -= lr * mHat / (vHat.squareRoot() + eps)
    }
  }
}

final class AdamTests: XCTestCase {
  private let tolerance = 5e-7

  /// A 2-element weight with weight decay and a bias that must get none, over two steps, with a
  /// large ε so that where ε is added matters.
  func testTwoStepsMatchHandComputedValues() {
    let weight = Tensor(shape: [2], data: [0.5, -1.0], requiresGrad: true, name: "layer.weight")
    let bias = Tensor(shape: [1], data: [2.0], requiresGrad: true, name: "layer.bias")
    bias.appliesWeightDecay = false  // the model marks its biases (SeqRec's Init.bias)
    let (lr, eps, decay): (Float, Float, Float) = (0.01, 1e-3, 0.5)
    let adam = Adam(parameters: [("layer.weight", weight), ("layer.bias", bias)],
                    learningRate: lr, epsilon: eps, weightDecay: decay)
    var refWeight = ReferenceAdam(theta: weight.data, lr: 0.01, eps: 1e-3, decay: 0.5)
    var refBias = ReferenceAdam(theta: bias.data, lr: 0.01, eps: 1e-3, decay: 0)  // no decay

    // Step 1: ∇w = (−0.1, 0.2) → g = ∇ + 0.5·θ = (0.15, −0.3): decay flips the sign, so
    // w moves AGAINST its raw gradient: w ≈ (0.5 − 0.01, −1 + 0.01) up to the ε term.
    // ∇b = −0.05, no decay → b moves by +lr (with decay g would be +0.95 and b would fall).
    weight.grad = [-0.1, 0.2]
    bias.grad = [-0.05]
    adam.step()
    refWeight.step([-0.1, 0.2])
    refBias.step([-0.05])
    // Written out for element 0: g = 0.15, m = 0.015, v = 2.25e-5, m̂ = 0.15, v̂ = 0.0225,
    // θ = 0.5 − 0.01 · 0.15 / (0.15 + 0.001) = 0.5 − 0.0099337748…
    XCTAssertEqual(Double(weight.data[0]), 0.5 - 0.01 * 0.15 / (0.15 + 0.001), accuracy: 5e-7)
    // Bias: g = −0.05, m̂ = −0.05, √v̂ = 0.05, θ = 2 + 0.01 · 0.05 / 0.051.
    XCTAssertEqual(Double(bias.data[0]), 2 + 0.01 * 0.05 / 0.051, accuracy: 5e-7)
    assertClose(weight.data, refWeight.theta.map(Float.init), relative: 0, absolute: tolerance, "weight after step 1")
    assertClose(bias.data, refBias.theta.map(Float.init), relative: 0, absolute: tolerance, "bias after step 1")
    XCTAssertEqual(adam.stepCount, 1)

    // Step 2 with new gradients: momentum and bias correction with t = 2.
    weight.grad = [0.3, 0.05]
    bias.grad = [0.02]
    adam.step()
    refWeight.step([0.3, 0.05])
    refBias.step([0.02])
    assertClose(weight.data, refWeight.theta.map(Float.init), relative: 0, absolute: tolerance, "weight after step 2")
    assertClose(bias.data, refBias.theta.map(Float.init), relative: 0, absolute: tolerance, "bias after step 2")
    XCTAssertEqual(adam.stepCount, 2)

    // The moments are the reference's too.
    assertClose(adam.firstMoments["layer.weight"]!, refWeight.m.map(Float.init), relative: 1e-6, absolute: 1e-9, "m")
    assertClose(adam.secondMoments["layer.weight"]!, refWeight.v.map(Float.init), relative: 1e-6, absolute: 1e-12, "v")
  }

  /// Bias correction at t = 1: m̂ = g and √v̂ = |g|, so each element moves by lr·g/(|g| + ε)
  /// ≈ lr·sign(g), whatever the gradient's magnitude (here 1e-3 … 10, ε = 1e-8 → relative
  /// deviation ≤ 1e-5). Without the correction the step would be ≈ 3.2·lr·sign(g).
  func testFirstStepMovesByLearningRateTimesSign() {
    let gradients: [Float] = [1e-3, -1e-3, 0.5, -0.5, 10, -10, 0.03, -7]
    let theta = Tensor(shape: [8], data: testValues(8, seed: 3, scale: 0.01), requiresGrad: true, name: "table.weight")
    let before = theta.data
    let lr: Float = 1e-3
    let adam = Adam(parameters: [("table.weight", theta)], learningRate: lr)
    theta.grad = gradients
    adam.step()
    for i in 0..<8 {
      let moved = theta.data[i] - before[i]
      let expected = -lr * (gradients[i] > 0 ? 1 : -1)
      // |θ| ≤ 0.01: Float rounding of θ is ≤ 1e-9, i.e. 1e-6 of lr.
      XCTAssertEqual(moved, expected, accuracy: lr * 1e-4, "element \(i), gradient \(gradients[i])")
    }
  }

  /// With the default ε the hand-computed two-step trajectory also holds (ε = 1e-8 barely matters).
  func testDefaultHyperParametersMatchReference() {
    let theta = Tensor(shape: [2], data: [0.25, -0.75], requiresGrad: true, name: "w")
    let adam = Adam(parameters: [("w", theta)], weightDecay: 1e-2)
    var reference = ReferenceAdam(theta: theta.data, lr: 1e-3, eps: 1e-8, decay: 1e-2)
    for grad in [[Float(0.2), -0.4], [-0.1, -0.3], [0.05, 0.6]] {
      theta.grad = grad
      adam.step()
      reference.step(grad)
    }
    assertClose(theta.data, reference.theta.map(Float.init), relative: 0, absolute: tolerance, "three default steps")
  }

  /// The 8-lane SIMD body and the scalar tail compute the same bits: an 11-element parameter
  /// (8 lanes + 3 tail) against the same values as 11 one-element parameters (tail only).
  func testVectorAndScalarPathsAgreeBitwise() {
    let values = testValues(11, seed: 8), gradients = testValues(11, seed: 9, scale: 0.3)
    let whole = Tensor(shape: [11], data: values, requiresGrad: true, name: "w")
    let pieces = (0..<11).map { Tensor(shape: [1], data: [values[$0]], requiresGrad: true, name: "w\($0)") }
    let adamWhole = Adam(parameters: [("w", whole)], learningRate: 0.01, weightDecay: 0.1)
    let adamPieces = Adam(parameters: pieces.map { ($0.name, $0) }, learningRate: 0.01, weightDecay: 0.1)
    for step in 0..<3 {
      whole.grad = gradients.map { $0 * Float(step + 1) }
      for (i, piece) in pieces.enumerated() { piece.grad = [gradients[i] * Float(step + 1)] }
      adamWhole.step()
      adamPieces.step()
    }
    XCTAssertEqual(whole.data.map(\.bitPattern), pieces.map { $0.data[0].bitPattern })
  }

  /// A parameter that never received a gradient (empty `grad`) is treated as a zero gradient:
  /// with no decay and zero moments it does not move; with decay it shrinks towards 0.
  func testEmptyGradientIsZeroGradient() {
    let untouched = Tensor(shape: [2], data: [1, -1], requiresGrad: true, name: "unused.bias")
    let decayed = Tensor(shape: [2], data: [1, -1], requiresGrad: true, name: "unused.weight")
    untouched.appliesWeightDecay = false
    let adam = Adam(parameters: [("unused.bias", untouched), ("unused.weight", decayed)],
                    learningRate: 0.1, weightDecay: 0.1)
    adam.step()
    XCTAssertEqual(untouched.data, [1, -1])
    XCTAssertTrue(untouched.grad.isEmpty, "step() must not allocate gradients")
    // g = 0.1·θ → the step is ≈ lr·sign(θ): θ ≈ ±0.9.
    assertClose(decayed.data, [0.9, -0.9], relative: 0, absolute: 1e-6, "decay only")

    adam.zeroGrad()
    XCTAssertEqual(untouched.grad, [0, 0])
    XCTAssertEqual(decayed.grad, [0, 0])
  }

  /// Weight decay follows the tensor's `appliesWeightDecay`, not its name.
  func testWeightDecayFollowsTheParameterAttributeNotTheName() {
    let namedBias = Tensor(shape: [1], data: [1], requiresGrad: true, name: "layer.bias")
    let exempt = Tensor(shape: [1], data: [1], requiresGrad: true, name: "layer.weight")
    exempt.appliesWeightDecay = false
    let adam = Adam(parameters: [("layer.bias", namedBias), ("layer.weight", exempt)], learningRate: 0.1, weightDecay: 0.1)
    adam.step()
    assertClose(namedBias.data, [0.9], relative: 0, absolute: 1e-6, "decays although named bias")
    XCTAssertEqual(exempt.data, [1], "exempt although named weight")
  }

  /// Exporting the state after two steps and importing it into a fresh optimiser (over copies
  /// of the parameters) continues bit-for-bit identically.
  func testStateRoundTripContinuesIdentically() throws {
    func makeParameters() -> [(name: String, tensor: Tensor)] {
      [("E.weight", Tensor(shape: [3, 2], data: testValues(6, seed: 5), requiresGrad: true, name: "E.weight")),
       ("proj.bias", Tensor(shape: [2], data: testValues(2, seed: 6), requiresGrad: true, name: "proj.bias"))]
    }
    let gradients: [[[Float]]] = (0..<4).map { s in
      [testValues(6, seed: 100 + UInt64(s)), testValues(2, seed: 200 + UInt64(s))]
    }
    func apply(_ adam: Adam, _ parameters: [(name: String, tensor: Tensor)], step s: Int) {
      for (p, parameter) in parameters.enumerated() { parameter.tensor.grad = gradients[s][p] }
      adam.step()
    }

    let original = makeParameters()
    let adam = Adam(parameters: original, learningRate: 0.05, weightDecay: 0.01)
    apply(adam, original, step: 0)
    apply(adam, original, step: 1)

    // "Checkpoint": parameter values and optimiser state.
    let resumed = makeParameters()
    for (p, parameter) in resumed.enumerated() { parameter.tensor.data = original[p].tensor.data }
    let restored = Adam(parameters: resumed, learningRate: 0.05, weightDecay: 0.01)
    try restored.restoreState(stepCount: adam.stepCount, firstMoments: adam.firstMoments,
                              secondMoments: adam.secondMoments)
    XCTAssertEqual(restored.stepCount, 2)

    for s in 2..<4 {
      apply(adam, original, step: s)
      apply(restored, resumed, step: s)
    }
    for p in original.indices {
      XCTAssertEqual(resumed[p].tensor.data, original[p].tensor.data, "\(original[p].name) after resuming")
    }
    XCTAssertEqual(restored.firstMoments, adam.firstMoments)
    XCTAssertEqual(restored.secondMoments, adam.secondMoments)

    // The settable properties round-trip as well.
    let viaProperties = Adam(parameters: makeParameters())
    viaProperties.firstMoments = adam.firstMoments
    viaProperties.secondMoments = adam.secondMoments
    viaProperties.stepCount = adam.stepCount
    XCTAssertEqual(viaProperties.firstMoments, adam.firstMoments)
    XCTAssertEqual(viaProperties.secondMoments, adam.secondMoments)
  }

  /// A state that does not fit is rejected with an error naming the problem, and nothing changes.
  func testRestoreRejectsMismatchedState() {
    let w = Tensor(shape: [2], data: [1, 2], requiresGrad: true, name: "w")
    let adam = Adam(parameters: [("w", w)])
    let good = ["w": [Float](repeating: 0.5, count: 2)]
    let cases: [(String, Int, [String: [Float]], [String: [Float]], AdamStateError)] = [
      ("wrong count", 1, ["w": [0, 0, 0]], good, .wrongCount("w", moment: "first", expected: 2, got: 3)),
      ("missing", 1, good, [:], .missingParameter("w", moment: "second")),
      ("unknown", 1, ["w": [0, 0], "v": [0]], good, .unknownParameter("v", moment: "first")),
      ("negative step", -1, good, good, .negativeStepCount(-1)),
      ("negative v", 1, good, ["w": [0, -1]], .invalidSecondMoment(-1)),
    ]
    for (label, stepCount, first, second, expected) in cases {
      XCTAssertThrowsError(try adam.restoreState(stepCount: stepCount, firstMoments: first, secondMoments: second),
                           label) { error in
        XCTAssertEqual(error as? AdamStateError, expected, label)
        XCTAssertFalse("\(error)".isEmpty)
      }
      XCTAssertEqual(adam.stepCount, 0, label)
      XCTAssertEqual(adam.firstMoments["w"], [0, 0], label)
    }
  }
}
