import Tensor

// Small parameter holders shared by the models: a named parameter list in the reference
// `state_dict` order, a Linear layer and a LayerNorm, initialised as docs/MODEL.md §3.7 says.

/// A named parameter, e.g. `interest_extractor.W1.weight`.
public typealias NamedParameter = (name: String, tensor: Tensor)

/// Anything that owns parameters under the ReChorus `state_dict` names.
public protocol ParameterContainer {
  /// Parameters with their full names, in the reference `state_dict` order.
  var namedParameters: [NamedParameter] { get }
}

extension ParameterContainer {
  /// Total number of scalar parameters.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }
}

/// docs/MODEL.md §3.7 initialisers for parameters (thin wrappers over the engine's `Tensor.normal`,
/// `Tensor.uniform`, `Tensor.ones`, `Tensor.zeros`, with `requiresGrad` set).
enum Init {
  /// N(0, std²): every nn.Linear weight and bias and every nn.Embedding (std 0.01).
  static func normal(_ shape: [Int], std: Float = 0.01, name: String, rng: inout RNG) -> Tensor {
    Tensor.normal(shape, std: std, requiresGrad: true, name: name, using: &rng)
  }

  /// U(−bound, bound): PyTorch's GRU default with bound 1/√H.
  static func uniform(_ shape: [Int], bound: Float, name: String, rng: inout RNG) -> Tensor {
    Tensor.uniform(shape, bound: bound, requiresGrad: true, name: name, using: &rng)
  }

  /// Marks `parameter` as a bias: Adam's weight decay skips it (docs/MODEL.md §3.6; the reference
  /// groups parameters by "bias" in their name). Every bias of the models goes through here.
  static func bias(_ parameter: Tensor) -> Tensor {
    parameter.appliesWeightDecay = false
    return parameter
  }
}

/// `y = x · Wᵀ + b` with PyTorch's layout: weight (out, in), bias (out).
public struct Linear: ParameterContainer {
  public let weight: Tensor  // (out, in)
  public let bias: Tensor  // (out)

  /// Initialised N(0, 0.01²) for weight and bias (docs/MODEL.md §3.7).
  init(_ prefix: String, inputs: Int, outputs: Int, rng: inout RNG) {
    weight = Init.normal([outputs, inputs], name: prefix + ".weight", rng: &rng)
    bias = Init.bias(Init.normal([outputs], name: prefix + ".bias", rng: &rng))
  }

  /// - Parameter x: (…, in). - Returns: (…, out).
  public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight: weight, bias: bias) }

  public var namedParameters: [NamedParameter] { [(weight.name, weight), (bias.name, bias)] }
}

/// Layer normalisation over the last axis (eps 1e-5, affine, biased variance), as PyTorch.
public struct LayerNorm: ParameterContainer {
  public let weight: Tensor  // (D)
  public let bias: Tensor  // (D)

  init(_ prefix: String, size: Int) {
    weight = Tensor.ones([size], requiresGrad: true, name: prefix + ".weight")
    bias = Init.bias(Tensor.zeros([size], requiresGrad: true, name: prefix + ".bias"))
  }

  /// - Parameter x: (…, D). - Returns: (…, D).
  public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight, bias: bias, eps: 1e-5) }

  public var namedParameters: [NamedParameter] { [(weight.name, weight), (bias.name, bias)] }
}
