import Foundation

// Single-head scaled dot-product attention as ONE op with a hand-written backward (issue 11):
// the transformer layer of TiMiRec's extractor and SASRec runs it on every step at
// (B, L, D) = (256, 20, 64). Composed from engine ops it was two `bmm`, a scalar multiply and
// a masked softmax, each with its own (B, L, L) array and backward pass, after three separate
// projections; here the input is the three projections side by side (one
// `linear(weights:biases:)` product) and the (B, L, L) logits never leave the op.
// The composed form is the reference it is tested against (AttentionTests).

extension Tensor {
  /// Scaled dot-product attention of fused projections, per batch entry:
  ///
  /// ```
  /// S = Q Kᵀ · scale                                          (L, L)
  /// P_ij = exp(S_ij − m_i) / Σ_{j' valid} exp(S_ij' − m_i)    (valid j; 0 for masked j)
  /// out = P V                                                 (L, D)
  /// ```
  /// with m_i the row's maximum over its valid keys. The same values as
  /// `(q.bmm(k, transposeOther: true) * scale).softmax(axis: -1, mask: mask).bmm(v)` for
  /// q, k, v the three thirds of `self`'s last axis (up to float rounding: the exponential is
  /// the vector `simdExp` in optimised builds).
  /// - Parameters:
  ///   - self: (B, L, 3D): Q | K | V along the last axis, e.g.
  ///     `x.linear(weights: [W_q, W_k, W_v], biases: [b_q, b_k, b_v])`.
  ///   - mask: (B, L, L) row-major flags, true where query i may attend to key j (padding
  ///     keys false); nil = every key valid.
  ///   - scale: multiplies QKᵀ, e.g. 1/√D.
  /// - Returns: (B, L, D). A query with no valid key gets zeros and passes no gradient (as
  ///   `softmax(axis:mask:)`). Gradients flow to all of Q, K and V.
  public func attention(mask: [Bool]?, scale: Float) -> Tensor {
    precondition(rank == 3 && shape[2] % 3 == 0 && shape[2] > 0,
                 "attention: input must be (B, L, 3D) (query | key | value), got \(shape)")
    let (batch, l, d3) = (shape[0], shape[1], shape[2])
    let d = d3 / 3
    if let mask {
      precondition(mask.count == batch * l * l, "attention: mask has \(mask.count) flags, expected (B, L, L) = \(batch * l * l)")
    }
    var probabilities = uninitializedFloats(batch * l * l)  // P, kept for backward
    var out = uninitializedFloats(batch * l * d)
    OpProfiler.noteGemm(m: l, n: l, k: d, transA: false, transB: true, count: batch)
    OpProfiler.noteGemm(m: l, n: d, k: l, transA: false, transB: false, count: batch)
    let allValid = [Bool](repeating: true, count: mask == nil ? l * l : 0)
    data.withUnsafeBufferPointer { x0 in
      probabilities.withUnsafeMutableBufferPointer { p0 in
        out.withUnsafeMutableBufferPointer { o0 in
          (mask ?? allValid).withUnsafeBufferPointer { m0 in
            for i in 0..<batch {
              let q = x0.baseAddress! + i * l * d3, p = p0.baseAddress! + i * l * l
              // S = Q Kᵀ · scale into P's rows, then the masked softmax in place.
              sgemmUnprofiled(transA: false, transB: true, m: l, n: l, k: d, alpha: scale, a: q, lda: d3,
                              b: q + d, ldb: d3, c: p, ldc: l)
              let valid = m0.baseAddress! + (mask == nil ? 0 : i * l * l)
              if vectorKernels {
                AttentionKernels.maskedSoftmax(rows: l, n: l, p, valid: valid)
              } else {
                AttentionKernels.maskedSoftmaxReference(rows: l, n: l, p, valid: valid)
              }
              // out = P V.
              sgemmUnprofiled(transA: false, transB: false, m: l, n: d, k: l, a: p, lda: l, b: q + 2 * d, ldb: d3,
                              c: o0.baseAddress! + i * l * d, ldc: d)
            }
          }
        }
      }
    }
    let input = self, saved = probabilities
    return Tensor.result([batch, l, d], out, op: "attention", parents: [input]) { result in
      // Per batch entry, with G = dL/d(out) (L, D):
      //   dV = Pᵀ G,   dP = G Vᵀ,
      //   dS_ij = P_ij (dP_ij − Σ_j' dP_ij' P_ij')     (softmax; 0 where P is 0: masked keys)
      //   dQ = dS K · scale,   dK = dSᵀ Q · scale.
      OpProfiler.noteGemm(m: l, n: l, k: d, transA: false, transB: true, count: batch)
      OpProfiler.noteGemm(m: l, n: d, k: l, transA: true, transB: false, count: 2 * batch)
      OpProfiler.noteGemm(m: l, n: d, k: l, transA: false, transB: false, count: batch)
      var dScores = uninitializedFloats(l * l)  // one batch entry's dP, then dS
      result.grad.withUnsafeBufferPointer { g0 in
        input.data.withUnsafeBufferPointer { x0 in
          saved.withUnsafeBufferPointer { p0 in
            dScores.withUnsafeMutableBufferPointer { ds0 in
              input.accumulateGrad { gx0, fresh in
                let ds = ds0.baseAddress!, beta: Float = fresh ? 0 : 1
                for i in 0..<batch {
                  let q = x0.baseAddress! + i * l * d3, p = p0.baseAddress! + i * l * l
                  let g = g0.baseAddress! + i * l * d, gq = gx0.baseAddress! + i * l * d3
                  // dV (L, D) = Pᵀ G;  dP (L, L) = G Vᵀ.
                  sgemmUnprofiled(transA: true, transB: false, m: l, n: d, k: l, a: p, lda: l, b: g, ldb: d,
                                  beta: beta, c: gq + 2 * d, ldc: d3)
                  sgemmUnprofiled(transA: false, transB: true, m: l, n: l, k: d, a: g, lda: d, b: q + 2 * d, ldb: d3,
                                  c: ds, ldc: l)
                  AttentionKernels.softmaxBackward(rows: l, n: l, probabilities: p, gradient: ds, scale: scale)
                  // dQ = dS K,  dK = dSᵀ Q (scale already in dS).
                  sgemmUnprofiled(transA: false, transB: false, m: l, n: d, k: l, a: ds, lda: l, b: q + d, ldb: d3,
                                  beta: beta, c: gq, ldc: d3)
                  sgemmUnprofiled(transA: true, transB: false, m: l, n: d, k: l, a: ds, lda: l, b: q, ldb: d3,
                                  beta: beta, c: gq + d, ldc: d3)
                }
              }
            }
          }
        }
      }
    }
  }
}

/// The row loops of `Tensor.attention`: a masked softmax in place and its backward.
enum AttentionKernels {
  /// Scalar reference: each of `rows` rows of `n` logits becomes its softmax over the entries
  /// whose `valid` flag is set (masked entries 0; a row with none valid, or only −∞, all 0).
  /// The arithmetic of `Tensor.softmax(axis:mask:)`'s contiguous path.
  static func maskedSoftmaxReference(rows: Int, n: Int, _ x: UnsafeMutablePointer<Float>, valid: UnsafePointer<Bool>) {
    for r in 0..<rows {
      let xs = x + r * n, vs = valid + r * n
      var m = -Float.infinity
      for j in 0..<n where vs[j] { m = Swift.max(m, xs[j]) }
      guard m > -.infinity else { for j in 0..<n { xs[j] = 0 }; continue }
      var sum: Float = 0
      for j in 0..<n {
        let e: Float = vs[j] ? Foundation.exp(xs[j] - m) : 0
        xs[j] = e
        sum += e
      }
      let inverse = 1 / sum
      for j in 0..<n { xs[j] *= inverse }
    }
  }

  /// `maskedSoftmaxReference` with the exponentials of the whole (rows, n) block taken by
  /// `simdExp`, 16 at a time: the rows are shifted by their maxima (masked entries set to −∞,
  /// whose exponential is exactly 0) in one scalar pass, exponentiated as one contiguous run,
  /// then normalised. Same results up to simdExp's few-ulp error.
  static func maskedSoftmax(rows: Int, n: Int, _ x: UnsafeMutablePointer<Float>, valid: UnsafePointer<Bool>) {
    for r in 0..<rows {
      let xs = x + r * n, vs = valid + r * n
      var m = -Float.infinity
      for j in 0..<n where vs[j] { m = Swift.max(m, xs[j]) }
      if m == -.infinity {  // nothing valid (or all −∞): every exponential 0, the row stays 0
        for j in 0..<n { xs[j] = -.infinity }
      } else {
        for j in 0..<n { xs[j] = vs[j] ? xs[j] - m : -.infinity }
      }
    }
    let total = rows * n
    var i = 0
    while i + 16 <= total { store16(simdExp(load16(x + i)), x + i); i += 16 }
    while i < total { x[i] = Foundation.exp(x[i]); i += 1 }
    for r in 0..<rows {
      let xs = x + r * n
      var sum: Float = 0
      for j in 0..<n { sum += xs[j] }
      guard sum > 0 else { continue }  // an empty row (a non-empty one holds e⁰ = 1)
      let inverse = 1 / sum
      for j in 0..<n { xs[j] *= inverse }
    }
  }

  /// The softmax's backward in place: `gradient` holds dP (rows, n) and becomes
  /// dS_ij = scale · P_ij (dP_ij − Σ_j' dP_ij' P_ij'); zero wherever P is 0.
  static func softmaxBackward(rows: Int, n: Int, probabilities p: UnsafePointer<Float>,
                              gradient g: UnsafeMutablePointer<Float>, scale: Float) {
    for r in 0..<rows {
      let ps = p + r * n, gs = g + r * n
      var dot: Float = 0
      for j in 0..<n { dot += gs[j] * ps[j] }
      for j in 0..<n { gs[j] = scale * ps[j] * (gs[j] - dot) }
    }
  }
}
