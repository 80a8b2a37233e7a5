// The case tables of a session, one per split, each computed on the first `c` or `p` that
// shows it and kept in memory; the shown table's order is recomputed only when the split,
// sort or filter changes. The loop owns one.

import Foundation
import SeqRec

/// The computed case tables (one per split) and the shown one's order.
///
/// Kept in memory only: the explorer never writes next to the checkpoint (demo-data/ is
/// tracked in git), and one table of Beauty's test users takes seconds to recompute.
public final class CaseTableCache {
  /// Threads for the per-row work (the machine's cores, at most 2 by default: both cores).
  public var threads = min(2, max(1, ProcessInfo.processInfo.activeProcessorCount))
  /// Every step is ranked only on data with at most this many interactions (the rule of
  /// `timirec cases --split all`, `CaseFinder.maximumAllSteps`; tests set a smaller one).
  public var allStepsLimit = CaseFinder.maximumAllSteps
  /// A second model on the same dataset (compare mode): gain becomes its rank − the
  /// session model's. Setting it forgets every table.
  public var second: (any MultiInterestRecommender)? {
    didSet { tables = [:]; table = nil; orderKey = nil }
  }
  /// Each split's table and its targets' category labels, most frequent first.
  private var tables: [CaseSplit: (table: CaseTable, categories: [String])] = [:]
  /// The table of the last `prepare` (the shown split).
  public private(set) var table: CaseTable?
  /// Its targets' category labels, most frequent first.
  public private(set) var categories: [String] = []
  /// Indices into `table.rows` in the order and filter of the last `prepare`.
  public private(set) var order: [Int] = []
  private var orderKey: OrderKey?

  /// What the order depends on.
  private struct OrderKey: Equatable {
    var split: CaseSplit, sort: CaseColumn, reversed: Bool, filter: CaseFilter, category: String?
  }

  public init() {}

  /// The table of `split` if it has been computed.
  public func computed(_ split: CaseSplit) -> CaseTable? { tables[split]?.table }

  /// Computes the table of `state.split` if needed (`progress` gets rows done and rows in
  /// all after each block, on the calling thread; `isCancelled` is asked before each block,
  /// on the calling thread too), orders it for `state`, and says where each shown row jumps to.
  /// - Returns: nil when the table cannot be computed (`error` says why) or the computation
  ///   was cancelled (`cancelled`; nothing of it is kept, the next `prepare` starts over).
  public func prepare(session: ExplorerSession, state: CaseTableState, pageSize: Int,
                      progress: (Int, Int) -> Void,
                      isCancelled: () -> Bool = { false }) -> (context: CaseTableContext?, error: String?, cancelled: Bool) {
    let split = state.split
    if tables[split] == nil {
      do {
        if let refusal = CaseFinder.unavailable(split, corpus: session.corpus, limit: allStepsLimit) { throw refusal }
        let found: CaseTable
        if let second {
          found = try CaseFinder.compare(session.model, second, corpus: session.corpus, split: split, threads: threads,
                                         progress: progress, isCancelled: isCancelled)
        } else {
          found = try CaseFinder.find(session.model, corpus: session.corpus, split: split, threads: threads,
                                      progress: progress, isCancelled: isCancelled)
        }
        var counts: [String: Int] = [:]
        for row in found.rows { for label in session.categories(row.target) { counts[label, default: 0] += 1 } }
        let labels = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map(\.key)
        tables[split] = (found, labels)
      } catch is CaseFinderCancelled {
        return (nil, nil, true)
      } catch {
        return (nil, "\(error)", false)
      }
    }
    guard let entry = tables[split] else { return (nil, nil, false) }
    let table = entry.table, categories = entry.categories
    self.table = table
    self.categories = categories
    let key = OrderKey(split: split, sort: state.sort, reversed: state.reversed, filter: state.filter,
                       category: state.category)
    if key != orderKey {
      // A pretrain checkpoint alone has no TiMiRec rank: rank and gain sort by the best match's.
      order = table.order(by: table.sortColumn(for: state.sort), reversed: state.reversed, filter: state.filter, category: state.category,
                          categories: { session.categories($0) })
      orderKey = key
    }
    let rows = order.map { i -> CaseJump in
      let row = table.rows[i]
      return CaseJump(userIndex: session.userIndex(forId: row.user) ?? 0, step: row.step)
    }
    let unavailable = CaseFinder.unavailable(.all, corpus: session.corpus, limit: allStepsLimit)?.reason
    return (CaseTableContext(rows: rows, categories: categories, pageSize: pageSize, allStepsUnavailable: unavailable),
            nil, false)
  }
}
