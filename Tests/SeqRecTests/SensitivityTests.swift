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
}
