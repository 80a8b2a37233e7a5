import Foundation

// Neural-network building blocks: embedding lookup, L2 normalisation and cosine similarity,
// layer norm, dropout. Embedding, L2 normalisation and layer norm are fused ops with
// hand-written backward passes (each is on the hot path of every step); cosine similarity is
// composed from them.

extension Tensor {
  // MARK: - Embedding

  /// Looks up rows of an embedding table.
  ///
  /// ```
  /// out[i₁, …, iₖ, :] = table[indices[i₁, …, iₖ], :]
  /// ```
  /// - Parameters:
  ///   - table: (N, D).
  ///   - indices: row-major indices with the given `shape`, each in 0 ..< N.
  ///   - shape: the index shape, e.g. [B, L] for histories.
  /// - Returns: `shape + [D]`. The gradient scatter-adds into the table rows; an index used
  ///   several times accumulates every use.
  public static func embedding(_ table: Tensor, indices: [Int32], shape: [Int]) -> Tensor {
    precondition(table.rank == 2, "embedding: table must be (N, D), got \(table.shape)")
    precondition(indices.count == shape.elementCount,
                 "embedding: \(indices.count) indices do not fill shape \(shape)")
    let (rows, d) = (table.shape[0], table.shape[1])
    for (position, index) in indices.enumerated() where index < 0 || Int(index) >= rows {
      preconditionFailure("embedding: index \(index) at position \(position) outside the table's rows 0..<\(rows)")
    }
    var out = uninitializedFloats(indices.count * d)  // every row copied below
    table.data.withUnsafeBufferPointer { w in
      out.withUnsafeMutableBufferPointer { o in
        for (i, index) in indices.enumerated() {
          copyRow(w.baseAddress! + Int(index) * d, to: o.baseAddress! + i * d, count: d)
        }
      }
    }
    return Tensor.result(shape + [d], out, op: "embedding", parents: [table]) { result in
      // Forward: out[i, :] = table[indices[i], :]  ⇒  dtable[indices[i], :] += dout[i, :].
      result.grad.withUnsafeBufferPointer { g in
        table.accumulateGrad { gw in
          for (i, index) in indices.enumerated() {
            addRow(g.baseAddress! + i * d, into: gw.baseAddress! + Int(index) * d, count: d)
          }
        }
      }
    }
  }

  // MARK: - L2 normalisation and cosine similarity

  /// Divides each slice along `axis` by its Euclidean norm, clamped below by `eps`
  /// (PyTorch `F.normalize(x, p: 2, dim: axis, eps: eps)`).
  ///
  /// ```
  /// y = x / max(‖x‖₂, eps)
  /// ```
  /// - Parameters:
  ///   - axis: the axis normalised over (negative counts from the end), e.g. D.
  ///   - eps: lower bound on the divisor (> 0); 1e-12 as in docs/MODEL.md §3.4.
  /// - Returns: the same shape. The gradient is exact on both branches: where ‖x‖ ≥ eps,
  ///   dx = (g − y (g·y)) / ‖x‖; where the clamp is active (‖x‖ < eps), dx = g / eps
  ///   (PyTorch's `clamp_min` passes the gradient at equality, so ‖x‖ = eps is the norm branch).
  public func l2Normalize(axis: Int = -1, eps: Float = 1e-12) -> Tensor {
    precondition(eps > 0, "l2Normalize: eps must be positive, got \(eps)")
    let ax = axisIndex(axis)
    let (outer, n, inner) = around(ax)
    var divisor = [Float](repeating: 0, count: outer * inner)  // max(‖x‖, eps) per slice
    var clamped = [Bool](repeating: false, count: outer * inner)
    var out = [Float](repeating: 0, count: count)
    data.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { y in
        for o in 0..<outer {
          for i in 0..<inner {
            let base = o * n * inner + i
            var squares = 0.0  // Double: no overflow or underflow for Float inputs
            for j in 0..<n { let v = Double(x[base + j * inner]); squares += v * v }
            let norm = Float(squares.squareRoot())
            let slice = o * inner + i
            clamped[slice] = norm < eps
            divisor[slice] = Swift.max(norm, eps)
            let inverse = 1 / divisor[slice]
            for j in 0..<n { y[base + j * inner] = x[base + j * inner] * inverse }
          }
        }
      }
    }
    let input = self
    return Tensor.result(shape, out, op: "l2_normalize", parents: [input]) { result in
      // Forward: y = x / ν with ν = ‖x‖ (norm branch) or ν = eps (clamp branch).
      // Norm branch: ∂ν/∂x = x/ν = y, so dx = g/ν − x (g·x)/ν³ = (g − y (g·y)) / ν.
      // Clamp branch: ν is a constant, so dx = g / eps.
      result.grad.withUnsafeBufferPointer { g in
        result.data.withUnsafeBufferPointer { y in
          input.accumulateGrad { gx in
            for o in 0..<outer {
              for i in 0..<inner {
                let base = o * n * inner + i, slice = o * inner + i
                let inverse = 1 / divisor[slice]
                var dot: Float = 0
                if !clamped[slice] {
                  for j in 0..<n { dot += g[base + j * inner] * y[base + j * inner] }
                }
                for j in 0..<n {
                  let k = base + j * inner
                  gx[k] += (g[k] - y[k] * dot) * inverse
                }
              }
            }
          }
        }
      }
    }
  }

  /// Cosine similarity along `axis`, with broadcasting of the other axes.
  ///
  /// ```
  /// cos(a, b) = Σ_axis (a / max(‖a‖, eps)) ⊙ (b / max(‖b‖, eps))
  /// ```
  /// E.g. interests a (B, K, D) against targets b (B, 1, D) → (B, K) (the TiMiRec teacher,
  /// docs/MODEL.md §3.4). Composed from `l2Normalize`, `*` and `sum(axis:)`.
  /// - Parameters:
  ///   - a, b: tensors whose shapes broadcast; `axis` refers to the broadcast shape and must
  ///     exist in both (a negative axis counts from the end of each).
  ///   - eps: lower bound on each norm (1e-12 as in docs/MODEL.md §3.4).
  /// - Returns: the broadcast shape without `axis`.
  public static func cosineSimilarity(_ a: Tensor, _ b: Tensor, axis: Int = -1, eps: Float = 1e-12) -> Tensor {
    guard let outShape = broadcastShape(a.shape, b.shape) else {
      preconditionFailure("cosineSimilarity: shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let fromEnd = axis < 0 ? axis : axis - outShape.count  // the same axis counted from the end
    precondition(fromEnd < 0 && -fromEnd <= a.rank && -fromEnd <= b.rank,
                 "cosineSimilarity: axis \(axis) is not an axis of both \(a.shape) and \(b.shape)")
    let product = a.l2Normalize(axis: fromEnd, eps: eps) * b.l2Normalize(axis: fromEnd, eps: eps)
    return product.sum(axis: fromEnd)
  }

  // MARK: - Layer norm

  /// Layer normalisation over the last axis with an affine map (PyTorch `nn.LayerNorm(D)`).
  ///
  /// ```
  /// μ = mean(x),  σ² = mean((x − μ)²)  (biased, divides by D),  x̂ = (x − μ) / √(σ² + eps)
  /// y = x̂ ⊙ weight + bias
  /// ```
  /// - Parameters:
  ///   - self: (…, D); each row of D is normalised on its own.
  ///   - weight: (D), `bias`: (D).
  ///   - eps: added to the variance; 1e-5 as in PyTorch and docs/MODEL.md §3.1.
  /// - Returns: the shape of `self`. Gradients flow to all three inputs.
  public func layerNorm(weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
    let d = shape.last ?? 0
    precondition(rank >= 1 && d > 0, "layerNorm: input needs a non-empty last axis, got \(shape)")
    precondition(weight.shape == [d] && bias.shape == [d],
                 "layerNorm: weight and bias must be [\(d)], got \(weight.shape) and \(bias.shape)")
    let rows = count / d
    var normalized = uninitializedFloats(count)  // x̂, kept for backward (all written below)
    var inverseStd = uninitializedFloats(rows)    // 1/√(σ² + eps) per row
    var out = uninitializedFloats(count)
    // LayerNormKernels' SIMD16 rows in optimised builds; the scalar reference otherwise.
    let vectorised = vectorKernels && d % 16 == 0
    data.withUnsafeBufferPointer { x in
      normalized.withUnsafeMutableBufferPointer { xh in
        out.withUnsafeMutableBufferPointer { y in
          inverseStd.withUnsafeMutableBufferPointer { rs in
            weight.data.withUnsafeBufferPointer { w in
              bias.data.withUnsafeBufferPointer { b in
                let kernel = vectorised ? LayerNormKernels.forward : LayerNormKernels.forwardReference
                kernel(rows, d, eps, x.baseAddress!, w.baseAddress!, b.baseAddress!, xh.baseAddress!, y.baseAddress!,
                       rs.baseAddress!)
              }
            }
          }
        }
      }
    }
    let input = self
    return Tensor.result(shape, out, op: "layer_norm", parents: [input, weight, bias]) { result in
      // Forward: y = x̂ ⊙ w + b with x̂ = (x − μ) · ρ, ρ = (σ² + eps)^(−1/2).
      //   db += Σ_rows g,   dw += Σ_rows g ⊙ x̂,   and with ĝ = g ⊙ w (the gradient at x̂):
      // ∂x̂_j/∂x_i = ρ (δ_ij − 1/D) − ρ x̂_j x̂_i / D, because ∂μ/∂x_i = 1/D and
      // ∂ρ/∂x_i = −ρ³ (x_i − μ)/D = −ρ² x̂_i / D. Summing ĝ_j over j:
      //   dx_i += ρ · (ĝ_i − mean_j ĝ_j − x̂_i · mean_j(ĝ_j x̂_j)).
      // (LayerNormKernels: the loops, SIMD16 and scalar reference.)
      let weightData = weight.data
      result.grad.withUnsafeBufferPointer { g in
        normalized.withUnsafeBufferPointer { xh in
          bias.accumulateGrad { gb in
            LayerNormKernels.backwardAffine(rows: rows, d: d, g: g.baseAddress!, normalized: xh.baseAddress!,
                                            gw: nil, gb: gb.baseAddress!)
          }
          weight.accumulateGrad { gw in
            LayerNormKernels.backwardAffine(rows: rows, d: d, g: g.baseAddress!, normalized: xh.baseAddress!,
                                            gw: gw.baseAddress!, gb: nil)
          }
          weightData.withUnsafeBufferPointer { w in
            inverseStd.withUnsafeBufferPointer { rs in
              input.accumulateGrad { gx in
                let kernel = vectorised ? LayerNormKernels.backwardInput : LayerNormKernels.backwardInputReference
                kernel(rows, d, g.baseAddress!, w.baseAddress!, xh.baseAddress!, rs.baseAddress!, gx.baseAddress!)
              }
            }
          }
        }
      }
    }
  }

  // MARK: - Dropout

  /// Inverted dropout: zeroes each element with probability `p` and scales the kept ones by
  /// 1/(1 − p), so the expected value is unchanged (PyTorch `nn.Dropout`).
  ///
  /// ```
  /// y = x ⊙ keep / (1 − p),   keep ~ Bernoulli(1 − p) per element   (training)
  /// y = x                                                           (evaluation or p = 0)
  /// ```
  /// - Parameters:
  ///   - p: drop probability in [0, 1]; p = 1 gives zeros.
  ///   - training: false returns `self` itself (the same tensor, no new node).
  ///   - rng: the random source; one 64-bit draw per element (its top 24 bits make a
  ///     uniform u in [0, 1), kept when u ≥ p), so a seeded generator gives the same mask.
  /// - Returns: the same shape; the gradient is multiplied by the same mask and scale.
  public func dropout(p: Float, training: Bool, rng: inout some RandomNumberGenerator) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout: p must be in [0, 1], got \(p)")
    if !training || p == 0 { return self }
    let scale: Float = p < 1 ? 1 / (1 - p) : 0
    var multiplier = [Float](repeating: 0, count: count)  // keep / (1 − p) per element
    for i in 0..<count {
      let u = Float(rng.next() >> 40) * 0x1p-24
      if u >= p { multiplier[i] = scale }
    }
    var out = [Float](repeating: 0, count: count)
    data.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { y in
        for i in 0..<x.count { y[i] = x[i] * multiplier[i] }
      }
    }
    let input = self
    return Tensor.result(shape, out, op: "dropout", parents: [input]) { result in
      // Forward: y = x ⊙ m with the fixed multiplier m  ⇒  dx += g ⊙ m.
      result.grad.withUnsafeBufferPointer { g in
        input.accumulateGrad { gx in
          for i in 0..<gx.count { gx[i] += g[i] * multiplier[i] }
        }
      }
    }
  }
}
