// What-if editing of a history (issue 14, docs/EXPLORER.md "What-if"): the edit stack in the
// state and the handlers of `d`, `i`, `<`, `>`, `u`, `U` and of the `i` prompt. Handlers never
// draw; the view (ViewBuilder) runs the model on the edited history.

/// An edited history S'(u, t) that replaces the data's S(u, t) at one (user, step).
///
/// The model reads the last `historyMax` items of `items` (its window: the rule of
/// `SequenceCorpus.history`), and both recommendation lists exclude every item of `items`, so a
/// dropped item can be recommended again. Moving to another user or step clears the edit.
public struct HistoryEdit: Equatable, Sendable {
  /// Index into `ExplorerSession.users` and the step t the edit belongs to.
  public var userIndex: Int
  public var step: Int
  /// The edited history: item ids (1…N−1), oldest first.
  public var items: [Int32]
  /// The history before each edit, oldest first (`u` pops the last one; popping the data's
  /// S(u, t) clears the edit). It starts with S(u, t) for edits made with the keys, empty for a
  /// history given whole (`explore --history`, where `u` returns to the data).
  public var undoStack: [[Int32]]

  public init(userIndex: Int, step: Int, items: [Int32], undoStack: [[Int32]]) {
    self.userIndex = userIndex
    self.step = step
    self.items = items
    self.undoStack = undoStack
  }
}

/// Case-insensitive title search over the item catalogue, for the `i` prompt.
///
/// Immutable after init, so the loop and tests may share it (Sendable).
public final class ItemSearch: Sendable {
  /// Title per item id ("" for the padding row 0).
  public let titles: [String]
  /// Lowercased UTF-8 of each title, the haystacks.
  private let keys: [[UInt8]]

  public init(titles: [String]) {
    self.titles = titles
    keys = titles.map { Array($0.lowercased().utf8) }
  }

  /// Items whose title contains `query` (case-insensitive), titles starting with it first,
  /// each group by id; an all-digit query that is an item id puts that item first.
  /// - Returns: up to `limit` item ids, and how many items match in all.
  public func matches(_ query: String, limit: Int = 200) -> (items: [Int], total: Int) {
    let needle = Array(query.lowercased().utf8)
    guard !needle.isEmpty else { return ([], 0) }
    var first: [Int] = [], prefix: [Int] = [], inside: [Int] = []
    if let id = Int(query), id >= 1, id < titles.count { first = [id] }
    for id in 1..<max(1, keys.count) where id != first.first {
      guard let at = Self.find(needle, in: keys[id]) else { continue }
      if at == 0 { prefix.append(id) } else { inside.append(id) }
    }
    let all = first + prefix + inside
    return (Array(all.prefix(limit)), all.count)
  }

  /// The first offset of `needle` in `haystack` (byte-wise), or nil.
  private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count, let head = needle.first else { return nil }
    return needle.withUnsafeBufferPointer { n in
      haystack.withUnsafeBufferPointer { h in
        var i = 0
        let last = h.count - n.count
        while i <= last {
          if h[i] == head {
            var j = 1
            while j < n.count && h[i + j] == n[j] { j += 1 }
            if j == n.count { return i }
          }
          i += 1
        }
        return nil
      }
    }
  }
}

extension HistoryEdit {
  /// The edit `explore --history ID,ID,…` asks for: the ids, oldest first, replace the history
  /// S(u, t) of (`userIndex`, `step`); the model reads their last `historyMax` (its window).
  /// An empty (or all-space) list is the empty history, as dropping every item makes it: the
  /// model has nothing to read and the view says so.
  /// - Throws: `ExplorerError.noSuchItem` naming the first token that is not an item id
  ///   1…N−1 of `session`'s catalogue (an empty token between commas names "").
  public static func parse(_ list: String, session: ExplorerSession, userIndex: Int, step: Int) throws -> HistoryEdit {
    let range = 1...(session.model.itemCount - 1)
    var items: [Int32] = []
    guard !list.trimmingCharacters(in: Character(" ")).isEmpty else {
      return HistoryEdit(userIndex: userIndex, step: step, items: [], undoStack: [])
    }
    for token in list.split(separator: ",", omittingEmptySubsequences: false) {
      let text = String(token).trimmingCharacters(in: Character(" "))
      guard let id = Int(text), range.contains(id) else { throw ExplorerError.noSuchItem(text, available: range) }
      items.append(Int32(id))
    }
    return HistoryEdit(userIndex: userIndex, step: step, items: items, undoStack: [])
  }
}

extension ExplorerState {
  /// The edit of the current (user, step), if any (an edit of another one is stale).
  var currentEdit: HistoryEdit? {
    guard let e = historyEdit, e.userIndex == userIndex, e.step == step else { return nil }
    return e
  }

  /// The history the edit keys act on: the edited one, else the data's S(u, t).
  func editableHistory(_ context: ExplorerContext) -> [Int32] {
    currentEdit?.items ?? context.history(userIndex, step)
  }

  /// Its length, without copying it (the data's S(u, t) has t items).
  func editableHistoryCount(_ context: ExplorerContext) -> Int { currentEdit?.items.count ?? step }

  /// The history cursor, clamped to the history.
  func historyCursor(_ context: ExplorerContext) -> Int {
    min(max(0, historySelection), max(0, editableHistoryCount(context) - 1))
  }

  /// Why an edit key does nothing now, or nil (the key table's `disabled` of `d i < > u U`).
  static func editDisabledReason(_ action: ExplorerAction, _ s: ExplorerState, _ c: ExplorerContext) -> String? {
    switch action {
    case .undo: return s.currentEdit == nil ? "no history edit to undo" : nil
    case .resetEdits: return s.currentEdit == nil ? "the history is the data's: nothing to reset" : nil
    default: break
    }
    let key = action == .dropHistoryItem ? "d drops" : action == .insertHistoryItem ? "i inserts after" : "< and > move"
    guard s.focus == .history else { return "Tab to the history pane first: \(key) its cursor item" }
    let count = s.editableHistoryCount(c)
    let cursor = s.historyCursor(c)
    switch action {
    case .dropHistoryItem: return count == 0 ? "the history is empty: nothing to drop" : nil
    case .moveItemEarlier: return count == 0 || cursor == 0 ? "the cursor item is already the oldest" : nil
    case .moveItemLater: return cursor >= count - 1 ? "the cursor item is already the most recent" : nil
    default: return nil
    }
  }

  /// `d`, `i`, `<`, `>`, `u`, `U` (enabled: see `editDisabledReason`).
  mutating func performHistoryEdit(_ action: ExplorerAction, context: ExplorerContext) -> Reaction {
    var items = editableHistory(context)
    let cursor = historyCursor(context)
    func title(_ id: Int32) -> String { context.itemSearch.titles.indices.contains(Int(id)) ? context.itemSearch.titles[Int(id)] : "item \(id)" }
    switch action {
    case .dropHistoryItem:
      let dropped = items.remove(at: cursor)
      commit(items, context: context)
      historySelection = min(cursor, max(0, items.count - 1))
      status = items.contains(dropped)
        ? "dropped one \(title(dropped)) (still in the history: stays excluded)"
        : "dropped \(title(dropped)): no longer excluded, it may be recommended (↺)"
    case .insertHistoryItem:
      mode = .insertItem(query: "", row: 0)
      status = nil
      return .redraw
    case .moveItemEarlier, .moveItemLater:
      let to = action == .moveItemEarlier ? cursor - 1 : cursor + 1
      items.swapAt(cursor, to)
      commit(items, context: context)
      historySelection = to
      status = "moved \(title(items[to])) one place \(action == .moveItemEarlier ? "earlier" : "later")"
    case .undo:
      guard var edit = currentEdit else { return [] }
      // Back to the data's history clears the edit; a history given with --history and then
      // edited comes back first.
      if let previous = edit.undoStack.popLast(),
         !(edit.undoStack.isEmpty && previous == context.history(userIndex, step)) {
        edit.items = previous
        historyEdit = edit
        status = "undone (\(edit.undoStack.count) edit\(edit.undoStack.count == 1 ? "" : "s") left)"
      } else {
        historyEdit = nil
        status = "undone: the history is the data's again"
      }
      historySelection = historyCursor(context)
    case .resetEdits:
      let count = currentEdit?.undoStack.count ?? 0
      historyEdit = nil
      historySelection = historyCursor(context)
      status = "history reset to the data (\(count) edit\(count == 1 ? "" : "s") undone)"
    default:
      return []
    }
    return .recompute
  }

  /// Makes `items` the edited history, pushing the previous one for `u`.
  private mutating func commit(_ items: [Int32], context: ExplorerContext) {
    if var edit = currentEdit {
      edit.undoStack.append(edit.items)
      edit.items = items
      historyEdit = edit
    } else {
      historyEdit = HistoryEdit(userIndex: userIndex, step: step, items: items,
                                undoStack: [context.history(userIndex, step)])
    }
  }

  /// Rows of the `i` prompt's list that ↑/↓ move through.
  static let insertPageRows = 10

  /// Keys of the `i` prompt: typing filters titles, ↑/↓ pick, Enter inserts the match after
  /// the history cursor (at the start of an empty history), Esc cancels.
  mutating func handleInsert(_ key: Key, query: String, row: Int, context: ExplorerContext) -> Reaction {
    let matches = context.itemSearch.matches(query).items
    switch key {
    case .escape:
      mode = .browse
      status = "insert cancelled"
      return .redraw
    case .backspace:
      mode = .insertItem(query: String(query.dropLast()), row: 0)
      return .redraw
    case .up, .down, .pageUp, .pageDown:
      let delta = key == .up ? -1 : key == .down ? 1 : key == .pageUp ? -Self.insertPageRows : Self.insertPageRows
      let moved = min(max(0, row + delta), max(0, matches.count - 1))
      guard moved != row else { return [] }
      mode = .insertItem(query: query, row: moved)
      return .redraw
    case .enter:
      guard !matches.isEmpty else {
        status = query.isEmpty ? "type part of a title first" : "no item title contains '\(query)'"
        return .redraw
      }
      let id = Int32(matches[min(row, matches.count - 1)])
      var items = editableHistory(context)
      let at = items.isEmpty ? 0 : historyCursor(context) + 1
      items.insert(id, at: at)
      commit(items, context: context)
      mode = .browse
      historySelection = at
      let title = context.itemSearch.titles[Int(id)]
      // Numbered as the history pane and the prompt number it: #0 is the oldest item.
      status = "inserted \(title.isEmpty ? "item \(id)" : title) as history #\(at) (#0–#\(items.count - 1))"
      return .recompute
    case .character(let c) where !c.isNewline:
      mode = .insertItem(query: query + String(c), row: 0)
      return .redraw
    default:
      return []
    }
  }

  /// After any key: an edit belongs to one (user, step), so moving clears it and says so; the
  /// history cursor goes to the most recent item of the new history.
  mutating func afterKey(movedFrom before: (user: Int, step: Int), context: ExplorerContext) {
    guard before != (userIndex, step) else { return }
    historySelection = max(0, step - 1)
    guard let edit = historyEdit, edit.userIndex != userIndex || edit.step != step else { return }
    historyEdit = nil
    status = (status.map { $0 + " · " } ?? "") + "history edit cleared (an edit belongs to one user and step)"
  }
}
