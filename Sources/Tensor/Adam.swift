// Adam: the optimiser of docs/MODEL.md §3.6, with PyTorch 2.x semantics and classic L2 weight decay.
//
// One step, for every parameter θ with gradient ∇ (t = step number, starting at 1):
//
//   g  = ∇ + λ·θ                    (λ = weightDecay; only where `appliesWeightDecay`)
//   m  = m + (1 − β1)·(g − m)        (= β1·m + (1 − β1)·g, written as torch's `lerp_`)
//   v  = β2·v + (1 − β2)·g·g
//   bc1 = 1 − β1^t,  bc2 = 1 − β2^t  (in Double, like torch's Python floats)
//   stepSize = lr / bc1
//   denom = √v / √bc2 + ε            (ε added AFTER bias correction: PyTorch 2.x)
//   θ  = θ − stepSize · m / denom
//
// This is `torch.optim.Adam(params, lr, betas, eps, weight_decay)` with `amsgrad=False`,
// `maximize=False`, following the operation order of its single-tensor CPU path
// (`_single_tensor_adam` in torch/optim/adam.py). Scalars are computed in Double and
// rounded to Float once, as torch does when it applies a Python float to a float32 tensor.
// torch's vectorised CPU kernels may fuse a multiply-add where we round twice, so results can
// differ from torch in the last bit; never by more.

import Foundation  // pow, DispatchQueue

/// Adam with classic L2 weight decay on every parameter whose ``Tensor/appliesWeightDecay``
/// is true (read once, when the optimiser is created; the model decides, e.g. SeqRec exempts
/// its biases).
///
/// Parameters are identified by name (the reference `state_dict` names), so the optimiser
/// state can be saved and restored by name in a checkpoint.
///
/// Gradients that never arrived: a parameter whose `grad` is empty (no gradient has flowed
/// into it since it was created or since it was cleared to `[]`) is treated as having a
/// zero gradient — its moments decay and it still moves by its momentum and weight
/// decay. PyTorch instead skips a parameter whose `.grad` is `None`. Every parameter of the
/// TiMiRec models receives a gradient in every step, so the difference never shows there.
///
/// ```swift
/// let adam = Adam(parameters: model.namedParameters, learningRate: 1e-4, weightDecay: 1e-6)
/// for batch in batches {
///   adam.zeroGrad()
///   model.loss(batch).backward()
///   adam.step()
/// }
/// ```
public final class Adam {
  /// One parameter and its moment estimates (same layout as its `data`).
  private final class Slot {
    let name: String
    let tensor: Tensor
    let decays: Bool  // weight decay applies (the tensor's `appliesWeightDecay`)
    var firstMoment: [Float]  // m
    var secondMoment: [Float]  // v

    init(name: String, tensor: Tensor) {
      self.name = name
      self.tensor = tensor
      self.decays = tensor.appliesWeightDecay
      firstMoment = [Float](repeating: 0, count: tensor.count)
      secondMoment = [Float](repeating: 0, count: tensor.count)
    }
  }

  /// Step size lr (may be changed between steps).
  public var learningRate: Float
  /// Decay rate of the first-moment estimate (default 0.9).
  public let beta1: Float
  /// Decay rate of the second-moment estimate (default 0.999).
  public let beta2: Float
  /// Added to √v̂ after bias correction (default 1e-8).
  public let epsilon: Float
  /// Classic L2 coefficient λ added to the gradient as λ·θ (not AdamW); 0 disables it.
  public let weightDecay: Float
  /// Threads that share the update of each large parameter (default 1; the trainer sets its
  /// data-parallel thread count). Results are the same for any value.
  public var threads = 1
  /// Number of completed steps t (0 before the first `step()`); part of the checkpoint state.
  public var stepCount: Int = 0

  private let slots: [Slot]

  /// Creates the optimiser with zero moments.
  ///
  /// - Parameters:
  ///   - parameters: the tensors to update with their unique names; weight decay skips every
  ///     tensor whose `appliesWeightDecay` is false.
  ///   - learningRate: lr (default 1e-3, docs/MODEL.md §3.6).
  ///   - beta1, beta2: moment decay rates (PyTorch defaults 0.9, 0.999).
  ///   - epsilon: ε added to √v̂ (PyTorch default 1e-8).
  ///   - weightDecay: classic L2 coefficient (spec `l2`, default 0).
  public init(
    parameters: [(name: String, tensor: Tensor)], learningRate: Float = 1e-3,
    beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0
  ) {
    var seen = Set<String>()
    for (name, _) in parameters {
      precondition(seen.insert(name).inserted, "Adam: parameter name \"\(name)\" appears twice")
    }
    precondition((0..<1).contains(beta1) && (0..<1).contains(beta2),
                 "Adam: betas must lie in [0, 1), got \(beta1), \(beta2)")
    precondition(learningRate >= 0 && epsilon >= 0 && weightDecay >= 0,
                 "Adam: lr \(learningRate), eps \(epsilon), weight decay \(weightDecay) must be ≥ 0")
    self.slots = parameters.map { Slot(name: $0.name, tensor: $0.tensor) }
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  /// The parameter names in the order given to `init`.
  public var parameterNames: [String] { slots.map(\.name) }

  /// Sets every parameter's gradient to zeros (allocating it), for callers that accumulate
  /// into existing gradients. SeqRec's trainer instead clears gradients to empty before each
  /// step (nothing to zero-fill; an empty gradient reads as zero, see the type's doc).
  public func zeroGrad() {
    for slot in slots { slot.tensor.zeroGrad() }
  }

  /// Applies one Adam update to every parameter from its current `grad` (see the type's
  /// doc for parameters with an empty `grad`) and increments ``stepCount``.
  public func step() {
    stepCount += 1
    // Scalars in Double from the decimal hyper-parameters, then rounded once to Float: the
    // values torch hands to its float32 kernels (Python floats such as 0.9, not 0.9f).
    let t = Double(stepCount)
    let (b1, b2) = (Adam.decimal(beta1), Adam.decimal(beta2))
    let biasCorrection1 = 1 - pow(b1, t)
    let biasCorrection2 = 1 - pow(b2, t)
    let stepSize = Float(Adam.decimal(learningRate) / biasCorrection1)
    let biasCorrection2Sqrt = Float(biasCorrection2.squareRoot())
    let oneMinusBeta1 = Float(1 - b1)
    let oneMinusBeta2 = Float(1 - b2)
    let beta2 = self.beta2, epsilon = self.epsilon
    for slot in slots {
      let n = slot.tensor.count
      let hasGrad = slot.tensor.grad.count == n
      let lambda: Float = slot.decays ? weightDecay : 0
      slot.tensor.data.withUnsafeMutableBufferPointer { theta in
        slot.firstMoment.withUnsafeMutableBufferPointer { m in
          slot.secondMoment.withUnsafeMutableBufferPointer { v in
            guard n > 0 else { return }
            let scalars = Scalars(
              oneMinusBeta1: oneMinusBeta1, beta2: beta2, oneMinusBeta2: oneMinusBeta2,
              lambda: lambda, stepSize: stepSize, biasCorrection2Sqrt: biasCorrection2Sqrt,
              epsilon: epsilon)
            if hasGrad {
              slot.tensor.grad.withUnsafeBufferPointer { grad in
                Adam.update(count: n, theta: theta.baseAddress!, m: m.baseAddress!, v: v.baseAddress!,
                            grad: grad.baseAddress!, scalars, threads: threads)
              }
            } else {
              Adam.update(count: n, theta: theta.baseAddress!, m: m.baseAddress!, v: v.baseAddress!,
                          grad: nil, scalars, threads: threads)
            }
          }
        }
      }
    }
  }

  /// A Float hyper-parameter widened through its shortest decimal form (0.9f → 0.9, not
  /// 0.89999997615814): the Double a PyTorch user typed. Keeps 1 − β1 and the bias
  /// corrections identical to torch's instead of off by ~2e-7 relative.
  private static func decimal(_ x: Float) -> Double { Double(x.description) ?? Double(x) }

  /// The per-step scalars of the update, already rounded to Float.
  private struct Scalars {
    let oneMinusBeta1, beta2, oneMinusBeta2, lambda, stepSize, biasCorrection2Sqrt, epsilon: Float
  }

  /// `update` split into `threads` contiguous ranges run concurrently for tensors of at least
  /// 65,536 elements (the item tables); the update is elementwise and the SIMD and scalar
  /// paths give the same bits, so the result does not depend on the split.
  private static func update(
    count n: Int, theta: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
    v: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>?, _ s: Scalars, threads: Int
  ) {
    guard threads > 1, n >= 65_536 else {
      update(count: n, theta: theta, m: m, v: v, grad: grad, s)
      return
    }
    // Each worker reads and writes only its own range [lo, hi) of the four arrays.
    nonisolated(unsafe) let (theta, m, v, grad) = (theta, m, v, grad)
    DispatchQueue.concurrentPerform(iterations: threads) { i in
      let lo = i * n / threads, hi = (i + 1) * n / threads
      update(count: hi - lo, theta: theta + lo, m: m + lo, v: v + lo, grad: grad.map { $0 + lo }, s)
    }
  }

  /// The elementwise update of one parameter (see the file header); `grad == nil` means zeros.
  ///
  /// Eight lanes at a time with `SIMD8<Float>` (the compiler keeps the scalar loop scalar:
  /// one sqrt and two divisions per element dominate), then a scalar tail. Both do the same
  /// IEEE operations in the same order (no fused multiply-add), so every element gets the same
  /// bits whichever path it takes.
  private static func update(
    count n: Int, theta: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
    v: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>?, _ s: Scalars
  ) {
    typealias Lanes = SIMD8<Float>
    let width = Lanes.scalarCount
    let decays = s.lambda != 0
    var i = 0
    while i + width <= n {
      let thetaI = UnsafeRawPointer(theta + i).loadUnaligned(as: Lanes.self)
      var g = grad.map { UnsafeRawPointer($0 + i).loadUnaligned(as: Lanes.self) } ?? Lanes()
      if decays { g = g + s.lambda * thetaI }  // classic L2: ∇ + λθ
      var mI = UnsafeRawPointer(m + i).loadUnaligned(as: Lanes.self)
      var vI = UnsafeRawPointer(v + i).loadUnaligned(as: Lanes.self)
      mI = mI + s.oneMinusBeta1 * (g - mI)  // torch: exp_avg.lerp_(g, 1 − β1)
      vI = vI * s.beta2 + s.oneMinusBeta2 * g * g  // exp_avg_sq.mul_(β2).addcmul_(g, g, 1 − β2)
      let denom = vI.squareRoot() / s.biasCorrection2Sqrt + s.epsilon
      let updated = thetaI - s.stepSize * mI / denom  // param.addcdiv_(m, denom, −stepSize)
      UnsafeMutableRawPointer(m + i).storeBytes(of: mI, as: Lanes.self)
      UnsafeMutableRawPointer(v + i).storeBytes(of: vI, as: Lanes.self)
      UnsafeMutableRawPointer(theta + i).storeBytes(of: updated, as: Lanes.self)
      i += width
    }
    while i < n {  // the same formula, one element at a time
      var g: Float = grad?[i] ?? 0
      if decays { g = g + s.lambda * theta[i] }
      m[i] = m[i] + s.oneMinusBeta1 * (g - m[i])
      v[i] = v[i] * s.beta2 + s.oneMinusBeta2 * g * g
      let denom = v[i].squareRoot() / s.biasCorrection2Sqrt + s.epsilon
      theta[i] = theta[i] - s.stepSize * m[i] / denom
      i += 1
    }
  }

  // MARK: - Checkpoint state

  /// The first-moment estimates m by parameter name (each laid out like the parameter's data).
  ///
  /// Setting requires exactly the optimiser's parameter names with matching element counts;
  /// anything else is a programmer error (use ``restoreState(stepCount:firstMoments:secondMoments:)``
  /// for data read from a file).
  public var firstMoments: [String: [Float]] {
    get { Dictionary(uniqueKeysWithValues: slots.map { ($0.name, $0.firstMoment) }) }
    set {
      if let problem = validate(newValue, "first") { preconditionFailure(problem.description) }
      for slot in slots { slot.firstMoment = newValue[slot.name]! }
    }
  }

  /// The second-moment estimates v by parameter name; same rules as ``firstMoments``.
  public var secondMoments: [String: [Float]] {
    get { Dictionary(uniqueKeysWithValues: slots.map { ($0.name, $0.secondMoment) }) }
    set {
      if let problem = validate(newValue, "second") { preconditionFailure(problem.description) }
      for slot in slots { slot.secondMoment = newValue[slot.name]! }
    }
  }

  /// Restores a saved state so that training continues exactly as if it had not stopped.
  ///
  /// Nothing changes unless every part is valid.
  /// - Throws: ``AdamStateError`` naming the first mismatch (missing or unknown parameter,
  ///   wrong element count, negative step count).
  public func restoreState(
    stepCount: Int, firstMoments: [String: [Float]], secondMoments: [String: [Float]]
  ) throws(AdamStateError) {
    guard stepCount >= 0 else { throw .negativeStepCount(stepCount) }
    if let problem = validate(firstMoments, "first") { throw problem }
    if let problem = validate(secondMoments, "second") { throw problem }
    if let bad = secondMoments.values.lazy.flatMap({ $0 }).first(where: { !($0 >= 0) }) {
      throw .invalidSecondMoment(bad)
    }
    self.stepCount = stepCount
    for slot in slots {
      slot.firstMoment = firstMoments[slot.name]!
      slot.secondMoment = secondMoments[slot.name]!
    }
  }

  private func validate(_ moments: [String: [Float]], _ which: String) -> AdamStateError? {
    let known = Set(slots.map(\.name))
    if let unknown = moments.keys.sorted().first(where: { !known.contains($0) }) {
      return .unknownParameter(unknown, moment: which)
    }
    for slot in slots {
      guard let values = moments[slot.name] else { return .missingParameter(slot.name, moment: which) }
      if values.count != slot.tensor.count {
        return .wrongCount(slot.name, moment: which, expected: slot.tensor.count, got: values.count)
      }
    }
    return nil
  }
}

/// Why a saved Adam state does not fit the optimiser it is restored into.
public enum AdamStateError: Error, Equatable, CustomStringConvertible {
  /// The state has no entry for this parameter of the optimiser.
  case missingParameter(String, moment: String)
  /// The state names a parameter the optimiser does not have.
  case unknownParameter(String, moment: String)
  /// The entry's element count differs from the parameter's.
  case wrongCount(String, moment: String, expected: Int, got: Int)
  /// A step count below zero.
  case negativeStepCount(Int)
  /// A second-moment value that is negative or NaN (v is a mean of squares).
  case invalidSecondMoment(Float)

  public var description: String {
    switch self {
    case let .missingParameter(name, moment):
      return "Adam state: no \(moment)-moment entry for parameter \"\(name)\"; was the checkpoint saved from the same model configuration?"
    case let .unknownParameter(name, moment):
      return "Adam state: \(moment)-moment entry for unknown parameter \"\(name)\"; was the checkpoint saved from the same model configuration?"
    case let .wrongCount(name, moment, expected, got):
      return "Adam state: \(moment) moment of \"\(name)\" has \(got) values, the parameter has \(expected); check the model's sizes (embedding size, item count, K)."
    case let .negativeStepCount(count):
      return "Adam state: step count \(count) is negative"
    case let .invalidSecondMoment(value):
      return "Adam state: second moment \(value) is not a non-negative number; the checkpoint is corrupt"
    }
  }
}
