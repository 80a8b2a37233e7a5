// Tests for RNG.swift: reproducibility, state round trip, and distribution checks.
//
// Every statistical check below uses a fixed seed, so it is deterministic; the bounds are
// still chosen as if the seed were random, at roughly a 1-in-1000 false-alarm rate or
// rarer, so that a change of seed or of draw count does not make them flaky.

import XCTest
@testable import Tensor

final class RNGTests: XCTestCase {

  // MARK: Stream

  /// Golden values computed with an independent Python transcription of the reference C code
  /// (splitmix64.c seeding, xoshiro256starstar.c). SplitMix64(0)'s first output
  /// 0xe220a8397b1dcdaf is the published reference value and seeds the first state word.
  func testKnownStreamForSeeds0And42() {
    var a = RNG(seed: 0)
    XCTAssertEqual(a.state.first, 0xE220_A839_7B1D_CDAF)
    XCTAssertEqual((0..<4).map { _ in a.next() },
                   [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C])
    var b = RNG(seed: 42)
    XCTAssertEqual((0..<4).map { _ in b.next() },
                   [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1])
  }

  func testSameSeedSameStreamDifferentSeedDifferentStream() {
    var a = RNG(seed: 7), b = RNG(seed: 7), c = RNG(seed: 8)
    let sa = (0..<1000).map { _ in a.next() }
    let sb = (0..<1000).map { _ in b.next() }
    let sc = (0..<1000).map { _ in c.next() }
    XCTAssertEqual(sa, sb)
    XCTAssertNotEqual(sa, sc)
    // Mixed calls stay in lock step too.
    var x = RNG(seed: 99), y = RNG(seed: 99)
    for _ in 0..<100 {
      XCTAssertEqual(x.normal(mean: 1, std: 2), y.normal(mean: 1, std: 2))
      XCTAssertEqual(x.uniformInt(in: -5...17), y.uniformInt(in: -5...17))
      XCTAssertEqual(x.nextFloat(), y.nextFloat())
    }
  }

  func testStateRoundTripResumesExactly() throws {
    var rng = RNG(seed: 2024)
    for _ in 0..<37 { _ = rng.next() }
    let saved = rng.state
    XCTAssertEqual(saved.count, 4)
    let expected = (0..<100).map { _ in rng.next() }
    var restored = try XCTUnwrap(RNG(state: saved))
    XCTAssertEqual((0..<100).map { _ in restored.next() }, expected)
    XCTAssertEqual(restored, rng)
  }

  func testInvalidStatesAreRejected() {
    XCTAssertNil(RNG(state: []))
    XCTAssertNil(RNG(state: [1, 2, 3]))
    XCTAssertNil(RNG(state: [1, 2, 3, 4, 5]))
    XCTAssertNil(RNG(state: [0, 0, 0, 0]))
    XCTAssertNotNil(RNG(state: [0, 0, 0, 1]))
  }

  // MARK: Uniform

  func testNextFloatAndUniformStayInRange() {
    var rng = RNG(seed: 1)
    var sum = 0.0
    let n = 100_000
    for _ in 0..<n {
      let u = rng.nextFloat()
      XCTAssert(u >= 0 && u < 1)
      sum += Double(u)
      let v = rng.uniform(low: -0.25, high: 0.75)
      XCTAssert(v >= -0.25 && v < 0.75)
      let d = rng.nextDouble()
      XCTAssert(d >= 0 && d < 1)
    }
    // Mean of U(0,1): 0.5 ± 1/sqrt(12 n) ≈ 0.0009 standard error; bound = 5 standard errors.
    XCTAssertEqual(sum / Double(n), 0.5, accuracy: 0.0046)
    XCTAssertEqual(rng.uniform(low: 3, high: 3), 3)
  }

  func testUniformIntBoundsIncludingExtremes() {
    var rng = RNG(seed: 3)
    for _ in 0..<1000 { XCTAssertEqual(rng.uniformInt(in: 5...5), 5) }
    var seen = Set<Int>()
    for _ in 0..<1000 {
      let v = rng.uniformInt(in: -3...3)
      XCTAssert((-3...3).contains(v))
      seen.insert(v)
    }
    XCTAssertEqual(seen, Set(-3...3), "every value of a small range appears")
    for _ in 0..<1000 {
      _ = rng.uniformInt(in: Int.min...Int.max)  // must not trap
      XCTAssert(rng.uniformInt(in: 0...Int.max) >= 0)
      XCTAssert(rng.uniformInt(in: Int.min...(-1)) < 0)
    }
  }

  /// 10 equally likely outcomes, 100,000 draws: Pearson's χ² with 9 degrees of freedom has a
  /// 0.1 % upper critical value of 27.88.
  func testUniformIntChiSquare() {
    var rng = RNG(seed: 4)
    var counts = [Int](repeating: 0, count: 10)
    let n = 100_000
    for _ in 0..<n { counts[rng.uniformInt(in: 0...9)] += 1 }
    let expected = Double(n) / 10
    let chi2 = counts.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
    XCTAssertLessThan(chi2, 27.88, "counts \(counts)")
  }

  /// A range of 2/3 · 2⁶⁴ values is where `next() % n` would be most biased: the lower half
  /// of the range would come up twice as often as the upper half (2/3 of draws instead of
  /// 1/2). Unbiased: 0.5 ± 0.0016 standard error at n = 100,000; bound 0.01.
  func testUniformIntHasNoModuloBias() {
    var rng = RNG(seed: 5)
    let width = 0xAAAA_AAAA_AAAA_AAAA as UInt64  // range size - 1
    let range = Int.min...(Int.min &+ Int(bitPattern: UInt(width)))
    let half = Int.min &+ Int(bitPattern: UInt(width / 2))
    let n = 100_000
    var low = 0
    for _ in 0..<n {
      let v = rng.uniformInt(in: range)
      XCTAssert(range.contains(v))
      if v <= half { low += 1 }
    }
    XCTAssertEqual(Double(low) / Double(n), 0.5, accuracy: 0.01)
  }

  // MARK: Normal

  /// 200,000 draws: the sample mean's standard error is std/√n ≈ 0.0022·std and the sample
  /// std's ≈ std/√(2n) ≈ 0.0016·std; bounds are 0.01·std (≥ 4.5 standard errors). The share
  /// within one std of the mean must be 0.6827 ± 0.005 (≈ 5 standard errors of 0.001).
  func testNormalMomentsAndShape() {
    for (mean, std) in [(Float(0), Float(1)), (3, 2), (-0.5, 0.01)] {
      var rng = RNG(seed: 6)
      let n = 200_000
      var values = [Double]()
      values.reserveCapacity(n)
      for _ in 0..<n {
        let x = rng.normal(mean: mean, std: std)
        XCTAssert(x.isFinite)
        values.append(Double(x))
      }
      let m = values.reduce(0, +) / Double(n)
      let s = (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot()
      XCTAssertEqual(m, Double(mean), accuracy: 0.01 * Double(std), "mean for N(\(mean), \(std))")
      XCTAssertEqual(s, Double(std), accuracy: 0.01 * Double(std), "std for N(\(mean), \(std))")
      let within = values.filter { abs($0 - Double(mean)) < Double(std) }.count
      XCTAssertEqual(Double(within) / Double(n), 0.6827, accuracy: 0.005)
    }
    var rng = RNG(seed: 0)
    XCTAssertEqual(rng.normal(mean: 2, std: 0), 2)
  }

  // MARK: Shuffle

  func testShuffleIsAPermutationAndReproducible() {
    var a = RNG(seed: 11), b = RNG(seed: 11)
    var x = Array(0..<100), y = Array(0..<100)
    a.shuffle(&x)
    b.shuffle(&y)
    XCTAssertEqual(x, y)
    XCTAssertEqual(x.sorted(), Array(0..<100))
    XCTAssertNotEqual(x, Array(0..<100))
    var empty: [Int] = []
    var one = ["a"]
    a.shuffle(&empty)
    a.shuffle(&one)
    XCTAssertEqual(empty, [])
    XCTAssertEqual(one, ["a"])
  }

  /// All 6 orders of 3 elements, 60,000 shuffles: χ² with 5 degrees of freedom, 0.1 % upper
  /// critical value 20.52.
  func testShuffleIsUniformOverPermutations() {
    var rng = RNG(seed: 12)
    var counts: [[Int]: Int] = [:]
    let n = 60_000
    for _ in 0..<n {
      var p = [0, 1, 2]
      rng.shuffle(&p)
      counts[p, default: 0] += 1
    }
    XCTAssertEqual(counts.count, 6)
    let expected = Double(n) / 6
    let chi2 = counts.values.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
    XCTAssertLessThan(chi2, 20.52, "counts \(counts)")
  }

  func testSplitMix64ReferenceValue() {
    // First output of SplitMix64 seeded with 0 (reference C implementation).
    var s = SplitMix64(seed: 0)
    XCTAssertEqual(s.next(), 0xE220_A839_7B1D_CDAF)
    XCTAssertEqual(s.state, 0x9E37_79B9_7F4A_7C15)
  }
}
