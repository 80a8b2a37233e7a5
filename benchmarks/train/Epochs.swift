// bench-train (default mode): whole training epochs of both stages, ours and the reference's.
//
// For each run (1…--runs) and dataset: our pretrain epoch then a finetune epoch initialised
// from it, with each thread count of --threads (default 1,2), through `Trainer` exactly as
// `timirec train` runs it (lr 1e-4, l2 1e-6, seed 0, batch 256; "seconds per epoch" is the
// trainer's training pass: batches drawn, forward, backward, Adam; the dev pass is excluded).
// With --reference, REF_SRC (the reference's src/ folder) and REF_PY (its Python), each run
// of ML-100K also runs the reference's pretrain epoch and then its finetune epoch (initialised
// from that pretrain's extractor file), right after ours: ours, ref, ours, ref, …
// The reference runs from a temporary copy of REF_SRC (it writes ../model and ../log next to
// src/), on REF_DATA (default: REF_SRC/../data), a folder holding ml-100k in its format.
import Foundation
import SeqRec
import Tensor

struct EpochFigure {
  var seconds: Double
  var loss: Double
  var instances: Int
  var instancesPerSecond: Double { Double(instances) / seconds }
}

enum BenchError: Error, CustomStringConvertible {
  case reference(String)
  var description: String { switch self { case .reference(let s): return "reference: " + s } }
}

let paperSettings = (lr: Float(1e-4), l2: Float(1e-6), seed: UInt64(0))

/// One pretrain epoch and one finetune epoch (from that pretrain) of ours.
func ourEpochs(_ dataset: Dataset, corpus: SequenceCorpus, config base: TiMiRecConfig, threads: Int,
               scratch: String) throws -> (pretrain: EpochFigure, finetune: EpochFigure) {
  BLAS.setThreads(threads)
  var config = base
  config.itemCount = dataset.itemCount
  var training = TrainingConfig()
  training.learningRate = paperSettings.lr
  training.l2 = paperSettings.l2
  training.seed = paperSettings.seed
  training.maxEpochs = 1
  training.threads = threads
  let fingerprint = dataset.fingerprint
  let prePath = scratch + "/pretrain-\(threads)", finePath = scratch + "/finetune-\(threads)"
  for path in [prePath, finePath] { try? FileManager.default.removeItem(atPath: path) }
  var rng = RNG(seed: paperSettings.seed)
  let pre = TiMiRec(config: config, stage: .pretrain, rng: &rng)
  let preTrainer = Trainer(model: pre, training: training, source: corpus, checkpointPath: prePath,
                           fingerprint: fingerprint, initializedFrom: nil)
  preTrainer.log = { _ in }
  let preOutcome = try preTrainer.run()
  var fineRNG = RNG(seed: paperSettings.seed)
  let fine = TiMiRec(config: config, stage: .finetune, rng: &fineRNG)
  try CheckpointDirectory.loadPretrainedExtractor(into: fine, from: prePath, fingerprint: fingerprint)
  let fineTrainer = Trainer(model: fine, training: training, source: corpus, checkpointPath: finePath,
                            fingerprint: fingerprint, initializedFrom: prePath)
  fineTrainer.log = { _ in }
  let fineOutcome = try fineTrainer.run()
  let n = corpus.trainInstanceCount
  return (EpochFigure(seconds: preOutcome.secondsPerEpoch, loss: preOutcome.epochLosses[0], instances: n),
          EpochFigure(seconds: fineOutcome.secondsPerEpoch, loss: fineOutcome.epochLosses[0], instances: n))
}

/// The reference's harness: a private copy of its src/ folder.
struct Reference {
  let python: String
  let workdir: String  // holds src/ (copied), model/ and log/
  let dataRoot: String

  init?(scratch: String) throws {
    let env = ProcessInfo.processInfo.environment
    guard let src = env["REF_SRC"], let python = env["REF_PY"] else { return nil }
    self.python = python
    dataRoot = env["REF_DATA"] ?? (src as NSString).appendingPathComponent("../data")
    workdir = scratch + "/reference"
    try? FileManager.default.removeItem(atPath: workdir)
    try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: src, toPath: workdir + "/src")
  }

  /// Runs one epoch of one stage; returns the epoch's seconds and loss as the reference logs
  /// them ("Epoch 1 loss=… [… s]") and the child's peak RSS in MB.
  func epoch(dataset: String, stage: Stage, config: TiMiRecConfig) throws -> (EpochFigure, Double) {
    var arguments = ["main.py", "--model_name", "TiMiRec", "--dataset", dataset, "--path", dataRoot + "/",
                     "--lr", "\(paperSettings.lr)", "--l2", "\(paperSettings.l2)", "--random_seed", "\(paperSettings.seed)",
                     "--epoch", "1", "--K", "\(config.interestCount)", "--add_pos", "1", "--add_trm", "1",
                     "--stage", stage.rawValue]
    if stage == .finetune {
      arguments += ["--temp", "\(config.temperature)", "--n_layers", "\(config.projectionLayers)"]
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: workdir + "/src")
    let logPath = workdir + "/last-\(stage.rawValue).out"
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    process.standardOutput = out
    process.standardError = out
    try process.run()
    process.waitUntilExit()
    try out.close()
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    guard process.terminationStatus == 0 else {
      throw BenchError.reference("\(python) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus); see \(logPath)")
    }
    // "Epoch 1     loss=0.5205 [10.2 s]    dev=(…)". tqdm's progress bars share the line
    // (separated by \r) and contain brackets too, so split on \r as well and read the number
    // after "loss=" and the first "[" after it.
    let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
    guard let line = lines.last(where: { $0.contains("Epoch 1 ") && $0.contains("loss=") }),
          let lossStart = line.range(of: "loss=")?.upperBound,
          let loss = Double(String(line[lossStart...].prefix { !$0.isWhitespace })),
          let bracket = line[lossStart...].firstIndex(of: "["),
          let seconds = Double(String(line[line.index(after: bracket)...].prefix { !$0.isWhitespace && $0 != "]" })) else {
      throw BenchError.reference("no \"Epoch 1 loss=… [… s]\" line in \(logPath)")
    }
    let instances = 0  // the table uses our instance count (the same split)
    return (EpochFigure(seconds: seconds, loss: loss, instances: instances), Double(usage.ru_maxrss) / 1024)
  }
}

func runEpochs(_ options: Options) throws {
  let runs = Int(options.value("--runs") ?? "3") ?? 3
  let threadCounts = (options.value("--threads") ?? "1,2").split(separator: ",").compactMap { Int($0) }
  guard let root = options.dataRoot else {
    print("bench-train: epochs need the prepared datasets: pass --data DIR (a folder holding ml-100k and beauty) or set DATA")
    exit(2)
  }
  let scratch = NSTemporaryDirectory() + "bench-train-\(getpid())"
  try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
  var succeeded = false
  defer {
    // Kept after a failure, for the reference's logs (last-<stage>.out).
    if succeeded { try? FileManager.default.removeItem(atPath: scratch) } else { say("kept \(scratch) for inspection") }
  }
  let reference = options.flag("--reference") ? try Reference(scratch: scratch) : nil
  if options.flag("--reference") && reference == nil {
    print("bench-train: --reference needs REF_SRC (the reference's src/ folder) and REF_PY (its Python) set")
    exit(2)
  }
  let datasets = try BenchDataset.selected(options).map { bench -> (BenchDataset, Dataset, SequenceCorpus) in
    let data = try DatasetReader.load(folder: root + "/" + bench.name)
    return (bench, data, SequenceCorpus(dataset: data, historyMax: 20))
  }
  print("epochs: \(runs) runs, threads \(threadCounts), lr 1e-4, l2 1e-6, seed 0, batch 256\(reference != nil ? ", reference interleaved (ML-100K)" : "")")
  // figures[dataset][label] = per-run values
  var ours: [String: [String: [EpochFigure]]] = [:]
  var theirs: [String: [Stage: [EpochFigure]]] = [:]
  var referenceRSS = 0.0
  var loads: [String] = []
  for run in 1...runs {
    for (bench, data, corpus) in datasets {
      for threads in threadCounts {
        let (pre, fine) = try ourEpochs(data, corpus: corpus, config: bench.config, threads: threads, scratch: scratch)
        ours[bench.name, default: [:]]["pretrain \(threads)", default: []].append(pre)
        ours[bench.name, default: [:]]["finetune \(threads)", default: []].append(fine)
        say(String(format: "run %d %@ ours, %d thread(s): pretrain %.2f s (loss %.4f), finetune %.2f s (loss %.4f); load %@",
                     run, bench.name, threads, pre.seconds, pre.loss, fine.seconds, fine.loss, loadAverage()))
      }
      if let reference, bench.name == "ml-100k" {
        for stage in Stage.allCases {
          let (figure, rss) = try reference.epoch(dataset: bench.name, stage: stage, config: bench.config)
          referenceRSS = max(referenceRSS, rss)
          theirs[bench.name, default: [:]][stage, default: []].append(figure)
          say(String(format: "run %d %@ reference %@: %.1f s (loss %.4f); load %@", run, bench.name, stage.rawValue,
                       figure.seconds, figure.loss, loadAverage()))
        }
      }
      loads.append(loadAverage())
    }
  }
  print("\n| dataset | stage | threads | s/epoch median (range) | instances/s | epoch-1 loss |")
  print("|---|---|---|---|---|---|")
  for (bench, _, _) in datasets {
    for stage in Stage.allCases {
      for threads in threadCounts {
        let list = ours[bench.name]?["\(stage.rawValue) \(threads)"] ?? []
        let seconds = list.map(\.seconds)
        print(String(format: "| %@ | %@ | %d | %.2f (%.2f–%.2f) | %.0f | %.4f |", bench.name, stage.rawValue, threads,
                     median(seconds), seconds.min() ?? .nan, seconds.max() ?? .nan,
                     Double(list.first?.instances ?? 0) / median(seconds), list.first?.loss ?? .nan))
      }
      if let list = theirs[bench.name]?[stage] {
        let seconds = list.map(\.seconds)
        print(String(format: "| %@ | %@ | reference | %.2f (%.2f–%.2f) | %.0f | %.4f |", bench.name, stage.rawValue,
                     median(seconds), seconds.min() ?? .nan, seconds.max() ?? .nan,
                     Double(ours[bench.name]?["\(stage.rawValue) \(threadCounts.last ?? 2)"]?.first?.instances ?? 0) / median(seconds),
                     list.first?.loss ?? .nan))
      }
    }
  }
  // Ratios and the loss check against the reference (ML-100K).
  let expected: [Stage: Double] = [.pretrain: 0.5205, .finetune: 0.371]  // reference, docs of issue 11
  for (bench, _, _) in datasets where bench.name == "ml-100k" {
    for stage in Stage.allCases {
      let threads = threadCounts.contains(2) ? 2 : threadCounts.last ?? 1
      guard let mine = ours[bench.name]?["\(stage.rawValue) \(threads)"], !mine.isEmpty else { continue }
      let ourMedian = median(mine.map(\.seconds))
      let refLoss = theirs[bench.name]?[stage]?.first?.loss ?? expected[stage]!
      let lossGap = abs(mine[0].loss - refLoss) / refLoss
      var line = String(format: "ML-100K %@, %d threads: our epoch-1 loss %.4f vs reference %.4f%@: %.2f %% apart (%@ 1 %%)",
                        stage.rawValue, threads, mine[0].loss, refLoss,
                        theirs[bench.name]?[stage] == nil ? " (recorded figure, no --reference)" : "",
                        100 * lossGap, lossGap <= 0.01 ? "within" : "NOT within")
      if let refList = theirs[bench.name]?[stage] {
        // Pairwise ratios of interleaved runs, and the ratio of medians.
        let pairs = zip(refList, mine).map { $0.seconds / $1.seconds }
        line += String(format: "; speed ratio reference/ours %.2f× (medians %.2f s / %.2f s; per run %@)",
                       median(refList.map(\.seconds)) / ourMedian, median(refList.map(\.seconds)), ourMedian,
                       pairs.map { String(format: "%.2f", $0) }.joined(separator: ", "))
      }
      print(line)
    }
  }
  if reference != nil { print(String(format: "reference peak RSS (largest child) %.0f MB", referenceRSS)) }
  print("load averages after each dataset of each run: " + loads.joined(separator: " | "))
  succeeded = true
}
