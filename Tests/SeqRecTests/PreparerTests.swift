import Foundation
import XCTest
@testable import SeqRec

/// Rows of a table as tuples, for compact expectations.
private func rows(_ t: InteractionTable) -> [[Int]] {
  (0..<t.count).map { [Int(t.users[$0]), Int(t.items[$0]), Int(t.times[$0])] }
}

final class SequencesPreparerTests: XCTestCase {
  // Fixture (original ids): 10: 5 7 9 | 2: 7 3 | 30: 9 11 12 3 | 4: 9
  // Users 2,4,10,30 -> 1,2,3,4 (numeric order); items 3,5,7,9,11,12 -> 1..6; time = position.
  func prepared(negatives: Int = 2, seed: UInt64 = 0) throws -> PreparedDataset {
    var o = PrepareOptions(source: .sequences, input: fixture("sequences/tiny.txt"), name: "tiny")
    o.negatives = negatives
    o.seed = seed
    return try prepareDataset(o)
  }

  func testSplitFollowsSpecStepsOneToSix() throws {
    let p = try prepared()
    let d = p.dataset
    // Step 2: (time, user) order: all first items by user, then all second items, ...
    XCTAssertEqual(rows(d.train), [[1, 3, 1], [2, 4, 1], [3, 2, 1], [4, 4, 1], [4, 5, 2]])
    XCTAssertEqual(rows(d.dev), [[3, 3, 2], [4, 6, 3]])  // user 3 has exactly 3 interactions
    XCTAssertEqual(rows(d.test), [[1, 1, 2], [3, 4, 3], [4, 1, 4]])  // user 1 (2 interactions): test, no dev
    XCTAssertEqual(p.originalUserIds, ["", "2", "4", "10", "30"])
    XCTAssertEqual(p.originalItemIds, ["", "3", "5", "7", "9", "11", "12"])
    XCTAssertEqual(d.userCount, 5)
    XCTAssertEqual(d.itemCount, 7)
  }

  func testStatistics() throws {
    let s = try prepared().statistics
    XCTAssertEqual(s.users, 4)
    XCTAssertEqual(s.items, 6)
    XCTAssertEqual(s.interactions, 10)
    XCTAssertEqual([s.trainRows, s.devRows, s.testRows], [5, 2, 3])
    XCTAssertEqual(s.trainInstances, 1)
    XCTAssertEqual(s.usersWithTwoInteractions, 1)
    XCTAssertEqual(s.usersWithOneInteraction, 1)
    XCTAssertEqual([s.minSequenceLength, s.maxSequenceLength], [1, 4])
    XCTAssertEqual(s.meanSequenceLength, 2.5)
    XCTAssertEqual(s.negativePool, 5)  // distinct items of non-first rows: {1, 3, 4, 5, 6}
  }

  func testNegativesAvoidClickedItemsAndStayInPool() throws {
    let d = try prepared(negatives: 50).dataset
    // Allowed sets: pool [1, 5] minus each user's clicked items.
    let allowed: [Int32: Set<Int32>] = [1: [2, 4, 5], 3: [1, 5], 4: [2, 3]]
    for t in [d.dev, d.test] {
      XCTAssertEqual(t.negativeCount, 50)
      for r in 0..<t.count {
        let negs = Set(t.negatives(ofRow: r))
        XCTAssertTrue(negs.isSubset(of: allowed[t.users[r]]!), "row \(r): \(negs.sorted())")
        XCTAssertEqual(negs, allowed[t.users[r]]!, "50 draws should reach every allowed item")
      }
    }
  }

  func testManifestHasHashesSeedAndStats() throws {
    let p = try prepared()
    let m = try XCTUnwrap(p.dataset.manifest)
    XCTAssertEqual(m.sources, [SourceFile(role: "interactions", file: "tiny.txt", bytes: 32,
                                          sha256: "d9cff10d03b1ceccb992c190e3fcd71b1c80464834e7f9a2a1797533e2aade64")])
    XCTAssertEqual(m.seed, 0)
    XCTAssertEqual(m.negatives, 2)
    XCTAssertEqual(m.statistics, p.statistics)
  }

  func testTitlesAndAttributesAttachByOriginalId() throws {
    var o = PrepareOptions(source: .sequences, input: fixture("sequences/tiny.txt"), name: "tiny")
    o.negatives = 1
    o.titles = fixture("sequences/titles.tsv")
    o.attributes = fixture("sequences/item2attributes.json")
    o.datamaps = fixture("sequences/datamaps.json")
    let p = try prepareDataset(o)
    let c = try XCTUnwrap(p.dataset.catalog)
    // new ids: 3->1, 5->2, 7->3, 9->4, 11->5, 12->6
    XCTAssertEqual(c.titles, ["", "", "Five", "Seven", "", "", "Twelve"])
    XCTAssertEqual(c.categories, ["", "Brand A|Hair Care", "Hair Care", "", "Nails", "", ""])
    XCTAssertEqual(p.warnings, [])
    XCTAssertEqual(p.dataset.manifest?.sources.map(\.role), ["interactions", "titles", "attributes", "datamaps"])
  }

  func testMalformedSequenceLines() throws {
    let folder = try makeFolder(self, ["bad-id.txt": "1 2 3\n2 4 x5\n", "no-items.txt": "1 2 3\r\n7\r\n", "empty.txt": ""])
    assertDataError(try readSequences(path: folder + "/bad-id.txt"), contains: ["bad-id.txt:2:", "'x5'", "not an integer"])
    assertDataError(try readSequences(path: folder + "/no-items.txt"), contains: ["no-items.txt:2:", "1 field, expected 2"])
    assertDataError(try readSequences(path: folder + "/empty.txt"), contains: ["empty.txt:1:", "empty"])
  }
}

final class MovieLensPreparerTests: XCTestCase {
  // Users 3,7,12,20 -> 1..4; items 10,20,30,40 -> 1..4.
  // Ties at t=1000: user 3 before user 7 (user order); user 7's 20 before 30 (file order).
  let expectedTrain: [[Int]] = [[4, 3, 700], [3, 1, 800], [2, 1, 900], [1, 2, 1000]]
  let expectedDev: [[Int]] = [[2, 2, 1000], [1, 3, 1100]]
  let expectedTest: [[Int]] = [[3, 4, 850], [2, 3, 1000], [1, 1, 1200]]

  func testUDataTiesAndThreeInteractionUser() throws {
    var o = PrepareOptions(source: .movielens, input: fixture("ml100k/u.data"), name: "ml")
    o.negatives = 3
    let p = try prepareDataset(o)
    XCTAssertEqual(rows(p.dataset.train), expectedTrain)
    XCTAssertEqual(rows(p.dataset.dev), expectedDev)
    XCTAssertEqual(rows(p.dataset.test), expectedTest)
    XCTAssertEqual(p.statistics.usersWithOneInteraction, 1)
    XCTAssertEqual(p.statistics.usersWithTwoInteractions, 1)
    // Users 1 and 2 clicked items 1,2,3: their only possible negative is 4.
    for t in [p.dataset.dev, p.dataset.test] {
      for r in 0..<t.count where t.users[r] != 3 { XCTAssertEqual(Array(t.negatives(ofRow: r)), [4, 4, 4]) }
    }
  }

  func testUItemLatin1TitlesAndGenresFromUGenre() throws {
    var o = PrepareOptions(source: .movielens, input: fixture("ml100k"), name: "ml")  // folder input
    o.negatives = 1
    let p = try prepareDataset(o)
    let c = try XCTUnwrap(p.dataset.catalog)
    XCTAssertEqual(c.titles, ["", "Les Misérables (1995)", "Café Tiny (1996)", "Plain Title (1997)", "Naïve Fixture (1998)"])
    XCTAssertEqual(c.categories, ["", "Action|Drama", "Comedy", "unknown", "Action|Comedy|Drama"])
    XCTAssertEqual(p.dataset.manifest?.sources.map(\.role), ["interactions", "genres", "items"])
  }

  func testRatingsDatWithCRLFGivesTheSameSplit() throws {
    var o = PrepareOptions(source: .movielens, input: fixture("ml1m/ratings.dat"), name: "ml")
    o.negatives = 3
    let p = try prepareDataset(o)
    XCTAssertEqual(rows(p.dataset.train), expectedTrain)
    XCTAssertEqual(rows(p.dataset.dev), expectedDev)
    XCTAssertEqual(rows(p.dataset.test), expectedTest)
    let c = try XCTUnwrap(p.dataset.catalog)
    XCTAssertEqual(c.titles[1], "Les Misérables (1995)")
    XCTAssertEqual(c.categories[1], "Drama|Musical")
    XCTAssertEqual(c.titles[4], "Naïve Fixture (1998)")
  }

  func testMalformedRatings() throws {
    let folder = try makeFolder(self, [
      "fields.data": "1\t2\t3\t4\n1\t2\t3\n",
      "id.data": "1\t2\t3\t4\nu1\t2\t3\t4\n",
      "time.dat": "1::2::3::4\n1::2::3::soon\n",
      "empty.data": "\n",
    ])
    assertDataError(try readMovieLensRatings(path: folder + "/fields.data"), contains: ["fields.data:2:", "3 fields, expected 4"])
    assertDataError(try readMovieLensRatings(path: folder + "/id.data"), contains: ["id.data:2:", "user 'u1' is not an integer"])
    assertDataError(try readMovieLensRatings(path: folder + "/time.dat"), contains: ["time.dat:2:", "timestamp 'soon'"])
    assertDataError(try readMovieLensRatings(path: folder + "/empty.data"), contains: ["empty.data:1:", "empty"])
  }
}

final class AmazonPreparerTests: XCTestCase {
  // Users AUSER, BUSER, CUSER, DUSER -> 1..4 and items 0000000001, B000000002, B000000003, B000000004
  // -> 1..4 in string order. Tie at 1400000000: user 1 before user 2 although the file lists 2 first.
  func testReviewsPlainAndGzipGiveTheSameSplit() throws {
    var plain = PrepareOptions(source: .amazon, input: fixture("amazon/reviews.json"), name: "a")
    plain.negatives = 2
    var gz = plain
    gz.input = fixture("amazon/reviews.json.gz")
    let a = try prepareDataset(plain).dataset, b = try prepareDataset(gz).dataset
    XCTAssertEqual(rows(a.train), [[4, 2, 1_100_000_000], [3, 4, 1_200_000_000], [1, 1, 1_300_000_000], [2, 3, 1_390_000_000]])
    XCTAssertEqual(rows(a.dev), [[1, 2, 1_400_000_000], [2, 2, 1_400_000_000]])
    XCTAssertEqual(rows(a.test), [[4, 4, 1_100_000_001], [3, 2, 1_200_000_001], [2, 1, 1_400_000_500], [1, 3, 1_500_000_000]])
    XCTAssertEqual(a.train, b.train)
    XCTAssertEqual(a.dev, b.dev)
    XCTAssertEqual(a.test, b.test)
  }

  func testMetadataInPythonLiteralAndJSON() throws {
    var o = PrepareOptions(source: .amazon, input: fixture("amazon/reviews.json"), name: "a")
    o.negatives = 1
    o.metadata = fixture("amazon/meta.json")
    let c = try XCTUnwrap(try prepareDataset(o).dataset.catalog)
    XCTAssertEqual(c.titles, ["", "Tiny Brush 'Deluxe'", "Café Lotion", "Made-up Shampoo", ""])
    XCTAssertEqual(c.categories, ["", "Beauty|Tools|Brushes", "Beauty|Skin Care", "Beauty|Hair Care", ""])
  }

  func testMalformedReviews() throws {
    let folder = try makeFolder(self, [
      "broken.json": "{\"reviewerID\": \"A\", \"asin\": \"B\", \"unixReviewTime\": 1}\n{\"reviewerID\": \"A\", \n",
      "missing.json": "{\"reviewerID\": \"A\", \"asin\": \"B\"}\n",
      "trunc.json.gz": "",
    ])
    assertDataError(try readAmazonReviews(path: folder + "/broken.json"), contains: ["broken.json:2:", "not valid JSON"])
    assertDataError(try readAmazonReviews(path: folder + "/missing.json"), contains: ["missing.json:1:", "'unixReviewTime'"])
    // A truncated gzip stream.
    let gz = try Data(contentsOf: URL(fileURLWithPath: fixture("amazon/reviews.json.gz")))
    try gz.prefix(gz.count / 2).write(to: URL(fileURLWithPath: folder + "/trunc.json.gz"))
    assertDataError(try readAmazonReviews(path: folder + "/trunc.json.gz"), contains: ["trunc.json.gz", "gzip"])
  }
}

final class SplitPropertyTests: XCTestCase {
  /// Random logs: dev/test negatives never contain an item the user clicked, always lie in
  /// [1, pool], each user gets at most one dev and one test row, and train keeps every first row.
  func testNegativesNeverClickedOnRandomLogs() throws {
    var gen = SeededRandom(seed: 99)
    for trial in 0..<25 {
      var raw = RawInteractions(userOrder: .numeric, itemOrder: .numeric)
      let users = gen.uniform(1...30), items = gen.uniform(8...40)
      for _ in 0..<gen.uniform(1...300) {
        raw.append(user: raw.users.intern(gen.uniform(1...users) * 7), item: raw.items.intern(gen.uniform(1...items)),
                   time: Int64(gen.uniform(0...20)))
      }
      let p: PreparedDataset
      do {
        p = try leaveOneOutSplit(raw, name: "p", negatives: 20, seed: UInt64(trial), sourcePath: "random")
      } catch DataError.cannotDrawNegatives {
        continue  // a user who clicked the whole pool: correctly refused
      }
      var clicked: [Int32: Set<Int32>] = [:]
      for t in [p.dataset.train, p.dataset.dev, p.dataset.test] {
        for r in 0..<t.count { clicked[t.users[r], default: []].insert(t.items[r]) }
      }
      for t in [p.dataset.dev, p.dataset.test] {
        XCTAssertEqual(Set(t.users).count, t.count, "one row per user")
        for r in 0..<t.count {
          for n in t.negatives(ofRow: r) {
            XCTAssertFalse(clicked[t.users[r]]!.contains(n), "trial \(trial): negative \(n) was clicked")
            XCTAssert(n >= 1 && Int(n) <= p.statistics.negativePool)
          }
        }
      }
      XCTAssertEqual(Set(p.dataset.train.users).count, clicked.count, "every user keeps a train row")
      XCTAssertEqual(p.statistics.interactions, p.dataset.train.count + p.dataset.dev.count + p.dataset.test.count)
    }
  }
}
