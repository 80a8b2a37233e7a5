// Figure 3's sweeps (Sources/SeqRec/Experiments/Sensitivity.swift): which runs each point
// trains, and the table and plot built from per-run results.
import Foundation
import SeqRec
import XCTest

final class SensitivityTests: XCTestCase {
  static let recipes: RecipeBook = { model, dataset in
    switch model {
    case "ComiRec+": return ModelRecipe(model: "ComiRec+", group: .withTransformer, arguments: ["--stage", "pretrain", "--K", "2"])
    case "TiMiRec+": return ModelRecipe(model: "TiMiRec+", group: .withTransformer,
                                        arguments: ["--stage", "finetune", "--K", "2", "--temp", "0.5"], initFrom: "ComiRec+")
    default: throw BenchmarkError.unknownModel(model: model, dataset: dataset, known: [])
    }
  }

  func testKPointsPretrainWithTheirKAndTPointsShareThePretrain() throws {
    let k = try SensitivitySweep(parameter: .K, values: ["1", "2", "4"], dataset: "d", seeds: [0], recipes: Self.recipes)
    XCTAssertEqual(k.plan.runs.map(\.name), ["ComiRec+-K1-s0", "TiMiRec+-K1-s0", "ComiRec+-s0", "TiMiRec+-s0",
                                             "ComiRec+-K4-s0", "TiMiRec+-K4-s0"])
    XCTAssertEqual(k.plan.runs[0].arguments, ["--stage", "pretrain", "--K", "1", "--seed", "0"])
    XCTAssertEqual(k.plan.evaluations.map(\.run), ["TiMiRec+-K1-s0", "TiMiRec+-s0", "TiMiRec+-K4-s0"])
    let t = try SensitivitySweep(parameter: .T, values: SensitivitySweep.Parameter.T.paperValues, dataset: "d", seeds: [0, 1],
                                 recipes: Self.recipes)
    XCTAssertEqual(t.plan.runs.filter { $0.model == "ComiRec+" }.map(\.name), ["ComiRec+-s0", "ComiRec+-s1"])
    XCTAssertEqual(t.plan.runs.filter { $0.model == "TiMiRec+" }.map(\.name), [
      "TiMiRec+-temp0.1-s0", "TiMiRec+-temp0.1-s1", "TiMiRec+-temp0.2-s0", "TiMiRec+-temp0.2-s1", "TiMiRec+-s0", "TiMiRec+-s1",
      "TiMiRec+-temp1-s0", "TiMiRec+-temp1-s1", "TiMiRec+-temp2-s0", "TiMiRec+-temp2-s1",
    ])
    XCTAssertEqual(t.plan.runs.first { $0.name == "TiMiRec+-temp2-s1" }?.initRun, "ComiRec+-s1")
  }

  func testTableRowsPerValueMeansAndPlotSeries() throws {
    let sweep = try SensitivitySweep(parameter: .K, values: ["1", "2", "4"], dataset: "d", seeds: [0, 1], recipes: Self.recipes)
    func result(_ run: String, seed: Int, hr: Double, ndcg: Double) -> RunResult {
      RunResult(dataset: "d", model: "TiMiRec+", seed: seed, run: run,
                chain: [.init(run: run, epochs: 5, bestEpoch: 3, seconds: 30, arguments: [])], maxEpochs: nil,
                metrics: ["sampled": ["HR@10": hr, "NDCG@10": ndcg]], standardErrors: [:], perUser: [:], evaluated: "")
    }
    // K = 1 both seeds, K = 2 (Table 2's run) one seed, K = 4 none yet.
    let results = [result("TiMiRec+-K1-s0", seed: 0, hr: 0.20, ndcg: 0.10), result("TiMiRec+-K1-s1", seed: 1, hr: 0.24, ndcg: 0.12),
                   result("TiMiRec+-s0", seed: 0, hr: 0.28, ndcg: 0.15)]
    let table = try sweep.table(results: results, command: "timirec analyze sensitivity")
    XCTAssertEqual(table.rows.map(\.model), ["K = 1", "K = 2", "K = 4"])
    XCTAssertEqual(table.rows[0].cells["sampled"]?["HR@10"]?.mean ?? 0, 0.22, accuracy: 1e-12)
    XCTAssertEqual(table.rows[0].cells["sampled"]?["HR@10"]?.sd ?? 0, (0.0008).squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(table.rows[1].seeds, [0])
    XCTAssertEqual(table.rows[1].cells["sampled"]?["NDCG@10"]?.best, true)
    XCTAssertTrue(table.rows[2].cells.isEmpty)
    let series = sweep.series(table)
    XCTAssertEqual(series.map(\.label), ["HR@10", "NDCG@10"])
    XCTAssertEqual(series[0].x, [1, 2])
    XCTAssertEqual(series[0].y[0], 0.22, accuracy: 1e-12)
    XCTAssertEqual(series[1].y[1], 0.15, accuracy: 1e-12)
    let markdown = table.markdown
    XCTAssertTrue(markdown.contains("| K = 1 | 0.2200 ± 0.0283 | 0.1100 ± 0.0141 |"), markdown)
    XCTAssertTrue(markdown.contains("| K = 2 (1 of 2 seeds) | **0.2800** | **0.1500** |"), markdown)
    XCTAssertTrue(markdown.contains("| K = 4 (0 of 2 seeds) | – | – |"), markdown)

    // Written: the table with the terminal plot in its markdown (no PNG asked).
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sensitivity-\(getpid())-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try sweep.write(table, to: folder, png: false)
    let written = try String(contentsOfFile: folder + "/sensitivity-K.md", encoding: .utf8)
    XCTAssertTrue(written.contains(sweep.terminalPlot(table)), written)
    XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/sensitivity-K.json"))
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/sensitivity-K.png"))
  }

  func testRecordedValuesAreReadFromResultNamesAndMergedNumerically() {
    let names = ["TiMiRec+-temp0.2-s0.json", "TiMiRec+-temp3-s1.json", "TiMiRec+-s0.json", "TiMiRec+-K4-s0.json",
                 "ComiRec+-temp0.2-s0.json", "TiMiRec+-temp0.2-s0.json.tmp", "TiMiRec+-tempx-s0.json", "TiMiRec+-temp-1-s0.json",
                 "TiMiRec+-temp0.5-sx.json"]
    let t = SensitivitySweep.recordedPoints(.T, model: "TiMiRec+", resultNames: names + ["TiMiRec+-tempinf-s0.json"])
    XCTAssertEqual(t.map(\.value), ["0.2", "3"])
    XCTAssertEqual(t.map(\.seed), [0, 1])
    let k = SensitivitySweep.recordedPoints(.K, model: "TiMiRec+", resultNames: names + ["TiMiRec+-K1.5-s0.json"])
    XCTAssertEqual(k.map(\.value), ["4"])
    XCTAssertEqual(SensitivitySweep.merged(["0.5", "3", "0.1", "0.50", "2", "x", "0.2"]), ["0.1", "0.2", "0.5", "2", "3"])
    XCTAssertEqual(SensitivitySweep.canonical("0.20", among: ["0.1", "0.2"]), "0.2")
    XCTAssertEqual(SensitivitySweep.canonical("0.3", among: ["0.1", "0.2"]), "0.3")
  }

  /// The standard errors (error bars) and the paired tests against the recipe's T, by hand on
  /// four test users: T = 0.5 (the recipe's) ranks 1, 20, 3, 11 → HR@10 1, 0, 1, 0; T = 0.1
  /// ranks 2, 5, 30, 4 → 1, 1, 0, 1.
  func testErrorBarsAndPairedTestsAgainstTheRecipesValue() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sensitivity-\(getpid())-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    func result(_ run: String, ranks: [Int]) throws -> RunResult {
      let file = folder + "/\(run).tsv"
      try Data(("user\trank\n" + ranks.enumerated().map { "\($0.offset + 1)\t\($0.element)\n" }.joined()).utf8)
        .write(to: URL(fileURLWithPath: file))
      let hr = Double(ranks.filter { $0 <= 10 }.count) / Double(ranks.count)
      return RunResult(dataset: "d", model: "TiMiRec+", seed: 0, run: run,
                       chain: [.init(run: run, epochs: 5, bestEpoch: 3, seconds: 30, arguments: [])], maxEpochs: nil,
                       metrics: ["sampled": ["HR@10": hr, "NDCG@10": 0.1]], standardErrors: [:], perUser: ["sampled": file],
                       evaluated: "")
    }
    let sweep = try SensitivitySweep(parameter: .T, values: ["0.10", "0.50", "2"], dataset: "d", seeds: [0], recipes: Self.recipes)
    XCTAssertEqual(sweep.recipeValue, "0.5")
    XCTAssertEqual(sweep.recipePoint, "0.50")
    XCTAssertEqual(sweep.plan.evaluations.map(\.run), ["TiMiRec+-temp0.10-s0", "TiMiRec+-s0", "TiMiRec+-temp2-s0"])
    let results = [try result("TiMiRec+-s0", ranks: [1, 20, 3, 11]), try result("TiMiRec+-temp0.10-s0", ranks: [2, 5, 30, 4])]
    let table = try sweep.table(results: results, command: "timirec analyze sensitivity")
    // SE: HR@10 values 1, 0, 1, 0 have sd √(1/3), over √4 users; 1, 1, 0, 1 have sd 0.5.
    XCTAssertEqual(table.rows[1].cells["sampled"]?["HR@10"]?.standardError ?? 0, (1.0 / 3).squareRoot() / 2, accuracy: 1e-12)
    XCTAssertEqual(table.rows[0].cells["sampled"]?["HR@10"]?.standardError ?? 0, 0.25, accuracy: 1e-12)
    let series = sweep.series(table)
    XCTAssertEqual(series[0].x, [0.1, 0.5])
    XCTAssertEqual(series[0].errors?[0] ?? 0, 0.25, accuracy: 1e-12)
    // T = 0.1 − T = 0.5: differences 0, 1, −1, 1 → mean 0.25, t = 0.25/(sd/2) with sd² = 2.75/3;
    // p from scipy.stats.ttest_rel (0.6376180914006019). T = 2 has no result: no comparison.
    XCTAssertEqual(table.comparisons.map { "\($0.model) − \($0.against)" }, ["T = 0.10 − T = 0.50"])
    let test = try XCTUnwrap(table.comparisons.first?.tests["sampled"]?["HR@10"])
    XCTAssertEqual(test.meanDifference, 0.25, accuracy: 1e-12)
    XCTAssertEqual(test.t, 0.25 / ((2.75 / 3).squareRoot() / 2), accuracy: 1e-12)
    XCTAssertEqual(test.p, 0.6376180914006019, accuracy: 1e-9)
    XCTAssertEqual(test.users, 4)
    XCTAssertEqual(test.mark, "")
    let markdown = table.markdown
    XCTAssertTrue(markdown.contains("## Each T against T = 0.50, the recipe's"), markdown)
    XCTAssertTrue(markdown.contains("| T = 0.10 − T = 0.50 | sampled | +0.2500 (p 0.64) |"), markdown)
    XCTAssertTrue(markdown.contains("SE: the standard error of the mean over the test users"), markdown)
    XCTAssertTrue(markdown.contains(String(format: "| T = 0.50 | 0.5000 (SE %.4f) |", (1.0 / 3).squareRoot() / 2)), markdown)
    XCTAssertTrue(markdown.contains("With one seed the test users are the only measure of noise."), markdown)
    // Without the recipe's point among the values there is nothing to compare with.
    let away = try SensitivitySweep(parameter: .T, values: ["0.1", "2"], dataset: "d", seeds: [0], recipes: Self.recipes)
    XCTAssertNil(away.recipePoint)
    XCTAssertTrue(try away.table(results: results, command: "").comparisons.isEmpty)
  }
}
