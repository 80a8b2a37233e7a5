import XCTest
@testable import Tensor
import TestSupport

// Shared numeric assertions for the engine's tests.
//
// Gradient check: the loss is L = Σ w ⊙ f(inputs) with fixed random weights w (so every
// output element matters with a different weight), differentiated by `backward()` and by
// central differences  (L(x + h) − L(x − h)) / 2h  on each input element in Float32.
//
// Error bound: truncation error is O(h² · |f'''|) ≈ 1e-4 · |f'''| for h = 1e-2, and the
// Float32 rounding error of the difference quotient is about ε·|L|·√n / h ≈ 1.2e-7 · |L| · √n
// / 1e-2 (n summed outputs). With inputs of order 1 and a few dozen outputs both are
// below ~1e-3, so we accept |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|)
// with atol 2e-3, rtol 2e-2. A wrong derivative (sign, factor, missing term, wrong index)
// is off by O(1) and fails this bound.

/// Deterministic pseudo-random Floats in [-1, 1) for test inputs (LCG; independent of RNG.swift).
func testValues(_ n: Int, seed: UInt64 = 1, scale: Float = 1) -> [Float] {
  var state = seed &* 6364136223846793005 &+ 1442695040888963407
  return (0..<n).map { _ in
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
  }
}

/// A leaf parameter of the given shape filled with `testValues`.
func param(_ shape: [Int], seed: UInt64 = 1, scale: Float = 1) -> Tensor {
  Tensor(shape: shape, data: testValues(shape.reduce(1, *), seed: seed, scale: scale), requiresGrad: true)
}

/// Checks `backward()` against central differences for every element of every input.
/// - Parameters:
///   - inputs: leaf tensors with `requiresGrad`; their values are perturbed in place and restored.
///   - h: finite-difference step.
///   - f: builds the output from the inputs (called 2·n + 1 times).
func assertGradientsMatch(
  _ inputs: [Tensor], h: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2,
  file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor
) {
  let probe = f(inputs)
  let weights = testValues(probe.count, seed: 99)
  func loss() -> Tensor { (f(inputs) * Tensor(shape: probe.shape, data: weights)).sum() }
  for x in inputs { x.zeroGrad() }
  loss().backward()
  let analytic = inputs.map { $0.grad }
  var worst: (Float, String) = (0, "")
  var failures: [String] = []
  for (n, x) in inputs.enumerated() {
    for i in 0..<x.count {
      let numeric = centralDifference(of: x, at: i, h: h, loss)
      let a = analytic[n][i]
      let err = abs(a - numeric)
      let tol = atol + rtol * max(abs(a), abs(numeric))
      if err > worst.0 { worst = (err, "input \(n)[\(i)]") }
      if err > tol && failures.count < 5 {
        failures.append("input \(n) \(x.shape) element \(i): analytic \(a), numeric \(numeric)")
      }
    }
  }
  if !failures.isEmpty {
    XCTFail("gradient mismatch (largest |diff| \(worst.0) at \(worst.1)):\n" + failures.joined(separator: "\n"),
            file: file, line: line)
  }
}
