import ArgumentParser
import Foundation
import SeqRec

/// `timirec import`: a TiMiRec `state_dict` trained elsewhere (PyTorch, saved as safetensors)
/// → a checkpoint folder that `evaluate`, `explore` and `train --init` open.
struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Make a checkpoint folder from TiMiRec weights trained elsewhere (a PyTorch state_dict saved as safetensors).",
    discussion: """
      Export from PyTorch (the reference TiMiRec, or a port with the same state_dict names):
        from safetensors.torch import save_file
        save_file(model.state_dict(), "timirec.safetensors")
      Then:
        timirec import --weights timirec.safetensors --data data/ml-100k --out runs/imported --temp 1
      The architecture is read from the tensors: K, embedding size, attn_size, position embeddings \
      (and so history_max = rows − 1), transformer layer, n_layers, and the stage (finetune when \
      interest_predictor.* is present). Every tensor must be used and finite; F16, BF16 and F64 \
      become F32. The checkpoint records the file's path and SHA-256.
      """)

  @Option(help: "The state_dict as a .safetensors file.") var weights: String
  @Option(help: "Prepared dataset folder the model was trained on (its item rows must match).") var data: String
  @Option(help: "Checkpoint folder to write (must not exist unless --force).") var out: String
  @Option(help: "Distillation temperature T it was trained with (required for a finetune state_dict, not allowed for pretrain).")
  var temp: Float?
  @Option(name: .customLong("history-max"),
          help: "Longest history used, needed only without position embeddings (default \(TiMiRecConfig.defaults.historyMax); with them it is their rows − 1).")
  var historyMax: Int?
  @Flag(help: "Replace an existing checkpoint folder --out.") var force = false

  func validate() throws {
    if let temp, !(temp > 0 && temp.isFinite) { throw ValidationError("--temp must be > 0, got \(temp)") }
    if let historyMax, historyMax < 1 { throw ValidationError("--history-max must be ≥ 1, got \(historyMax)") }
  }

  func run() throws {
    // One error line (a ValidationError would add the usage text).
    if FileManager.default.fileExists(atPath: out) && !force {
      throw CommandError("\(out) already exists; replace it with --force, or choose another --out")
    }
    let dataset = try DatasetReader.load(folder: data)
    let report = try WeightsImport.importWeights(weights, dataset: dataset.fingerprint, datasetLabel: data, out: out,
                                                 temperature: temp, historyMax: historyMax)
    say(report.summary)
    say("fits \(dataset.fingerprint); evaluate it with `timirec evaluate --data \(data) --ckpt \(out)`, explore it with `timirec explore --data \(data) --ckpt \(out)`")
  }
}
