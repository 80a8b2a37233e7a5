import Foundation
import XCTest
@testable import SeqRec

/// Exact statistics on the real data in ../shared/data (skipped when it is absent).
final class RealDataTests: XCTestCase {
  func testBeautyStatisticsAndInstances() throws {
    guard let data = sharedDataFolder() else { throw XCTSkip("../shared/data not present") }
    var o = PrepareOptions(source: .sequences, input: data + "/beauty/Beauty.txt", name: "Beauty")
    o.negatives = 10  // the counts do not depend on it; keeps the debug test fast
    o.titles = data + "/beauty/item_titles.tsv"
    let p = try prepareDataset(o)
    let s = p.statistics
    XCTAssertEqual([s.users, s.items, s.interactions], [22_363, 12_101, 198_502])
    XCTAssertEqual([s.trainRows, s.devRows, s.testRows], [153_776, 22_363, 22_363])
    XCTAssertEqual([s.usersWithTwoInteractions, s.usersWithOneInteraction], [0, 0])
    XCTAssertEqual([s.minSequenceLength, s.maxSequenceLength], [5, 204])
    XCTAssertEqual(p.dataset.manifest?.sources.first?.sha256, "226cce9c3105299ca0db9615d7d3fb32b3175e90da43100ae352599f0f0107b8")
    XCTAssertEqual(p.dataset.catalog?.titledCount, 12_094)  // 7 Beauty items have no title
    XCTAssertEqual(p.dataset.catalog?.title(1), "OPI Nail Lacquer, Simmer and Shimmer, 0.5-Fluid Ounce")
    let corpus = SequenceCorpus(dataset: p.dataset)
    XCTAssertEqual(corpus.train.count, 131_413)
    XCTAssertEqual(s.trainInstances, 131_413)
    XCTAssertEqual(corpus.trainEpoch(seed: 0, epoch: 0).count, 514)  // ceil(131413 / 256)
  }

  func testMovieLens100KStatisticsAndInstances() throws {
    guard let data = sharedDataFolder() else { throw XCTSkip("../shared/data not present") }
    var o = PrepareOptions(source: .movielens, input: data + "/ml-100k/u.data", name: "ml-100k")
    o.negatives = 10
    let p = try prepareDataset(o)
    let s = p.statistics
    XCTAssertEqual([s.users, s.items, s.interactions], [943, 1_682, 100_000])
    XCTAssertEqual([s.trainRows, s.devRows, s.testRows], [98_114, 943, 943])
    XCTAssertEqual(p.dataset.catalog?.title(1), "Toy Story (1995)")
    XCTAssertEqual(p.dataset.catalog?.categories[1], "Animation|Children's|Comedy")
    XCTAssertEqual(SequenceCorpus(dataset: p.dataset).train.count, 97_171)
  }

  /// The data stream is pinned: `timirec prepare movielens` with its defaults (1,000
  /// negatives per dev/test row, seed 0) writes exactly the files that the committed results
  /// were trained and evaluated on. The hashes are those of the ML-100K folder prepared on
  /// 2026-12-02 before the data layer's generator (`SeededRandom`) was merged into `RNG`, so
  /// any change to negatives, splits, ordering or formatting fails here.
  func testMovieLens100KPreparedFilesAreByteIdentical() throws {
    guard let data = sharedDataFolder() else { throw XCTSkip("../shared/data not present") }
    let prepared = try prepareDataset(PrepareOptions(source: .movielens, input: data + "/ml-100k", name: "ml-100k"))
    let files = try prepared.dataset.files()
    let expected = [
      "train.csv": "627ee917204e8df5ec5d21c1c2e004cd376e73641ab6927a863b4ae912261c39",
      "dev.csv": "2bf1e9815396f1bbe39f1d891f18f5365fb47ce6173fb26a4c192628f4b2fec0",
      "test.csv": "9bb06e5e29d7ce6963e9e1eb32f0c5278eef0c04cc92946e29a1abe446b3133b",
      "items.tsv": "bdc43b64b44638dbe5bc582d558c5b96808085302f59ac3ba4fbb7fbeb35718e",
    ]
    for (name, hash) in expected.sorted(by: { $0.key < $1.key }) {
      guard let bytes = files[name] else { XCTFail("prepare wrote no \(name)"); continue }
      var hasher = SHA256Hasher()
      hasher.update(bytes)
      XCTAssertEqual(hasher.hexDigest(), hash, name)
    }
  }
}
