// The tests' seeded generator for inputs (kill moments, random cases): the package's one
// SplitMix64 (Tensor/RNG.swift) with a [0, 1) helper, so the algorithm is written once.
// RNGTests pin SplitMix64's outputs against published values, so using it here is not
// circular.
import Tensor

/// SplitMix64 (Steele, Lea, Flood 2014) from a 64-bit seed, with `unit()`.
public struct TestGenerator: RandomNumberGenerator, Sendable {
  var inner: SplitMix64

  public init(seed: UInt64) { inner = SplitMix64(seed: seed) }

  public mutating func next() -> UInt64 { inner.next() }

  /// Uniform in [0, 1) (53 bits).
  public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
