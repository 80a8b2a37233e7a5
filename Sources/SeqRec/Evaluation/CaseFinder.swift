import Dispatch
import Foundation
import Tensor

// The case finder (`timirec cases`, the explorer's `c`): one row per (user, step) of a split,
// with where the true next item ranks under TiMiRec's mix and under the best-matching rule,
// so the rows where the two disagree (the paper's Figure 4 kind of case) can be sorted out of
// thousands. Every number comes from the rules of `Scoring` and `CatalogueRanking`:
//
//   scores      s_k(i) = ⟨v_k, e_i⟩: one sgemm (rows·K, D)·(D, N) per block of rows
//   best match  max_k s_k(i) (eq. 2)
//   mix         Σ_k w_k s_k(i), w = softmax(z^q) (eq. 4): the (1, K)·(K, N) product the
//               explorer's lists compute (`Scoring.mixedScores`); `evaluate` computes the same
//               number as ⟨u, e_i⟩, u = Σ_k w_k v_k, equal up to rounding
//   full rank   CatalogueRanking.rank: 1 + #{i ∈ 1…N−1, i ∉ earlier items, i ≠ target :
//               ¬(s_i < s_target)}: the user's earlier items (the whole sequence before the
//               target, as the explorer's lists) and the padding row left out, ties against
//   sampled     Scoring.ranks over [target, the row's stored negatives] (dev/test rows only),
//               the candidates' scores read from the same full-catalogue scores
//   gain        rank(second) − rank(first): best match − mix for one model (positive: the
//               mix ranks the target higher), model 2 − model 1 with --compare
//   JS(q, p)    InterestAlignment.jensenShannon of q_T = softmax(z^q/T) and
//               p_T = softmax(cos(v_k, e_target)/T) at the model's training T, in bits
//   hit@10      full-catalogue rank ≤ 10 (the target is in the first 10 rows of the list)
//   collapsed   InterestDiagnostics.collapsedPairs of the row's interests is not empty
//
// Parallelism: batches of 256 rows, `threads` at a time, one per worker thread; each worker
// runs its batch's forward pass, sgemms and per-row work (the counts, the sampled ranks, JS,
// the collapse test) with BLAS on one thread, in its own score buffer, writing only its rows'
// result slots. So the forward pass, which is mostly single-threaded Swift, uses both cores
// too (`CatalogueRanking` splits only the counting).

/// Which rows the case finder ranks.
public enum CaseSplit: String, Sendable, CaseIterable, Codable {
  /// Each user's test row (the default: one row per user).
  case test
  /// Each user's dev row.
  case dev
  /// Every step t ≥ 1 of every user (train, dev and test targets); only for data with at
  /// most `CaseFinder.maximumAllSteps` interactions.
  case all
}

/// Why the case finder cannot run.
public enum CaseFinderError: Error, Equatable, CustomStringConvertible {
  /// `--split all` on data with more interactions than the limit.
  case tooManySteps(steps: Int, limit: Int)
  /// `--compare` with a checkpoint of another item table.
  case differentItems(first: Int, second: Int)

  public var description: String {
    switch self {
    case .tooManySteps:
      return "--split all: \(reason); use --split test or --split dev"
    case let .differentItems(first, second):
      return "the two checkpoints do not share an item table (\(first) and \(second) item rows); compare checkpoints trained on the same dataset"
    }
  }

  /// What is wrong, without the command line's advice: the words `timirec cases --split all`
  /// and the explorer's `p` both say ("every step needs ≤ 100000 interactions; this dataset
  /// has 198502").
  public var reason: String {
    switch self {
    case let .tooManySteps(steps, limit):
      return "every step needs ≤ \(limit) interactions; this dataset has \(steps)"
    case .differentItems:
      return description
    }
  }
}

/// Thrown by `CaseFinder.find` and `.compare` when their `isCancelled` said true (the
/// explorer's Esc or q on the progress screen); no table is returned.
public struct CaseFinderCancelled: Error, Equatable, CustomStringConvertible {
  public init() {}
  public var description: String { "the case finder was cancelled" }
}

/// What one model says about one row.
public struct CaseRanks: Sendable, Equatable, Codable {
  /// Full-catalogue rank of the target under the mix softmax(z^q) (eq. 4); nil without a
  /// predictor (pretrain).
  public var mix: Int?
  /// Rank among the row's sampled candidates under the mix; nil without a predictor or on a
  /// train row (no stored negatives).
  public var mixSampled: Int?
  /// Full-catalogue rank under the best match max_k ⟨v_k, e⟩ (eq. 2).
  public var bestMatch: Int
  /// Rank among the row's sampled candidates under the best match; nil on a train row.
  public var bestMatchSampled: Int?
  /// JS(q_T, p_T) in bits at the model's training temperature; nil without a predictor, NaN
  /// when a distribution is not finite.
  public var jensenShannon: Double?
  /// argmax_k softmax(z^q)_k (0-based); nil without a predictor.
  public var strongestInterest: Int?
  /// True when two of the row's interests have cosine ≥ `InterestDiagnostics.collapseThreshold`.
  public var collapsed: Bool

  public init(mix: Int?, mixSampled: Int?, bestMatch: Int, bestMatchSampled: Int?, jensenShannon: Double?,
              strongestInterest: Int?, collapsed: Bool) {
    self.mix = mix
    self.mixSampled = mixSampled
    self.bestMatch = bestMatch
    self.bestMatchSampled = bestMatchSampled
    self.jensenShannon = jensenShannon
    self.strongestInterest = strongestInterest
    self.collapsed = collapsed
  }

  /// The rank under the model's own evaluation rule (`Scoring.evaluationQueries`): the mix
  /// when it has a predictor, else the best match.
  public var own: Int { mix ?? bestMatch }
  /// The sampled rank under the model's own rule.
  public var ownSampled: Int? { mix != nil ? mixSampled : bestMatchSampled }
}

/// One (user, step) of the case table.
public struct CaseRow: Sendable, Equatable {
  /// User id.
  public var user: Int
  /// t: the target is the item at position t of the user's sequence (`explore --step t`).
  public var step: Int
  /// The true next item.
  public var target: Int
  /// The split the target belongs to.
  public var split: Split
  /// The (first) model's ranks.
  public var model: CaseRanks
  /// The second model's ranks (compare).
  public var other: CaseRanks?

  public init(user: Int, step: Int, target: Int, split: Split, model: CaseRanks, other: CaseRanks?) {
    self.user = user
    self.step = step
    self.target = target
    self.split = split
    self.model = model
    self.other = other
  }

  /// The first ranking's full-catalogue rank: the mix (no compare; nil for a pretrain
  /// checkpoint), or model 1's own rule (compare).
  public var firstRank: Int? { other == nil ? model.mix : model.own }
  /// The second ranking's: the best match, or model 2's own rule.
  public var secondRank: Int { other?.own ?? model.bestMatch }
  /// The same two rankings among the sampled candidates (dev/test rows).
  public var firstSampled: Int? { other == nil ? model.mixSampled : model.ownSampled }
  public var secondSampled: Int? { other?.ownSampled ?? model.bestMatchSampled }
  /// second − first (positive: the first ranks the target higher); nil without a first rank.
  public var gain: Int? { firstRank.map { secondRank - $0 } }
  /// Whether each ranking has the target in its first `cutoff` (10) full-catalogue rows.
  public func firstHit(_ cutoff: Int = CaseTable.hitCutoff) -> Bool { (firstRank ?? .max) <= cutoff }
  public func secondHit(_ cutoff: Int = CaseTable.hitCutoff) -> Bool { secondRank <= cutoff }
}

/// Columns of the case table (sort keys).
public enum CaseColumn: String, Sendable, CaseIterable, Codable {
  case user, step, rank, bestRank = "best-rank", sampled, bestSampled = "best-sampled", gain, js, interest

  /// True when the column sorts largest first by default (gain and JS: the telling cases).
  public var descendingByDefault: Bool { self == .gain || self == .js }
}

/// Row filters (`--filter`, the explorer's `f`). "First" and "second" are the two rankings
/// a row compares: TiMiRec's mix and the best match, or model 1 and model 2 with --compare.
public enum CaseFilter: String, Sendable, CaseIterable, Codable {
  case all
  /// The first ranking has the target in its top 10, the second does not.
  case hitMiss = "hit-miss"
  /// The second has it in its top 10, the first does not.
  case missHit = "miss-hit"
  case bothHit = "both-hit"
  case bothMiss = "both-miss"
  /// The row's interests have a collapsed pair (the first model's).
  case collapsed

  /// Accepts the names above and, for `hit-miss`, the wording
  /// `timirec-hit-bestmatch-miss` (and its mirror for `miss-hit`).
  public init?(name: String) {
    switch name {
    case "timirec-hit-bestmatch-miss": self = .hitMiss
    case "bestmatch-hit-timirec-miss": self = .missHit
    default: self.init(rawValue: name)
    }
  }

  /// True for the filters that compare the two rankings' hits (hit-miss, miss-hit, both-hit,
  /// both-miss): a table without a first ranking (a pretrain checkpoint alone, whose rows
  /// have no TiMiRec rank) cannot answer them.
  public var needsFirstRanking: Bool {
    switch self {
    case .hitMiss, .missHit, .bothHit, .bothMiss: return true
    case .all, .collapsed: return false
    }
  }

  /// Whether `row` passes. A row without a first rank (no mix: a pretrain checkpoint alone)
  /// passes none of the hit/miss filters: whether the first ranking hits is unknown, not a
  /// miss.
  public func accepts(_ row: CaseRow) -> Bool {
    if needsFirstRanking && row.firstRank == nil { return false }
    switch self {
    case .all: return true
    case .hitMiss: return row.firstHit() && !row.secondHit()
    case .missHit: return !row.firstHit() && row.secondHit()
    case .bothHit: return row.firstHit() && row.secondHit()
    case .bothMiss: return !row.firstHit() && !row.secondHit()
    case .collapsed: return row.model.collapsed
    }
  }

  /// What the filter keeps, for headers.
  public func summary(compare: Bool) -> String {
    let (a, b) = compare ? ("model 1", "model 2") : ("TiMiRec", "best-match")
    switch self {
    case .all: return "all rows"
    case .hitMiss: return "\(a) hits, \(b) misses"
    case .missHit: return "\(b) hits, \(a) misses"
    case .bothHit: return "both hit"
    case .bothMiss: return "both miss"
    case .collapsed: return "collapsed interests"
    }
  }
}

/// The case finder's result.
public struct CaseTable: Sendable {
  /// hit@K's K: a hit is a full-catalogue rank ≤ 10.
  public static let hitCutoff = 10

  public var split: CaseSplit
  /// One row per (user, step), users ascending, steps ascending.
  public var rows: [CaseRow]
  /// True with a second model (gain = model 2 − model 1).
  public var compared: Bool

  public init(split: CaseSplit, rows: [CaseRow], compared: Bool) {
    self.split = split
    self.rows = rows
    self.compared = compared
  }

  /// Users in the table, and those whose interests have a collapsed pair at their latest
  /// row (their only row for test or dev; with `.all` their test row, the longest history:
  /// at step 1 the history is one item and every interest is the same vector, so "any row"
  /// would count everyone). `model == 2`: the second model's interests.
  public func collapsedUsers(model: Int = 1) -> (collapsed: Int, users: Int) {
    var latest: [Int: CaseRow] = [:]
    for row in rows where row.step >= latest[row.user]?.step ?? -1 { latest[row.user] = row }
    let collapsed = latest.values.filter { model == 1 ? $0.model.collapsed : $0.other?.collapsed ?? false }.count
    return (collapsed, latest.count)
  }

  /// `collapsedUsers(model:)` as a percentage with one decimal ("6.1"), rounded half up
  /// from the exact fraction, so every output says the same.
  public func collapsedShare(model: Int = 1) -> String {
    let (collapsed, users) = collapsedUsers(model: model)
    guard users > 0 else { return "0.0" }
    let tenths = (1000 * collapsed + users / 2) / users
    return "\(tenths / 10).\(tenths % 10)"
  }

  /// True when the rows have a first ranking: always with a second model (each model's own
  /// rule), else when the checkpoint has TiMiRec's mix (a finetuned one). A pretrain
  /// checkpoint alone has only the best match: no TiMiRec rank, no gain, no hit/miss filter.
  public var hasFirstRanking: Bool { compared || rows.contains { $0.model.mix != nil } }

  /// The column a sort by `column` uses on this table: `column` itself, except without a
  /// first ranking (`hasFirstRanking`), where rank and gain sort by the best match's
  /// full-catalogue rank and sampled by its sampled rank (the ranking that exists).
  public func sortColumn(for column: CaseColumn) -> CaseColumn {
    guard !hasFirstRanking else { return column }
    switch column {
    case .rank, .gain: return .bestRank
    case .sampled: return .bestSampled
    default: return column
    }
  }

  /// Indices of the rows `filter` keeps (and, with `category`, whose target's category
  /// matches it by `CategoryMatch`'s rule; `categories` gives an item's labels, items.tsv's
  /// value split on `|`), sorted by `column` (each column's default direction, reversed by
  /// `reversed`; rows without a value last; ties by user, then step).
  public func order(by column: CaseColumn, reversed: Bool = false, filter: CaseFilter = .all,
                    category: String? = nil, categories: (Int) -> [String] = { _ in [] }) -> [Int] {
    var picked = rows.indices.filter { filter.accepts(rows[$0]) }
    if let category {
      let match = CategoryMatch(category)
      picked = picked.filter { match.matches(categories(rows[$0].target)) }
    }
    let descending = column.descendingByDefault != reversed
    func value(_ row: CaseRow) -> Double? {
      switch column {
      case .user: return Double(row.user)
      case .step: return Double(row.step)
      case .rank: return row.firstRank.map(Double.init)
      case .bestRank: return Double(row.secondRank)
      case .sampled: return row.firstSampled.map(Double.init)
      case .bestSampled: return row.secondSampled.map(Double.init)
      case .gain: return row.gain.map(Double.init)
      case .js: return row.model.jensenShannon.flatMap { $0.isNaN ? nil : $0 }
      case .interest: return row.model.strongestInterest.map(Double.init)
      }
    }
    let keys = picked.map { value(rows[$0]) }
    var positions = Array(picked.indices)
    positions.sort { a, b in
      switch (keys[a], keys[b]) {
      case let (x?, y?) where x != y: return descending ? x > y : x < y
      case (_?, nil): return true
      case (nil, _?): return false
      default:
        let ra = rows[picked[a]], rb = rows[picked[b]]
        return (ra.user, ra.step) < (rb.user, rb.step)
      }
    }
    return positions.map { picked[$0] }
  }
}

/// The one rule by which `timirec cases --category` and the explorer's `F` (through
/// `CaseTable.order`) match a target's category to a label: ignoring case (and spaces at the
/// ends), a query matches an item whose items.tsv category value
///
/// - is the query as a whole, with `/` and `|` alike (`Comedy|Romance`; the demo's
///   `cartoon|preschool`, which the explorer's interest labels write `cartoon/preschool`), or
/// - has the query as one of its labels: the parts between `|` (MovieLens genres, the levels
///   of a path such as the demo's `movie|comedy`, at any level), and the parts of those
///   between `/`.
///
/// So `Comedy` matches `Comedy|Romance`, `comedy` matches it too, and `Comedy|Romance`
/// matches only that value; on the demo `comedy` matches `movie|comedy` (a second level) and
/// `movie` every `movie|…`.
public struct CategoryMatch: Sendable, Equatable {
  /// The query as given.
  public var query: String
  private var folded: String
  private var path: String

  public init(_ query: String) {
    self.query = query
    folded = Self.fold(query)
    path = Self.asPath(folded)
  }

  /// Whether an item whose category labels (items.tsv's value split on `|`, in order) are
  /// `labels` matches; an item without labels never does.
  public func matches(_ labels: [String]) -> Bool {
    guard !labels.isEmpty, !folded.isEmpty else { return false }
    let parts = labels.map(Self.fold)
    if Self.asPath(parts.joined(separator: "|")) == path { return true }
    for label in parts {
      if label == folded { return true }
      if label.contains("/") && label.split(separator: "/").contains(where: { Self.fold(String($0)) == folded }) {
        return true
      }
    }
    return false
  }

  /// Each distinct label (items.tsv's values split on `|`, as written) of `items` with the
  /// number of items that have it, most common first (ties alphabetical): the list an
  /// unknown `--category` is answered with.
  public static func labelCounts<S: Sequence>(_ items: S) -> [(label: String, items: Int)] where S.Element == [String] {
    var counts: [String: Int] = [:]
    for labels in items { for label in Set(labels) where !label.isEmpty { counts[label, default: 0] += 1 } }
    return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
  }

  static func fold(_ text: String) -> String { text.trimmingCharacters(in: .whitespaces).lowercased() }

  /// `/` as `|`, and the spaces around each level trimmed.
  static func asPath(_ text: String) -> String {
    text.replacingOccurrences(of: "/", with: "|").split(separator: "|", omittingEmptySubsequences: false)
      .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "|")
  }
}

/// Computes case tables (the rules at the top of this file). Stateless.
public enum CaseFinder {
  /// `.all` ranks every step only up to this many interactions (100,000).
  public static let maximumAllSteps = 100_000
  /// Rows per forward pass (the evaluation batch size).
  public static let forwardRows = 256

  /// The rows of `split`: (user, position in `sequenceItems`, the row of dev.csv/test.csv
  /// with its split, or nil for a train target). Users ascending, positions ascending.
  struct Spec {
    var user: Int
    var position: Int
    var split: Split
    /// Row of the split's table (dev/test), for its stored negatives.
    var splitRow: Int?
  }

  /// Why `split` cannot be ranked on `corpus`, or nil when it can: `.all` needs at most
  /// `limit` interactions (every split's targets and their histories; `maximumAllSteps`
  /// unless a test sets a smaller one). `find` and `compare` throw this error.
  public static func unavailable(_ split: CaseSplit, corpus: SequenceCorpus,
                                 limit: Int = maximumAllSteps) -> CaseFinderError? {
    guard split == .all, corpus.sequenceItems.count > limit else { return nil }
    return .tooManySteps(steps: corpus.sequenceItems.count, limit: limit)
  }

  static func specs(_ corpus: SequenceCorpus, split: CaseSplit) throws -> [Spec] {
    switch split {
    case .test, .dev:
      let s: Split = split == .test ? .test : .dev
      let list = corpus.instances(s)
      return (0..<list.count).map {
        Spec(user: Int(list.users[$0]), position: Int(list.positions[$0]), split: s, splitRow: Int(list.rows[$0]))
      }.sorted { ($0.user, $0.position) < ($1.user, $1.position) }
    case .all:
      if let refusal = unavailable(split, corpus: corpus) { throw refusal }
      let total = corpus.sequenceItems.count
      var rowOf = [Int32](repeating: -1, count: total)
      for s in [Split.dev, .test] {
        let list = corpus.instances(s)
        for i in 0..<list.count { rowOf[Int(list.positions[i])] = list.rows[i] }
      }
      var out: [Spec] = []
      out.reserveCapacity(total)
      for user in 0..<corpus.userCount {
        let start = corpus.sequenceOffsets[user], end = corpus.sequenceOffsets[user + 1]
        guard end - start >= 2 else { continue }
        for p in (start + 1)..<end {
          let row = rowOf[p]
          out.append(Spec(user: user, position: p, split: corpus.sequenceSplits[p], splitRow: row >= 0 ? Int(row) : nil))
        }
      }
      return out
    }
  }

  /// The case table of `model` on `split`.
  /// - Parameters:
  ///   - corpus: the dataset's sequences (the model's `historyMax`).
  ///   - threads: worker threads (≥ 1), each taking whole batches of 256 rows with one BLAS
  ///     thread; with 1, the calling thread and BLAS's own setting.
  ///   - progress: called on the calling thread after each round of batches (one per worker)
  ///     with (rows done, rows in all).
  ///   - isCancelled: called on the calling thread before each round of batches; true stops
  ///     the work there (no worker is running then, so it needs no lock).
  /// - Throws: `CaseFinderError.tooManySteps` for `.all` on more than 100,000 interactions;
  ///   `CaseFinderCancelled` when `isCancelled` said true.
  public static func find(_ model: any MultiInterestRecommender, corpus: SequenceCorpus, split: CaseSplit = .test,
                          threads: Int = 2, progress: (Int, Int) -> Void = { _, _ in },
                          isCancelled: () -> Bool = { false }) throws -> CaseTable {
    let specs = try specs(corpus, split: split)
    let ranks = try self.ranks(model, corpus: corpus, specs: specs, threads: threads,
                               progress: { progress($0, specs.count) }, isCancelled: isCancelled)
    return CaseTable(split: split, rows: zip(specs, ranks).map { row($0, $1, nil, corpus) }, compared: false)
  }

  /// The case table of two models on the same dataset: gain = model 2's rank − model 1's,
  /// each under its own evaluation rule (mix when finetuned, best match when pretrain).
  /// - Parameters:
  ///   - progress: (rows done, rows in all) over both models (each row counts twice).
  ///   - isCancelled: as `find`'s, before each round of either model.
  /// - Throws: `CaseFinderError.differentItems` when the item tables differ; `.tooManySteps`;
  ///   `CaseFinderCancelled`.
  public static func compare(_ first: any MultiInterestRecommender, _ second: any MultiInterestRecommender,
                             corpus: SequenceCorpus, split: CaseSplit = .test,
                             threads: Int = 2, progress: (Int, Int) -> Void = { _, _ in },
                             isCancelled: () -> Bool = { false }) throws -> CaseTable {
    guard first.itemCount == second.itemCount else {
      throw CaseFinderError.differentItems(first: first.itemCount, second: second.itemCount)
    }
    let specs = try specs(corpus, split: split)
    let total = 2 * specs.count
    let a = try ranks(first, corpus: corpus, specs: specs, threads: threads, progress: { progress($0, total) },
                      isCancelled: isCancelled)
    let b = try ranks(second, corpus: corpus, specs: specs, threads: threads,
                      progress: { progress(specs.count + $0, total) }, isCancelled: isCancelled)
    return CaseTable(split: split, rows: specs.indices.map { row(specs[$0], a[$0], b[$0], corpus) }, compared: true)
  }

  static func row(_ spec: Spec, _ ranks: CaseRanks, _ other: CaseRanks?, _ corpus: SequenceCorpus) -> CaseRow {
    CaseRow(user: spec.user, step: spec.position - corpus.sequenceOffsets[spec.user],
            target: Int(corpus.sequenceItems[spec.position]), split: spec.split, model: ranks, other: other)
  }

  /// Each spec's ranks under `model` (the rules at the top of this file).
  ///
  /// The rows go in batches of `forwardRows`; with `threads` > 1, `threads` batches at a time,
  /// one per worker, each doing its batch's forward pass, sgemms and per-row work with BLAS on
  /// one thread (as `DataParallelStepper`; the setting is restored afterwards). `progress` is
  /// called on the calling thread after each round, `isCancelled` before each (throwing
  /// `CaseFinderCancelled` when it says true).
  static func ranks(_ model: any MultiInterestRecommender, corpus: SequenceCorpus, specs: [Spec], threads: Int,
                    progress: (Int) -> Void, isCancelled: () -> Bool = { false }) throws -> [CaseRanks] {
    precondition(threads >= 1, "CaseFinder: threads = \(threads)")
    let k = model.interestCount, n = model.itemCount
    let q = k  // query rows per row: v_1 … v_K
    let block = max(1, CatalogueRanking.blockQueryRows / q)
    let batches = stride(from: 0, to: specs.count, by: forwardRows).map { $0..<min(specs.count, $0 + forwardRows) }
    let workers = min(threads, max(1, batches.count))
    var out = [CaseRanks?](repeating: nil, count: specs.count)
    // One (block·K, N) score buffer per worker, and one (N) for the mix.
    let bufferSize = min(block, max(1, specs.count)) * q * n + n
    var buffers = [Float](repeating: 0, count: workers * bufferSize)
    let blasThreads = BLAS.threads
    if workers > 1 { BLAS.setThreads(1) }
    defer { if workers > 1 { BLAS.setThreads(blasThreads) } }
    // Shared with the workers: the model is only read (a forward pass without gradient reads
    // its parameters and allocates its own outputs), as are the corpus and specs; worker w
    // writes only its own buffer slice and the result slots of its own batch's rows.
    nonisolated(unsafe) let model = model
    try buffers.withUnsafeMutableBufferPointer { b in
      try out.withUnsafeMutableBufferPointer { results in
        nonisolated(unsafe) let b = b, results = results
        var next = 0
        while next < batches.count {
          if isCancelled() { throw CaseFinderCancelled() }
          let round = Array(batches[next..<min(batches.count, next + workers)])
          DispatchQueue.concurrentPerform(iterations: round.count) { w in
            rankBatch(model, corpus: corpus, specs: specs, rows: round[w], scores: b.baseAddress! + w * bufferSize,
                      block: block, results: results)
          }
          next += round.count
          progress(round.last!.upperBound)
        }
      }
    }
    return out.map { $0! }
  }

  /// The rows `range` of `specs`: one forward pass, then per block of rows one sgemm into
  /// `scores` ((block·K, N), then (N) for one row's mix) and each row's ranks, JS and
  /// collapse test into `results`.
  private static func rankBatch(_ model: any MultiInterestRecommender, corpus: SequenceCorpus, specs: [Spec],
                                rows range: Range<Int>, scores s: UnsafeMutablePointer<Float>, block: Int,
                                results: UnsafeMutableBufferPointer<CaseRanks?>) {
    let k = model.interestCount, d = model.embeddingSize, n = model.itemCount
    let hasMix = model.hasInterestLogits
    let temperature = model.trainingTemperature
    let embeddings = model.itemEmbeddings.data  // (N, D)
    let lo = range.lowerBound, m = range.count
    // Histories right-padded to the longest window (the model's own historyMax: two compared
    // models may read different windows).
    let windows = specs[range].map {
      corpus.sequenceItems[max(corpus.sequenceOffsets[$0.user], $0.position - model.historyMax)..<$0.position]
    }
    let l = max(1, windows.map(\.count).max() ?? 1)
    var history = [Int32](repeating: 0, count: m * l)
    for (r, w) in windows.enumerated() { for (j, item) in w.enumerated() { history[r * l + j] = item } }
    let lengths = windows.map { Int32($0.count) }
    let (v, z): ([Float], [Float]?) = GradMode.withoutGrad {
      let interests = model.interests(history: history, lengths: lengths, batch: m, length: l).interests  // (m, K, D)
      let logits = model.interestLogits(history: history, lengths: lengths, batch: m, length: l)  // (m, K)
      return (interests.data, logits?.data)
    }
    let mixed = s + min(block, m) * k * n  // (N): one row's mixed scores
    var scratch: [Int32] = []
    var sampled: [Float] = []
    var b = 0
    while b < m {
      let rows = min(block, m - b)
      embeddings.withUnsafeBufferPointer { e in
        v.withUnsafeBufferPointer { query in
          sgemm(transA: false, transB: true, m: rows * k, n: n, k: d, a: query.baseAddress! + b * k * d, lda: d,
                b: e.baseAddress!, ldb: d, c: s, ldc: n)
        }
      }
      for r in 0..<rows {
        let row = b + r
        let spec = specs[lo + row]
        let base = UnsafePointer(s + r * k * n)
        let target = Int(corpus.sequenceItems[spec.position])
        let earlier = corpus.sequenceItems[corpus.sequenceOffsets[spec.user]..<spec.position]
        let best = CatalogueRanking.rank(target: target, scores: base, rows: k, count: n, earlier: earlier,
                                         scratch: &scratch)
        // The mix as the explorer's lists compute it (`Scoring.mixedScores`): w = softmax(z^q),
        // then the (1, K)·(K, N) product of w with the row's interest scores.
        let weights = z.map { Scoring.softmax(Array($0[(row * k)..<((row + 1) * k)])) }
        if let weights {
          weights.withUnsafeBufferPointer { w in
            sgemm(transA: false, transB: false, m: 1, n: n, k: k, a: w.baseAddress!, lda: k, b: base, ldb: n,
                  c: mixed, ldc: n)
          }
        }
        let mix = hasMix ? CatalogueRanking.rank(target: target, scores: mixed, rows: 1, count: n, earlier: earlier,
                                                 scratch: &scratch) : nil
        var bestSampled: Int? = nil, mixSampled: Int? = nil
        if let splitRow = spec.splitRow {
          let negatives = corpus.negatives(spec.split, row: splitRow)
          func sampledRank(_ score: (Int) -> Float) -> Int {
            sampled.removeAll(keepingCapacity: true)
            sampled.append(score(target))
            for item in negatives { sampled.append(score(Int(item))) }
            return Scoring.ranks(scores: sampled, candidates: sampled.count)[0]
          }
          bestSampled = sampledRank { i in
            var x = base[i]
            for kk in 1..<max(k, 1) where base[kk * n + i] > x { x = base[kk * n + i] }
            return x
          }
          if hasMix { mixSampled = sampledRank { mixed[$0] } }
        }
        let interests = v[(row * k * d)..<((row + 1) * k * d)]
        var js: Double? = nil, strongest: Int? = nil
        if let z {
          let logits = Array(z[(row * k)..<((row + 1) * k)])
          strongest = Scoring.argmax(logits[...])
          let p = InterestAlignment.interestDistribution(interests: interests,
                                                         item: embeddings[(target * d)..<((target + 1) * d)],
                                                         temperature: temperature)
          js = InterestAlignment.jensenShannon(Scoring.softmax(logits, temperature: temperature), p)
        }
        let collapsed = !InterestDiagnostics.collapsedPairs(interests, count: k).isEmpty
        results[lo + row] = CaseRanks(mix: mix, mixSampled: mixSampled, bestMatch: best, bestMatchSampled: bestSampled,
                                      jensenShannon: js, strongestInterest: strongest, collapsed: collapsed)
      }
      b += rows
    }
  }
}

extension SequenceCorpus {
  /// The stored negatives of row `row` of dev.csv or test.csv.
  func negatives(_ split: Split, row: Int) -> ArraySlice<Int32> {
    let (all, count) = split == .dev ? (devNegatives, devNegativeCount) : (testNegatives, testNegativeCount)
    return all[(row * count)..<((row + 1) * count)]
  }
}
