import TestSupport
import XCTest
@testable import Tensor

// Spec §3.7 initialisers, checked statistically on n = 100 000 draws from a fixed seed.
//
// Bounds are 5 standard errors of each statistic (a correct sampler fails one with probability
// below 1e-6; with a fixed seed the outcome is deterministic anyway), e.g. for N(0, σ²):
//   mean: SE = σ/√n = 3.2e-3·σ                    → |mean| ≤ 1.6e-2·σ
//   std:  SE ≈ σ/√(2n) = 2.2e-3·σ                  → |s/σ − 1| ≤ 1.2e-2
//   P(|x| ≤ σ) = 0.6827, SE = √(p(1−p)/n) = 1.5e-3 → ±7.4e-3
// A wrong σ (e.g. variance 0.01 instead of std 0.01), a missing sqrt in Box–Muller or a
// one-sided uniform misses these by orders of magnitude.


/// Mean and (population) standard deviation in Double.
private func moments(_ x: [Float]) -> (mean: Double, std: Double) {
  let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
  let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count)
  return (mean, variance.squareRoot())
}

final class InitializerTests: XCTestCase {
  private let n = 100_000

  func testNormalHasStatedMeanAndStd() {
    var rng = SplitMix64(seed: 1)
    for (mean, std) in [(Float(0), Float(0.01)), (0, 1), (2, 0.5)] {
      let t = Tensor.normal([n / 100, 100], mean: mean, std: std, using: &rng)
      XCTAssertEqual(t.shape, [n / 100, 100])
      let (sampleMean, sampleStd) = moments(t.data)
      XCTAssertEqual(sampleMean, Double(mean), accuracy: 1.6e-2 * Double(std), "mean of N(\(mean), \(std)²)")
      XCTAssertEqual(sampleStd / Double(std), 1, accuracy: 1.2e-2, "std of N(\(mean), \(std)²)")
      let withinOne = t.data.filter { abs($0 - mean) <= std }.count
      XCTAssertEqual(Double(withinOne) / Double(n), 0.6827, accuracy: 7.4e-3, "P(|x − μ| ≤ σ)")
      // Box–Muller never exceeds √(−2 ln 2⁻⁵³) ≈ 8.6 σ.
      XCTAssertLessThanOrEqual(t.data.map { abs($0 - mean) }.max()!, 8.6 * std)
    }
  }

  /// Both Box–Muller outputs are used: the odd element of an odd count is filled too, the
  /// cosine and sine halves are uncorrelated, and the same seed gives the same tensor.
  func testNormalUsesBothHalvesAndIsReproducible() {
    var rng = SplitMix64(seed: 7)
    let odd = Tensor.normal([3], std: 1, requiresGrad: true, name: "E.weight", using: &rng)
    XCTAssertTrue(odd.data.allSatisfy { $0 != 0 && $0.isFinite })
    XCTAssertTrue(odd.requiresGrad)
    XCTAssertEqual(odd.name, "E.weight")

    var rngA = SplitMix64(seed: 42), rngB = SplitMix64(seed: 42)
    let a = Tensor.normal([n], std: 1, using: &rngA)
    XCTAssertEqual(a.data, Tensor.normal([n], std: 1, using: &rngB).data)
    // Correlation of elements 2i and 2i + 1 (cos and sin of the same angle): SE 1/√(n/2).
    var product = 0.0
    for i in stride(from: 0, to: n, by: 2) { product += Double(a.data[i]) * Double(a.data[i + 1]) }
    XCTAssertEqual(product / Double(n / 2), 0, accuracy: 5 / Double(n / 2).squareRoot())
  }

  func testUniformStaysInBoundsAndIsFlat() {
    var rng = SplitMix64(seed: 3)
    let bound = 1 / Float(64).squareRoot()  // GRU, H = 64: 0.125
    let t = Tensor.uniform([3 * 64, n / (3 * 64) + 1], bound: bound, using: &rng)
    let values = t.data
    XCTAssertTrue(values.allSatisfy { $0 >= -bound && $0 < bound }, "a value outside [−b, b)")
    // The extremes come close to ±b: P(min > −b + 0.002·b) = 0.999ⁿ ≈ e⁻¹⁰⁰.
    XCTAssertLessThan(values.min()!, -bound * 0.998)
    XCTAssertGreaterThan(values.max()!, bound * 0.998)
    // Mean 0 (SE b/√(3n)); std b/√3 (relative SE of s ≈ 0.0014).
    let (mean, std) = moments(values)
    let count = Double(values.count)
    XCTAssertEqual(mean, 0, accuracy: 5 * Double(bound) / (3 * count).squareRoot())
    XCTAssertEqual(std / (Double(bound) / 3.0.squareRoot()), 1, accuracy: 7e-3)
    // Ten equal bins each hold n/10 ± 5·√(n·0.1·0.9).
    var bins = [Int](repeating: 0, count: 10)
    for x in values { bins[min(9, Int((x + bound) / (2 * bound) * 10))] += 1 }
    let expected = count / 10, slack = 5 * (count * 0.09).squareRoot()
    for (i, c) in bins.enumerated() {
      XCTAssertEqual(Double(c), expected, accuracy: slack, "bin \(i) of U(−b, b)")
    }
  }

  func testUniformWithZeroBoundIsZeros() {
    var rng = SplitMix64(seed: 4)
    XCTAssertEqual(Tensor.uniform([5], bound: 0, using: &rng).data, [Float](repeating: 0, count: 5))
  }

  func testLayerNormConstants() {
    let weight = Tensor.ones([64], requiresGrad: true, name: "layer_norm.weight")
    let bias = Tensor.zeros([64], requiresGrad: true, name: "layer_norm.bias")
    XCTAssertEqual(weight.data, [Float](repeating: 1, count: 64))
    XCTAssertEqual(bias.data, [Float](repeating: 0, count: 64))
    XCTAssertTrue(weight.requiresGrad && bias.requiresGrad)
    XCTAssertEqual(weight.name, "layer_norm.weight")
  }
}
