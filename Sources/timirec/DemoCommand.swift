import ArgumentParser
import Demo
import Explorer
import Foundation
import SeqRec
import Tensor

/// `timirec demo`: the bundled demo (a seeded household simulator) and its report.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Generate the bundled demo dataset, or report how well q names the member who watches next.",
    subcommands: [Generate.self, Report.self])

  struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write the simulated household dataset (train/dev/test.csv, items.tsv, dataset.json, members.tsv).",
      discussion: "The whole demo (data + checkpoint) is rebuilt by demo-data/regenerate.sh.")

    @Option(help: "Output folder.") var out: String = "demo-data"
    @Option(help: "Households (dataset users).") var households: Int = HouseholdSimulatorConfig().households
    @Option(help: "Titles in the catalogue.") var titles: Int = HouseholdSimulatorConfig().titles
    @Option(help: "Negatives per dev/test row.") var negatives: Int = HouseholdSimulatorConfig().negatives
    @Option(help: "Seed.") var seed: UInt64 = HouseholdSimulatorConfig().seed
    @Flag(help: "Replace the dataset files in an existing folder (a checkpoint/ inside is kept).") var force = false

    func run() throws {
      var config = HouseholdSimulatorConfig()
      config.households = households
      config.titles = titles
      config.negatives = negatives
      config.seed = seed
      let demo = try HouseholdSimulator.generate(config)
      var files = try demo.dataset.files()
      files["members.tsv"] = Data(demo.membersTSV().utf8)
      do {
        if FileManager.default.fileExists(atPath: out) {
          // The folder also holds the checkpoint, regenerate.sh and report.txt, which stay:
          // only the dataset files are replaced, each one atomically.
          guard force else { throw CommandError("\(out) exists; pass --force to replace its dataset files") }
          for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try AtomicWrite.writeFile(data, to: out + "/" + name)
          }
        } else {
          try AtomicWrite.writeFolder(out, files: files)
        }
      } catch let error as AtomicWriteError {
        throw CommandError("\(error)")
      }
      let s = demo.dataset.manifest!.statistics
      print("wrote \(out): \(s.users) households, \(s.items) titles, \(s.interactions) interactions (\(s.trainRows) train, \(s.devRows) dev, \(s.testRows) test rows, \(negatives) negatives each)")
    }
  }

  struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "How often q's top interest names the true next member, vs the best-matching interest rule.")

    @Option(help: "Demo dataset folder (with members.tsv).") var data: String?
    @Option(help: "Checkpoint (default: <data>/checkpoint).") var ckpt: String?
    @Option(help: "Category whose runs of ≥ 3 make the case study (default: the child persona's).")
    var runCategory: String = HouseholdSimulator.runCategory
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
      let folder = data ?? DemoPaths.defaultDemoFolder()
      let session = try ExplorerSession.load(data: folder, checkpoint: ckpt ?? folder + "/checkpoint")
      let members: [[UInt8]]
      do { members = try HouseholdSimulator.readMembers(path: folder + "/members.tsv").members } catch let error as MembersFileError {
        throw ExplorerError.dataset(path: error.path, reason: error.reason)
      }
      let report = MemberAgreement.report(model: session.model, corpus: session.corpus, catalog: session.dataset.catalog,
                                          members: members, runCategory: runCategory)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
      } else {
        print(report.text, terminator: "")
      }
    }
  }
}
