// Resource limits for opening a checkpoint (docs/INPUTS.md, "Resource limits"): the sizes in
// config.json decide how much memory the model takes, so they are checked against the weights
// file before the model is built. A config.json claiming D = 10⁹ beside a 4 KB
// model.safetensors is refused instead of allocating terabytes.

import Foundation
import Tensor

/// `a × b` for non-negative sizes (a negative size counts as 0); nil on overflow.
func weightProduct(_ a: Int, _ b: Int) -> Int? {
  let (p, o) = max(a, 0).multipliedReportingOverflow(by: max(b, 0))
  return o ? nil : p
}

/// The sum of `terms`; nil when one is nil or the sum overflows.
func weightSum(_ terms: [Int?]) -> Int? {
  var total = 0
  for term in terms {
    guard let term, case (let sum, false) = total.addingReportingOverflow(term) else { return nil }
    total = sum
  }
  return total
}

extension ModelConfiguration {
  /// The item table, N×D.
  public func minimumWeightCount(stage: Stage?) -> Int? { weightProduct(itemCount, embeddingSize) }

  /// Every stored size of this configuration, "name value" pairs, for error messages.
  var sizeSummary: String {
    Mirror(reflecting: self).children.compactMap { child in
      guard let label = child.label else { return nil }
      return "\(label) \(child.value)"
    }.joined(separator: ", ")
  }
}

extension TiMiRecConfig {
  /// For TiMiRec (docs/MODEL.md §8): item embeddings N×D, position embeddings (L+1)×D with
  /// add_pos, W1 A×D, W2 K×A, the transformer's D×D with add_trm, and for finetune the
  /// predictor's D×D plus one D×D per hidden proj layer.
  public func minimumWeightCount(stage: Stage?) -> Int? {
    let d = embeddingSize
    var terms: [Int?] = [weightProduct(itemCount, d), weightProduct(attentionSize, d),
                         weightProduct(interestCount, attentionSize)]
    if addPosition { terms.append(weightProduct(historyMax &+ 1, d)) }
    if addTransformer { terms.append(weightProduct(d, d)) }
    if stage == .finetune {
      terms += [weightProduct(d, d), weightProduct(projectionLayers - 1, weightProduct(d, d) ?? Int.max)]
    }
    return weightSum(terms)
  }
}

extension GRU4RecConfig {
  /// The item table N×D, the GRU's input weights 3H×D and recurrent weights 3H×H, and the
  /// output layer H×D.
  public func minimumWeightCount(stage: Stage?) -> Int? {
    weightSum([weightProduct(itemCount, embeddingSize), weightProduct(weightProduct(3, hiddenSize) ?? Int.max, embeddingSize),
               weightProduct(weightProduct(3, hiddenSize) ?? Int.max, hiddenSize), weightProduct(hiddenSize, embeddingSize)])
  }
}

extension CheckpointDirectory {
  /// Refuses `config` when the model it describes needs more weights than `tensors` (the
  /// checkpoint's model.safetensors) holds, before the model is built.
  /// - Throws: `CheckpointError.badConfig` naming config.json, the sizes and both counts.
  static func checkWeightsCanHold(_ config: CheckpointConfig, _ tensors: SafeTensorsFile, path: String) throws {
    let held = tensors.tensors.values.reduce(0) { $0 &+ $1.elementCount }
    let m = config.modelConfig
    let needed = m.minimumWeightCount(stage: config.stage)
    if let needed, needed <= held { return }
    throw CheckpointError.badConfig(
      file: (path as NSString).appendingPathComponent("config.json"),
      problem: "the \(config.stageLabel) model it describes (\(m.sizeSummary)) needs at least \(needed.map(String.init) ?? "more than 2⁶³") weights, but model.safetensors holds \(held)")
  }
}
