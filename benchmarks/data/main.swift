// bench-data: speed of the data layer on Amazon Beauty (docs/MODEL.md "Data"; issue 3 acceptance).
//
//   swift run -c release bench-data [--raw DIR] [--reps 3] [--negatives 1000]
//
// DIR (or the RAW_DATA environment variable) is the folder of raw sources holding
// beauty/Beauty.txt (README, "Where real data lives"); there is no default.
//
// Times (median over --reps): prepare Beauty from Beauty.txt (read, split, 1000 negatives per
// dev/test row), write the folder (~270 MB), load it back with full validation (warm file
// cache), build the sequence corpus, build one training epoch of batches (negatives + shuffle
// + all 514 batches materialised), build the dev batches; then peak RSS (getrusage).

import Foundation
import SeqRec
#if canImport(Glibc)
import Glibc
#endif

var rawRoot = ProcessInfo.processInfo.environment["RAW_DATA"]
var reps = 3
var negatives = 1000
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
  switch a {
  case "--raw": rawRoot = args.popFirst() ?? rawRoot
  case "--reps": reps = Int(args.popFirst() ?? "") ?? reps
  case "--negatives": negatives = Int(args.popFirst() ?? "") ?? negatives
  default:
    print("usage: bench-data [--raw DIR] [--reps N] [--negatives K]   (DIR: raw sources; or set RAW_DATA)")
    exit(2)
  }
}
guard let dataRoot = rawRoot, !dataRoot.isEmpty else {
  print("bench-data: no raw data folder: set RAW_DATA or pass --raw DIR, a folder holding beauty/Beauty.txt")
  exit(2)
}
let input = dataRoot + "/beauty/Beauty.txt"
guard FileManager.default.fileExists(atPath: input) else {
  print("bench-data: \(input) not found; RAW_DATA / --raw must name a folder holding beauty/Beauty.txt")
  exit(1)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
  let t0 = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func report(_ name: String, _ xs: [Double], _ extra: String = "") {
  let label = name.padding(toLength: max(44, name.count), withPad: " ", startingAt: 0)
  print(label + String(format: " median %7.3f s  (min %.3f, max %.3f, n=%d)", median(xs), xs.min()!, xs.max()!, xs.count)
        + extra)
}

func peakRSSMiB() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024  // ru_maxrss is KiB on Linux
}

let scratch = NSTemporaryDirectory() + "bench-data-\(getpid())"
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }
let folder = scratch + "/Beauty"

print("bench-data: Beauty from \(input), \(negatives) negatives per dev/test row, \(reps) repetitions")
var prepareTimes: [Double] = [], writeTimes: [Double] = []
var prepared: PreparedDataset? = nil
for _ in 0..<reps {
  var options = PrepareOptions(source: .sequences, input: input, name: "Beauty")
  options.negatives = negatives
  prepareTimes.append(try seconds { prepared = try prepareDataset(options) })
  writeTimes.append(try seconds { try prepared!.dataset.write(to: folder, overwrite: true) })
}
let stats = prepared!.statistics
report("prepare (read + split + negatives)", prepareTimes)
report("write folder", writeTimes)
prepared = nil

let bytes = try ["train.csv", "dev.csv", "test.csv"].reduce(0) {
  $0 + ((try FileManager.default.attributesOfItem(atPath: folder + "/" + $1)[.size] as? Int) ?? 0)
}
var loadTimes: [Double] = []
var dataset: Dataset? = nil
for _ in 0..<reps { loadTimes.append(try seconds { dataset = try Dataset.load(folder: folder) }) }
report("load + validate", loadTimes, String(format: "  %.0f MB of CSV, %.0f MB/s", Double(bytes) / 1e6,
                                            Double(bytes) / 1e6 / median(loadTimes)))

var corpusTimes: [Double] = []
var corpus: SequenceCorpus? = nil
for _ in 0..<reps { corpusTimes.append(seconds { corpus = SequenceCorpus(dataset: dataset!, historyMax: 20) }) }
report("sequence corpus (windows)", corpusTimes)

var epochTimes: [Double] = []
var checksum = 0
var batchCount = 0
for e in 0..<reps {
  epochTimes.append(seconds {
    let epoch = corpus!.trainEpoch(seed: 0, epoch: e, batchSize: 256)
    batchCount = epoch.count
    for batch in epoch { checksum &+= Int(batch.history.last ?? 0) &+ batch.size }
  })
}
report("train epoch: \(corpus!.train.count) inst, \(batchCount) batches", epochTimes,
       String(format: "  %.0f batches/s", Double(batchCount) / median(epochTimes)))

var devTimes: [Double] = []
for _ in 0..<reps {
  devTimes.append(seconds {
    let batches = corpus!.evaluationBatches(.dev, batchSize: 256)
    checksum &+= batches.count
  })
}
report("dev batches (C = \(negatives + 1))", devTimes)

print("stats: users \(stats.users), items \(stats.items), interactions \(stats.interactions), train/dev/test "
      + "\(stats.trainRows)/\(stats.devRows)/\(stats.testRows), training instances \(corpus!.train.count)")
print(String(format: "peak RSS %.0f MiB (checksum %d)", peakRSSMiB(), checksum))
