// The case table's state and keys (`c`): which column sorts it, which rows it keeps, where
// the cursor is. The rows themselves come from SeqRec's `CaseFinder`, computed by the loop
// (CaseTableLoop.swift); handlers only move through them (docs/EXPLORER.md, "Rules").

import SeqRec

/// Sort, filter and cursor of the case table.
public struct CaseTableState: Equatable, Sendable {
  /// The sort column; each has its own direction (gain and JS largest first).
  public var sort: CaseColumn = .gain
  /// True when `S` reversed the column's direction.
  public var reversed = false
  public var filter: CaseFilter = .all
  /// Index into `CaseTableContext.categories`: only targets of that category; nil for all.
  public var category: Int?
  /// Row of the cursor among the shown rows (0-based).
  public var cursor = 0

  public init() {}
}

/// What the handlers know of the computed case table (set by the loop while it is open).
public struct CaseTableContext: Sendable {
  /// (user index, step) of each shown row, in the table's order.
  public var rows: [CaseJump]
  /// The targets' category labels, most frequent first (`F` cycles through them).
  public var categories: [String]
  /// Table rows per page (PgUp/PgDn).
  public var pageSize: Int

  public init(rows: [CaseJump], categories: [String], pageSize: Int) {
    self.rows = rows
    self.categories = categories
    self.pageSize = pageSize
  }
}

/// Where Enter on a case row goes.
public struct CaseJump: Equatable, Sendable {
  /// Index into `ExplorerSession.users`.
  public var userIndex: Int
  public var step: Int
}

extension ExplorerState {
  /// Keys while the case table is open: its own bindings, the moves, c/Esc back, q, Ctrl-L.
  mutating func handleCaseTable(_ key: Key, context: ExplorerContext) -> Reaction {
    guard let binding = KeyBindings.binding(for: key) else { return [] }
    let count = context.cases?.rows.count ?? 0
    let page = max(1, context.cases?.pageSize ?? 10)
    status = nil
    func move(to row: Int) -> Reaction {
      caseTable.cursor = min(max(0, row), max(0, count - 1))
      return .redraw
    }
    switch binding.action {
    case .cases, .back:
      mode = .browse
      return .redraw
    case .quit:
      return .quit
    case .redraw:
      return [.refresh, .redraw]
    case .moveUp: return move(to: caseTable.cursor - 1)
    case .moveDown: return move(to: caseTable.cursor + 1)
    case .pageUp: return move(to: caseTable.cursor - page)
    case .pageDown: return move(to: caseTable.cursor + page)
    case .firstStep: return move(to: 0)
    case .lastStep: return move(to: count - 1)
    case .caseSort:
      let columns = CaseColumn.allCases
      caseTable.sort = columns[((columns.firstIndex(of: caseTable.sort) ?? 0) + 1) % columns.count]
      caseTable.reversed = false
      caseTable.cursor = 0
      return .redraw
    case .caseReverse:
      caseTable.reversed.toggle()
      caseTable.cursor = 0
      return .redraw
    case .caseFilter:
      let filters = CaseFilter.allCases
      caseTable.filter = filters[((filters.firstIndex(of: caseTable.filter) ?? 0) + 1) % filters.count]
      caseTable.cursor = 0
      return .redraw
    case .caseCategory:
      let categories = context.cases?.categories.count ?? 0
      guard categories > 0 else {
        status = "the items have no categories (items.tsv)"
        return .redraw
      }
      caseTable.category = caseTable.category.map { $0 + 1 < categories ? $0 + 1 : nil } ?? 0
      caseTable.cursor = 0
      return .redraw
    case .openCase:
      guard let rows = context.cases?.rows, caseTable.cursor < rows.count else {
        status = "no case under the cursor (the filter keeps no rows)"
        return .redraw
      }
      let jump = rows[caseTable.cursor]
      mode = .browse
      userIndex = jump.userIndex
      step = jump.step
      focus = .users
      selection = 0
      status = "case \(caseTable.cursor + 1) of \(rows.count): user \(context.userIds[jump.userIndex]) at t=\(jump.step) (c: back to the table)"
      return .recompute
    default:
      status = "\(binding.keyLabel) does nothing in the case table (c or Esc closes it)"
      return .redraw
    }
  }
}

extension ExplorerState {
  /// Back to browsing with `status` (the case table could not be computed).
  mutating func leaveCaseTable(status: String) {
    mode = .browse
    self.status = status
  }
}
