import Foundation
import XCTest
@testable import SeqRec
import Tensor

/// The registry builds each model from `timirec train`'s options and refuses options that
/// do not apply; the recipe table covers the paper's tables.
final class ModelRegistryTests: XCTestCase {
  /// TiMiRec takes its options (given ones set, the rest at the defaults) and refuses
  /// another model's, naming every foreign option and listing its own.
  func testTiMiRecOptionsAndForeignOptions() throws {
    let entry = try ModelRegistry.entry(named: "TiMiRec")
    let given = ModelOptions(["--K": "3", "--temp": "0.5", "--no-stopgrad": "1"])
    let config = try XCTUnwrap(try entry.configuration(itemCount: 9, given: given) as? TiMiRecConfig)
    var expected = TiMiRecConfig(itemCount: 9, interestCount: 3, temperature: 0.5)
    expected.stopGradient = false
    XCTAssertEqual(config, expected)
    XCTAssertThrowsError(try entry.configuration(itemCount: 9, given: ModelOptions(["--hidden-size": "8", "--iterations": "3", "--K": "2"]))) { error in
      XCTAssertEqual(error as? ModelOptionsError,
                     .notApplicable(model: "TiMiRec", options: ["--hidden-size", "--iterations"], accepted: entry.options))
      XCTAssertTrue("\(error)".hasPrefix("--hidden-size, --iterations do not apply to TiMiRec (its model options: --K, --add-pos,"), "\(error)")
    }
    XCTAssertThrowsError(try entry.configuration(itemCount: 9, given: ModelOptions(["--add-pos": "2"]))) { error in
      XCTAssertEqual("\(error)", "--add-pos 2: expected 0 or 1")
    }
    XCTAssertThrowsError(try ModelRegistry.entry(named: "Nope")) { error in
      XCTAssertTrue("\(error)".hasPrefix("--model Nope: no such model; choose one of "), "\(error)")
    }
  }

  /// A TiMiRec config.json written now has exactly the shape it had before other models
  /// (format 2, `stage`, `modelConfig` with TiMiRec's fields, since then only `aggregateRaw`
  /// added, which reads as false when absent) and reads back equal.
  func testTiMiRecConfigKeepsItsShape() throws {
    let fingerprint = DatasetFingerprint(name: "x", itemCount: 11, userCount: 3, trainRows: 4, devRows: 2, testRows: 2)
    let config = CheckpointConfig(stage: .pretrain, modelConfig: TiMiRecConfig(itemCount: 11, embeddingSize: 8),
                                  training: TrainingConfig(), dataset: fingerprint, initializedFrom: nil, bestEpoch: 3,
                                  bestDev: ["NDCG@5": 0.25])
    let data = try CheckpointDirectory.json(config)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    XCTAssertEqual(Set(object.keys), ["formatVersion", "model", "stage", "modelConfig", "dataset", "training", "bestEpoch", "bestDev"])
    XCTAssertEqual(Set((object["modelConfig"] as? [String: Any])?.keys ?? [:].keys), [
      "itemCount", "embeddingSize", "attentionSize", "interestCount", "addPosition", "addTransformer", "aggregateRaw",
      "historyMax", "temperature", "projectionLayers", "stopGradient",
    ])
    XCTAssertEqual(object["formatVersion"] as? Int, 2)
    XCTAssertEqual(try JSONDecoder().decode(CheckpointConfig.self, from: data), config)
  }

  /// Every table model has a recipe on both datasets, in its Table 2 group; every `initFrom`
  /// names a recipe of the same dataset that comes earlier in its chain; the registered
  /// models accept the recipe's model options.
  func testRecipesCoverTheTables() throws {
    let groups: [String: Recipe.Group] = [
      "GRU4Rec": .withoutTransformer, "YouTube": .withoutTransformer, "MIND": .withoutTransformer,
      "ComiRec": .withoutTransformer, "TiMiRec": .withoutTransformer, "SASRec": .withTransformer,
      "TiSASRec": .withTransformer, "ComiRec+": .withTransformer, "TiMiRec+": .withTransformer,
      "TiMiRec-joint": .ablation, "TiMiRec-nostopgrad": .ablation,
    ]
    XCTAssertEqual(Set(Recipes.tableModels), Set(groups.keys))
    let trainingOptions = Set(SettingChange.trainingOptions.values)
    for dataset in Recipes.datasets {
      for name in Recipes.tableModels {
        let recipe = try XCTUnwrap(Recipes.recipe(name, dataset: dataset), "\(name) on \(dataset)")
        XCTAssertEqual(recipe.group, groups[name], name)
        let chain = Recipes.chain(name, dataset: dataset)
        XCTAssertEqual(chain.last, recipe)
        XCTAssertEqual(chain.count, recipe.initFrom == nil ? 1 : 2, name)
        // The model options, as `train` would hand them to the registry.
        var given: [String: String] = [:]
        var index = 0, modelName = ""
        let arguments = recipe.arguments
        while index < arguments.count {
          let option = arguments[index]
          if option == "--joint" || option == "--no-stopgrad" { given[option] = "1"; index += 1; continue }
          let value = arguments[index + 1]
          if option == "--model" { modelName = value } else if !trainingOptions.contains(option) { given[option] = value }
          index += 2
        }
        guard let entry = ModelRegistry.entry(modelName) else { continue }  // registered on another branch
        XCTAssertNoThrow(try entry.configuration(itemCount: 10, given: ModelOptions(given)), "\(name) on \(dataset)")
      }
    }
    let tiMiRecPlus = try XCTUnwrap(Recipes.recipe("TiMiRec+", dataset: "ml-100k"))
    XCTAssertEqual(tiMiRecPlus.initFrom, "ComiRec+")
    XCTAssertEqual(tiMiRecPlus.trainArguments(data: "d", out: "o", seed: 1, threads: 1, initPath: "p").suffix(6),
                   ["--seed", "1", "--threads", "1", "--init", "p"])
    XCTAssertTrue(tiMiRecPlus.arguments.contains("0.5") && tiMiRecPlus.arguments.contains("--n-layers"))
    XCTAssertEqual(Recipes.recipe("TiMiRec", dataset: "beauty")?.initFrom, "TiMiRec-pretrain")
  }

  /// Each baseline takes its own options only: GRU4Rec refuses --K, ComiRec refuses
  /// --hidden-size, and each builds its configuration from what it takes.
  func testBaselinesTakeTheirOwnOptions() throws {
    XCTAssertEqual(Set(ModelRegistry.names).isSuperset(of: ["ComiRec", "GRU4Rec", "MIND", "TiMiRec", "YouTube"]), true)
    let gru = try ModelRegistry.entry(named: "GRU4Rec")
    XCTAssertEqual(try gru.configuration(itemCount: 7, given: ModelOptions(["--hidden-size": "128"])) as? GRU4RecConfig,
                   GRU4RecConfig(itemCount: 7, hiddenSize: 128))
    XCTAssertThrowsError(try gru.configuration(itemCount: 7, given: ModelOptions(["--K": "2", "--temp": "1"]))) { error in
      XCTAssertEqual("\(error)", "--K, --temp do not apply to GRU4Rec (its model options: --emb-size, --hidden-size, --history-max); remove them or choose another --model")
    }
    let comiRec = try ModelRegistry.entry(named: "ComiRec")
    XCTAssertEqual(try comiRec.configuration(itemCount: 7, given: ModelOptions(["--K": "4", "--add-pos": "0"])) as? ComiRecConfig,
                   ComiRecConfig(itemCount: 7, interestCount: 4, addPosition: false))
    XCTAssertThrowsError(try comiRec.configuration(itemCount: 7, given: ModelOptions(["--hidden-size": "8"])))
    XCTAssertEqual(try ModelRegistry.entry(named: "MIND").configuration(itemCount: 7, given: ModelOptions(["--iterations": "5"]))
                   as? MINDConfig, MINDConfig(itemCount: 7, iterations: 5))
    XCTAssertFalse(try ModelRegistry.entry(named: "YouTube").options.contains("--K"))
  }

  /// A baseline trains through `Trainer`, its config.json holds its own configuration and
  /// no stage, it opens by name with the best weights, and `--resume` with another model is
  /// refused as one change (`--model`), with another setting as that setting.
  func testBaselineCheckpointRoundTripAndResumeChecks() throws {
    let dataset = TrainingTests.plantedDataset()
    let corpus = SequenceCorpus(dataset: dataset, historyMax: 20)
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("timirec-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    let path = url.path + "/gru"
    var rng = RNG(seed: 2)
    let config = GRU4RecConfig(itemCount: dataset.itemCount, embeddingSize: 8, hiddenSize: 6)
    let model = GRU4Rec(config: config, rng: &rng)
    var training = TrainingTests.trainingConfig(epochs: 1)
    training.threads = 1
    let trainer = Trainer(model: model, training: training, source: corpus, checkpointPath: path,
                          fingerprint: dataset.fingerprint, initializedFrom: nil)
    trainer.log = { _ in }
    _ = try trainer.run()
    let read = try CheckpointDirectory.readConfig(path)
    XCTAssertEqual(read.model, "GRU4Rec")
    XCTAssertNil(read.stage)
    XCTAssertEqual(read.modelConfig as? GRU4RecConfig, config)
    XCTAssertNil(read.timiRec)
    let (opened, _) = try CheckpointDirectory.openModel(path, for: dataset.fingerprint)
    let reopened = try XCTUnwrap(opened as? GRU4Rec)
    let batch = corpus.evaluationBatches(split: .test, batchSize: 16)[0]
    XCTAssertEqual(reopened.evaluationScores(batch).data, model.evaluationScores(batch).data)  // 1 epoch: best = last
    // TiMiRec's own opener refuses it by name.
    XCTAssertThrowsError(try CheckpointDirectory.loadModel(path)) { error in
      XCTAssertTrue("\(error)".contains("the model is GRU4Rec in the checkpoint but TiMiRec here"), "\(error)")
    }
    training.maxEpochs = 2
    var scratch = RNG(seed: 0)
    let other = Trainer(model: YouTube(config: YouTubeConfig(itemCount: dataset.itemCount, embeddingSize: 8), rng: &scratch),
                        training: training, source: corpus, checkpointPath: path, fingerprint: dataset.fingerprint,
                        initializedFrom: nil)
    XCTAssertThrowsError(try other.resume()) { error in
      guard case let TrainingError.settingsChanged(_, changes) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(changes, [SettingChange(option: "--model", started: "GRU4Rec", requested: "YouTube")])
    }
    var wider = config
    wider.hiddenSize = 7
    let changed = Trainer(model: GRU4Rec(config: wider, rng: &scratch), training: training, source: corpus,
                          checkpointPath: path, fingerprint: dataset.fingerprint, initializedFrom: nil)
    XCTAssertThrowsError(try changed.resume()) { error in
      guard case let TrainingError.settingsChanged(_, changes) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(changes, [SettingChange(option: "--hidden-size", started: "6", requested: "7")])
    }
    let same = Trainer(model: GRU4Rec(config: config, rng: &scratch), training: training, source: corpus,
                       checkpointPath: path, fingerprint: dataset.fingerprint, initializedFrom: nil)
    XCTAssertNoThrow(try same.resume())
  }
}
