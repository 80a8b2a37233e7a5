// The harnesses, one per input the program reads (docs/INPUTS.md). Each calls the entry point
// the CLI calls for that input; files are written into the harness's scratch folder.

import Foundation
import SeqRec
import Tensor

public enum FuzzHarnesses {
  /// Every harness, in the order `run.sh --list` prints them.
  public static let all: [FuzzHarness] = [
    rechorusFolder, itemsTSV, datasetJSON,
    sequences, titlesTSV, s3recAttributes,
    movieLensRatings, movieLensItems, movieLensGenres,
    amazonReviews, amazonMetadata, amazonGzip,
    checkpointConfig, resumeJSON, safetensorsModel, safetensorsOptimizer, importArchitecture,
    perUserRanks, benchmarkJSON,
  ]

  public static func named(_ name: String) -> FuzzHarness? { all.first { $0.name == name } }

  /// A harness whose reader takes one file: the input is written to `file` and `read` gets its path.
  static func oneFile(_ name: String, file: String, summary: String,
                      _ read: @escaping @Sendable (String) throws -> Void) -> FuzzHarness {
    FuzzHarness(name: name, summary: summary) { bytes in
      let path = scratch.write(bytes, to: file, in: scratch.folder(name))
      refusalIsFine { try read(path) }
    }
  }

  /// `timirec prepare <source>` end to end on one input file (reader, leave-one-out split, 3
  /// negatives per row), so what the reader accepts also goes through the split.
  static func prepare(_ name: String, file: String, source: SourceFormat, summary: String) -> FuzzHarness {
    oneFile(name, file: file, summary: summary) { path in
      var options = PrepareOptions(source: source, input: path, name: "fuzz")
      options.negatives = 3
      _ = try prepareDataset(options)
    }
  }

  // MARK: prepared dataset folder (`train`, `evaluate`, `explore`, `import`)

  /// train.csv, dev.csv, test.csv, items.tsv, dataset.json: NUL-separated sections of one
  /// input. A missing dev or test section repeats the section before it (a train file with a
  /// neg_items column reads as all three); missing items.tsv / dataset.json are absent files.
  static let rechorusFolder = FuzzHarness(
    name: "rechorus-folder",
    summary: "train.csv NUL dev.csv NUL test.csv [NUL items.tsv [NUL dataset.json]] -> Dataset.load(folder:)"
  ) { bytes in
    let folder = scratch.folder("rechorus-folder")
    let parts = sections(bytes, parts: 5)
    let names = ["train.csv", "dev.csv", "test.csv", "items.tsv", "dataset.json"]
    for (i, name) in names.enumerated() {
      if i < parts.count {
        scratch.write(parts[i], to: name, in: folder)
      } else if i < 3 {
        scratch.write(parts[parts.count - 1], to: name, in: folder)
      } else {
        scratch.remove(name, in: folder)
      }
    }
    refusalIsFine { _ = try Dataset.load(folder: folder) }
  }

  /// items.tsv alone, against a dataset of 64 item rows.
  static let itemsTSV = oneFile("items-tsv", file: "items.tsv", summary: "items.tsv -> ItemCatalog.read(path:itemCount: 64)") {
    _ = try ItemCatalog.read(path: $0, itemCount: 64)
  }

  static let datasetJSON = oneFile("dataset-json", file: "dataset.json", summary: "dataset.json -> DatasetManifest.read(path:)") {
    _ = try DatasetManifest.read(path: $0)
  }

  // MARK: raw sources (`prepare`)

  static let sequences = prepare("sequences", file: "Beauty.txt", source: .sequences,
                                 summary: "Beauty.txt -> prepareDataset(.sequences, negatives 3)")

  static let titlesTSV = oneFile("titles-tsv", file: "item_titles.tsv", summary: "item_titles.tsv -> readTitlesTable(path:)") {
    _ = try readTitlesTable(path: $0)
  }

  /// `--attributes` and `--datamaps`: two NUL-separated sections (loose JSON both).
  static let s3recAttributes = FuzzHarness(
    name: "s3rec-attributes",
    summary: "item2attributes.json NUL datamaps.json -> readAttributeCategories(attributesPath:datamapsPath:)"
  ) { bytes in
    let folder = scratch.folder("s3rec-attributes")
    let parts = sections(bytes, parts: 2)
    let attributes = scratch.write(parts[0], to: "item2attributes.json", in: folder)
    let datamaps = scratch.write(parts[parts.count - 1], to: "datamaps.json", in: folder)
    refusalIsFine { _ = try readAttributeCategories(attributesPath: attributes, datamapsPath: datamaps) }
  }

  /// u.data / ratings.dat (layout detected from the first line), no item file beside it.
  static let movieLensRatings = prepare("movielens-ratings", file: "u.data", source: .movielens,
                                        summary: "u.data or ratings.dat -> prepareDataset(.movielens, negatives 3)")

  static let movieLensItems = oneFile("movielens-items", file: "u.item",
                                      summary: "u.item or movies.dat -> readMovieLensItems(path:genres: ML-100K's)") {
    _ = try readMovieLensItems(path: $0)
  }

  static let movieLensGenres = oneFile("movielens-genres", file: "u.genre", summary: "u.genre -> readMovieLensGenres(path:)") {
    _ = try readMovieLensGenres(path: $0)
  }

  /// A plain review file.
  static let amazonReviews = prepare("amazon-reviews", file: "reviews.json", source: .amazon,
                                     summary: "reviews_*.json (plain) -> prepareDataset(.amazon, negatives 3)")

  static let amazonMetadata = oneFile("amazon-metadata", file: "meta.json", summary: "meta_*.json (plain) -> readAmazonMetadata(path:)") {
    _ = try readAmazonMetadata(path: $0)
  }

  /// The gzip path: the seeds are .gz files, so the fuzzer mutates compressed streams.
  static let amazonGzip = oneFile("amazon-gzip", file: "reviews.json.gz", summary: "reviews_*.json.gz -> readAmazonReviews(path:)") {
    _ = try readAmazonReviews(path: $0)
  }

  // MARK: checkpoint folders (`evaluate`, `explore`, `train --init/--resume`, `import`)

  /// A checkpoint folder opened as `evaluate` and `explore` open one (`openModel`: config read
  /// and validated, dataset fit, weights checked against it, strict load): the input is
  /// `fuzzed`, the other file is the tiny model's valid one.
  static func checkpoint(_ name: String, fuzzed: String, fixed: String, fixedBytes: @escaping @Sendable () -> [UInt8]) -> FuzzHarness {
    FuzzHarness(name: name, summary: "\(fuzzed) (+ a fixed \(fixed)) -> CheckpointDirectory.openModel(_:for:)") { bytes in
      let folder = scratch.folder(name)
      if !FileManager.default.fileExists(atPath: folder + "/" + fixed) { scratch.write(fixedBytes(), to: fixed, in: folder) }
      scratch.write(bytes, to: fuzzed, in: folder)
      refusalIsFine { _ = try CheckpointDirectory.openModel(folder, for: TinyCheckpoint.fingerprint) }
    }
  }

  static let checkpointConfig = checkpoint("checkpoint-config", fuzzed: "config.json", fixed: "model.safetensors") {
    TinyCheckpoint.modelFile
  }

  static let resumeJSON = FuzzHarness(name: "resume-json", summary: "resume.json -> CheckpointDirectory.readResumeState(_:)") { bytes in
    let folder = scratch.folder("resume-json")
    scratch.write(bytes, to: "resume.json", in: folder)
    refusalIsFine { _ = try CheckpointDirectory.readResumeState(folder) }
  }

  /// The fixed config.json describes the fixture tiny-pretrain.safetensors' architecture.
  static let safetensorsModel = checkpoint("safetensors-model", fuzzed: "model.safetensors", fixed: "config.json") {
    TinyCheckpoint.configFile
  }

  /// optimizer.safetensors read as `train --resume` reads it: every Adam moment of the tiny
  /// model present with its shape, finite, nothing extra.
  static let safetensorsOptimizer = FuzzHarness(
    name: "safetensors-optimizer", summary: "optimizer.safetensors -> readTensors + StrictWeights.values (Adam moments)"
  ) { bytes in
    let folder = scratch.folder("safetensors-optimizer")
    scratch.write(bytes, to: "optimizer.safetensors", in: folder)
    refusalIsFine {
      let file = try CheckpointDirectory.readTensors(folder, file: "optimizer.safetensors")
      _ = try StrictWeights.values(of: file, expected: TinyCheckpoint.momentShapes, source: folder + "/optimizer.safetensors")
    }
  }

  /// `timirec import` up to the write: decode, drop a "module." prefix, infer the
  /// architecture (with and without --temp), build the model and load it strictly.
  static let importArchitecture = FuzzHarness(
    name: "import-architecture",
    summary: "a state_dict .safetensors -> WeightsImport.architecture + TiMiRec(config:) + loadAllParameters"
  ) { bytes in
    refusalIsFine {
      var file = try SafeTensorsFile.decode(Data(bytes), source: "fuzz.safetensors")
      if !file.tensors.isEmpty && file.tensors.keys.allSatisfy({ $0.hasPrefix(WeightsImport.wrapperPrefix) }) {
        file.tensors = Dictionary(file.tensors.map { (String($0.key.dropFirst(WeightsImport.wrapperPrefix.count)), $0.value) },
                                  uniquingKeysWith: { a, _ in a })
      }
      for temperature: Float? in [nil, 0.5] {
        guard let (stage, config) = try? WeightsImport.architecture(of: file, source: "fuzz.safetensors",
                                                                     temperature: temperature, historyMax: nil)
        else { continue }
        try WeightsImport.checkWeightCount(of: file, stage: stage, config: config, source: "fuzz.safetensors")
        var rng = RNG(seed: 0)
        let model = TiMiRec(config: config, stage: stage, rng: &rng)
        try model.loadAllParameters(from: file, source: "fuzz.safetensors")
      }
    }
  }

  // MARK: benchmark results (`benchmark`: results/<dataset>/ and the runs' checkpoints)

  /// A per-user ranks file as `benchmark` reads it for the significance tests: the input as
  /// a ranks table (`ranks/<run>.tsv`) and as `evaluate --per-user` lines (`.jsonl`), each
  /// read for both protocols by one new reader (so its cache starts empty for every input).
  static let perUserRanks = FuzzHarness(
    name: "per-user-ranks",
    summary: "ranks/<run>.tsv and evaluate --per-user <run>.jsonl (the same bytes) -> PerUserReader().ranks(_:protocol:), both protocols"
  ) { bytes in
    let folder = scratch.folder("per-user-ranks")
    let reader = PerUserReader()
    for file in ["GRU4Rec-s0.tsv", "GRU4Rec-s0.jsonl"] {
      let path = scratch.write(bytes, to: file, in: folder)
      for evaluationProtocol in EvaluationProtocol.allCases {
        refusalIsFine { _ = try reader.ranks(path, protocol: evaluationProtocol) }
      }
    }
  }

  /// The JSON files `benchmark` decodes: runs/<run>.json (through `Benchmark.results()` of a
  /// one-evaluation plan, as the CLI reads them), reference.json, and a run's checkpoint
  /// config.json (+ resume.json) as `CheckpointRecord` reads them. NUL-separated sections of
  /// one input; a missing reference or config section repeats the section before it (a single
  /// JSON file goes to all three readers); an empty section, and a missing resume.json, is an
  /// absent file (Foundation leaks the 4 KB buffer of an empty file it reads, lsan.supp: with
  /// empty files a third of the inputs unbalanced malloc/free and ran LeakSanitizer, 15x slower).
  static let benchmarkJSON = FuzzHarness(
    name: "benchmark-json",
    summary: "runs/<run>.json NUL reference.json NUL config.json [NUL resume.json] -> Benchmark.results(), ReferenceResults.load(folder:), CheckpointRecord.read(_:)"
  ) { bytes in
    let benchmark = BenchmarkInput.benchmark(resultsRoot: scratch.folder("benchmark-json"))
    let runs = scratch.folder("benchmark-json/\(BenchmarkInput.dataset)/runs")
    precondition(benchmark.resultFile(BenchmarkInput.run) == runs + "/\(BenchmarkInput.run).json", "the result file moved")
    let checkpoint = scratch.folder("benchmark-json/checkpoint")
    let parts = sections(bytes, parts: 4)
    let files = [(BenchmarkInput.run + ".json", runs), (ReferenceResults.fileName, benchmark.resultsFolder),
                 ("config.json", checkpoint), ("resume.json", checkpoint)]
    for (i, (file, folder)) in files.enumerated() {
      let part: UnsafeRawBufferPointer? = i < 3 ? parts[min(i, parts.count - 1)] : parts.count == 4 ? parts[3] : nil
      if let part, !part.isEmpty { scratch.write(part, to: file, in: folder) } else { scratch.remove(file, in: folder) }
    }
    refusalIsFine { _ = try benchmark.results() }
    refusalIsFine { _ = try ReferenceResults.load(folder: benchmark.resultsFolder) }
    refusalIsFine { _ = try CheckpointRecord.read(checkpoint) }
  }
}

/// The benchmark whose results folder `benchmark-json` fills: one evaluation (GRU4Rec seed 0)
/// of "ml-100k", its results under `<resultsRoot>/ml-100k/`; nothing is trained or run.
enum BenchmarkInput {
  static let dataset = "ml-100k"
  static let run = "GRU4Rec-s0"

  static func benchmark(resultsRoot: String) -> Benchmark {
    let plan = BenchmarkPlan(dataset: dataset, models: [], seeds: [0], runs: [],
                             evaluations: [PlannedEvaluation(model: "GRU4Rec", seed: 0, run: run)])
    return Benchmark(plan: plan, data: resultsRoot, runsRoot: resultsRoot, resultsRoot: resultsRoot,
                     executable: "/nonexistent/timirec", jobs: 1, report: { _ in })
  }
}

/// The tiny model the checkpoint harnesses pair a fuzzed file with: the architecture of the
/// fixture tiny-pretrain.safetensors (N 11, D 8, attn_size 4, K 3, history_max 5, add_pos,
/// add_trm, pretrain), on a dataset of 11 item rows.
enum TinyCheckpoint {
  static let modelConfig = TiMiRecConfig(itemCount: 11, embeddingSize: 8, attentionSize: 4, interestCount: 3, historyMax: 5)
  static let fingerprint = DatasetFingerprint(name: "fuzz", itemCount: 11, userCount: 5, trainRows: 14, devRows: 4, testRows: 4)

  static var model: TiMiRec {
    var rng = RNG(seed: 0)
    return TiMiRec(config: modelConfig, stage: .pretrain, rng: &rng)
  }

  /// Its weights as a safetensors file.
  static var modelFile: [UInt8] { [UInt8](try! SafeTensorsFile(tensors: model.parameterTensors()).encoded()) }

  /// A format-2 config.json of imported weights for it.
  static var configFile: [UInt8] {
    let config = CheckpointConfig(stage: .pretrain, modelConfig: modelConfig, dataset: fingerprint,
                                  importedFrom: ImportedWeights(file: "/fuzz/tiny.safetensors", sha256: String(repeating: "0", count: 64)))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return [UInt8](try! encoder.encode(config))
  }

  /// (name, shape) of every Adam moment in optimizer.safetensors.
  static let momentShapes: [(name: String, shape: [Int])] = {
    model.namedParameters.flatMap { [("exp_avg." + $0.name, $0.tensor.shape), ("exp_avg_sq." + $0.name, $0.tensor.shape)] }
  }()

  /// An optimizer.safetensors for it (moments of one made-up step), for the seed corpus.
  static var optimizerFile: [UInt8] {
    var tensors: [String: SafeTensor] = [:]
    for (name, tensor) in model.namedParameters {
      tensors["exp_avg." + name] = SafeTensor(shape: tensor.shape, floats: tensor.data.map { $0 * 0.1 })
      tensors["exp_avg_sq." + name] = SafeTensor(shape: tensor.shape, floats: tensor.data.map { $0 * $0 * 0.001 })
    }
    return [UInt8](try! SafeTensorsFile(tensors: tensors).encoded())
  }

  /// Generated seeds (files that need the model to make): name → bytes, per harness.
  static var generatedSeeds: [String: [String: [UInt8]]] {
    ["safetensors-optimizer": ["tiny-optimizer.safetensors": optimizerFile],
     "safetensors-model": ["tiny-model.safetensors": modelFile],
     "checkpoint-config": ["imported-pretrain.json": configFile]]
  }
}

extension FuzzHarnesses {
  /// Seeds the harnesses make themselves (they need the tiny model): harness → file → bytes.
  public static var generatedSeeds: [String: [String: [UInt8]]] { TinyCheckpoint.generatedSeeds }
}
