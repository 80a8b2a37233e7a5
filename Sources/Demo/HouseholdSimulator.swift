// The bundled demo: a seeded simulator of households watching TV, modelled on the CMCC case
// study of Wang et al., CIKM 2022 (Figure 4: "after a series of cartoon watching, the
// interest for parents to watch movies may take advantage"). MovieLens and Amazon data may
// not be redistributed, so demo-data/ is generated here instead.
//
// The world:
// - a catalogue of titles in 8 categories, each with 3–4 sub-genres and a Zipf popularity;
// - personas with category preferences (a child watches cartoons, a film-loving parent
//   movies and sports, a series-loving parent series and cooking, a teen music and sports,
//   a grandparent news and documentaries); each member also favours some sub-genres;
// - households of 2–3 members sharing one account (one "user" of the dataset);
// - who watches next depends on context: a child watches a run of 3–5 cartoons and then a
//   parent takes over (the case study); an adult watches a geometric run (mean ≈ 3) and then
//   hands over to another member.
// The true member behind each interaction is kept (`members.tsv`) so the demo report
// (`MemberAgreement`) can check whether q's top interest names the member who watches next.

import Foundation
import SeqRec

/// Simulator settings (defaults give a demo of ~5 MB).
public struct HouseholdSimulatorConfig: Codable, Equatable, Sendable {
  /// Households (= dataset users).
  public var households: Int = 2000
  /// Titles in the catalogue.
  public var titles: Int = 2400
  /// Interactions per household, uniform in this range.
  public var minLength: Int = 25
  public var maxLength: Int = 60
  /// Negatives per dev/test row (ReChorus uses 1,000; 99 keeps the demo small).
  public var negatives: Int = 99
  public var seed: UInt64 = 2022

  public init() {}
}

/// A persona: who a household member is and what they watch.
public struct Persona: Sendable {
  public let name: String
  /// Category index → preference weight.
  public let preferences: [(category: Int, weight: Double)]
  /// Run length: a child's run is uniform in `runRange`; adults continue with probability
  /// `continueProbability` after each item (geometric run).
  public let runRange: ClosedRange<Int>?
  public let continueProbability: Double
}

/// The generated demo: a dataset (with items.tsv and dataset.json) and the true members.
public struct SimulatedHouseholds: Sendable {
  public var dataset: Dataset
  /// Persona names of each user's members (index 0 unused).
  public var memberRoles: [[String]]
  /// For each user, the 0-based member behind each interaction in the user's chronological
  /// order (index 0 unused).
  public var members: [[UInt8]]

  /// `members.tsv`: user_id, roles (comma-separated), and one digit per interaction (1-based
  /// member, chronological order).
  public func membersTSV() -> String {
    var out = "user_id\troles\tmembers\n"
    for u in 1..<members.count {
      out += "\(u)\t\(memberRoles[u].joined(separator: ","))\t\(members[u].map { String($0 + 1) }.joined())\n"
    }
    return out
  }
}

public enum HouseholdSimulator {
  public static let categories = ["cartoon", "movie", "series", "news", "sports", "documentary", "music", "cooking"]
  /// Share of the catalogue per category.
  static let categoryShare: [Double] = [0.17, 0.21, 0.15, 0.08, 0.12, 0.12, 0.10, 0.05]
  static let subgenres: [[String]] = [
    ["preschool", "adventure", "animals", "superheroes"],
    ["action", "comedy", "drama", "thriller"],
    ["crime", "family", "fantasy"],
    ["world", "business", "local"],
    ["football", "basketball", "tennis"],
    ["nature", "history", "science"],
    ["pop", "rock", "classical"],
    ["baking", "world food", "quick meals"],
  ]

  public static let personas: [Persona] = [
    Persona(name: "child", preferences: [(0, 0.9), (5, 0.05), (6, 0.05)], runRange: 3...5, continueProbability: 0),
    Persona(name: "film parent", preferences: [(1, 0.7), (4, 0.2), (3, 0.1)], runRange: nil, continueProbability: 0.65),
    Persona(name: "series parent", preferences: [(2, 0.6), (7, 0.25), (5, 0.15)], runRange: nil, continueProbability: 0.65),
    Persona(name: "teen", preferences: [(6, 0.55), (4, 0.35), (1, 0.1)], runRange: nil, continueProbability: 0.6),
    Persona(name: "grandparent", preferences: [(3, 0.55), (5, 0.35), (2, 0.1)], runRange: nil, continueProbability: 0.7),
  ]

  /// The category of the run personas' runs (the child's cartoons): the first persona with a
  /// `runRange`, its most preferred category. The demo report's "right after a run of ≥ 3"
  /// case study looks at runs of this category.
  public static var runCategory: String {
    guard let persona = personas.first(where: { $0.runRange != nil }),
          let top = persona.preferences.max(by: { $0.weight < $1.weight }) else { return categories[0] }
    return categories[top.category]
  }

  /// Household compositions (persona indices) with their weights.
  static let compositions: [([Int], Double)] = [
    ([0, 1], 0.22), ([0, 2], 0.22), ([0, 1, 2], 0.2), ([1, 2], 0.12), ([3, 1], 0.08), ([3, 2], 0.06), ([4, 2], 0.1),
  ]

  static let words: [[String]] = [
    ["Bubbles", "Otter", "Rocket", "Pickle", "Dino", "Puffin", "Kitty", "Robo", "Bunny", "Tiger", "Noodle", "Panda"],
    ["Midnight", "Harbor", "Vendetta", "Horizon", "Echo", "Frontier", "Mirage", "Cobalt", "Saint", "Ember", "Outlaw", "Vertigo"],
    ["Kingdom", "Precinct", "Dynasty", "Legacy", "Manor", "Signal", "Crown", "Hollow", "Bay", "Verdict", "Circle", "Ridge"],
    ["Today", "Evening", "Report", "Briefing", "Markets", "Weekly", "Live", "Update", "Journal", "Review", "Desk", "Hour"],
    ["Derby", "Final", "Classic", "League", "Cup", "Open", "Showdown", "Highlights", "Rivals", "Season", "Match", "Tour"],
    ["Planet", "Oceans", "Ancient", "Cosmos", "Wild", "Empires", "Glaciers", "Atoms", "Rivers", "Deserts", "Forests", "Stars"],
    ["Concert", "Sessions", "Unplugged", "Anthems", "Symphony", "Beats", "Ballads", "Hits", "Live", "Encore", "Groove", "Chorus"],
    ["Kitchen", "Bake", "Feast", "Spice", "Table", "Oven", "Market", "Pantry", "Supper", "Garden", "Grill", "Crumbs"],
  ]
  static let adjectives = ["Little", "Brave", "Silent", "Golden", "Lost", "Wild", "Hidden", "Last", "Secret", "Great",
                           "Red", "Northern", "Happy", "Dark", "Bright", "Quiet", "Electric", "Lucky", "Iron", "Blue"]

  /// Generates the demo deterministically from `config.seed`.
  /// - Throws: `DataError` from the split (never for the default settings).
  public static func generate(_ config: HouseholdSimulatorConfig) throws -> SimulatedHouseholds {
    var rng = SeededRandom(seed: config.seed)
    func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
    func pick(_ weights: [Double]) -> Int {
      let total = weights.reduce(0, +)
      var x = uniform() * total
      for (i, w) in weights.enumerated() { x -= w; if x < 0 { return i } }
      return weights.count - 1
    }

    // Catalogue: category, sub-genre, popularity, title.
    var itemCategory: [Int] = [], itemSubgenre: [Int] = [], titles: [String] = []
    var byCategory = [[Int]](repeating: [], count: categories.count)
    var usedTitles = Set<String>()
    for (c, share) in categoryShare.enumerated() {
      let count = max(10, Int((share * Double(config.titles)).rounded()))
      for r in 0..<count {
        let id = itemCategory.count
        itemCategory.append(c)
        itemSubgenre.append(rng.uniform(0...(subgenres[c].count - 1)))
        byCategory[c].append(id)
        var title: String
        repeat {
          let a = adjectives[rng.uniform(0...(adjectives.count - 1))]
          let w = words[c][rng.uniform(0...(words[c].count - 1))]
          let w2 = words[c][rng.uniform(0...(words[c].count - 1))]
          switch (c, rng.uniform(0...2)) {
          case (0, _): title = "\(a) \(w) ep. \(r % 26 + 1)"
          case (2, _): title = "\(w) \(w2 == w ? "Street" : w2) S\(r % 5 + 1)"
          case (3, _): title = "\(w) \(["Morning", "Noon", "Night"][r % 3]) #\(r + 1)"
          case (_, 0): title = "The \(a) \(w)"
          case (_, 1): title = "\(w) of the \(a) \(w2)"
          default: title = "\(a) \(w) \(["II", "III", "Returns", "Rising", "Forever"][r % 5])"
          }
        } while usedTitles.contains(title)
        usedTitles.insert(title)
        titles.append(title)
      }
    }
    let itemCount = itemCategory.count
    // Zipf popularity inside each category, over a random order.
    var popularity = [Double](repeating: 0, count: itemCount)
    for c in 0..<categories.count {
      var order = byCategory[c]
      rng.shuffle(&order)
      for (rank, id) in order.enumerated() { popularity[id] = 1 / pow(Double(rank) + 3, 0.9) }
    }

    var raw = RawInteractions(userOrder: .numeric, itemOrder: .numeric)
    var memberRoles: [[String]] = [[]]
    var memberOfTime: [[Int64: UInt8]] = [[:]]
    for h in 1...config.households {
      let composition = compositions[pick(compositions.map(\.1))].0
      memberRoles.append(composition.map { personas[$0].name })
      // Each member favours one or two sub-genres of every category (×4 weight).
      let favourites: [[Set<Int>]] = composition.map { _ in
        subgenres.map { list in Set((0..<rng.uniform(1...2)).map { _ in rng.uniform(0...(list.count - 1)) }) }
      }
      let length = rng.uniform(config.minLength...config.maxLength)
      var seen = Set<Int>()
      var time = Int64(1_600_000_000) + Int64(rng.uniform(0...2_592_000))
      let userIndex = raw.users.intern(h)
      var member = composition.firstIndex(of: 0) ?? rng.uniform(0...(composition.count - 1))
      var times: [Int64: UInt8] = [:]
      var produced = 0
      while produced < length {
        let persona = personas[composition[member]]
        var run = persona.runRange.map { rng.uniform($0) } ?? 1
        if persona.runRange == nil { while uniform() < persona.continueProbability && run < 8 { run += 1 } }
        for _ in 0..<min(run, length - produced) {
          let category = persona.preferences[pick(persona.preferences.map(\.weight))].category
          var item = 0
          for _ in 0..<8 {  // redraw a few times to avoid re-watching
            let pool = byCategory[category]
            let weights = pool.map { popularity[$0] * (favourites[member][category].contains(itemSubgenre[$0]) ? 4 : 1) }
            item = pool[pick(weights)]
            if !seen.contains(item) { break }
          }
          seen.insert(item)
          raw.append(user: userIndex, item: raw.items.intern(item + 1), time: time)
          times[time] = UInt8(member)
          time += Int64(rng.uniform(600...5400))
          produced += 1
        }
        time += Int64(rng.uniform(3600...86_400))  // a gap between runs
        member = nextMember(after: member, composition: composition, uniform: uniform)
      }
      memberOfTime.append(times)
    }

    var prepared = try leaveOneOutSplit(raw, name: "demo-households", negatives: config.negatives, seed: config.seed,
                                        sourcePath: "household simulator")
    var titleByOriginal: [String: String] = [:], categoryByOriginal: [String: String] = [:]
    for id in 0..<itemCount {
      titleByOriginal[String(id + 1)] = titles[id]
      categoryByOriginal[String(id + 1)] = categories[itemCategory[id]] + "|" + subgenres[itemCategory[id]][itemSubgenre[id]]
    }
    _ = prepared.attach(titles: titleByOriginal, categories: categoryByOriginal)
    // Sorted keys: an unsorted encoding follows the dictionary's per-process hash order, and
    // the generated files must be byte-identical from run to run.
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let configText = String(decoding: try encoder.encode(config), as: UTF8.self)
    prepared.dataset.manifest = DatasetManifest(
      name: "demo-households", source: "household simulator \(configText)", sources: [], seed: config.seed,
      negatives: config.negatives, statistics: prepared.statistics)

    // Members in each user's chronological order (times are unique within a household).
    let corpus = SequenceCorpus(dataset: prepared.dataset)
    var members: [[UInt8]] = [[]]
    for u in 1...config.households {
      let user = Int(prepared.originalUserIds.firstIndex(of: String(u)) ?? u)
      precondition(user == u, "simulator: user ids must keep their order")
      let sequence = corpus.userSequence(u)
      members.append(sequence.times.map { memberOfTime[u][$0]! })
    }
    return SimulatedHouseholds(dataset: prepared.dataset, memberRoles: memberRoles, members: members)
  }

  /// Who watches after `member`'s run: after a child's cartoons a parent takes over (the
  /// case study); otherwise another member, the child (if any) twice as likely.
  static func nextMember(after member: Int, composition: [Int], uniform: () -> Double) -> Int {
    let others = composition.indices.filter { $0 != member }
    guard !others.isEmpty else { return member }
    if composition[member] == 0 {
      let parents = others.filter { composition[$0] == 1 || composition[$0] == 2 }
      if !parents.isEmpty && uniform() < 0.9 { return parents[Int(uniform() * Double(parents.count))] }
    }
    let weights = others.map { composition[$0] == 0 ? 2.0 : 1.0 }
    var x = uniform() * weights.reduce(0, +)
    for (i, w) in zip(others, weights) { x -= w; if x < 0 { return i } }
    return others.last!
  }

  /// Reads `members.tsv` back: roles and members per user id.
  /// - Throws: `MembersFileError` when the file is missing or a line is malformed.
  public static func readMembers(path: String) throws -> (roles: [[String]], members: [[UInt8]]) {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw MembersFileError(path: path, reason: "no members.tsv (only the generated demo has one)")
    }
    var roles: [[String]] = [[]], members: [[UInt8]] = [[]]
    for line in text.split(separator: "\n").dropFirst() {
      let f = line.split(separator: "\t", omittingEmptySubsequences: false)
      guard f.count == 3, let u = Int(f[0]), u == roles.count else {
        throw MembersFileError(path: path, reason: "malformed line '\(line.prefix(40))'")
      }
      roles.append(f[1].split(separator: ",").map(String.init))
      members.append(f[2].compactMap { $0.wholeNumberValue.map { UInt8($0 - 1) } })
    }
    return (roles, members)
  }
}

/// `members.tsv` cannot be read: missing, or a line that is not `user_id, roles, members`.
public struct MembersFileError: Error, Equatable, CustomStringConvertible {
  /// The file.
  public var path: String
  /// What is wrong, e.g. "malformed line '3\tchild'".
  public var reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String { "\(path): \(reason)" }
}
