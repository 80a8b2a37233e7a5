import ArgumentParser
import Foundation
import SeqRec
import Tensor

/// `timirec analyze`: the paper's analyses of trained checkpoints (Figures 2 and 3), each a
/// subcommand printing a table and a terminal plot, with `--json` and a PNG (`--png`).
struct AnalyzeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze",
    abstract: "The paper's analyses of trained checkpoints: tables, terminal plots and PNGs (gnuplot).",
    subcommands: subcommands)

  /// The analyses, one type each in its own file; a new one is added to this list.
  static let subcommands: [any ParsableCommand.Type] = [AnalyzeJS.self, AnalyzeSensitivity.self]
}

/// `timirec analyze js`: Figure 2, the Jensen–Shannon divergence between the interest
/// distributions of the target and of the top-1 recommendation (SeqRec's `InterestAlignment`).
struct AnalyzeJS: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "js",
    abstract: "Figure 2: JS divergence between p(target) and p(top-1) per test row, for TiMiRec and ComiRec.",
    discussion: """
      For each row of the split, with V the K interests of the row's history and p(x) = softmax(cos(V, e_x) / T) over them (the teacher distribution, eqs. 5 and 7) at the TiMiRec checkpoint's temperature T (or --temp), the Jensen-Shannon divergence JS(p(target), p(top-1)) in bits (log base 2: 0 = the same interests, 1 = disjoint; the natural-log value is this times 0.693), where top-1 is the best of the row's sampled candidates:
        TiMiRec  ranks by the mixed interest u = sum_k softmax(z^q)_k v_k (eq. 4) of --ckpt, a finetune checkpoint;
        ComiRec  ranks by each candidate's best interest max_k <v_k, e> (eq. 2) of the same extractor, or of the pretrain checkpoint --comirec (its own interests, same T).
      Prints a histogram of each model's values (over [0, --max], by default up to the 99th percentile rounded up to 1, 2 or 5 × 10^k, the last bin holding the rest: trained models put most rows far below 1 bit) as a table and a terminal plot; --png writes it as an image with gnuplot (apt package gnuplot-nox); --json prints the counts instead.
      Example (the paper's Beauty setting):
        timirec analyze js --data data/beauty --ckpt runs/beauty-fine --comirec runs/beauty-pre --png results/beauty/js.png
      """)

  @Option(help: "Prepared dataset folder.") var data: String
  @Option(help: "TiMiRec checkpoint (finetune stage).") var ckpt: String
  @Option(help: ArgumentHelp("ComiRec checkpoint (pretrain stage) to compare with; default: the best-match rule on --ckpt's own extractor.", valueName: "ckpt"))
  var comirec: String?
  @Option(help: "Split whose rows are analysed.") var split: EvaluationSplit = .test
  @Option(help: "Temperature T of p(x); default: the TiMiRec checkpoint's.") var temp: Float?
  @Option(help: "Histogram bins.") var bins: Int = 20
  @Option(name: .customLong("max"), help: ArgumentHelp("Upper edge of the histogram in bits (at most 1; the last bin holds everything above); default: the 99th percentile of the values rounded up to 1, 2 or 5 × 10^k.", valueName: "bits"))
  var upper: Double?
  @Option(help: ArgumentHelp("Write the histogram as a PNG here (gnuplot).", valueName: "file")) var png: String?
  @Flag(help: "Print JSON instead of the table and plot.") var json = false
  @Option(help: "Threads (BLAS).") var threads: Int = 2

  func validate() throws {
    guard (1...1000).contains(bins) else { throw ValidationError("--bins must be in 1...1000, got \(bins)") }
    if let temp, !(temp > 0 && temp.isFinite) { throw ValidationError("--temp must be > 0, got \(temp)") }
    if let upper, !(upper > 0 && upper <= 1) { throw ValidationError("--max must be in (0, 1] bits, got \(upper)") }
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1, not \(threads)") }
  }

  func run() throws {
    AllocatorTuning.keepFreedMemory()
    BLAS.setThreads(threads)
    if let png { try checkWritableFile(png, option: "--png") }
    let dataset = try DatasetReader.load(folder: data)
    let timirec = try openMultiInterest(ckpt, dataset: dataset)
    guard timirec.hasInterestLogits else {
      throw CommandError("\(ckpt): a pretrain checkpoint has no target-interest predictor; give --ckpt a finetune (TiMiRec) checkpoint, and the pretrain one as --comirec")
    }
    let comirecModel = try comirec.map { try openMultiInterest($0, dataset: dataset) } ?? timirec
    let t = temp ?? timirec.trainingTemperature
    func rows(of model: any MultiInterestRecommender) -> [ModelInput] {
      SequenceCorpus(dataset: dataset, historyMax: model.historyMax)
        .evaluationBatches(split: split.split, batchSize: TrainingConfig().evalBatchSize)
    }
    let models: [(name: String, values: [Double])] = [
      ("TiMiRec", InterestAlignment.divergences(timirec, rule: .mix, batches: rows(of: timirec), temperature: t)),
      ("ComiRec", InterestAlignment.divergences(comirecModel, rule: .bestMatch, batches: rows(of: comirecModel), temperature: t)),
    ]
    let top = upper ?? InterestAlignment.niceUpperEdge(models.flatMap(\.values))
    let edges = (0...bins).map { top * Double($0) / Double(bins) }
    let counts = models.map { InterestAlignment.histogram($0.values, bins: bins, upper: top) }
    let rowCount = models[0].values.count
    let comirecSource = "best match on \(comirec ?? ckpt)"

    if let png {
      let series = zip(models, counts).map { model, count in
        PlotSeries(label: model.name, x: (0..<bins).map { (edges[$0] + edges[$0 + 1]) / 2 },
                   y: count.map { Double($0) / Double(max(rowCount, 1)) })
      }
      do {
        try Plot.png(path: png, title: "JS divergence between p(target) and p(top-1), \(dataset.name) \(split.rawValue), T = \(t)",
                     xLabel: "JS divergence (bits)", yLabel: "fraction of rows", series: series, kind: .histogram)
      } catch let error as PlotError {
        throw CommandError("--png \(png): \(error)")
      }
    }
    if json {
      var object: [String: Any] = [
        "dataset": dataset.name, "split": split.rawValue, "rows": rowCount, "temperature": Double(t),
        "unit": "bits (log2)", "bin_edges": edges, "timirec_checkpoint": ckpt, "comirec": comirecSource,
      ]
      var perModel: [String: Any] = [:]
      for (model, count) in zip(models, counts) {
        perModel[model.name] = summary(model.values).merging(["counts": count]) { a, _ in a }
      }
      object["models"] = perModel
      if let png { object["png"] = png }
      let text = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
      print(String(decoding: text, as: UTF8.self))
      return
    }
    print("JS divergence (bits, log2: 0 = same interests, 1 = disjoint) between p(target) and p(top-1 of the row's candidates)")
    print("\(dataset.name) \(split.rawValue), \(rowCount) rows, T = \(t); TiMiRec: \(ckpt) (mixed interest); ComiRec: \(comirecSource)")
    print("")
    print("  bin             " + models.map { $0.name.padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
    for i in 0..<bins {
      let low = Plot.format(edges[i]), high = Plot.format(edges[i + 1]) + (i == bins - 1 && top < 1 ? "+" : "")
      var line = "  " + "\(low)–\(high)".padding(toLength: 16, withPad: " ", startingAt: 0)
      for count in counts {
        let cell = String(format: "%d (%.1f%%)", count[i], 100 * Double(count[i]) / Double(max(rowCount, 1)))
        line += cell.padding(toLength: 18, withPad: " ", startingAt: 0)
      }
      print(line)
    }
    let summaries = models.map { summary($0.values) }
    for (label, key) in [("mean", "mean"), ("median", "median")] {
      print("  " + label.padding(toLength: 16, withPad: " ", startingAt: 0)
            + summaries.map { String(format: "%.4g", ($0[key] as? Double) ?? .nan).padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
    }
    print("  JS = 0          " + summaries.map { "\($0["zero"] as? Int ?? 0)".padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
    print("  undefined (NaN) " + summaries.map { "\($0["undefined"] as? Int ?? 0)".padding(toLength: 18, withPad: " ", startingAt: 0) }.joined())
    print("")
    let series = zip(models, counts).map { model, count in
      PlotSeries(label: model.name, x: (0..<bins).map { (edges[$0] + edges[$0 + 1]) / 2 },
                 y: count.map { Double($0) / Double(max(rowCount, 1)) })
    }
    print(Plot.terminal(title: "Figure 2: JS divergence between p(target) and p(top-1)", xLabel: "JS divergence (bits)",
                        yLabel: "fraction of rows", series: series, kind: .histogram), terminator: "")
    if let png { print("wrote \(png)") }
  }

  /// Mean and median of the defined values, rows at exactly 0 (top-1 is the target, or an
  /// item with the same distribution) and undefined (NaN) rows.
  private func summary(_ values: [Double]) -> [String: Any] {
    let defined = values.filter { !$0.isNaN }.sorted()
    let mean = defined.isEmpty ? Double.nan : defined.reduce(0, +) / Double(defined.count)
    let median: Double
    if defined.isEmpty {
      median = .nan
    } else if defined.count % 2 == 1 {
      median = defined[defined.count / 2]
    } else {
      median = (defined[defined.count / 2 - 1] + defined[defined.count / 2]) / 2
    }
    var out: [String: Any] = ["undefined": values.count - defined.count, "zero": defined.filter { $0 == 0 }.count]
    if !mean.isNaN { out["mean"] = mean; out["median"] = median }
    return out
  }

  /// A checkpoint opened as a multi-interest model for `dataset`.
  private func openMultiInterest(_ path: String, dataset: Dataset) throws -> any MultiInterestRecommender {
    let (model, _) = try CheckpointDirectory.openModel(path, for: dataset.fingerprint)
    guard let multi = model as? any MultiInterestRecommender else {
      throw CommandError("\(path): \(type(of: model).modelName) has no interests to analyse; give a TiMiRec checkpoint")
    }
    return multi
  }
}
