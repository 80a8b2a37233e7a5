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

/// The four broadcasting binary ops. Their derivatives are written out per op in
/// `Tensor.binary` (no closures in the inner loops: these run on every training step).
enum BinaryOp: String {
  case add, sub, mul, div

  @inline(__always) func apply(_ x: Float, _ y: Float) -> Float {
    switch self {
    case .add: return x + y
    case .sub: return x - y
    case .mul: return x * y
    case .div: return x / y
    }
  }
}

/// How one operand's elements map onto the output's (row-major, output of `total` elements).
enum BroadcastPattern {
  /// Same shape: element i.
  case identity
  /// A single element: element 0.
  case scalar
  /// The operand is a suffix of the output's shape (repeated over leading rows): element i % n.
  case rows(Int)
  /// The operand is the output's shape with trailing extents 1: element i / inner.
  case columns(inner: Int)
  /// Anything else: an explicit offset per output element.
  case general([Int])

  init(from: [Int], to: [Int]) {
    let n = from.elementCount
    if from == to { self = .identity; return }
    if n == 1 { self = .scalar; return }
    let pad = to.count - from.count
    if Array(to.suffix(from.count)) == from { self = .rows(n); return }
    // (…, 1, 1) against (…, a, b) with equal leading extents.
    var k = from.count
    while k > 0 && from[k - 1] == 1 { k -= 1 }
    if pad == 0 && k < from.count && Array(from[..<k]) == Array(to[..<k]) {
      self = .columns(inner: to[k...].reduce(1, *))
      return
    }
    self = .general(broadcastOffsets(from: from, to: to)!)
  }

  @inline(__always) func index(_ i: Int) -> Int {
    switch self {
    case .identity: return i
    case .scalar: return 0
    case .rows(let n): return i % n
    case .columns(let inner): return i / inner
    case .general(let offsets): return offsets[i]
    }
  }
}

extension Tensor {
  /// Shared forward and backward of the four broadcasting binary ops.
  func binary(_ other: Tensor, _ op: BinaryOp) -> Tensor {
    guard let outShape = broadcastShape(shape, other.shape) else {
      preconditionFailure("\(op.rawValue): shapes \(shape) and \(other.shape) do not broadcast")
    }
    let pa = BroadcastPattern(from: shape, to: outShape)
    let pb = BroadcastPattern(from: other.shape, to: outShape)
    let total = outShape.elementCount
    var out = uninitializedFloats(total)  // every element written below
    data.withUnsafeBufferPointer { a in
      other.data.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { o in
          switch (pa, pb, op) {
          case (.identity, .identity, .add): for i in 0..<total { o[i] = a[i] + b[i] }
          case (.identity, .identity, .mul): for i in 0..<total { o[i] = a[i] * b[i] }
          case (.identity, .rows(let n), .add):
            var i = 0
            while i < total { for j in 0..<n { o[i + j] = a[i + j] + b[j] }; i += n }
          case (.identity, .columns(let inner), .mul):
            for r in 0..<(total / inner) { let y = b[r]; for j in 0..<inner { o[r * inner + j] = a[r * inner + j] * y } }
          default:
            for i in 0..<total { o[i] = op.apply(a[pa.index(i)], b[pb.index(i)]) }
          }
        }
      }
    }
    let lhs = self, rhs = other
    return Tensor.result(outShape, out, op: op.rawValue, parents: [lhs, rhs]) { result in
      // Forward: o = a ∘ b. d/da: add, sub → 1; mul → b; div → 1/b.
      //                     d/db: add → 1; sub → −1; mul → a; div → −a/b².
      // Each gradient is summed over the output elements that broadcasting mapped onto it.
      // An identity-shaped add/sub operand adopts the gradient array as it is (shared storage,
      // no copy); its closure below must then not run, since asking for a mutable buffer would
      // copy the shared array for nothing (1.3 MB per residual add of a training step).
      let lhsAdopted = pa.isIdentity && (op == .add || op == .sub)
      let rhsAdopted = pb.isIdentity && op == .add
      if lhsAdopted { lhs.accumulateGrad(adding: result.grad) }
      if rhsAdopted { rhs.accumulateGrad(adding: result.grad) }
      if lhsAdopted && rhsAdopted { return }
      result.grad.withUnsafeBufferPointer { g in
        lhs.data.withUnsafeBufferPointer { a in
          rhs.data.withUnsafeBufferPointer { b in
            if !lhsAdopted { lhs.accumulateGrad { ga in
              switch (op, pa) {
              case (.add, .identity), (.sub, .identity): break  // adopted above
              case (.mul, .identity):
                switch pb {
                case .identity: for i in 0..<total { ga[i] += g[i] * b[i] }
                case .columns(let inner):
                  for r in 0..<(total / inner) { let y = b[r]; for j in 0..<inner { ga[r * inner + j] += g[r * inner + j] * y } }
                default: for i in 0..<total { ga[i] += g[i] * b[pb.index(i)] }
                }
              default:
                for i in 0..<total {
                  let ia = pa.index(i), y = b[pb.index(i)]
                  switch op {
                  case .add, .sub: ga[ia] += g[i]
                  case .mul: ga[ia] += g[i] * y
                  case .div: ga[ia] += g[i] / y
                  }
                }
              }
            } }
            if !rhsAdopted { rhs.accumulateGrad { gb in
              switch (op, pb) {
              case (.add, .identity): break  // adopted above
              case (.add, .rows(let n)):
                columnSums(rows: total / n, cols: n, g.baseAddress!, into: gb.baseAddress!)
              case (.mul, .columns(let inner)) where pa.isIdentity:
                for r in 0..<(total / inner) {
                  var sum: Float = 0
                  for j in 0..<inner { sum += g[r * inner + j] * a[r * inner + j] }
                  gb[r] += sum
                }
              default:
                for i in 0..<total {
                  let ib = pb.index(i), x = a[pa.index(i)]
                  switch op {
                  case .add: gb[ib] += g[i]
                  case .sub: gb[ib] -= g[i]
                  case .mul: gb[ib] += g[i] * x
                  case .div: let y = b[ib]; gb[ib] -= g[i] * x / (y * y)
                  }
                }
              }
            } }
          }
        }
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
    a.binary(b, .add)
  }
  /// Elementwise difference with broadcasting.
  public static func - (a: Tensor, b: Tensor) -> Tensor {
    a.binary(b, .sub)
  }
  /// Elementwise product with broadcasting.
  public static func * (a: Tensor, b: Tensor) -> Tensor {
    a.binary(b, .mul)
  }
  /// Elementwise quotient with broadcasting: d(x/y)/dy = -x/y².
  public static func / (a: Tensor, b: Tensor) -> Tensor {
    a.binary(b, .div)
  }

  // MARK: - Scalar

  public static func + (a: Tensor, s: Float) -> Tensor { a.unary(op: "add_scalar", { $0 + s }, derivative: { _, _ in 1 }) }
  public static func + (s: Float, a: Tensor) -> Tensor { a + s }
  public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
  public static func - (s: Float, a: Tensor) -> Tensor { a.unary(op: "rsub_scalar", { s - $0 }, derivative: { _, _ in -1 }) }
  public static func * (a: Tensor, s: Float) -> Tensor { a.scaled(by: s) }
  public static func * (s: Float, a: Tensor) -> Tensor { a * s }
  public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
  public static prefix func - (a: Tensor) -> Tensor { a * -1 }

  // MARK: - Unary

  /// eˣ.
  public func exp() -> Tensor { unary(op: "exp", { Foundation.exp($0) }, derivative: { _, y in y }) }
  /// Natural logarithm (x > 0).
  public func log() -> Tensor { unary(op: "log", { Foundation.log($0) }, derivative: { x, _ in 1 / x }) }
  /// Hyperbolic tangent; derivative 1 − y².
  public func tanh() -> Tensor { vectorTanh() }
  /// Logistic sigmoid 1 / (1 + e⁻ˣ); derivative y(1 − y).
  public func sigmoid() -> Tensor { unary(op: "sigmoid", { stableSigmoid($0) }, derivative: { _, y in y * (1 - y) }) }
  /// max(x, 0); derivative 1 for x > 0, else 0.
  public func relu() -> Tensor { vectorRelu() }
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

extension BroadcastPattern {
  var isIdentity: Bool { if case .identity = self { return true } else { return false } }
}

// MARK: - Specialised unary ops (issue 11)
//
// `unary` calls its derivative closure once per element in backward (an indirect call that
// blocks vectorisation). The three unary ops on the training path have their own loops
// instead; the `unary` forms below stay as their references (KernelTests compares them).

extension Tensor {
  /// Reference implementations through the generic `unary` (for tests).
  func reluReference() -> Tensor { unary(op: "relu", { Swift.max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 }) }
  func tanhReference() -> Tensor { unary(op: "tanh", { Foundation.tanh($0) }, derivative: { _, y in 1 - y * y }) }
  func scaledReference(by s: Float) -> Tensor { unary(op: "mul_scalar", { $0 * s }, derivative: { _, _ in s }) }

  /// x · s; backward dx += g · s.
  func scaled(by s: Float) -> Tensor {
    var out = uninitializedFloats(count)
    data.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { y in for i in 0..<x.count { y[i] = x[i] * s } }
    }
    let input = self
    return Tensor.result(shape, out, op: "mul_scalar", parents: [input]) { result in
      result.grad.withUnsafeBufferPointer { g in
        input.accumulateGrad { gx, fresh in
          if fresh { for i in 0..<gx.count { gx[i] = g[i] * s } } else { for i in 0..<gx.count { gx[i] += g[i] * s } }
        }
      }
    }
  }

  /// max(x, 0); backward dx += g where x > 0.
  func vectorRelu() -> Tensor {
    var out = uninitializedFloats(count)
    data.withUnsafeBufferPointer { x in
      // As Swift.max(x, 0): NaN stays NaN.
      out.withUnsafeMutableBufferPointer { y in for i in 0..<x.count { let v = x[i]; y[i] = 0 >= v ? 0 : v } }
    }
    let input = self
    return Tensor.result(shape, out, op: "relu", parents: [input]) { result in
      result.grad.withUnsafeBufferPointer { g in
        input.data.withUnsafeBufferPointer { x in
          input.accumulateGrad { gx, fresh in
            // Both operands loaded unconditionally, so the select vectorises.
            if fresh {
              for i in 0..<gx.count { let gi = g[i]; gx[i] = x[i] > 0 ? gi : 0 }
            } else {
              for i in 0..<gx.count { let gi = g[i], old = gx[i]; gx[i] = x[i] > 0 ? old + gi : old }
            }
          }
        }
      }
    }
  }

  /// tanh x with the SIMD16 `simdTanh` (relative error < 4e-7 against libm; KernelTests),
  /// the scalar `gateTanh` for the last count % 16 elements; backward dx += g (1 − y²).
  @_optimize(speed)  // SIMD loop: optimised in debug builds too (see Kernels.swift)
  func vectorTanh() -> Tensor {
    var out = uninitializedFloats(count)
    let n = count, vectorEnd = vectorKernels ? n - n % 16 : 0
    data.withUnsafeBufferPointer { x in
      out.withUnsafeMutableBufferPointer { y in
        var i = 0
        while i < vectorEnd { store16(simdTanh(load16(x.baseAddress! + i)), y.baseAddress! + i); i += 16 }
        while i < n { y[i] = gateTanh(x[i]); i += 1 }
      }
    }
    let input = self
    return Tensor.result(shape, out, op: "tanh", parents: [input]) { result in
      result.grad.withUnsafeBufferPointer { g in
        result.data.withUnsafeBufferPointer { y in
          input.accumulateGrad { gx in for i in 0..<gx.count { gx[i] += g[i] * (1 - y[i] * y[i]) } }
        }
      }
    }
  }
}
