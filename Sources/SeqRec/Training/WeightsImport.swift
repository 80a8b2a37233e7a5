import Foundation
import Tensor

// `timirec import`: a TiMiRec trained elsewhere — the reference PyTorch code (ReChorus branch
// CIKM22, src/models/sequential/TiMiRec.py) or a port with the same `state_dict` names —
// saved with `safetensors.torch.save_file(model.state_dict(), FILE)`, turned into a
// checkpoint folder that `evaluate`, `explore` and `train --init` open like one trained here.

/// Why a weights file cannot be imported.
public enum ImportError: Error, Equatable, CustomStringConvertible {
  /// A tensor the architecture is read from is absent: not a TiMiRec `state_dict`.
  case notTiMiRec(source: String, missing: String, found: [String])
  /// A tensor the architecture is read from has the wrong number of dimensions or an empty one.
  case badShape(source: String, name: String, shape: [Int], expected: String)
  /// A finetune `state_dict` (it has the predictor) and no `--temp`.
  case temperatureRequired(source: String)
  /// `--temp` given for a pretrain `state_dict`.
  case temperatureNotUsed(source: String)
  /// `--history-max` disagrees with the rows of the position embeddings.
  case historyMaxDisagrees(source: String, rows: Int, given: Int)
  /// The item table's rows differ from the dataset's item rows.
  case itemRows(source: String, weights: Int, dataset: String, datasetRows: Int)
  /// The architecture read from the names and shapes needs more weights than the file holds.
  case tooFewWeights(source: String, needed: Int?, held: Int)

  public var description: String {
    switch self {
    case let .notTiMiRec(source, missing, found):
      let sample = found.sorted().prefix(3).map { "'\($0)'" }.joined(separator: ", ")
      return "\(source): no tensor '\(missing)', so this is not a TiMiRec state_dict (it holds \(found.count) tensors\(found.isEmpty ? "" : ", e.g. \(sample)")); save the reference model's model.state_dict() with safetensors"
    case let .badShape(source, name, shape, expected):
      return "\(source): tensor '\(name)' has shape \(shape), expected \(expected); the file is not a TiMiRec state_dict"
    case let .temperatureRequired(source):
      return "\(source): a finetune state_dict (it has interest_predictor.*) needs --temp T, the distillation temperature it was trained with (the weights do not record it)"
    case let .temperatureNotUsed(source):
      return "\(source): a pretrain state_dict (no interest_predictor.*) has no temperature; drop --temp"
    case let .historyMaxDisagrees(source, rows, given):
      return "\(source): 'interest_extractor.p_embeddings.weight' has \(rows) rows, so history_max is \(rows - 1), but --history-max is \(given); drop --history-max or pass \(rows - 1)"
    case let .tooFewWeights(source, needed, held):
      return "\(source): the architecture its tensor names and shapes describe needs at least \(needed.map(String.init) ?? "more than 2⁶³") weights, but the file holds \(held); it is not a complete TiMiRec state_dict"
    case let .itemRows(source, weights, dataset, datasetRows):
      return "\(source): the item table has \(weights) rows but the dataset \(dataset) has \(datasetRows) item rows (max item id + 1); import into the dataset folder the model was trained on"
    }
  }
}

/// Turns a PyTorch `state_dict` of TiMiRec into a checkpoint folder (format 2).
public enum WeightsImport {
  /// The `state_dict` prefix PyTorch's DistributedDataParallel and DataParallel add.
  public static let wrapperPrefix = "module."

  /// The architecture a `state_dict` describes, read from its tensors (names and shapes as
  /// the reference code's, docs/MODEL.md §8):
  /// - N, D from `interest_extractor.i_embeddings.weight` (N, D);
  /// - attn_size A from `interest_extractor.W1.weight` (A, D), K from `W2.weight` (K, A);
  /// - add_pos and history_max = rows − 1 from `interest_extractor.p_embeddings.weight`
  ///   (without it, history_max is `historyMax` or 20);
  /// - add_trm from any `interest_extractor.transformer.*`;
  /// - stage finetune when any `interest_predictor.*` or `proj.*` is present, with n_layers =
  ///   1 + the number of hidden `proj.proj_<i>` layers.
  /// The tensors' full consistency (every one used, shapes, finite) is checked by the
  /// strict load that follows, not here.
  /// - Parameters:
  ///   - temperature: T; required for finetune, refused for pretrain (where 1 is recorded).
  ///   - historyMax: `--history-max`; must agree with the position embeddings when given.
  /// - Throws: `ImportError`.
  public static func architecture(of file: SafeTensorsFile, source: String, temperature: Float?,
                                  historyMax: Int?) throws -> (stage: Stage, config: TiMiRecConfig) {
    func matrix(_ name: String) throws -> (rows: Int, columns: Int) {
      guard let tensor = file.tensors[name] else {
        throw ImportError.notTiMiRec(source: source, missing: name, found: Array(file.tensors.keys))
      }
      guard tensor.shape.count == 2, tensor.shape.allSatisfy({ $0 >= 1 }) else {
        throw ImportError.badShape(source: source, name: name, shape: tensor.shape, expected: "2 dimensions, each ≥ 1")
      }
      return (tensor.shape[0], tensor.shape[1])
    }
    let items = try matrix("interest_extractor.i_embeddings.weight")
    let attention = try matrix("interest_extractor.W1.weight")
    let interests = try matrix("interest_extractor.W2.weight")
    let names = Array(file.tensors.keys)
    var history = historyMax ?? 20
    let addPosition = file.tensors["interest_extractor.p_embeddings.weight"] != nil
    if addPosition {
      let rows = try matrix("interest_extractor.p_embeddings.weight").rows
      guard rows >= 2 else {
        throw ImportError.badShape(source: source, name: "interest_extractor.p_embeddings.weight",
                                   shape: file.tensors["interest_extractor.p_embeddings.weight"]!.shape,
                                   expected: "history_max + 1 ≥ 2 rows")
      }
      if let historyMax, historyMax != rows - 1 {
        throw ImportError.historyMaxDisagrees(source: source, rows: rows, given: historyMax)
      }
      history = rows - 1
    }
    let addTransformer = names.contains { $0.hasPrefix("interest_extractor.transformer.") }
    let finetune = names.contains { $0.hasPrefix("interest_predictor.") || $0.hasPrefix("proj.") }
    // Hidden layers: proj.proj_0 ... proj.proj_<n-1>, every one present (a name with a huge
    // index does not make the model allocate that many layers).
    var indices = Set<Int>()
    for name in names where name.hasPrefix("proj.proj_") && name.hasSuffix(".weight") {
      let index = name.dropFirst("proj.proj_".count).dropLast(".weight".count)
      if let i = Int(index), i >= 0 { indices.insert(i) }
    }
    let hiddenLayers = indices.count
    if let gap = (0..<hiddenLayers).first(where: { !indices.contains($0) }) {
      throw ImportError.notTiMiRec(source: source, missing: "proj.proj_\(gap).weight", found: names)
    }
    if finetune && temperature == nil { throw ImportError.temperatureRequired(source: source) }
    if !finetune && temperature != nil { throw ImportError.temperatureNotUsed(source: source) }
    let config = TiMiRecConfig(
      itemCount: items.rows, embeddingSize: items.columns, attentionSize: attention.rows,
      interestCount: interests.rows, addPosition: addPosition, addTransformer: addTransformer, historyMax: history,
      temperature: temperature ?? 1, projectionLayers: hiddenLayers + 1, stopGradient: true)
    return (finetune ? .finetune : .pretrain, config)
  }

  /// Refuses an architecture that needs more weights than `file` holds, before the model is
  /// built (so a file's shapes never make the import allocate more than the file justifies).
  /// - Throws: `ImportError.tooFewWeights`.
  public static func checkWeightCount(of file: SafeTensorsFile, stage: Stage, config: TiMiRecConfig, source: String) throws {
    let held = file.tensors.values.reduce(0) { $0 &+ $1.elementCount }
    let needed = config.minimumWeightCount(stage: stage)
    guard let needed, needed <= held else { throw ImportError.tooFewWeights(source: source, needed: needed, held: held) }
  }

  /// What an import did.
  public struct Report {
    /// The checkpoint folder written.
    public let out: String
    /// Its configuration (format 2, with `importedFrom`).
    public let config: CheckpointConfig
    /// Tensors read (all of them are parameters of the model).
    public let tensorCount: Int
    /// True when every name carried DistributedDataParallel's "module." prefix, now dropped.
    public let strippedWrapperPrefix: Bool

    /// The log line, e.g. "imported /w/timirec.safetensors (sha256 3f2a…) into runs/x:
    /// TiMiRec finetune, K 3, D 8, attn_size 4, add_pos 1, history_max 5, add_trm 1,
    /// n_layers 1, T 0.5; 30 tensors".
    public var summary: String {
      // An import is always TiMiRec's, with importedFrom.
      guard let m = config.timiRec, let origin = config.importedFrom else { return "imported \(config.model) into \(out)" }
      var parts = ["TiMiRec \(config.stageLabel)", "K \(m.interestCount)", "D \(m.embeddingSize)",
                   "attn_size \(m.attentionSize)", "add_pos \(m.addPosition ? 1 : 0)", "history_max \(m.historyMax)",
                   "add_trm \(m.addTransformer ? 1 : 0)"]
      if config.stage == .finetune { parts += ["n_layers \(m.projectionLayers)", "T \(m.temperature)"] }
      var notes = ["\(tensorCount) tensors"]
      if !origin.convertedFrom.isEmpty { notes.append("\(origin.convertedFrom.joined(separator: ", ")) converted to F32") }
      if strippedWrapperPrefix { notes.append("'\(WeightsImport.wrapperPrefix)' prefix dropped") }
      return "imported \(origin.file) (sha256 \(origin.sha256)) into \(out): \(parts.joined(separator: ", ")); \(notes.joined(separator: ", "))"
    }
  }

  /// Imports a `state_dict` file into a new checkpoint folder for `dataset`.
  ///
  /// Reads the file, infers the architecture (``architecture(of:source:temperature:historyMax:)``),
  /// checks the item rows against the dataset, loads every tensor strictly (every parameter
  /// present with its shape, every tensor used, all finite; F16/BF16/F64 become F32), then
  /// writes `out` atomically: config.json (format 2, `importedFrom` with the file's path and
  /// SHA-256, the dataset's fingerprint, no training fields), model.safetensors (F32) and
  /// train.log (the import line). The caller decides whether an existing `out` may be replaced.
  /// - Parameters:
  ///   - weights: path of the safetensors file.
  ///   - dataset: fingerprint of the dataset folder the model was trained on.
  ///   - datasetLabel: how to name that folder in messages (its path).
  ///   - out: the checkpoint folder to write.
  ///   - temperature, historyMax: as ``architecture(of:source:temperature:historyMax:)``.
  /// - Throws: `ImportError`, `WeightsError`, `CheckpointError.unreadable` (the file cannot
  ///   be read or is not safetensors), or file errors while writing.
  @discardableResult
  public static func importWeights(_ weights: String, dataset: DatasetFingerprint, datasetLabel: String, out: String,
                                   temperature: Float?, historyMax: Int?) throws -> Report {
    let url = URL(fileURLWithPath: weights).standardizedFileURL
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw CheckpointError.unreadable(path: weights, reason: "no such file; pass the .safetensors file written by save_file(model.state_dict(), …)")
    }
    var file: SafeTensorsFile
    do { file = try SafeTensorsFile.read(url: url) } catch {
      throw CheckpointError.unreadable(path: weights, reason: "\(error)")
    }
    let stripped = !file.tensors.isEmpty && file.tensors.keys.allSatisfy { $0.hasPrefix(wrapperPrefix) }
    if stripped {
      file.tensors = Dictionary(uniqueKeysWithValues: file.tensors.map { (String($0.key.dropFirst(wrapperPrefix.count)), $0.value) })
    }
    let (stage, modelConfig) = try architecture(of: file, source: weights, temperature: temperature, historyMax: historyMax)
    guard modelConfig.itemCount == dataset.itemCount else {
      throw ImportError.itemRows(source: weights, weights: modelConfig.itemCount, dataset: datasetLabel,
                                 datasetRows: dataset.itemCount)
    }
    try checkWeightCount(of: file, stage: stage, config: modelConfig, source: weights)
    var rng = RNG(seed: 0)
    let model = TiMiRec(config: modelConfig, stage: stage, rng: &rng)
    try model.loadAllParameters(from: file, source: weights)
    let converted = Set(file.tensors.values.map(\.dtype)).subtracting([.f32]).map(\.rawValue).sorted()
    let origin = ImportedWeights(file: url.path, sha256: try sha256Hex(ofFile: url.path), convertedFrom: converted)
    let config = CheckpointConfig(stage: stage, modelConfig: modelConfig, dataset: dataset, importedFrom: origin)
    let report = Report(out: out, config: config, tensorCount: file.tensors.count, strippedWrapperPrefix: stripped)
    let metadata = ["format": "pt", "model": "TiMiRec", "stage": stage.rawValue, "imported_from_sha256": origin.sha256]
    try CheckpointDirectory.writeAtomically(out, files: [
      "config.json": try CheckpointDirectory.json(config),
      "model.safetensors": try SafeTensorsFile(tensors: model.parameterTensors(), metadata: metadata).encoded(),
      "train.log": Data((report.summary + "\n").utf8),
    ])
    return report
  }
}
