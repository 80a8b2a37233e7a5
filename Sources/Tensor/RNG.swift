// RNG: the seeded pseudo-random generator behind every random choice in training
// (initialisers, dropout masks, negative sampling, shuffling).
//
// Algorithm: xoshiro256** 1.0 (Blackman & Vigna, "Scrambled linear pseudorandom number
// generators", 2018; reference C at https://prng.di.unimi.it/xoshiro256starstar.c), a
// 256-bit state with period 2^256 − 1, seeded by expanding one 64-bit seed through SplitMix64
// (https://prng.di.unimi.it/splitmix64.c) as its authors recommend.
//
// It does NOT reproduce numpy's or PyTorch's streams (they use PCG64 / Mersenne Twister and
// their own sampling algorithms): the same seed gives the same numbers here, run after run,
// but different numbers than the reference code. Bits, integers, uniforms and shuffles are
// bit-identical on every platform; `normal` goes through the C library's `log` and `cos`, which
// may differ in the last bit between platforms (not between runs on one machine).

import Foundation  // log, cos

/// A seeded, reproducible pseudo-random generator (xoshiro256** seeded through SplitMix64).
///
/// A value type: copying it forks the stream (both copies then produce the same numbers).
/// Everything it draws is a pure function of the seed and the number of calls, so training
/// resumes exactly by saving ``state`` and restoring it with ``init(state:)``.
///
/// It conforms to `RandomNumberGenerator`, so `Int.random(in:using:)` and friends accept it,
/// but the standard library does not promise that those algorithms stay the same across Swift
/// releases. Use this type's own methods (``uniformInt(in:)``, ``shuffle(_:)``, …) for
/// anything that must be reproducible.
///
/// Not numpy-compatible: see the file header.
///
/// ```swift
/// var rng = RNG(seed: 42)
/// let x = rng.normal(mean: 0, std: 0.01)
/// var order = Array(0..<10)
/// rng.shuffle(&order)
/// ```
public struct RNG: RandomNumberGenerator, Equatable, Hashable, Sendable {
  // The four state words s0...s3 of xoshiro256**; never all zero.
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64

  /// Creates a generator whose whole stream is determined by `seed`.
  ///
  /// The 256-bit state is filled with four consecutive outputs of SplitMix64 started at
  /// `seed`, so nearby seeds (0, 1, 2, …) still give unrelated streams.
  public init(seed: UInt64) {
    var expander = SplitMix64(seed: seed)
    self.init(expanding: &expander)
  }

  /// The state from the next four outputs of `expander`.
  init(expanding expander: inout SplitMix64) {
    s0 = expander.next()
    s1 = expander.next()
    s2 = expander.next()
    s3 = expander.next()
    if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }  // all-zero is a fixed point
  }

  /// A generator for one of several independent streams derived from `seed` (e.g. stream =
  /// epoch, so epoch `e` can be rebuilt alone): SplitMix64 started at
  /// `seed ^ (stream · 0xD1B54A32D192ED03)`, its first output skipped, the next four as state.
  public init(seed: UInt64, stream: UInt64) {
    var expander = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    _ = expander.next()
    self.init(expanding: &expander)
  }

  /// Restores a generator from a saved ``state``; `nil` unless `state` has exactly 4 words
  /// and at least one of them is non-zero (the all-zero state would only ever produce 0).
  ///
  /// `RNG(state: rng.state)` continues exactly where `rng` stands.
  public init?(state: [UInt64]) {
    guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
  }

  /// The full generator state, four 64-bit words `[s0, s1, s2, s3]`; save it in a checkpoint
  /// and pass it to ``init(state:)`` to resume the stream.
  public var state: [UInt64] { [s0, s1, s2, s3] }

  /// The next 64 uniformly distributed random bits (one xoshiro256** step).
  public mutating func next() -> UInt64 {
    let result = rotateLeft(s1 &* 5, by: 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotateLeft(s3, by: 45)
    return result
  }

  /// A uniform `Float` in [0, 1): the top 24 bits of ``next()`` times 2⁻²⁴, so every value is
  /// a multiple of 2⁻²⁴ and 1 is never returned.
  public mutating func nextFloat() -> Float {
    Float(next() >> 40) * 0x1p-24
  }

  /// A uniform `Double` in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³.
  public mutating func nextDouble() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A uniform integer in `range` (both ends included), without modulo bias.
  ///
  /// Lemire's multiply-and-reject method ("Fast random integer generation in an interval",
  /// 2019): the 128-bit product of a random word and the range size `n` puts each of the
  /// `n` outcomes in equally many of the 2⁶⁴ inputs once the `2⁶⁴ mod n` inputs in the low
  /// part are rejected (rejection happens with probability < n / 2⁶⁴). Works for every range,
  /// including `Int.min...Int.max`.
  public mutating func uniformInt(in range: ClosedRange<Int>) -> Int {
    let width = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound))
    if width == UInt64.max { return Int(truncatingIfNeeded: next()) }
    let n = width + 1
    var product = next().multipliedFullWidth(by: n)
    if product.low < n {
      let threshold = (0 &- n) % n  // = 2^64 mod n
      while product.low < threshold {
        product = next().multipliedFullWidth(by: n)
      }
    }
    return range.lowerBound &+ Int(truncatingIfNeeded: product.high)
  }

  /// A uniform `Float` in [low, high).
  ///
  /// Computed as `low + (high − low) · u` with `u` from ``nextFloat()``; a result that rounds
  /// up to `high` is replaced by the largest `Float` below `high`. Returns `low` when
  /// `low == high`.
  /// - Precondition: `low <= high`, both finite.
  public mutating func uniform(low: Float, high: Float) -> Float {
    precondition(low.isFinite && high.isFinite && low <= high,
                 "uniform(low: \(low), high: \(high)) needs finite low <= high")
    if low == high { return low }
    let x = low + (high - low) * nextFloat()
    return x < high ? x : high.nextDown
  }

  /// A normally distributed `Float` with the given mean and standard deviation.
  ///
  /// Box–Muller in `Double`: with u₁ uniform in (0, 1] and u₂ uniform in [0, 1),
  /// `z = √(−2 ln u₁) · cos(2π u₂)` is standard normal; the result is `mean + std · z`.
  /// Each call consumes exactly two words of the stream (the paired sine value is discarded,
  /// so the state stays four words and ``state`` alone resumes the stream).
  /// - Precondition: `std >= 0`.
  public mutating func normal(mean: Float = 0, std: Float = 1) -> Float {
    precondition(std >= 0, "normal(mean:std:) needs std >= 0, got \(std)")
    let u1 = 1 - nextDouble()  // (0, 1]: log never sees 0
    let u2 = nextDouble()
    let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    return mean + std * Float(z)
  }

  /// Shuffles `array` in place with the Fisher–Yates (Durstenfeld) algorithm: for i from the
  /// last index down to 1, swap element i with a uniform index in 0...i. Every permutation is
  /// equally likely; consumes `array.count − 1` draws of ``uniformInt(in:)``.
  public mutating func shuffle<T>(_ array: inout [T]) {
    guard array.count > 1 else { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
      let j = uniformInt(in: 0...i)
      if i != j { array.swapAt(i, j) }
    }
  }

  private func rotateLeft(_ x: UInt64, by k: UInt64) -> UInt64 {
    (x << k) | (x >> (64 - k))
  }
}

/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", 2014;
/// reference C at https://prng.di.unimi.it/splitmix64.c): a 64-bit counter through a mixing
/// function. Used to expand one seed into ``RNG``'s state, and where a tiny reproducible
/// stream is enough (the explorer's random user, tests).
public struct SplitMix64: RandomNumberGenerator, Sendable {
  /// The counter; the next output is a function of it alone.
  public private(set) var state: UInt64

  /// A stream started at `seed` (its first output mixes `seed + 0x9E3779B97F4A7C15`).
  public init(seed: UInt64) { state = seed }

  /// The next 64 bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
