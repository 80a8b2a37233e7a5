// The data layer's seeded random numbers: the engine's one generator, `RNG` (xoshiro256**
// seeded through SplitMix64), under the name the data code has always used.
//
// Why seeded: every random choice in the data layer (dev/test negatives, per-epoch training
// negatives, shuffling) must be reproducible from one integer seed on every platform, and
// Swift's `SystemRandomNumberGenerator` cannot be seeded. The stream does not match numpy's
// Mersenne Twister (docs/MODEL.md §1.2 NOTE: exact ReChorus negatives cannot be recovered anyway).
//
// This was a second xoshiro256** implementation until the two were merged: its seeding
// (four SplitMix64 outputs; streams from `seed ^ stream·0xD1B54A32D192ED03`, first output
// skipped), its step, its Lemire bounded integers and its Fisher–Yates shuffle were the same
// algorithms as RNG's, so every stream is unchanged (docs/DECISIONS.md; checked by
// re-preparing ML-100K and regenerating the demo byte for byte, and by PreparerTests).

import Tensor

/// The data layer's generator: `RNG`, with `SeededRandom(seed:)` and
/// `SeededRandom(seed:stream:)` as its seeds.
public typealias SeededRandom = RNG

extension RNG {
  /// A uniform integer in `range` (inclusive), without modulo bias: ``RNG/uniformInt(in:)``.
  @inline(__always)
  public mutating func uniform(_ range: ClosedRange<Int>) -> Int { uniformInt(in: range) }
}
