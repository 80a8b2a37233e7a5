// The data layer's own seeded random numbers: xoshiro256** seeded through SplitMix64.
//
// Why our own: every random choice in the data layer (dev/test negatives, per-epoch
// training negatives, shuffling) must be reproducible from one integer seed on every
// platform, and Swift's `SystemRandomNumberGenerator` cannot be seeded. The stream does
// not match numpy's Mersenne Twister (docs/MODEL.md §1.2: exact ReChorus negatives cannot be
// recovered anyway), but the same seed always gives the same numbers.

/// SplitMix64 (Steele, Lea, Flood 2014): used only to expand a 64-bit seed into state.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public private(set) var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// xoshiro256** 1.0 (Blackman & Vigna 2018), state seeded by four SplitMix64 outputs.
///
/// Period 2^256 - 1. `next()` is the reference algorithm; `uniform(_:)` maps to a range
/// without modulo bias (Lemire's multiply-shift with rejection). The full state is public
/// so a trainer can store it in a checkpoint and resume the exact stream.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  public var state: (UInt64, UInt64, UInt64, UInt64)

  /// Creates a generator whose whole stream is a function of `seed`.
  public init(seed: UInt64) {
    var sm = SplitMix64(seed: seed)
    state = (sm.next(), sm.next(), sm.next(), sm.next())
  }

  /// A generator for one of several independent streams derived from a seed (for example
  /// `SeededRandom(seed: seed, stream: UInt64(epoch))`), so epoch `e` can be rebuilt alone.
  public init(seed: UInt64, stream: UInt64) {
    var sm = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
    _ = sm.next()
    state = (sm.next(), sm.next(), sm.next(), sm.next())
  }

  @inline(__always)
  public mutating func next() -> UInt64 {
    let result = rotl(state.1 &* 5, 7) &* 9
    let t = state.1 << 17
    state.2 ^= state.0
    state.3 ^= state.1
    state.1 ^= state.2
    state.0 ^= state.3
    state.2 ^= t
    state.3 = rotl(state.3, 45)
    return result
  }

  /// A uniform integer in `range` (inclusive), without modulo bias.
  ///
  /// Lemire, "Fast random integer generation in an interval", ACM TOMACS 2019: the high
  /// 64 bits of `x * span` with rejection of the low part below `2^64 mod span`.
  @inline(__always)
  public mutating func uniform(_ range: ClosedRange<Int>) -> Int {
    let span = UInt64(range.upperBound - range.lowerBound) &+ 1
    if span == 0 { return Int(bitPattern: UInt(next())) }  // the full 64-bit range
    var m = next().multipliedFullWidth(by: span)
    if m.low < span {
      let threshold = (0 &- span) % span
      while m.low < threshold { m = next().multipliedFullWidth(by: span) }
    }
    return range.lowerBound + Int(m.high)
  }

  /// Fisher–Yates shuffle of `values` in place (Durstenfeld; index i swaps with uniform 0...i).
  public mutating func shuffle<T>(_ values: inout [T]) {
    var i = values.count - 1
    while i > 0 {
      let j = uniform(0...i)
      if i != j { values.swapAt(i, j) }
      i -= 1
    }
  }
}

@inline(__always)
private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
