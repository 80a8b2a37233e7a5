import Foundation

// Elementwise ops. Binary ops broadcast like NumPy: shapes are aligned at their last axes and
// an extent of 1 (or a missing leading axis) stretches to the other's extent; e.g.
// (B, L, D) + (D), (B, L, D) * (B, L, 1), (B, 1, K) - (B, K, 1) → (B, K, K).
// Backward sums the gradient over the stretched axes (the transpose of broadcasting).

/// The broadcast shape of two shapes, or nil when they are incompatible.
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
  let rank = max(a.count, b.count)
  var out = [Int](repeating: 1, count: rank)
  for i in 0..<rank {
    let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
    let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
    if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else { return nil }
  }
  return out
}

/// For each element of a tensor of shape `to`, the offset of the element of a tensor of
/// shape `from` that broadcasting maps onto it. Nil when `from == to` (identity map).
func broadcastOffsets(from: [Int], to: [Int]) -> [Int]? {
  if from == to { return nil }
  let total = to.elementCount
  let n = from.elementCount
  // Fast path: `from` is a suffix of `to` (bias over rows), or a single element.
  if n == 1 { return [Int](repeating: 0, count: total) }
  let pad = to.count - from.count
  if Array(to.suffix(from.count)) == from {
    return (0..<total).map { $0 % n }
  }
  // General path: strides of `from` aligned to `to`, zero on stretched axes.
  var strides = [Int](repeating: 0, count: to.count)
  var s = 1
  for i in stride(from: from.count - 1, through: 0, by: -1) {
    strides[i + pad] = from[i] == 1 ? 0 : s
    s *= from[i]
  }
  var offsets = [Int](repeating: 0, count: total)
  var index = [Int](repeating: 0, count: to.count)
  var offset = 0
  for flat in 0..<total {
    offsets[flat] = offset
    var axis = to.count - 1
    while axis >= 0 {
      index[axis] += 1
      offset += strides[axis]
      if index[axis] < to[axis] { break }
      offset -= strides[axis] * to[axis]
      index[axis] = 0
      axis -= 1
    }
  }
  return offsets
}

extension Tensor {
  /// Shared machinery of the four broadcasting binary ops.
  /// `forward(x, y)` gives the value; `dx(x, y, out)` and `dy(x, y, out)` the partials.
  @inline(__always)
  func broadcasting(
    _ other: Tensor, op: String,
    forward: @escaping (Float, Float) -> Float,
    dx: @escaping (Float, Float, Float) -> Float,
    dy: @escaping (Float, Float, Float) -> Float
  ) -> Tensor {
    guard let outShape = broadcastShape(shape, other.shape) else {
      preconditionFailure("\(op): shapes \(shape) and \(other.shape) do not broadcast")
    }
    let mapA = broadcastOffsets(from: shape, to: outShape)
    let mapB = broadcastOffsets(from: other.shape, to: outShape)
    let total = outShape.elementCount
    var out = [Float](repeating: 0, count: total)
    data.withUnsafeBufferPointer { a in
      other.data.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          switch (mapA, mapB) {
          case (nil, nil): for i in 0..<total { o[i] = forward(a[i], b[i]) }
          case (nil, let mb?): for i in 0..<total { o[i] = forward(a[i], b[mb[i]]) }
          case (let ma?, nil): for i in 0..<total { o[i] = forward(a[ma[i]], b[i]) }
          case (let ma?, let mb?): for i in 0..<total { o[i] = forward(a[ma[i]], b[mb[i]]) }
          }
        }
      }
    }
    let lhs = self, rhs = other
    return Tensor.result(outShape, out, op: op, parents: [lhs, rhs]) { result in
      let a = lhs.data, b = rhs.data, o = result.data, g = result.grad
      @inline(__always) func ia(_ i: Int) -> Int { mapA?[i] ?? i }
      @inline(__always) func ib(_ i: Int) -> Int { mapB?[i] ?? i }
      lhs.accumulateGrad { ga in
        for i in 0..<total { ga[ia(i)] += g[i] * dx(a[ia(i)], b[ib(i)], o[i]) }
      }
      rhs.accumulateGrad { gb in
        for i in 0..<total { gb[ib(i)] += g[i] * dy(a[ia(i)], b[ib(i)], o[i]) }
      }
    }
  }

  /// Elementwise unary op; `derivative(x, y)` is dy/dx given input x and output y.
  @inline(__always)
  func unary(op: String, _ forward: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
    let out = data.map(forward)
    let input = self
    return Tensor.result(shape, out, op: op, parents: [input]) { result in
      let x = input.data, y = result.data, g = result.grad
      input.accumulateGrad { gx in
        for i in 0..<gx.count { gx[i] += g[i] * derivative(x[i], y[i]) }
      }
    }
  }

  // MARK: - Binary

  /// Elementwise sum with broadcasting.
  public static func + (a: Tensor, b: Tensor) -> Tensor {
    a.broadcasting(b, op: "add", forward: { $0 + $1 }, dx: { _, _, _ in 1 }, dy: { _, _, _ in 1 })
  }
  /// Elementwise difference with broadcasting.
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    a.broadcasting(b, op: "sub", forward: { $0 - $1 }, dx: { _, _, _ in 1 }, dy: { _, _, _ in -1 })
  }
  /// Elementwise product with broadcasting.
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    a.broadcasting(b, op: "mul", forward: { $0 * $1 }, dx: { _, y, _ in y }, dy: { x, _, _ in x })
  }
  /// Elementwise quotient with broadcasting: d(x/y)/dy = -x/y².
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    a.broadcasting(b, op: "div", forward: { $0 / $1 }, dx: { _, y, _ in 1 / y }, dy: { x, y, _ in -x / (y * y) })
  }

  // MARK: - Scalar

  public static func + (a: Tensor, s: Float) -> Tensor { a.unary(op: "add_scalar", { $0 + s }, derivative: { _, _ in 1 }) }
  public static func + (s: Float, a: Tensor) -> Tensor { a + s }
  public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
  public static func - (s: Float, a: Tensor) -> Tensor { a.unary(op: "rsub_scalar", { s - $0 }, derivative: { _, _ in -1 }) }
  public static func * (a: Tensor, s: Float) -> Tensor { a.unary(op: "mul_scalar", { $0 * s }, derivative: { _, _ in s }) }
  public static func * (s: Float, a: Tensor) -> Tensor { a * s }
  public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
  public static prefix func - (a: Tensor) -> Tensor { a * -1 }

  // MARK: - Unary

  /// eˣ.
  public func exp() -> Tensor { unary(op: "exp", { Foundation.exp($0) }, derivative: { _, y in y }) }
  /// Natural logarithm (x > 0).
  public func log() -> Tensor { unary(op: "log", { Foundation.log($0) }, derivative: { x, _ in 1 / x }) }
  /// Hyperbolic tangent; derivative 1 − y².
  public func tanh() -> Tensor { unary(op: "tanh", { Foundation.tanh($0) }, derivative: { _, y in 1 - y * y }) }
  /// Logistic sigmoid 1 / (1 + e⁻ˣ); derivative y(1 − y).
  public func sigmoid() -> Tensor { unary(op: "sigmoid", { stableSigmoid($0) }, derivative: { _, y in y * (1 - y) }) }
  /// max(x, 0); derivative 1 for x > 0, else 0.
  public func relu() -> Tensor { unary(op: "relu", { Swift.max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 }) }
  /// log σ(x) = −softplus(−x), computed without overflow; derivative σ(−x) = 1 − σ(x).
  public func logSigmoid() -> Tensor {
    unary(op: "log_sigmoid", { x in Swift.min(x, 0) - Foundation.log1p(Foundation.exp(-abs(x))) },
          derivative: { x, _ in 1 - stableSigmoid(x) })
  }
  /// √x (x ≥ 0); derivative 1 / (2√x).
  public func sqrt() -> Tensor { unary(op: "sqrt", { $0.squareRoot() }, derivative: { _, y in 0.5 / y }) }
  /// x².
  public func square() -> Tensor { unary(op: "square", { $0 * $0 }, derivative: { x, _ in 2 * x }) }
}

/// σ(x) without overflow for large |x|.
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
  if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
  let e = Foundation.exp(x)
  return e / (1 + e)
}
