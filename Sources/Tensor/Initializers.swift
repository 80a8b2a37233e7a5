// Initializers: the parameter initialisations of docs/MODEL.md §3.7.
//
//   nn.Linear weight and bias, nn.Embedding (incl. padding rows)  N(0, 0.01²)   `normal`
//   GRU weights and biases                                        U(−1/√H, 1/√H) `uniform`
//   LayerNorm weight / bias                                       1 / 0         `ones` / `zeros`
//
// Generic over `RandomNumberGenerator`, so any seeded generator works (the project's `RNG`
// in RNG.swift, or a test's own). Only `next()` is used, with our own conversions below, so
// the numbers are a pure function of the generator's stream (the standard library's
// `Float.random(in:using:)` algorithm is not promised to stay the same across Swift releases).
// None of this reproduces PyTorch's streams; only the distributions match.

import Foundation  // log, cos, sin

/// Uniform Double in [0, 1) from the top 53 bits of one 64-bit draw.
@inline(__always)
private func unitDouble(_ rng: inout some RandomNumberGenerator) -> Double {
  Double(rng.next() >> 11) * 0x1p-53
}

extension Tensor {
  /// A tensor with elements drawn from N(mean, std²) — docs/MODEL.md §3.7 for every Linear weight and
  /// bias and every Embedding table (std 0.01).
  ///
  /// Box–Muller in Double: with u₁ uniform in (0, 1] and u₂ uniform in [0, 1),
  /// ```
  /// r = √(−2 ln u₁),  z₀ = r·cos(2π u₂),  z₁ = r·sin(2π u₂)
  /// ```
  /// are two independent standard normals; both are used (elements 2i and 2i + 1), so
  /// `count` elements consume 2·⌈count/2⌉ draws of `rng.next()`. |z| ≤ √(−2 ln 2⁻⁵³) ≈ 8.6.
  ///
  /// - Parameters:
  ///   - shape: extent of each axis.
  ///   - mean: μ (default 0).
  ///   - std: σ ≥ 0 (default 0.01).
  ///   - requiresGrad: true for a parameter.
  ///   - name: the parameter's name.
  ///   - rng: the generator; advanced by the draws above.
  public static func normal(
    _ shape: [Int], mean: Float = 0, std: Float = 0.01, requiresGrad: Bool = false,
    name: String = "", using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    precondition(std >= 0 && std.isFinite, "Tensor.normal: std must be finite and ≥ 0, got \(std)")
    let n = shape.elementCount
    var values = [Float](repeating: 0, count: n)
    values.withUnsafeMutableBufferPointer { out in
      var i = 0
      while i < n {
        let u1 = 1 - unitDouble(&rng)  // (0, 1]: log never sees 0
        let angle = 2 * Double.pi * unitDouble(&rng)
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        out[i] = mean + std * Float(radius * Foundation.cos(angle))
        if i + 1 < n { out[i + 1] = mean + std * Float(radius * Foundation.sin(angle)) }
        i += 2
      }
    }
    return Tensor(shape: shape, data: values, requiresGrad: requiresGrad, name: name)
  }

  /// A tensor with elements drawn from U(−bound, bound) — docs/MODEL.md §3.7 for the GRU's weights and
  /// biases with `bound = 1/√H` (PyTorch's `nn.GRU` default; 0.125 for H = 64).
  ///
  /// Each element is `bound · (2u − 1)` with u = k·2⁻²⁴ from the top 24 bits of one draw, so
  /// values lie in [−bound, bound) on an even grid (−bound included, +bound never reached).
  ///
  /// - Parameters:
  ///   - shape: extent of each axis.
  ///   - bound: half-width ≥ 0 (0 gives zeros).
  ///   - requiresGrad: true for a parameter.
  ///   - name: the parameter's name.
  ///   - rng: the generator; advanced by one draw per element.
  public static func uniform(
    _ shape: [Int], bound: Float, requiresGrad: Bool = false, name: String = "",
    using rng: inout some RandomNumberGenerator
  ) -> Tensor {
    precondition(bound >= 0 && bound.isFinite, "Tensor.uniform: bound must be finite and ≥ 0, got \(bound)")
    let n = shape.elementCount
    var values = [Float](repeating: 0, count: n)
    values.withUnsafeMutableBufferPointer { out in
      for i in 0..<n {
        // 2u − 1 is exact in Float (u has 24 significant bits), so the only rounding is ·bound.
        let u = Float(rng.next() >> 40) * 0x1p-24
        out[i] = bound * (2 * u - 1)
      }
    }
    return Tensor(shape: shape, data: values, requiresGrad: requiresGrad, name: name)
  }

  /// A tensor of ones — docs/MODEL.md §3.7 for a LayerNorm weight (its bias uses ``zeros(_:requiresGrad:name:)``).
  public static func ones(_ shape: [Int], requiresGrad: Bool = false, name: String = "") -> Tensor {
    Tensor(shape: shape, data: [Float](repeating: 1, count: shape.elementCount),
           requiresGrad: requiresGrad, name: name)
  }
}
