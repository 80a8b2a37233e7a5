// The case table of a session, computed once (on the first `c`) and kept in memory; its
// order is recomputed only when the sort or the filter changes. The loop owns one.

import Foundation
import SeqRec

/// The computed case table and its current order.
///
/// Kept in memory only: the explorer never writes next to the checkpoint (demo-data/ is
/// tracked in git), and one table of Beauty's test users takes seconds to recompute.
public final class CaseTableCache {
  /// Rows: each user's test row (the default), dev row, or every step (≤ 100,000 interactions).
  public var split: CaseSplit = .test
  /// Threads for the per-row work (the machine's cores, at most 2 by default: both cores).
  public var threads = min(2, max(1, ProcessInfo.processInfo.activeProcessorCount))
  /// A second model on the same dataset (compare mode): gain becomes its rank − the
  /// session model's. Setting it forgets the table.
  public var second: (any MultiInterestRecommender)? {
    didSet { table = nil; orderKey = nil }
  }
  public private(set) var table: CaseTable?
  /// The targets' category labels, most frequent first.
  public private(set) var categories: [String] = []
  /// Indices into `table.rows` in the order and filter of the last `prepare`.
  public private(set) var order: [Int] = []
  private var orderKey: CaseTableState?

  public init() {}

  /// Computes the table if needed (`progress` gets rows done and rows in all after each
  /// block, on the calling thread), orders it for `state`, and says where each shown row
  /// jumps to.
  /// - Returns: nil when the table cannot be computed (`error` says why).
  public func prepare(session: ExplorerSession, state: CaseTableState, pageSize: Int,
                      progress: (Int, Int) -> Void) -> (context: CaseTableContext?, error: String?) {
    if table == nil {
      do {
        let found: CaseTable
        if let second {
          found = try CaseFinder.compare(session.model, second, corpus: session.corpus, split: split, threads: threads,
                                         progress: progress)
        } else {
          found = try CaseFinder.find(session.model, corpus: session.corpus, split: split, threads: threads,
                                      progress: progress)
        }
        table = found
        var counts: [String: Int] = [:]
        for row in found.rows { for label in session.categories(row.target) { counts[label, default: 0] += 1 } }
        categories = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map(\.key)
        orderKey = nil
      } catch {
        return (nil, "\(error)")
      }
    }
    guard let table else { return (nil, nil) }
    var key = state
    key.cursor = 0
    if key != orderKey {
      let category = state.category.flatMap { categories.indices.contains($0) ? categories[$0] : nil }
      order = table.order(by: state.sort, reversed: state.reversed, filter: state.filter, category: category,
                          categories: { session.categories($0) })
      orderKey = key
    }
    let rows = order.map { i -> CaseJump in
      let row = table.rows[i]
      return CaseJump(userIndex: session.userIndex(forId: row.user) ?? 0, step: row.step)
    }
    return (CaseTableContext(rows: rows, categories: categories, pageSize: pageSize), nil)
  }
}
