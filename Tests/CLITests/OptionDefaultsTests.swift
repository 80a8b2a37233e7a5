// The CLI's defaults are the library's (`TiMiRecConfig.defaults`, `TrainingConfig()`,
// `PrepareOptions`), and its modes are enums whose valid values `--help` lists and whose
// invalid values are refused before anything runs.
import Foundation
import SeqRec
import XCTest

final class OptionDefaultsTests: CLITestCase {
  /// A pretrain run given only what has no default (and --epochs 1, --threads 1 to be quick)
  /// writes exactly the library's model and training defaults into config.json.
  func testTrainWithoutOptionsUsesTheLibraryDefaults() throws {
    let data = try prepareSequences("six", ["1 1 2 3 4 5", "2 2 3 4 5 6", "3 3 4 5 6 1", "4 6 1 2 3 4"], negatives: 2)
    let out = path("runs/pre")
    let run = try timirec("train", "--data", data, "--out", out, "--stage", "pretrain", "--epochs", "1", "--threads", "1")
    XCTAssertEqual(run.exitCode, 0, run.transcript)

    let config = try CheckpointDirectory.readConfig(out)
    var model = TiMiRecConfig.defaults
    model.itemCount = 7
    XCTAssertEqual(config.timiRec, model)
    var training = TrainingConfig()
    training.maxEpochs = 1
    training.threads = 1
    XCTAssertEqual(config.training, training)
    // The values themselves (spec §3.6), so a changed library default is noticed here too.
    XCTAssertEqual([model.embeddingSize, model.attentionSize, model.interestCount, model.historyMax, model.projectionLayers],
                   [64, 8, 2, 20, 1])
    XCTAssertEqual([model.temperature, TrainingConfig().learningRate, TrainingConfig().l2], [1, 1e-3, 0])
    XCTAssertEqual([TrainingConfig().batchSize, TrainingConfig().maxEpochs, TrainingConfig().threads], [256, 200, 2])
    XCTAssertTrue(model.addPosition && model.addTransformer && model.stopGradient)
  }

  /// `--help` shows the library's defaults and lists every mode's values.
  func testHelpListsValidValuesAndTheLibraryDefaults() throws {
    let train = try timirec("train", "--help")
    XCTAssertEqual(train.exitCode, 0, train.transcript)
    let help = train.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    for expected in ["(default: finetune) (values: pretrain, finetune)", "--K <K> Number of interests K. (default: 2)",
                     "--add-pos <add-pos> Position embeddings in the extractor (TiMiRec, ComiRec). (default: 1) (values: 0, 1)",
                     "--temp <temp> Distillation temperature T (TiMiRec). (default: 1)",
                     "--lr <lr> Adam learning rate. (default: 0.001)", "(default: 256)", "(default: 200)"] {
      XCTAssertTrue(help.contains(expected), "train --help lacks '\(expected)':\n\(train.stdout)")
    }
    let evaluate = try timirec("evaluate", "--help")
    XCTAssertTrue(evaluate.stdout.contains("(values: test, dev; default: test)"), evaluate.transcript)
    XCTAssertTrue(evaluate.stdout.contains("(default: 5,10,20,50)"), evaluate.transcript)
    let prepare = try timirec("prepare", "--help")
    let prepareHelp = prepare.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    XCTAssertTrue(prepareHelp.contains("(values: sequences, movielens, amazon)"), prepare.transcript)
    XCTAssertTrue(prepareHelp.contains("Negatives per dev/test row. (default: \(PrepareOptions(source: .sequences, input: "", name: "").negatives))"),
                  prepare.transcript)
  }

  /// A value outside a mode's enum is a usage error (exit 64) that names the valid values;
  /// nothing is read or written.
  func testInvalidModesAreRefusedWithTheValidValues() throws {
    let cases: [(arguments: [String], says: String)] = [
      (["evaluate", "--data", path("none"), "--ckpt", path("none"), "--split", "train"],
       "The value 'train' is invalid for '--split <split>'. Please provide one of 'test' and 'dev'."),
      (["prepare", "csv", "--input", path("none"), "--output", path("out")],
       "The value 'csv' is invalid for '<source>'. Please provide one of 'sequences', 'movielens' or 'amazon'."),
      (["train", "--data", path("none"), "--out", path("out"), "--stage", "joint"],
       "The value 'joint' is invalid for '--stage <stage>'. Please provide one of 'pretrain' and 'finetune'."),
      (["train", "--data", path("none"), "--out", path("out"), "--stage", "pretrain", "--add-trm", "2"],
       "The value '2' is invalid for '--add-trm <add-trm>'. Please provide one of '0' and '1'."),
      (["train", "--data", path("none"), "--out", path("out"), "--model", "GRU4Rec", "--K", "2", "--stage", "pretrain"],
       "--K, --stage do not apply to GRU4Rec (its model options: --emb-size, --hidden-size, --history-max); remove them or choose another --model"),
      (["train", "--data", path("none"), "--out", path("out"), "--model", "TiMiRec", "--hidden-size", "8"],
       "--hidden-size does not apply to TiMiRec"),
      (["train", "--data", path("none"), "--out", path("out"), "--model", "GRU5Rec"],
       "--model GRU5Rec: no such model; choose one of ComiRec, GRU4Rec, MIND"),
      (["explore", "--snapshot", "--select", "top:1"],
       "The value 'top:1' is invalid for '--select <list:row>': --select list must be timirec or best, not 'top'"),
      (["explore", "--snapshot", "--select", "best:0"],
       "--select takes LIST:ROW (LIST timirec or best) with ROW ≥ 1, not 'best:0'"),
    ]
    for (arguments, says) in cases {
      let run = try Timirec.run(arguments)
      XCTAssertEqual(run.exitCode, 64, run.transcript)
      XCTAssertEqual(run.stdout, "", run.transcript)
      XCTAssertTrue(run.errorLines.first?.hasPrefix("Error: ") ?? false, run.transcript)
      XCTAssertTrue(run.errorLines.first?.contains(says) ?? false, "expected '\(says)':\n\(run.transcript)")
    }
    XCTAssertEqual(entries(workDir), [], "something was written")
  }
}
