// Resource limits for opening a checkpoint (docs/INPUTS.md, "Resource limits"): the sizes in
// config.json decide how much memory the model takes, so they are checked against the weights
// file before the model is built. A config.json claiming D = 10⁹ beside a 4 KB
// model.safetensors is refused instead of allocating terabytes.

import Foundation
import Tensor

extension TiMiRecConfig {
  /// A lower bound on the number of weights of a model of this configuration, computed
  /// without building it; nil when it overflows `Int`.
  ///
  /// For TiMiRec (docs/MODEL.md §8): item embeddings N×D, position embeddings (L+1)×D with
  /// add_pos, W1 A×D, W2 K×A, the transformer's D×D with add_trm, and for finetune the
  /// predictor's D×D plus one D×D per hidden proj layer. Other models count N×D only.
  func minimumWeightCount(model: String, stage: Stage) -> Int? {
    func product(_ a: Int, _ b: Int) -> Int? {
      let (p, o) = max(a, 0).multipliedReportingOverflow(by: max(b, 0))
      return o ? nil : p
    }
    let d = embeddingSize
    var terms: [Int?] = [product(itemCount, d)]
    if model == TiMiRec.modelName {
      terms += [product(attentionSize, d), product(interestCount, attentionSize)]
      if addPosition { terms.append(product(historyMax &+ 1, d)) }
      if addTransformer { terms.append(product(d, d)) }
      if stage == .finetune { terms += [product(d, d), product(projectionLayers - 1, product(d, d) ?? Int.max)] }
    }
    var total = 0
    for term in terms {
      guard let term, case (let sum, false) = total.addingReportingOverflow(term) else { return nil }
      total = sum
    }
    return total
  }
}

extension CheckpointDirectory {
  /// Refuses `config` when the model it describes needs more weights than `tensors` (the
  /// checkpoint's model.safetensors) holds, before the model is built.
  /// - Throws: `CheckpointError.badConfig` naming config.json, the sizes and both counts.
  static func checkWeightsCanHold(_ config: CheckpointConfig, _ tensors: SafeTensorsFile, path: String) throws {
    let held = tensors.tensors.values.reduce(0) { $0 &+ $1.elementCount }
    let m = config.modelConfig
    let needed = m.minimumWeightCount(model: config.model, stage: config.stage)
    if let needed, needed <= held { return }
    let sizes = "N \(m.itemCount), D \(m.embeddingSize), attn_size \(m.attentionSize), K \(m.interestCount), history_max \(m.historyMax), n_layers \(m.projectionLayers)"
    throw CheckpointError.badConfig(
      file: (path as NSString).appendingPathComponent("config.json"),
      problem: "the \(config.stage.rawValue) model it describes (\(sizes)) needs at least \(needed.map(String.init) ?? "more than 2⁶³") weights, but model.safetensors holds \(held)")
  }
}
