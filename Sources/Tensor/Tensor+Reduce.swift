// Reductions over one axis (sum, mean, max), over everything (sum, mean), and argmax.
// A tensor of shape (outer, n, inner) reduced over its middle axis gives (outer, inner),
// or (outer, 1, inner) with `keepDims`.

extension Tensor {
  /// Splits the shape around `axis` into (outer, n, inner) extents.
  @inline(__always)
  func around(_ axis: Int) -> (outer: Int, n: Int, inner: Int) {
    precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
    return (outer, shape[axis], inner)
  }

  /// Resolves a negative axis (−1 = last).
  @inline(__always)
  func axisIndex(_ axis: Int) -> Int { axis < 0 ? rank + axis : axis }

  func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
    var s = shape
    if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
    return s
  }

  /// Sum over `axis` (negative counts from the end).
  /// - Returns: the shape without `axis`, or with extent 1 there when `keepDims`.
  public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
    let ax = axisIndex(axis)
    let (outer, n, inner) = around(ax)
    var out = [Float](repeating: 0, count: outer * inner)
    data.withUnsafeBufferPointer { x in
      for o in 0..<outer {
        for j in 0..<n {
          let base = (o * n + j) * inner
          for i in 0..<inner { out[o * inner + i] += x[base + i] }
        }
      }
    }
    let input = self
    return Tensor.result(reducedShape(ax, keepDims: keepDims), out, op: "sum", parents: [input]) { result in
      // Forward: y[o, i] = Σ_j x[o, j, i]  ⇒  dx[o, j, i] += dy[o, i].
      let g = result.grad
      input.accumulateGrad { gx in
        for o in 0..<outer { for j in 0..<n { for i in 0..<inner { gx[(o * n + j) * inner + i] += g[o * inner + i] } } }
      }
    }
  }

  /// Mean over `axis`.
  public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
    sum(axis: axis, keepDims: keepDims) * (1 / Float(shape[axisIndex(axis)]))
  }

  /// Maximum over `axis`; the gradient flows to the first maximal element of each slice.
  public func max(axis: Int, keepDims: Bool = false) -> Tensor {
    let ax = axisIndex(axis)
    let (outer, n, inner) = around(ax)
    precondition(n > 0, "max: empty axis \(ax) in shape \(shape)")
    var out = [Float](repeating: -.infinity, count: outer * inner)
    var where_ = [Int](repeating: 0, count: outer * inner)
    data.withUnsafeBufferPointer { x in
      for o in 0..<outer {
        for j in 0..<n {
          for i in 0..<inner {
            let v = x[(o * n + j) * inner + i]
            if j == 0 || v > out[o * inner + i] { out[o * inner + i] = v; where_[o * inner + i] = j }
          }
        }
      }
    }
    let input = self
    return Tensor.result(reducedShape(ax, keepDims: keepDims), out, op: "max", parents: [input]) { result in
      // Forward: y[o, i] = x[o, j*, i]  ⇒  dx[o, j*, i] += dy[o, i].
      let g = result.grad
      input.accumulateGrad { gx in
        for o in 0..<outer { for i in 0..<inner { gx[(o * n + where_[o * inner + i]) * inner + i] += g[o * inner + i] } }
      }
    }
  }

  /// Index of the maximum along `axis` (first one on ties); no gradient.
  /// - Returns: indices in row-major order of the reduced shape.
  public func argmax(axis: Int) -> [Int] {
    let ax = axisIndex(axis)
    let (outer, n, inner) = around(ax)
    var best = [Int](repeating: 0, count: outer * inner)
    for o in 0..<outer {
      for i in 0..<inner {
        var bj = 0, bv = -Float.infinity
        for j in 0..<n {
          let v = data[(o * n + j) * inner + i]
          if j == 0 || v > bv { bv = v; bj = j }
        }
        best[o * inner + i] = bj
      }
    }
    return best
  }

  /// Sum of every element, as a scalar (shape `[]`). Accumulates in Double.
  public func sum() -> Tensor {
    var total = 0.0
    for v in data { total += Double(v) }
    let input = self
    return Tensor.result([], [Float(total)], op: "sum_all", parents: [input]) { result in
      let g = result.grad[0]
      input.accumulateGrad { gx in for i in 0..<gx.count { gx[i] += g } }
    }
  }

  /// Mean of every element, as a scalar.
  public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }
}
