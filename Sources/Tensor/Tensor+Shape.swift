// Shape ops: reshape, permute/transpose, concat/split, gather along an axis.

extension Tensor {
  /// The same elements under a new shape with the same element count. One extent may be −1.
  public func reshape(_ newShape: [Int]) -> Tensor {
    var target = newShape
    if let free = target.firstIndex(of: -1) {
      let known = target.enumerated().filter { $0.offset != free }.map(\.element).reduce(1, *)
      precondition(known > 0 && count % known == 0, "reshape: cannot infer −1 in \(newShape) for \(shape)")
      target[free] = count / known
    }
    precondition(target.elementCount == count, "reshape: \(shape) (\(count) elements) cannot become \(newShape)")
    if target == shape { return self }
    let input = self
    return Tensor.result(target, data, op: "reshape", parents: [input]) { result in
      input.accumulateGrad(adding: result.grad)  // same elements, same order
    }
  }

  /// Reorders the axes: output axis i is input axis `axes[i]`.
  /// E.g. (B, L, K).permute([0, 2, 1]) → (B, K, L).
  public func permute(_ axes: [Int]) -> Tensor {
    precondition(axes.sorted() == Array(0..<rank), "permute: \(axes) is not a permutation of 0..<\(rank)")
    if axes == Array(0..<rank) { return self }
    let outShape = axes.map { shape[$0] }
    var inStrides = [Int](repeating: 1, count: rank)
    for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
    let strides = axes.map { inStrides[$0] }  // input stride of each output axis
    // offsets[flat output index] = flat input index
    var offsets = [Int](repeating: 0, count: count)
    var index = [Int](repeating: 0, count: rank)
    var offset = 0
    for flat in 0..<count {
      offsets[flat] = offset
      var axis = rank - 1
      while axis >= 0 {
        index[axis] += 1
        offset += strides[axis]
        if index[axis] < outShape[axis] { break }
        offset -= strides[axis] * outShape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
    let out = offsets.map { data[$0] }
    let input = self
    return Tensor.result(outShape, out, op: "permute", parents: [input]) { result in
      let g = result.grad
      input.accumulateGrad { gx in for i in 0..<offsets.count { gx[offsets[i]] += g[i] } }
    }
  }

  /// Swaps two axes.
  public func transpose(_ a: Int, _ b: Int) -> Tensor {
    var axes = Array(0..<rank)
    axes.swapAt(axisIndex(a), axisIndex(b))
    return permute(axes)
  }

  /// Concatenates tensors along `axis`; all other extents must agree.
  public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat: no tensors")
    let ax = tensors[0].axisIndex(axis)
    let base = tensors[0].shape
    for t in tensors {
      precondition(t.rank == base.count && (0..<base.count).allSatisfy { $0 == ax || t.shape[$0] == base[$0] },
                   "concat: shape \(t.shape) does not match \(base) outside axis \(ax)")
    }
    let outer = base[..<ax].reduce(1, *), inner = base[(ax + 1)...].reduce(1, *)
    let widths = tensors.map { $0.shape[ax] * inner }
    let total = widths.reduce(0, +)
    var out = [Float](repeating: 0, count: outer * total)
    var start = 0
    for (t, w) in zip(tensors, widths) {
      for o in 0..<outer { for i in 0..<w { out[o * total + start + i] = t.data[o * w + i] } }
      start += w
    }
    var outShape = base
    outShape[ax] = tensors.map { $0.shape[ax] }.reduce(0, +)
    return Tensor.result(outShape, out, op: "concat", parents: tensors) { result in
      let g = result.grad
      var start = 0
      for (t, w) in zip(tensors, widths) {
        t.accumulateGrad { gx in for o in 0..<outer { for i in 0..<w { gx[o * w + i] += g[o * total + start + i] } } }
        start += w
      }
    }
  }

  /// Splits along `axis` into pieces of the given extents (which must add up to the axis).
  public func split(_ sizes: [Int], axis: Int) -> [Tensor] {
    let ax = axisIndex(axis)
    precondition(sizes.reduce(0, +) == shape[ax], "split: sizes \(sizes) do not add up to \(shape[ax]) (axis \(ax) of \(shape))")
    var pieces: [Tensor] = []
    var start = 0
    for size in sizes {
      pieces.append(narrow(axis: ax, start: start, length: size))
      start += size
    }
    return pieces
  }

  /// The slice `start ..< start + length` of `axis`.
  public func narrow(axis: Int, start: Int, length: Int) -> Tensor {
    let ax = axisIndex(axis)
    let (outer, n, inner) = around(ax)
    precondition(start >= 0 && length >= 0 && start + length <= n, "narrow: \(start)..<\(start + length) outside axis \(ax) of \(shape)")
    var outShape = shape
    outShape[ax] = length
    var out = [Float](repeating: 0, count: outer * length * inner)
    for o in 0..<outer {
      for j in 0..<length {
        let src = (o * n + start + j) * inner, dst = (o * length + j) * inner
        for i in 0..<inner { out[dst + i] = data[src + i] }
      }
    }
    let input = self
    return Tensor.result(outShape, out, op: "narrow", parents: [input]) { result in
      let g = result.grad
      input.accumulateGrad { gx in
        for o in 0..<outer {
          for j in 0..<length {
            let src = (o * n + start + j) * inner, dst = (o * length + j) * inner
            for i in 0..<inner { gx[src + i] += g[dst + i] }
          }
        }
      }
    }
  }

  /// Picks entries along `axis` by index, like `torch.gather`: `indices` has this tensor's
  /// shape except at `axis`, where it has `m` entries; out[o, j, i] = self[o, indices[o, j, i], i].
  ///
  /// - Parameters:
  ///   - axis: the axis indexed.
  ///   - indices: row-major, `outer · m · inner` entries, each in `0 ..< shape[axis]`.
  ///   - m: the output's extent at `axis`.
  /// - Returns: this shape with `m` at `axis`. The gradient scatter-adds back.
  public func gather(axis: Int, indices: [Int], count m: Int) -> Tensor {
    let ax = axisIndex(axis)
    let (outer, n, inner) = around(ax)
    precondition(indices.count == outer * m * inner, "gather: \(indices.count) indices for \(outer)×\(m)×\(inner)")
    var out = [Float](repeating: 0, count: indices.count)
    for o in 0..<outer {
      for j in 0..<m {
        for i in 0..<inner {
          let k = indices[(o * m + j) * inner + i]
          precondition(k >= 0 && k < n, "gather: index \(k) outside 0..<\(n)")
          out[(o * m + j) * inner + i] = data[(o * n + k) * inner + i]
        }
      }
    }
    var outShape = shape
    outShape[ax] = m
    let input = self
    return Tensor.result(outShape, out, op: "gather", parents: [input]) { result in
      let g = result.grad
      input.accumulateGrad { gx in
        for o in 0..<outer {
          for j in 0..<m {
            for i in 0..<inner {
              let k = indices[(o * m + j) * inner + i]
              gx[(o * n + k) * inner + i] += g[(o * m + j) * inner + i]
            }
          }
        }
      }
    }
  }
}
