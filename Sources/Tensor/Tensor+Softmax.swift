import Foundation

// Softmax and log-softmax over one axis, with an optional validity mask (padding).
//
// A tensor of shape (outer, n, inner) is normalised over its middle axis: each of the
// outer · inner slices of n entries is one distribution. Both ops are fused (one op with a
// hand-written backward) because attention and the KL loss call them on every step.
//
// Numerics, per slice over the valid entries only:
//   m = max_j x_j,   s = Σ_j exp(x_j − m),   softmax_j = exp(x_j − m) / s,
//   logSoftmax_j = x_j − m − log s.
// Subtracting m keeps exp from overflowing (logits of 1000 are fine). Masked entries are
// never read: they get probability exactly 0 (log-softmax: 0, see below) and no gradient.
// A slice with no valid entry, or whose valid entries are all −∞, gives all zeros and zero
// gradient instead of NaN (PyTorch gives NaN there; ReChorus then replaces NaN by 0).

extension Tensor {
  /// Softmax over `axis`, optionally restricted to the entries where `mask` is true.
  ///
  /// ```
  /// y_j = exp(x_j − m) / Σ_{k valid} exp(x_k − m),   m = max_{k valid} x_k     (valid j)
  /// y_j = 0                                                                   (masked j)
  /// ```
  /// - Parameters:
  ///   - axis: the axis normalised over (negative counts from the end), e.g. L in (B, K, L).
  ///   - mask: `count` flags in row-major order of `self`; true = valid. Nil = all valid.
  /// - Returns: the same shape. A slice with every entry masked is all zeros, not NaN, and
  ///   passes no gradient. Subtracts the slice max for stability.
  public func softmax(axis: Int, mask: [Bool]? = nil) -> Tensor {
    normalizedExponential(axis: axis, mask: mask, logarithm: false)
  }

  /// Log-softmax over `axis`, optionally restricted to the entries where `mask` is true.
  ///
  /// ```
  /// y_j = x_j − m − log Σ_{k valid} exp(x_k − m),   m = max_{k valid} x_k      (valid j)
  /// y_j = 0                                                                   (masked j)
  /// ```
  /// Masked entries output 0 (not −∞) so that sums over a slice stay finite; callers that
  /// multiply by probabilities (e.g. the KL loss) must give those entries probability 0.
  /// - Parameters: as `softmax(axis:mask:)`.
  /// - Returns: the same shape; all zeros (and zero gradient) for a fully masked slice.
  public func logSoftmax(axis: Int, mask: [Bool]? = nil) -> Tensor {
    normalizedExponential(axis: axis, mask: mask, logarithm: true)
  }

  /// The shared forward and backward of `softmax` (logarithm false) and `logSoftmax`.
  /// - Parameter reference: always take the general (strided) loops, for tests of the
  ///   contiguous fast path.
  /// - Parameter vectorExponential: the contiguous path takes its exponentials with `simdExp`
  ///   (optimised builds; tests pass it explicitly), else with libm's `exp`.
  func normalizedExponential(axis: Int, mask: [Bool]?, logarithm: Bool, reference: Bool = false,
                             vectorExponential: Bool = vectorKernels) -> Tensor {
    let ax = axisIndex(axis)
    let (outer, n, inner) = around(ax)
    if let mask {
      precondition(mask.count == count,
                   "\(logarithm ? "logSoftmax" : "softmax"): mask has \(mask.count) flags for shape \(shape) (\(count) elements)")
    }
    if inner == 1 && !logarithm && !reference {
      return contiguousSoftmax(slices: outer, n: n, mask: mask, vectorExponential: vectorExponential)
    }
    // Per slice (o, i): whether it has any usable entry. Used again by the backward.
    var sliceValid = [Bool](repeating: false, count: outer * inner)
    var out = [Float](repeating: 0, count: count)
    data.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { y in
        for o in 0..<outer {
          for i in 0..<inner {
            let base = o * n * inner + i  // element j of the slice is at base + j · inner
            @inline(__always) func valid(_ j: Int) -> Bool { mask?[base + j * inner] ?? true }
            var m = -Float.infinity
            for j in 0..<n where valid(j) { m = Swift.max(m, x[base + j * inner]) }
            guard m > -.infinity else { continue }  // nothing valid (or all −∞): zeros
            sliceValid[o * inner + i] = true
            var s: Float = 0
            for j in 0..<n where valid(j) {
              let e = Foundation.exp(x[base + j * inner] - m)
              y[base + j * inner] = e
              s += e
            }
            if logarithm {
              let logS = Foundation.log(s)
              for j in 0..<n where valid(j) { y[base + j * inner] = x[base + j * inner] - m - logS }
            } else {
              let inverse = 1 / s
              for j in 0..<n where valid(j) { y[base + j * inner] *= inverse }
            }
          }
        }
      }
    }
    let input = self
    return Tensor.result(shape, out, op: logarithm ? "log_softmax" : "softmax", parents: [input]) { result in
      result.grad.withUnsafeBufferPointer { g in
        result.data.withUnsafeBufferPointer { y in
          input.accumulateGrad { gx in
            for o in 0..<outer {
              for i in 0..<inner where sliceValid[o * inner + i] {
                let base = o * n * inner + i
                @inline(__always) func valid(_ j: Int) -> Bool { mask?[base + j * inner] ?? true }
                if logarithm {
                  // Forward: y_j = x_j − log Σ_k exp(x_k), so ∂y_j/∂x_i = δ_ij − p_i with
                  // p = exp(y):  dx_i += g_i − p_i · Σ_j g_j   (sums over valid entries).
                  var total: Float = 0
                  for j in 0..<n where valid(j) { total += g[base + j * inner] }
                  for j in 0..<n where valid(j) {
                    let k = base + j * inner
                    gx[k] += g[k] - Foundation.exp(y[k]) * total
                  }
                } else {
                  // Forward: y_j = exp(x_j) / Σ_k exp(x_k), so ∂y_j/∂x_i = y_j (δ_ij − y_i):
                  // dx_i += y_i · (g_i − Σ_j g_j y_j). Masked y_i = 0 gets nothing.
                  var dot: Float = 0
                  for j in 0..<n where valid(j) { dot += g[base + j * inner] * y[base + j * inner] }
                  for j in 0..<n where valid(j) {
                    let k = base + j * inner
                    gx[k] += y[k] * (g[k] - dot)
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

extension Tensor {
  /// `softmax` over the last axis (slices of n contiguous entries): the same arithmetic as the
  /// general loops of `normalizedExponential`, on pointers, with no per-element closure or
  /// optional lookup. Attention's softmaxes (B, L, L) and (B, K, L) take this path.
  /// With `vectorExponential`, the slices are first shifted by their maxima in place (masked
  /// entries and empty slices set to −∞, whose exponential is exactly 0), the whole array is
  /// exponentiated 16 at a time by `simdExp`, then each slice is normalised: the same values up
  /// to simdExp's few-ulp error (KernelTests).
  private func contiguousSoftmax(slices: Int, n: Int, mask: [Bool]?, vectorExponential: Bool) -> Tensor {
    var out = [Float](repeating: 0, count: count)  // masked entries and empty slices stay 0
    var sliceValid = [Bool](repeating: false, count: slices)
    let allValid = [Bool](repeating: true, count: mask == nil ? n : 0)
    data.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { y in
        (mask ?? allValid).withUnsafeBufferPointer { valid in
          let masked = mask != nil
          if vectorExponential {
            for o in 0..<slices {
              let xs = x.baseAddress! + o * n, ys = y.baseAddress! + o * n
              let vs = valid.baseAddress! + (masked ? o * n : 0)
              var m = -Float.infinity
              for j in 0..<n where vs[j] { m = Swift.max(m, xs[j]) }
              if m > -.infinity {
                sliceValid[o] = true
                for j in 0..<n { ys[j] = vs[j] ? xs[j] - m : -.infinity }
              } else {
                for j in 0..<n { ys[j] = -.infinity }
              }
            }
            let total = slices * n
            var i = 0
            while i + 16 <= total { store16(simdExp(load16(y.baseAddress! + i)), y.baseAddress! + i); i += 16 }
            while i < total { y[i] = Foundation.exp(y[i]); i += 1 }
            for o in 0..<slices where sliceValid[o] {
              let ys = y.baseAddress! + o * n
              var sum: Float = 0
              for j in 0..<n { sum += ys[j] }
              let inverse = 1 / sum
              for j in 0..<n { ys[j] *= inverse }
            }
            return
          }
          for o in 0..<slices {
            let xs = x.baseAddress! + o * n, ys = y.baseAddress! + o * n
            let vs = valid.baseAddress! + (masked ? o * n : 0)
            var m = -Float.infinity
            for j in 0..<n where vs[j] { m = Swift.max(m, xs[j]) }
            guard m > -.infinity else { continue }
            sliceValid[o] = true
            var sum: Float = 0
            for j in 0..<n where vs[j] {
              let e = Foundation.exp(xs[j] - m)
              ys[j] = e
              sum += e
            }
            let inverse = 1 / sum
            for j in 0..<n where vs[j] { ys[j] *= inverse }
          }
        }
      }
    }
    let input = self
    return Tensor.result(shape, out, op: "softmax", parents: [input]) { result in
      // dx_i += y_i · (g_i − Σ_j g_j y_j); masked y_i = 0 gets nothing (as the general path).
      result.grad.withUnsafeBufferPointer { g in
        result.data.withUnsafeBufferPointer { y in
          (mask ?? allValid).withUnsafeBufferPointer { valid in
            let masked = mask != nil
            input.accumulateGrad { gx in
              for o in 0..<slices where sliceValid[o] {
                let gs = g.baseAddress! + o * n, ys = y.baseAddress! + o * n, xs = gx.baseAddress! + o * n
                let vs = valid.baseAddress! + (masked ? o * n : 0)
                var dot: Float = 0
                for j in 0..<n where vs[j] { dot += gs[j] * ys[j] }
                for j in 0..<n where vs[j] { xs[j] += ys[j] * (gs[j] - dot) }
              }
            }
          }
        }
      }
    }
  }
}
