// Tensor: dense Float32 row-major tensors with reverse-mode automatic differentiation.
//
// Shape letters used in this module and in SeqRec (declared once, used everywhere):
//   B batch, L history length, D embedding size, K interests, A attention size,
//   H hidden size, C candidates per instance, N rows of an item table.
//
// How the autograd works (after micrograd; docs/DECISIONS.md, "Engine"):
// every op computes its result eagerly and, when gradient recording is on and some input
// requires a gradient, records its parents and a closure that adds the result's gradient
// into its parents' gradients. `backward()` sorts the graph topologically, seeds the
// scalar output with 1 and runs the closures in reverse order. Gradients accumulate
// (`+=`) until `zeroGrad()` is called explicitly.

/// A dense, row-major Float32 tensor that may take part in reverse-mode autodiff.
///
/// Leaf tensors created with `requiresGrad: true` are parameters: their `grad` accumulates
/// over calls to `backward()` until `zeroGrad()`. Results of ops carry a backward closure
/// only when gradient recording is on (`GradMode.isEnabled`) and one of their inputs
/// requires a gradient.
public final class Tensor {
  /// The extent of each axis; `[]` is a scalar holding one element.
  public let shape: [Int]
  /// The elements in row-major order; `data.count == shape.reduce(1, *)`.
  public var data: [Float]
  /// The gradient of the last `backward()` root with respect to this tensor, same layout as
  /// `data`; empty until a gradient first flows here (or `zeroGrad()` allocates it).
  public var grad: [Float] = []
  /// True for parameters and for every op result that depends on one (while recording).
  public let requiresGrad: Bool
  /// A parameter's name (e.g. `interest_extractor.W1.weight`), or the op that made it.
  public var name: String
  /// Whether an optimiser's weight decay applies to this parameter (default true). The model
  /// that owns the parameter decides; `Adam` reads it when it is created.
  public var appliesWeightDecay = true

  let parents: [Tensor]
  let backwardFn: ((Tensor) -> Void)?

  /// Creates a leaf tensor.
  /// - Parameters:
  ///   - shape: extent of each axis (all ≥ 0).
  ///   - data: `shape.reduce(1, *)` elements, row-major.
  ///   - requiresGrad: true for a parameter that should receive gradients.
  ///   - name: optional label (parameter name).
  public init(shape: [Int], data: [Float], requiresGrad: Bool = false, name: String = "") {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
    precondition(
      data.count == shape.reduce(1, *),
      "Tensor: \(data.count) elements do not fill shape \(shape) (\(shape.reduce(1, *)) expected)")
    self.shape = shape
    self.data = data
    self.requiresGrad = requiresGrad
    self.name = name
    self.parents = []
    self.backwardFn = nil
  }

  init(shape: [Int], data: [Float], op: String, parents: [Tensor], backward: ((Tensor) -> Void)?) {
    self.shape = shape
    self.data = data
    self.requiresGrad = backward != nil
    self.name = op
    self.parents = parents
    self.backwardFn = backward
  }

  /// A tensor of zeros.
  public static func zeros(_ shape: [Int], requiresGrad: Bool = false, name: String = "") -> Tensor {
    Tensor(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)),
           requiresGrad: requiresGrad, name: name)
  }

  /// A tensor with every element equal to `value`.
  public static func full(_ shape: [Int], _ value: Float) -> Tensor {
    Tensor(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
  }

  /// A scalar (shape `[]`).
  public static func scalar(_ value: Float) -> Tensor { Tensor(shape: [], data: [value]) }

  /// Number of elements.
  public var count: Int { data.count }
  /// Number of axes.
  public var rank: Int { shape.count }

  /// The single element of a one-element tensor.
  public func item() -> Float {
    precondition(count == 1, "item(): tensor of shape \(shape) has \(count) elements, expected 1")
    return data[0]
  }

  /// Sets the gradient to zeros (allocating it). Call before each optimiser step's backward.
  public func zeroGrad() {
    if grad.count == count {
      for i in grad.indices { grad[i] = 0 }
    } else {
      grad = [Float](repeating: 0, count: count)
    }
  }

  /// Adds `body`'s contribution into `grad`, allocating zeros first if needed. Used by
  /// backward closures; does nothing when this tensor does not require a gradient.
  @inline(__always)
  func accumulateGrad(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
    guard requiresGrad else { return }
    if grad.count != count { grad = [Float](repeating: 0, count: count) }
    grad.withUnsafeMutableBufferPointer { body($0) }
  }

  /// Adds `values` (same layout as `data`) into `grad`. When no gradient has arrived yet the
  /// array is adopted as it is (copy-on-write shares it, nothing is zeroed or copied): the
  /// common case for identity-shaped gradients (reshape, add).
  @inline(__always)
  func accumulateGrad(adding values: [Float]) {
    guard requiresGrad else { return }
    if grad.count != count { grad = values; return }
    grad.withUnsafeMutableBufferPointer { g in
      values.withUnsafeBufferPointer { v in for i in 0..<g.count { g[i] += v[i] } }
    }
  }

  /// Like `accumulateGrad(_:)`, but when no gradient has arrived yet the buffer is left
  /// uninitialised and `fresh` is true: `body` must then overwrite every element instead of
  /// adding (e.g. sgemm with beta 0 instead of 1). Saves zero-filling large gradients.
  @inline(__always)
  func accumulateGrad(overwriting body: (UnsafeMutableBufferPointer<Float>, _ fresh: Bool) -> Void) {
    guard requiresGrad else { return }
    let fresh = grad.count != count
    if fresh { grad = uninitializedFloats(count) }
    grad.withUnsafeMutableBufferPointer { body($0, fresh) }
  }

  /// Runs reverse-mode differentiation from this scalar: seeds its gradient with 1 and
  /// accumulates d(self)/d(x) into `x.grad` of every tensor `x` that requires a gradient.
  ///
  /// Precondition: `count == 1` (a loss).
  public func backward() {
    precondition(count == 1, "backward(): root must be a scalar, got shape \(shape)")
    guard requiresGrad else { return }
    // Iterative post-order DFS: a parent always precedes its children in `order`.
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(Tensor, Bool)] = [(self, false)]
    while let (node, expanded) = stack.popLast() {
      if expanded { order.append(node); continue }
      if !visited.insert(ObjectIdentifier(node)).inserted { continue }
      stack.append((node, true))
      for parent in node.parents where parent.requiresGrad
        && !visited.contains(ObjectIdentifier(parent)) {
        stack.append((parent, false))
      }
    }
    // The root's own gradient is the seed, not an accumulation.
    grad = [1]
    if let profiler = OpProfiler.current {
      for node in order.reversed() {
        guard let fn = node.backwardFn, node.grad.count == node.count else { continue }
        profiler.backwardOp(node.name, shape: node.shape) { fn(node) }
      }
      return
    }
    for node in order.reversed() {
      guard let fn = node.backwardFn, node.grad.count == node.count else { continue }
      fn(node)
    }
  }

  /// The same values cut from the graph (stop-gradient): no gradient flows back through it.
  public func detach() -> Tensor { Tensor(shape: shape, data: data) }

  /// Records an op result. The closure receives the result and must add `result.grad`'s
  /// contribution into the parents (via `accumulateGrad`). It is kept only when recording
  /// is on and a parent requires a gradient.
  static func result(
    _ shape: [Int], _ data: [Float], op: String, parents: [Tensor],
    backward: @escaping (Tensor) -> Void
  ) -> Tensor {
    if let profiler = OpProfiler.current { profiler.forwardOp(op, shape: shape) }
    let track = GradMode.isEnabled && parents.contains { $0.requiresGrad }
    return Tensor(shape: shape, data: data, op: op, parents: track ? parents : [],
                  backward: track ? backward : nil)
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let head = data.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor(\(name.isEmpty ? "" : name + " ")\(shape)\(requiresGrad ? " grad" : ""): [\(head)\(count > 8 ? ", …" : "")])"
  }
}

/// Whether ops record the graph for `backward()`. Turn it off for evaluation and the
/// explorer: forward passes then allocate no closures and keep no intermediates alive.
///
/// The mode is per thread (a task-local value; outside Swift concurrency the runtime keeps
/// it in thread-local storage): `withoutGrad` on one thread never changes what another
/// thread records, so data-parallel training may call it from every worker at once. A new
/// thread (e.g. a `DispatchQueue.concurrentPerform` worker) starts with recording on, whatever
/// the thread that started it had; a child task inherits its parent's mode.
public enum GradMode {
  /// The calling thread's (task's) mode; true unless inside `withoutGrad`.
  @TaskLocal public static var isEnabled = true

  /// Runs `body` with recording off on the calling thread, restoring the previous mode
  /// afterwards (also when `body` throws).
  public static func withoutGrad<T>(_ body: () throws -> T) rethrows -> T {
    try $isEnabled.withValue(false, operation: body)
  }
}

/// An array of `count` Floats whose contents are unspecified: for op outputs that the op
/// overwrites completely (saves zeroing megabytes per training step).
@inline(__always)
func uninitializedFloats(_ count: Int) -> [Float] {
  [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

/// Shape helpers shared by ops.
extension Array where Element == Int {
  /// Product of the extents.
  @inline(__always) var elementCount: Int { reduce(1, *) }
}
