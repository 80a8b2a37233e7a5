import Foundation
import XCTest
@testable import SeqRec

final class SequenceCorpusTests: XCTestCase {
  // Split of Fixtures/sequences/tiny.txt (see SequencesPreparerTests):
  // user 1: [3 train, 1 test]; user 2: [4 train]; user 3: [2 train, 3 dev, 4 test];
  // user 4: [4 train, 5 train, 6 dev, 1 test].
  func tinyCorpus(historyMax: Int = 20) throws -> SequenceCorpus {
    var o = PrepareOptions(source: .sequences, input: fixture("sequences/tiny.txt"), name: "tiny")
    o.negatives = 2
    return SequenceCorpus(dataset: try prepareDataset(o).dataset, historyMax: historyMax)
  }

  func testUserSequencesCarryTheSplitOfEachItem() throws {
    let c = try tinyCorpus()
    XCTAssertEqual(c.userSequence(4), UserSequence(user: 4, items: [4, 5, 6, 1], times: [1, 2, 3, 4],
                                                   splits: [.train, .train, .dev, .test]))
    XCTAssertEqual(c.userSequence(1).splits, [.train, .test])
    XCTAssertEqual(c.userSequence(2).items, [4])
    XCTAssertEqual(c.userSequence(0).items, [])
  }

  func testInstancesDropEmptyHistories() throws {
    let c = try tinyCorpus()
    XCTAssertEqual(c.train.count, 1)  // only user 4's second train item has a history
    XCTAssertEqual(c.train.items, [5])
    XCTAssertEqual(c.dev.users, [3, 4])
    XCTAssertEqual(c.test.users, [1, 3, 4])
  }

  func testEvaluationBatchesPadRightAndPutThePositiveFirst() throws {
    let c = try tinyCorpus()
    let batches = c.evaluationBatches(.test, batchSize: 2)
    XCTAssertEqual(batches.count, 2)
    let b = batches[0]
    XCTAssertEqual([b.size, b.historyLength, b.candidateCount], [2, 2, 3])
    XCTAssertEqual(b.users, [1, 3])
    XCTAssertEqual(b.history, [3, 0, 2, 3])
    XCTAssertEqual(b.lengths, [1, 2])
    XCTAssertEqual(b.candidates[0], 1)
    XCTAssertEqual(b.candidates[3], 4)
    let last = batches[1]
    XCTAssertEqual(last.size, 1)  // last partial batch kept
    XCTAssertEqual(last.history, [4, 5, 6])  // test sees the dev item, never its own target
    XCTAssertEqual(last.lengths, [3])
    let dev = c.evaluationBatches(.dev)
    XCTAssertEqual(dev.count, 1)
    XCTAssertEqual(dev[0].history, [2, 0, 4, 5])
    XCTAssertEqual(dev[0].candidates.count, 2 * 3)
  }

  func testHistoryIsTruncatedToTheLastHistoryMaxItems() throws {
    let c = try tinyCorpus(historyMax: 2)
    let last = c.evaluationBatches(.test)[0]
    XCTAssertEqual(last.historyLength, 2)
    XCTAssertEqual(Array(last.history[4..<6]), [5, 6])
  }

  /// A random log large enough for several batches.
  func randomCorpus() throws -> (SequenceCorpus, Dataset) {
    var gen = SeededRandom(seed: 3)
    var raw = RawInteractions(userOrder: .numeric, itemOrder: .numeric)
    for u in 1...120 {
      for t in 0..<gen.uniform(1...40) {
        raw.append(user: raw.users.intern(u), item: raw.items.intern(gen.uniform(1...300)), time: Int64(t * 10 + gen.uniform(0...12)))
      }
    }
    let p = try leaveOneOutSplit(raw, name: "r", negatives: 5, seed: 1, sourcePath: "random")
    return (SequenceCorpus(dataset: p.dataset), p.dataset)
  }

  func testTrainEpochMatchesANaiveRebuild() throws {
    let (c, d) = try randomCorpus()
    XCTAssertEqual(c.train.count, d.train.count - Set(d.train.users).count)
    let epoch = c.trainEpoch(seed: 11, epoch: 0, batchSize: 256)
    XCTAssertEqual(epoch.count, (c.train.count + 255) / 256)
    XCTAssertEqual(epoch.order.sorted(), Array(0..<Int32(c.train.count)))
    // Naive per-user chronological lists (train rows are already in (time, user) order).
    var trainItems: [Int32: Set<Int32>] = [:]
    for r in 0..<d.train.count { trainItems[d.train.users[r], default: []].insert(d.train.items[r]) }
    var seen = 0
    for batch in epoch {
      XCTAssertEqual(batch.size, batch === epoch.last ? c.train.count - 256 * (epoch.count - 1) : 256)
      XCTAssertEqual(batch.historyLength, Int(batch.lengths.max()!))
      for j in 0..<batch.size {
        let i = Int(batch.instances[j])
        let u = Int(c.train.users[i])
        let seq = c.userSequence(u)
        let p = Int(c.train.positions[i]) - c.sequenceOffsets[u]
        let expected = Array(seq.items[max(0, p - 20)..<p])
        let len = Int(batch.lengths[j])
        XCTAssertEqual(Array(batch.history[(j * batch.historyLength)..<(j * batch.historyLength + len)]), expected)
        XCTAssert(batch.history[(j * batch.historyLength + len)..<((j + 1) * batch.historyLength)].allSatisfy { $0 == 0 })
        XCTAssertEqual(batch.candidates[2 * j], seq.items[p])
        let negative = batch.candidates[2 * j + 1]
        XCTAssert(negative >= 1 && Int(negative) < c.itemCount)
        XCTAssertFalse(trainItems[Int32(u)]!.contains(negative))
        XCTAssertEqual(batch.users[j], Int32(u))
      }
      seen += batch.size
    }
    XCTAssertEqual(seen, c.train.count)
  }

  func testEpochsAreSeededAndRebuildable() throws {
    let (c, _) = try randomCorpus()
    let a = c.trainEpoch(seed: 5, epoch: 3), b = c.trainEpoch(seed: 5, epoch: 3), e = c.trainEpoch(seed: 5, epoch: 4)
    XCTAssertEqual(a.order, b.order)
    XCTAssertEqual(a.negatives, b.negatives)
    XCTAssertEqual(a[0], b[0])
    XCTAssertNotEqual(a.order, e.order)
    XCTAssertNotEqual(a.negatives, e.negatives)
  }
}

private extension SequenceBatch {
  static func === (a: SequenceBatch, b: SequenceBatch?) -> Bool { b.map { a.instances == $0.instances } ?? false }
}
