// The case table's state and keys (`c`): which split it ranks, which column sorts it, which
// rows it keeps, where the cursor is. The rows themselves come from SeqRec's `CaseFinder`,
// computed by the loop (`ExplorerLoop.prepareCases`, `CaseTableCache`); handlers only move
// through them (docs/EXPLORER.md, "Rules").

import SeqRec

/// Split, sort, filters and cursor of the case table.
///
/// The sort, its direction, the outcome filter and the category filter are one choice for
/// every split (the same question asked of another split); only the cursor belongs to each
/// split's table (`p` back to a split finds its row again). A new sort or filter puts every
/// table's cursor on its first row.
public struct CaseTableState: Equatable, Sendable {
  /// Which rows: each user's test row (the default), dev row, or every step (`p` cycles).
  public var split: CaseSplit = .test
  /// The sort column; each has its own direction (gain and JS largest first).
  public var sort: CaseColumn = .gain
  /// True when `S` reversed the column's direction.
  public var reversed = false
  public var filter: CaseFilter = .all
  /// Only targets with this category label (`F` cycles through the shown table's labels,
  /// `a` clears it); nil for all. A label, not a position, so it means the same in every
  /// split (a split whose targets lack it shows no rows and says so).
  public var category: String?
  /// True right after `p` said every step is not available (the data has too many
  /// interactions); the next `p` goes on to test, any other key forgets it.
  public var allStepsRefused = false
  /// True while `?` from the table shows the help over it (closing the help returns to it).
  public var helpOverTable = false
  /// The cursor of each split's table.
  private var cursors: [CaseSplit: Int] = [:]

  /// Row of the cursor among the shown rows of this split's table (0-based).
  public var cursor: Int {
    get { cursors[split] ?? 0 }
    set { cursors[split] = newValue }
  }

  /// Every split's cursor on its first row (the order changed).
  mutating func cursorsToTop() {
    for split in cursors.keys { cursors[split] = 0 }
  }

  /// The split `p` shows next: test → dev → every step → test.
  public var nextSplit: CaseSplit {
    switch split {
    case .test: return .dev
    case .dev: return .all
    case .all: return .test
    }
  }

  public init() {}
}

/// What the handlers know of the computed case table (set by the loop while it is open).
public struct CaseTableContext: Sendable {
  /// (user index, step) of each shown row, in the table's order.
  public var rows: [CaseJump]
  /// The targets' category labels of the shown split, most frequent first (`F` cycles
  /// through them).
  public var categories: [String]
  /// Table rows per page (PgUp/PgDn).
  public var pageSize: Int
  /// Why every step cannot be ranked on this data (`CaseFinderError.reason`), nil when it can.
  public var allStepsUnavailable: String?

  public init(rows: [CaseJump], categories: [String], pageSize: Int, allStepsUnavailable: String? = nil) {
    self.rows = rows
    self.categories = categories
    self.pageSize = pageSize
    self.allStepsUnavailable = allStepsUnavailable
  }
}

/// Where Enter on a case row goes.
public struct CaseJump: Equatable, Sendable {
  /// Index into `ExplorerSession.users`.
  public var userIndex: Int
  public var step: Int
}

extension ExplorerState {
  /// Keys while the case table is open: its own bindings, the moves, c/Esc back, `?` (the
  /// help at the case table's keys), q, Ctrl-L.
  mutating func handleCaseTable(_ key: Key, context: ExplorerContext) -> Reaction {
    guard let binding = KeyBindings.binding(for: key) else { return [] }
    let count = context.cases?.rows.count ?? 0
    let page = max(1, context.cases?.pageSize ?? 10)
    status = nil
    if binding.action != .caseSplit { caseTable.allStepsRefused = false }
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
    case .caseSplit:
      var next = caseTable.nextSplit
      if next == .all, let reason = context.cases?.allStepsUnavailable {
        // The table shown stays; a second `p` goes on to test.
        if !caseTable.allStepsRefused {
          caseTable.allStepsRefused = true
          status = "\(reason); p: test"
          return .redraw
        }
        next = .test
      }
      caseTable.allStepsRefused = false
      caseTable.split = next
      return .redraw
    case .caseSort:
      let columns = CaseColumn.allCases
      caseTable.sort = columns[((columns.firstIndex(of: caseTable.sort) ?? 0) + 1) % columns.count]
      caseTable.reversed = false
      caseTable.cursorsToTop()
      return .redraw
    case .caseReverse:
      caseTable.reversed.toggle()
      caseTable.cursorsToTop()
      return .redraw
    case .caseFilter:
      let filters = CaseFilter.allCases
      caseTable.filter = filters[((filters.firstIndex(of: caseTable.filter) ?? 0) + 1) % filters.count]
      caseTable.cursorsToTop()
      return .redraw
    case .caseCategory:
      let labels = context.cases?.categories ?? []
      guard !labels.isEmpty else {
        status = "the items have no categories (items.tsv)"
        return .redraw
      }
      // The label after the current one in this split's list, all after the last; from all,
      // or from a label this split's targets lack (chosen in another split), the first.
      if let at = caseTable.category.flatMap({ labels.firstIndex(of: $0) }) {
        caseTable.category = at + 1 < labels.count ? labels[at + 1] : nil
      } else {
        caseTable.category = labels[0]
      }
      caseTable.cursorsToTop()
      return .redraw
    case .caseShowAll:
      guard caseTable.filter != .all || caseTable.category != nil else {
        status = "every row is shown already (f and F filter them)"
        return .redraw
      }
      caseTable.filter = .all
      caseTable.category = nil
      caseTable.cursorsToTop()
      return .redraw
    case .help:
      // The help over the table, scrolled to the case table's keys; closing it comes back here.
      mode = .help
      caseTable.helpOverTable = true
      helpScroll = min(context.helpCaseTableLine, context.helpMaxScroll)
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
      status = "\(binding.keyLabel) does nothing in the case table (? lists its keys; c or Esc closes it)"
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

  /// The computation of `caseTable.split` was cancelled (Esc on the progress screen): back
  /// to where the key that started it was pressed, `mode` with the table of `split` (the
  /// browsing screen after `c`, the table shown before `p`).
  mutating func cancelCaseTable(backTo mode: InputMode, split: CaseSplit, status: String) {
    self.mode = mode
    caseTable.split = split
    caseTable.allStepsRefused = false
    self.status = status
  }
}
