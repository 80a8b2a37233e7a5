// Handlers: change the state and say what must happen next; they never draw (docs/EXPLORER.md, "Rules").

import Tensor  // SplitMix64

/// What the loop must do after a key.
public struct Reaction: OptionSet, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }
  /// Only cheap parts changed (selection, help, status): nothing to recompute. The loop draws
  /// the frame after any non-empty reaction, so this flag asks for that draw alone.
  public static let redraw = Reaction(rawValue: 1 << 0)
  /// Recompute the view (user, step, T, mix changed) and redraw.
  public static let recompute = Reaction(rawValue: 1 << 1)
  /// The terminal size changed: lay out again.
  public static let relayout = Reaction(rawValue: 1 << 2)
  /// Leave the explorer.
  public static let quit = Reaction(rawValue: 1 << 3)
  /// Forget what the terminal shows and draw every cell again (Ctrl-L).
  public static let refresh = Reaction(rawValue: 1 << 4)
  /// Write the export of the current view (`e`): the loop runs its `ExportEffect` and puts
  /// where it went (or why not) in the status bar.
  public static let export = Reaction(rawValue: 1 << 5)
}

extension ExplorerState {
  /// Handles one key: help and search modes first, then the key table.
  /// - Returns: what the loop must do; `[]` for an unbound key.
  public mutating func handle(_ key: Key, context: ExplorerContext) -> Reaction {
    let before = (user: userIndex, step: step)
    let reaction = handleKey(key, context: context)
    afterKey(movedFrom: before, context: context)
    return reaction
  }

  private mutating func handleKey(_ key: Key, context: ExplorerContext) -> Reaction {
    if key == .resize { return [.relayout, .redraw] }
    if key == .control("l") { return [.refresh, .redraw] }
    // The screen shows only "too small": any other key would act unseen (q still quits).
    if context.tooSmall { return key == .character("q") ? .quit : [] }
    switch mode {
    case .help:
      return handleHelp(key, context: context)
    case .search(let text):
      return handleSearch(key, text: text, context: context)
    case .cases:
      return handleCaseTable(key, context: context)
    case .insertItem(let query, let row):
      return handleInsert(key, query: query, row: row, context: context)
    case .browse:
      break
    }
    guard let binding = KeyBindings.binding(for: key) else { return [] }
    if let reason = binding.disabledReason(self, context) {
      status = reason
      return .redraw
    }
    status = nil
    return perform(binding.action, context: context)
  }

  /// Runs one action of the key table.
  public mutating func perform(_ action: ExplorerAction, context: ExplorerContext) -> Reaction {
    let length = context.sequenceLengths[userIndex]
    switch action {
    case .stepBack: step = max(0, step - 1); return .recompute
    case .stepForward: step = min(length, step + 1); return .recompute
    case .firstStep: step = 0; return .recompute
    case .lastStep: step = max(0, length - 1); return .recompute
    case .moveUp, .moveDown, .pageUp, .pageDown:
      let delta: Int
      switch action {
      case .moveUp: delta = -1
      case .moveDown: delta = 1
      case .pageUp: delta = -max(1, context.pageSize)
      default: delta = max(1, context.pageSize)
      }
      if focus == .users || action == .pageUp || action == .pageDown {
        selectUser(userIndex + delta, context: context)
        return .recompute
      }
      if focus == .history {
        historySelection = min(max(0, historyCursor(context) + delta), max(0, editableHistoryCount(context) - 1))
        return .redraw
      }
      selection = min(max(0, selection + delta), max(0, context.listLength - 1))
      return .recompute
    case .jumpToTarget:
      if focus == .users || focus == .history { focus = context.hasPredictor ? .timirec : .bestMatch }
      let list = focus == .timirec ? "TiMiRec" : "best-match"
      guard let rows = context.targetRows else { status = "no true next item at this step"; return .recompute }
      let (row, rank) = focus == .timirec ? (rows.timirec, rows.timirecRank) : (rows.bestMatch, rows.bestMatchRank)
      if let row {
        selection = row
        status = "true next: row \(row + 1) of the \(list) list"
      } else if let rank {
        status = "the true next item ranks #\(rank) in the \(list) list, below its \(context.listLength) rows"
      } else {
        status = "the true next item is in the history: it is not ranked"
      }
      return .recompute
    case .focusNext, .focusPrevious:
      var panes = FocusPane.allCases
      if !context.hasPredictor { panes.removeAll { $0 == .timirec } }
      let at = panes.firstIndex(of: focus) ?? 0
      focus = panes[(at + (action == .focusNext ? 1 : panes.count - 1)) % panes.count]
      selection = 0
      if focus == .history { historySelection = max(0, editableHistoryCount(context) - 1) }
      return .recompute
    case .randomUser:
      // One SplitMix64 step: reproducible from the state alone.
      var generator = SplitMix64(seed: randomState)
      let z = generator.next()
      randomState = generator.state
      selectUser(Int(z % UInt64(context.userCount)), context: context)
      return .recompute
    case .search:
      mode = .search("")
      return .redraw
    case .colder, .warmer:
      let factor = action == .colder ? 1 / KeyBindings.temperatureFactor : KeyBindings.temperatureFactor
      temperature = min(max(temperature * factor, KeyBindings.temperatureRange.lowerBound),
                        KeyBindings.temperatureRange.upperBound)
      return .recompute
    case .resetTemperature:
      temperature = context.trainingTemperature
      return .recompute
    case .toggleMix:
      mix = mix == .model ? .tempered : .model
      return .recompute
    case .toggleCompare:
      showComparison.toggle()
      status = showComparison ? "model 1 vs model 2 (v: this model alone)" : "model 1 alone (v: model 1 vs model 2)"
      return .redraw
    case .help:
      mode = .help
      helpScroll = 0
      return .redraw
    case .back:
      // Browse mode: leave the list focus; Esc never quits (q does).
      guard focus == .users else {
        focus = .users
        selection = 0
        return .recompute
      }
      status = "nothing to back out of (q quits)"
      return .redraw
    case .redraw:
      return [.refresh, .redraw]
    case .quit:
      return .quit
    case .export:
      return [.export, .redraw]
    case .dropHistoryItem, .insertHistoryItem, .moveItemEarlier, .moveItemLater, .undo, .resetEdits:
      return performHistoryEdit(action, context: context)
    case .cases:
      mode = .cases
      return .redraw
    case .caseSplit, .caseSort, .caseReverse, .caseFilter, .caseCategory, .caseShowAll, .openCase:
      // Disabled outside the case table, whose handler runs them (CaseTableState.swift).
      return []
    }
  }

  /// Moves to user index `index` (clamped), at the step whose target is its test item.
  /// Staying on the same user (↑ on the first one) changes nothing.
  mutating func selectUser(_ index: Int, context: ExplorerContext) {
    let clamped = min(max(0, index), context.userCount - 1)
    guard clamped != userIndex else { return }
    selection = 0
    userIndex = clamped
    step = max(0, context.sequenceLengths[clamped] - 1)
  }

  private mutating func handleHelp(_ key: Key, context: ExplorerContext) -> Reaction {
    let delta: Int
    switch key {
    case .escape, .character("q"), .character("?"), .enter:
      // Back to the case table when `?` was pressed there.
      mode = caseTable.helpOverTable ? .cases : .browse
      caseTable.helpOverTable = false
      helpScroll = 0
      return .redraw
    case .up, .character("k"): delta = -1
    case .down, .character("j"): delta = 1
    case .pageUp: delta = -max(1, context.helpPageRows - 1)
    case .pageDown, .character(" "): delta = max(1, context.helpPageRows - 1)
    case .home, .character("g"): delta = -helpScroll
    case .end, .character("G"): delta = context.helpMaxScroll - helpScroll
    default: return []
    }
    let scrolled = min(max(0, helpScroll + delta), context.helpMaxScroll)
    guard scrolled != helpScroll else { return [] }
    helpScroll = scrolled
    return .redraw
  }

  private mutating func handleSearch(_ key: Key, text: String, context: ExplorerContext) -> Reaction {
    switch key {
    case .escape:
      mode = .browse
      status = nil
      return .redraw
    case .backspace:
      mode = .search(String(text.dropLast()))
      return .redraw
    case .enter:
      // Nothing typed: stay in search (Esc leaves it), so a following Esc does not quit.
      guard let id = Int(text) else { status = "type a user id first"; return .redraw }
      mode = .browse
      // Binary search: user ids are ascending.
      var lo = 0, hi = context.userIds.count
      while lo < hi { let mid = (lo + hi) / 2; if context.userIds[mid] < id { lo = mid + 1 } else { hi = mid } }
      if lo < context.userIds.count && context.userIds[lo] == id {
        selectUser(lo, context: context)
        status = "user \(id)"
      } else {
        status = "no user \(id) (ids \(context.userIds.first ?? 0)…\(context.userIds.last ?? 0))"
      }
      return .recompute
    case .character(let c) where c.isASCII && c.isNumber:
      mode = .search(text + String(c))
      return .redraw
    default:
      return []
    }
  }
}
