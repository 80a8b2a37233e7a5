import Foundation
import TestSupport
import XCTest
@testable import SeqRec
import Tensor

/// `timirec import` and strict checkpoints: the reference code's weights (Fixtures/tiny-*.
/// safetensors, the plain-name copies of timirec-tiny.safetensors written by the Python
/// `safetensors` library, see Fixtures/make_plain_fixtures.py) imported and opened through
/// `CheckpointDirectory.open`, the function `evaluate` and `explore` use.
final class CheckpointImportTests: XCTestCase {
  var reference: SafeTensorsFile { TiMiRecFixtureTests.fixture }

  /// 4 users over items 1…10 (11 item rows, as the fixture's item table); dev/test rows carry
  /// 3 negatives. `extraTrain` appends one more train interaction for user 1 (same item and
  /// user counts, other split sizes).
  static func elevenItemDataset(extraTrain: Bool = false) -> Dataset {
    var train = InteractionTable(), dev = InteractionTable(negativeCount: 3), test = InteractionTable(negativeCount: 3)
    let sequences: [[Int32]] = [[1, 2, 3, 4, 5, 6], [6, 7, 8, 9, 10, 1], [2, 4, 6, 8, 10], [1, 3, 5, 7, 9]]
    for (u, items) in sequences.enumerated() {
      let user = Int32(u + 1)
      var all = items
      if extraTrain && u == 0 { all.insert(7, at: 0) }
      for (t, item) in all.enumerated() {
        let clicked = Set(all)
        let negatives = (Int32(1)...10).filter { !clicked.contains($0) }.prefix(3)
        let padded = Array(negatives) + Array(repeating: Int32(negatives.first ?? 1), count: 3 - negatives.count)
        if t == all.count - 1 {
          test.users.append(user); test.items.append(item); test.times.append(Int64(t)); test.negatives += padded
        } else if t == all.count - 2 {
          dev.users.append(user); dev.items.append(item); dev.times.append(Int64(t)); dev.negatives += padded
        } else {
          train.users.append(user); train.items.append(item); train.times.append(Int64(t))
        }
      }
    }
    return Dataset(name: "eleven", train: train, dev: dev, test: test)
  }

  func fixtureFile(_ name: String) -> String { fixture("\(name).safetensors") }

  /// Imports a fixture into a fresh folder and returns the checkpoint path.
  @discardableResult
  func importFixture(_ name: String, temperature: Float?, into directory: String,
                     dataset: Dataset = elevenItemDataset()) throws -> (String, WeightsImport.Report) {
    let out = directory + "/" + name
    let report = try WeightsImport.importWeights(fixtureFile(name), dataset: dataset.fingerprint, datasetLabel: "eleven",
                                                 out: out, temperature: temperature, historyMax: nil)
    return (out, report)
  }

  /// The fixture's evaluation input (4 histories of length 5, 6 candidates each).
  func fixtureInput() throws -> ModelInput {
    func ints(_ name: String) throws -> [Int32] { try reference.int64s(named: name).map { Int32($0) } }
    return ModelInput(history: try ints("input.history"), lengths: try ints("input.lengths"),
                      candidates: try ints("input.eval_items"), batchSize: 4, historyLength: 5, candidateCount: 6)
  }

  func assertThrows<T>(_ body: @autoclosure () throws -> T, contains fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
    do {
      _ = try body()
      XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch {
      let message = "\(error)"
      XCTAssertFalse(message.contains("\n"), "not one line: \(message)", file: file, line: line)
      for fragment in fragments {
        XCTAssertTrue(message.contains(fragment), "'\(message)' does not contain '\(fragment)'", file: file, line: line)
      }
    }
  }

  // MARK: (a) the reference weights import and score as the reference

  func testImportedReferenceWeightsGiveTheReferenceScores() throws {
    let directory = try temporaryFolder(self)
    let dataset = Self.elevenItemDataset()
    let cases: [(file: String, prefix: String, stage: Stage, layers: Int, temperature: Float?)] = [
      ("tiny-pretrain", "pretrain", .pretrain, 1, nil),
      ("tiny-finetune-L1", "finetune_L1", .finetune, 1, 0.5),
      ("tiny-finetune-L2", "finetune_L2", .finetune, 2, 0.5),
    ]
    for c in cases {
      let (out, report) = try importFixture(c.file, temperature: c.temperature, into: directory)
      let m = report.config.timiRec!
      XCTAssertEqual(report.config.stage, c.stage, c.file)
      XCTAssertEqual([m.itemCount, m.embeddingSize, m.attentionSize, m.interestCount, m.historyMax],
                     [11, 8, 4, 3, 5], c.file)
      XCTAssertTrue(m.addPosition && m.addTransformer, c.file)
      XCTAssertEqual(m.projectionLayers, c.layers, c.file)
      XCTAssertEqual(m.temperature, c.temperature ?? 1, c.file)
      XCTAssertEqual(report.config.importedFrom?.sha256, try sha256Hex(ofFile: fixtureFile(c.file)), c.file)
      XCTAssertEqual(report.config.importedFrom?.convertedFrom, [], c.file)
      XCTAssertTrue(report.summary.hasPrefix("imported \(URL(fileURLWithPath: fixtureFile(c.file)).standardizedFileURL.path) (sha256 "),
                    report.summary)
      XCTAssertEqual(try String(contentsOfFile: out + "/train.log", encoding: .utf8), report.summary + "\n")

      let (model, config) = try CheckpointDirectory.open(out, for: dataset.fingerprint)
      XCTAssertEqual(config, report.config)
      XCTAssertNil(config.training)
      XCTAssertEqual(config.originSummary, "imported from \(c.file).safetensors")
      let expected = try reference.floats(named: "\(c.prefix).eval.prediction")
      assertClose(model.evaluationScores(try fixtureInput()).data, expected, relative: 1e-4, absolute: 1e-6, c.file)
    }
  }

  // MARK: (b) BF16

  /// BF16 keeps 8 significant bits (relative rounding error ≤ 2⁻⁹ ≈ 0.2 % per weight), so
  /// the scores move by a fraction of a per cent of their scale; the weights themselves must be
  /// exactly the F32 weights rounded to BF16 (to nearest, ties to even).
  func testBF16CopyImportsAsTheRoundedWeights() throws {
    let directory = try temporaryFolder(self)
    let dataset = Self.elevenItemDataset()
    let (out, report) = try importFixture("tiny-finetune-L1-bf16", temperature: 0.5, into: directory)
    XCTAssertEqual(report.config.importedFrom?.convertedFrom, ["BF16"])
    XCTAssertTrue(report.summary.contains("BF16 converted to F32"), report.summary)
    let (model, _) = try CheckpointDirectory.open(out, for: dataset.fingerprint)
    func bf16(_ x: Float) -> Float {
      let bits = x.bitPattern
      let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
      return Float(bitPattern: rounded)
    }
    var changed = 0
    for (name, tensor) in model.namedParameters {
      let original = try reference.floats(named: "finetune_L1.weight." + name)
      XCTAssertEqual(tensor.data, original.map(bf16), name)
      changed += zip(tensor.data, original).filter { $0 != $1 }.count
    }
    XCTAssertGreaterThan(changed, 100, "the BF16 file should really hold rounded weights")
    let expected = try reference.floats(named: "finetune_L1.eval.prediction")
    let scale = expected.map(abs).max()!
    // Measured: the largest deviation is 0.0050 on a score scale of 1.49 (0.34 %); allow 1 %.
    assertClose(model.evaluationScores(try fixtureInput()).data, expected, relative: 0.01, absolute: 0.01 * Double(scale), "bf16")
  }

  // MARK: (c) our own weights round-trip through import

  func testOwnCheckpointWeightsImportToIdenticalMetrics() throws {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryFolder(self)
    for stage in Stage.allCases {
      var rng = RNG(seed: 21)
      let model = TiMiRec(config: TrainingTests.smallConfig(dataset), stage: stage, rng: &rng)
      let trained = directory + "/trained-\(stage.rawValue)"
      let trainer = TrainingTests.quietTrainer(model, epochs: 2, corpus: corpus, dataset: dataset, path: trained,
                                               initializedFrom: nil)
      _ = try trainer.run()
      let imported = directory + "/imported-\(stage.rawValue)"
      let report = try WeightsImport.importWeights(trained + "/model.safetensors", dataset: dataset.fingerprint,
                                                   datasetLabel: "planted", out: imported,
                                                   temperature: stage == .finetune ? 0.5 : nil, historyMax: nil)
      XCTAssertEqual(report.config.timiRec!, TrainingTests.smallConfig(dataset).withTemperature(stage == .finetune ? 0.5 : 1))
      let (ours, _) = try CheckpointDirectory.open(trained, for: dataset.fingerprint)
      let (theirs, _) = try CheckpointDirectory.open(imported, for: dataset.fingerprint)
      let test = corpus.evaluationBatches(split: .test, batchSize: 256)
      let ks = [1, 5, 10, 20]
      XCTAssertEqual(Evaluator.evaluate(ours, batches: test, ks: ks), Evaluator.evaluate(theirs, batches: test, ks: ks),
                     stage.rawValue)
      XCTAssertEqual(ours.evaluationScores(test[0]).data.map(\.bitPattern),
                     theirs.evaluationScores(test[0]).data.map(\.bitPattern), stage.rawValue)
    }
  }

  // MARK: (d) missing, extra, mis-shaped tensors and the import's own refusals

  func testImportRefusesMissingExtraAndMisshapedTensorsByName() throws {
    let directory = try temporaryFolder(self)
    let dataset = Self.elevenItemDataset()
    let original = try SafeTensorsFile.read(url: URL(fileURLWithPath: fixtureFile("tiny-finetune-L1")))
    func attempt(_ edit: (inout SafeTensorsFile) -> Void, _ fragments: [String], temperature: Float? = 0.5,
                 historyMax: Int? = nil, dataset: Dataset = dataset, line: UInt = #line) throws {
      var file = original
      edit(&file)
      let path = directory + "/edited-\(line).safetensors"
      try file.write(to: URL(fileURLWithPath: path))
      let out = directory + "/out-\(line)"
      assertThrows(try WeightsImport.importWeights(path, dataset: dataset.fingerprint, datasetLabel: "eleven", out: out,
                                                   temperature: temperature, historyMax: historyMax),
                   contains: [path] + fragments, line: line)
      XCTAssertFalse(FileManager.default.fileExists(atPath: out), "a refused import wrote \(out)", line: line)
    }
    try attempt({ $0.tensors["interest_predictor.rnn.bias_hh_l0"] = nil },
                ["no tensor 'interest_predictor.rnn.bias_hh_l0'"])
    try attempt({ $0.tensors["interest_extractor.W3.weight"] = SafeTensor(shape: [2], floats: [1, 2]) },
                ["tensor 'interest_extractor.W3.weight' is not a parameter"])
    try attempt({ $0.tensors["interest_predictor.rnn.bias_hh_l0"] = SafeTensor(shape: [3, 8], floats: Array(repeating: 0, count: 24)) },
                ["tensor 'interest_predictor.rnn.bias_hh_l0' has shape [3, 8], the model expects [24]"])
    try attempt({ $0.tensors["interest_extractor.W2.weight"] = SafeTensor(shape: [3, 4], floats: [1, 2, .infinity] + Array(repeating: 0, count: 9)) },
                ["tensor 'interest_extractor.W2.weight' holds inf at index 2"])
    try attempt({ $0.tensors["interest_extractor.i_embeddings.weight"] = nil }, ["not a TiMiRec state_dict"])
    try attempt({ _ in }, ["needs --temp T"], temperature: nil)
    try attempt({ _ in }, ["history_max is 5, but --history-max is 20"], historyMax: 20)
    var twelve = Self.elevenItemDataset()
    twelve = Dataset(name: "twelve", train: twelve.train, dev: twelve.dev,
                     test: InteractionTable(users: twelve.test.users, items: twelve.test.items.map { $0 == 9 ? 11 : $0 },
                                            times: twelve.test.times, negatives: twelve.test.negatives, negativeCount: 3))
    XCTAssertEqual(twelve.itemCount, 12)
    try attempt({ _ in }, ["the item table has 11 rows but the dataset eleven has 12 item rows"], dataset: twelve)

    // A pretrain state_dict has no temperature.
    assertThrows(try WeightsImport.importWeights(fixtureFile("tiny-pretrain"), dataset: dataset.fingerprint,
                                                 datasetLabel: "eleven", out: directory + "/pre", temperature: 0.5,
                                                 historyMax: nil),
                 contains: ["a pretrain state_dict", "drop --temp"])
    // DistributedDataParallel's "module." prefix is dropped.
    var wrapped = original
    wrapped.tensors = Dictionary(uniqueKeysWithValues: original.tensors.map { ("module." + $0.key, $0.value) })
    try wrapped.write(to: URL(fileURLWithPath: directory + "/ddp.safetensors"))
    let report = try WeightsImport.importWeights(directory + "/ddp.safetensors", dataset: dataset.fingerprint,
                                                 datasetLabel: "eleven", out: directory + "/ddp", temperature: 0.5,
                                                 historyMax: nil)
    XCTAssertTrue(report.strippedWrapperPrefix)
    XCTAssertEqual(report.config.timiRec!.projectionLayers, 1)
  }

  // MARK: (e) config.json formats

  /// Fixtures/format1-checkpoint/config.json is the config.json of the demo checkpoint as
  /// shipped before format 2 (K 3, finetune, 6 epochs), kept to pin the format-1 reader.
  func testConfigFormatOneReadsTheOldDemoConfig() throws {
    let folder = packageRoot.appendingPathComponent("Tests/SeqRecTests/Fixtures/format1-checkpoint").path
    let config = try CheckpointDirectory.readConfig(folder)
    XCTAssertEqual(config.formatVersion, 1)
    XCTAssertEqual(config.model, "TiMiRec")
    XCTAssertEqual(config.stage, .finetune)
    XCTAssertEqual(config.timiRec?.interestCount, 3)
    XCTAssertEqual(config.timiRec?.itemCount, 2401)
    XCTAssertEqual(config.bestEpoch, 6)
    XCTAssertEqual(config.training?.maxEpochs, 6)
    XCTAssertNil(config.importedFrom)
    XCTAssertEqual(config.originSummary, "best epoch 6")
  }

  /// The shipped demo checkpoint is written in the current format and opens strictly.
  func testShippedDemoIsFormatTwoAndOpens() throws {
    let demo = packageRoot.appendingPathComponent("demo-data")
    let config = try CheckpointDirectory.readConfig(demo.appendingPathComponent("checkpoint").path)
    XCTAssertEqual(config.formatVersion, CheckpointConfig.currentFormatVersion)
    XCTAssertEqual(config.model, "TiMiRec")
    XCTAssertEqual(config.training?.threads, 2)
    let dataset = try DatasetReader.load(folder: demo.path)
    let (model, _) = try CheckpointDirectory.open(demo.appendingPathComponent("checkpoint").path, for: dataset.fingerprint)
    XCTAssertEqual(model.config, config.timiRec)
  }

  func testConfigFormatTwoRoundTripsAndBadFieldsGiveOneLine() throws {
    let directory = try temporaryFolder(self)
    let fingerprint = DatasetFingerprint(name: "x", itemCount: 11, userCount: 5, trainRows: 14, devRows: 4, testRows: 4)
    let modelConfig = TiMiRecConfig(itemCount: 11, embeddingSize: 8, attentionSize: 4, interestCount: 3)
    let trained = CheckpointConfig(stage: .pretrain, modelConfig: modelConfig, training: TrainingConfig(),
                                   dataset: fingerprint, initializedFrom: nil, bestEpoch: 4, bestDev: ["NDCG@5": 0.25])
    let imported = CheckpointConfig(stage: .finetune, modelConfig: modelConfig, dataset: fingerprint,
                                    importedFrom: ImportedWeights(file: "/w/t.safetensors", sha256: "ab", convertedFrom: ["F16"]))
    for (name, config) in [("trained", trained), ("imported", imported)] {
      let data = try CheckpointDirectory.json(config)
      let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
      XCTAssertEqual(object["formatVersion"] as? Int, 2, name)
      XCTAssertEqual(object["model"] as? String, "TiMiRec", name)
      XCTAssertEqual(object["training"] == nil, name == "imported", name)
      XCTAssertEqual(object["bestEpoch"] == nil, name == "imported", name)
      try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
      try data.write(to: URL(fileURLWithPath: directory + "/\(name)/config.json"))
      XCTAssertEqual(try CheckpointDirectory.readConfig(directory + "/" + name), config, name)
    }

    /// Writes `trained` with `edit` applied to its JSON and returns the reading error.
    func refused(_ edit: (inout [String: Any]) -> Void, line: UInt = #line) throws -> String {
      var object = try XCTUnwrap(JSONSerialization.jsonObject(with: CheckpointDirectory.json(trained)) as? [String: Any])
      edit(&object)
      let folder = directory + "/bad-\(line)"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: folder + "/config.json"))
      do {
        _ = try CheckpointDirectory.readConfig(folder)
        XCTFail("accepted", line: line)
        return ""
      } catch {
        let message = "\(error)"
        XCTAssertFalse(message.contains("\n"), message, line: line)
        XCTAssertTrue(message.hasPrefix(folder + "/config.json: "), message, line: line)
        return String(message.dropFirst(folder.count + "/config.json: ".count))
      }
    }
    func removing(_ key: String, in parent: String) -> (inout [String: Any]) -> Void {
      { object in
        var inner = object[parent] as! [String: Any]
        inner[key] = nil
        object[parent] = inner
      }
    }
    XCTAssertTrue(try refused(removing("interestCount", in: "modelConfig"))
                    .hasPrefix("missing field 'modelConfig.interestCount'; fix the file"))
    XCTAssertTrue(try refused { $0["bestEpoch"] = nil }.hasPrefix("missing field 'bestEpoch'"))
    XCTAssertTrue(try refused { $0["formatVersion"] = nil }.hasPrefix("missing field 'formatVersion'"))
    XCTAssertTrue(try refused(removing("testRows", in: "dataset")).hasPrefix("missing field 'dataset.testRows'"))
    XCTAssertTrue(try refused { $0["model"] = nil }.hasPrefix("missing field 'model'"), "format 2 names its model")
    XCTAssertTrue(try refused { object in
      var inner = object["modelConfig"] as! [String: Any]
      inner["interestCount"] = "three"
      object["modelConfig"] = inner
    }.hasPrefix("field 'modelConfig.interestCount' should be an integer"))
    XCTAssertTrue(try refused { $0["stage"] = "joint" }.hasPrefix("field 'stage' should be \"pretrain\" or \"finetune\""))
    XCTAssertTrue(try refused { object in
      var inner = object["modelConfig"] as! [String: Any]
      inner["interestCount"] = 0
      object["modelConfig"] = inner
    }.hasPrefix("field 'modelConfig.interestCount' must be ≥ 1, got 0"))
    XCTAssertTrue(try refused { $0["model"] = "SASRec" }.hasPrefix("model 'SASRec' is not one this build can open"))
    // A format 1 file without `model` is TiMiRec; another version is refused.
    func refusedOrRead(_ edit: (inout [String: Any]) -> Void) throws -> CheckpointConfig? {
      var object = try XCTUnwrap(JSONSerialization.jsonObject(with: CheckpointDirectory.json(trained)) as? [String: Any])
      edit(&object)
      let folder = directory + "/read-\(UUID().uuidString)"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: folder + "/config.json"))
      return try CheckpointDirectory.readConfig(folder)
    }
    let old = try refusedOrRead { $0["formatVersion"] = 1; $0["model"] = nil }
    XCTAssertEqual(old?.model, "TiMiRec")
    XCTAssertEqual(old?.formatVersion, 1)
    XCTAssertThrowsError(try refusedOrRead { $0["formatVersion"] = 3 }) { error in
      XCTAssertTrue("\(error)".contains("checkpoint format version 3, this build reads versions 1–2"), "\(error)")
    }
  }

  // MARK: (f) config.json that disagrees with the weights

  /// Rewrites `path`/config.json with `edit` applied to the decoded configuration.
  func editConfig(_ path: String, _ edit: (inout CheckpointConfig) -> Void) throws {
    var config = try CheckpointDirectory.readConfig(path)
    edit(&config)
    try CheckpointDirectory.json(config).write(to: URL(fileURLWithPath: path + "/config.json"))
  }

  func testOpenRefusesAConfigThatDisagreesWithTheWeights() throws {
    let directory = try temporaryFolder(self)
    let fingerprint = Self.elevenItemDataset().fingerprint
    let (l1, _) = try importFixture("tiny-finetune-L1", temperature: 0.5, into: directory)
    let (l2, _) = try importFixture("tiny-finetune-L2", temperature: 0.5, into: directory)
    let (pre, _) = try importFixture("tiny-pretrain", temperature: nil, into: directory)
    let weights = l1 + "/model.safetensors"

    try editConfig(l1) { $0.timiRec?.addTransformer = false }
    assertThrows(try CheckpointDirectory.open(l1, for: fingerprint),
                 contains: [weights, "tensor 'interest_extractor.transformer.layer_norm1.bias' (and 13 more) is not a parameter"])
    try editConfig(l1) { $0.timiRec?.addTransformer = true; $0.stage = .pretrain }
    assertThrows(try CheckpointDirectory.open(l1, for: fingerprint),
                 contains: ["tensor 'interest_predictor.i_embeddings.weight' (and 6 more) is not a parameter"])
    try editConfig(l2) { $0.timiRec?.projectionLayers = 1 }
    assertThrows(try CheckpointDirectory.open(l2, for: fingerprint),
                 contains: [l2 + "/model.safetensors", "tensor 'proj.proj_0.bias' (and 1 more) is not a parameter"])
    try editConfig(pre) { $0.timiRec?.addPosition = false }
    assertThrows(try CheckpointDirectory.open(pre, for: fingerprint),
                 contains: ["tensor 'interest_extractor.p_embeddings.weight' is not a parameter"])
    try editConfig(pre) { $0.timiRec?.addPosition = true; $0.timiRec?.historyMax = 20 }
    assertThrows(try CheckpointDirectory.open(pre, for: fingerprint),
                 contains: ["tensor 'interest_extractor.p_embeddings.weight' has shape [6, 8], the model expects [21, 8]"])
    try editConfig(pre) { $0.timiRec?.historyMax = 5; $0.stage = .finetune }
    assertThrows(try CheckpointDirectory.open(pre, for: fingerprint),
                 contains: ["no tensor 'interest_predictor.i_embeddings.weight'"])
  }

  // MARK: (g) non-finite weights

  func testOpenRefusesNaNWeightsNamingTheTensor() throws {
    let directory = try temporaryFolder(self)
    let fingerprint = Self.elevenItemDataset().fingerprint
    let (out, _) = try importFixture("tiny-pretrain", temperature: nil, into: directory)
    var file = try CheckpointDirectory.readTensors(out)
    var values = file.tensors["interest_extractor.W2.weight"]!.floats!
    values[5] = .nan
    file.tensors["interest_extractor.W2.weight"] = SafeTensor(shape: [3, 4], floats: values)
    try file.write(to: URL(fileURLWithPath: out + "/model.safetensors"))
    assertThrows(try CheckpointDirectory.open(out, for: fingerprint),
                 contains: [out + "/model.safetensors", "tensor 'interest_extractor.W2.weight' holds nan at index 5",
                            "non-finite weights cannot be used"])
  }

  // MARK: (h, SeqRec side) the dataset check covers split sizes

  func testOpenRefusesAnotherDatasetWithEqualItemAndUserCounts() throws {
    let directory = try temporaryFolder(self)
    let (out, _) = try importFixture("tiny-pretrain", temperature: nil, into: directory)
    let other = Self.elevenItemDataset(extraTrain: true)
    XCTAssertEqual(other.itemCount, 11)
    XCTAssertEqual(other.userCount, Self.elevenItemDataset().userCount)
    assertThrows(try CheckpointDirectory.open(out, for: other.fingerprint),
                 contains: [out, "the dataset is eleven (11 item rows, 5 user rows, train/dev/test 14/4/4) in the checkpoint",
                            "train/dev/test 15/4/4) here"])
  }

  // MARK: strict --resume and --init

  func testResumeReadsItsFilesStrictly() throws {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let directory = try temporaryFolder(self)
    var rng = RNG(seed: 8)
    let path = directory + "/run"
    let first = TiMiRec(config: TrainingTests.smallConfig(dataset), stage: .pretrain, rng: &rng)
    _ = try TrainingTests.quietTrainer(first, epochs: 1, corpus: corpus, dataset: dataset, path: path, initializedFrom: nil).run()
    let pristine = try ["optimizer.safetensors", "last.safetensors", "model.safetensors"].map {
      ($0, try Data(contentsOf: URL(fileURLWithPath: path + "/" + $0)))
    }
    func resume() throws {
      var rng = RNG(seed: 9)
      let model = TiMiRec(config: TrainingTests.smallConfig(dataset), stage: .pretrain, rng: &rng)
      try TrainingTests.quietTrainer(model, epochs: 2, corpus: corpus, dataset: dataset, path: path, initializedFrom: nil).resume()
    }
    func edit(_ name: String, _ change: (inout SafeTensorsFile) -> Void) throws {
      for (file, data) in pristine { try data.write(to: URL(fileURLWithPath: path + "/" + file)) }
      var file = try CheckpointDirectory.readTensors(path, file: name)
      change(&file)
      try file.write(to: URL(fileURLWithPath: path + "/" + name))
    }
    try resume()  // untouched: resumes
    try edit("optimizer.safetensors") { $0.tensors["exp_avg.bogus"] = SafeTensor(shape: [1], floats: [0]) }
    assertThrows(try resume(), contains: [path + "/optimizer.safetensors", "tensor 'exp_avg.bogus' is not a parameter"])
    try edit("optimizer.safetensors") { $0.tensors["exp_avg_sq.interest_extractor.W1.bias"] = nil }
    assertThrows(try resume(), contains: ["no tensor 'exp_avg_sq.interest_extractor.W1.bias'"])
    try edit("last.safetensors") {
      var values = $0.tensors["interest_extractor.W1.bias"]!.floats!
      values[0] = -.infinity
      $0.tensors["interest_extractor.W1.bias"] = SafeTensor(shape: [values.count], floats: values)
    }
    assertThrows(try resume(), contains: [path + "/last.safetensors", "tensor 'interest_extractor.W1.bias' holds -inf at index 0"])
    try edit("model.safetensors") { $0.tensors["proj.proj_final.weight"] = SafeTensor(shape: [1], floats: [0]) }
    assertThrows(try resume(), contains: [path + "/model.safetensors", "tensor 'proj.proj_final.weight' is not a parameter"])

    // Imported weights have no run to continue.
    let (imported, _) = try importFixture("tiny-pretrain", temperature: nil, into: directory)
    try JSONEncoder().encode(ResumeState(epochsDone: 1, devHistory: [0.1], adamSteps: 1, finished: false, seconds: 1))
      .write(to: URL(fileURLWithPath: imported + "/resume.json"))
    var other = RNG(seed: 1)
    let model = TiMiRec(config: TiMiRecConfig(itemCount: 11, embeddingSize: 8, attentionSize: 4, interestCount: 3, historyMax: 5),
                        stage: .pretrain, rng: &other)
    let trainer = Trainer(model: model, training: TrainingTests.trainingConfig(epochs: 2), source: corpus,
                          checkpointPath: imported, fingerprint: Self.elevenItemDataset().fingerprint, initializedFrom: nil)
    assertThrows(try trainer.resume(), contains: ["holds weights imported from", "nothing to resume"])
  }

  func testInitSaysWhichTensorsItTook() throws {
    let dataset = Self.elevenItemDataset()
    let directory = try temporaryFolder(self)
    let (pre, _) = try importFixture("tiny-pretrain", temperature: nil, into: directory)
    var rng = RNG(seed: 3)
    let config = TiMiRecConfig(itemCount: 11, embeddingSize: 8, attentionSize: 4, interestCount: 3, historyMax: 5,
                               temperature: 0.5)
    let model = TiMiRec(config: config, stage: .finetune, rng: &rng)
    let predictorBefore = model.predictor!.itemEmbeddings.data
    let taken = try CheckpointDirectory.loadPretrainedExtractor(into: model, from: pre, fingerprint: dataset.fingerprint)
    XCTAssertEqual(taken.taken, model.extractor.namedParameters.map(\.name))
    XCTAssertEqual(taken.taken.count, 20)
    XCTAssertEqual(taken.summary, "took 20 tensors (interest_extractor.*) from \(pre) (pretrain, imported from tiny-pretrain.safetensors)")
    XCTAssertEqual(model.extractor.itemEmbeddings.data, try reference.floats(named: "pretrain.weight.interest_extractor.i_embeddings.weight"))
    XCTAssertEqual(model.predictor!.itemEmbeddings.data, predictorBefore)
    // --init opens the checkpoint as itself: weights that disagree with its config are refused.
    try editConfig(pre) { $0.timiRec?.addTransformer = false }
    var noTransformer = config
    noTransformer.addTransformer = false
    let other = TiMiRec(config: noTransformer, stage: .finetune, rng: &rng)
    assertThrows(try CheckpointDirectory.loadPretrainedExtractor(into: other, from: pre, fingerprint: dataset.fingerprint),
                 contains: ["is not a parameter"])
  }
}

extension TiMiRecConfig {
  func withTemperature(_ t: Float) -> TiMiRecConfig {
    var copy = self
    copy.temperature = t
    return copy
  }
}
