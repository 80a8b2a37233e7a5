// The one key-binding table: the dispatcher (`Actions.swift`), the footer, the `?` help
// screen and docs/KEYS.md all read `KeyBindings.all` (docs/EXPLORER.md, "Rules").

/// A key as the explorer understands it (the terminal driver translates raw codes).
public enum Key: Hashable, Sendable {
  case character(Character)
  /// A control key, e.g. `.control("l")` for Ctrl-L.
  case control(Character)
  case up, down, left, right, home, end, pageUp, pageDown
  case tab, backTab, enter, escape, backspace
  /// The terminal changed size.
  case resize
}

/// Everything a key can ask for.
public enum ExplorerAction: String, CaseIterable, Sendable {
  case stepBack, stepForward, firstStep, lastStep
  case moveUp, moveDown, pageUp, pageDown
  case focusNext, focusPrevious
  case randomUser, search, jumpToTarget
  case colder, warmer, resetTemperature, toggleMix
  case toggleCompare
  case help, back, redraw, quit
  case export
  // What-if editing of the history (HistoryEditing.swift).
  case dropHistoryItem, insertHistoryItem, moveItemEarlier, moveItemLater, undo, resetEdits
  // The case finder (`c`) and its table's own keys, active only while it is open
  // (CaseTableState.swift).
  case cases, caseSplit, caseSort, caseReverse, caseFilter, caseCategory, caseShowAll, openCase
}

/// Groups of the help screen, in display order.
public enum BindingGroup: String, CaseIterable, Sendable {
  case time = "Time"
  case navigation = "Users and lists"
  case temperature = "Temperature and mix"
  case general = "General"
  case whatIf = "What-if: edit the history (Tab to the history pane)"
  case caseTable = "Case table (c opens it; these keys work there)"
}

/// One row of the key table.
public struct KeyBinding: Sendable {
  /// Keys that trigger the action.
  public let keys: [Key]
  /// How the keys are written on screen, e.g. "←/h".
  public let keyLabel: String
  public let action: ExplorerAction
  /// One sentence for the help screen.
  public let description: String
  /// Short label for the footer ("" when not in the footer).
  public let footerLabel: String
  public let group: BindingGroup
  /// Why the binding does nothing right now, or nil when it is active.
  public let disabledReason: @Sendable (ExplorerState, ExplorerContext) -> String?

  init(_ keys: [Key], _ keyLabel: String, _ action: ExplorerAction, _ description: String,
       footer: String = "", group: BindingGroup,
       disabled: @escaping @Sendable (ExplorerState, ExplorerContext) -> String? = { _, _ in nil }) {
    self.keys = keys
    self.keyLabel = keyLabel
    self.action = action
    self.description = description
    self.footerLabel = footer
    self.group = group
    self.disabledReason = disabled
  }

  public var inFooter: Bool { !footerLabel.isEmpty }
}

/// What the handlers need to know about the loaded data (a narrow view of the session).
public struct ExplorerContext: Sendable {
  /// Number of users with interactions.
  public var userCount: Int
  /// n_u per user index.
  public var sequenceLengths: [Int]
  /// User id per user index.
  public var userIds: [Int]
  /// The checkpoint's training temperature (the `0` key returns to it).
  public var trainingTemperature: Float
  /// False for a pretrain checkpoint.
  public var hasPredictor: Bool
  /// Rows in each recommendation list.
  public var listLength: Int
  /// True with `explore --compare` (a second model is loaded).
  public var hasComparison = false
  /// Rows per page of the users pane (set by the layout).
  public var pageSize: Int = 10
  /// True while the terminal is below the minimum size and shows only the "too small"
  /// message (set by the loop when it draws): then every key but q/Esc is ignored.
  public var tooSmall = false
  /// Where the true next item stands in the two lists of the current view (set by the loop
  /// after each view; nil without a target): its row if listed, else its rank.
  public var targetRows: (timirec: Int?, timirecRank: Int?, bestMatch: Int?, bestMatchRank: Int?)?
  /// The shown rows of the case table and its categories (set by the loop while it is open).
  public var cases: CaseTableContext?
  /// Help lines that fit in the `?` overlay, and how far it can scroll (set when drawn).
  public var helpPageRows: Int = 20
  public var helpMaxScroll: Int = 0
  /// The help line of the case table's keys (where `?` from the table opens it; set when drawn).
  public var helpCaseTableLine: Int = 0
  /// The data's history S(u, t) of (user index, step), item ids oldest first (the what-if
  /// edits start from it).
  public var history: @Sendable (_ userIndex: Int, _ step: Int) -> [Int32]
  /// Title search for the `i` prompt.
  public var itemSearch: ItemSearch

  public init(userIds: [Int], sequenceLengths: [Int], trainingTemperature: Float, hasPredictor: Bool, listLength: Int,
              history: @escaping @Sendable (Int, Int) -> [Int32] = { _, _ in [] }, itemTitles: [String] = []) {
    userCount = userIds.count
    self.userIds = userIds
    self.sequenceLengths = sequenceLengths
    self.trainingTemperature = trainingTemperature
    self.hasPredictor = hasPredictor
    self.listLength = listLength
    self.history = history
    itemSearch = ItemSearch(titles: itemTitles)
  }

  public init(session: ExplorerSession, listLength: Int) {
    let corpus = session.corpus, users = session.users
    self.init(userIds: session.users, sequenceLengths: session.users.map { session.sequenceLength(user: $0) },
              trainingTemperature: session.trainingTemperature, hasPredictor: session.hasPredictor,
              listLength: listLength,
              history: { userIndex, step in
                let start = corpus.sequenceOffsets[users[userIndex]]
                return Array(corpus.sequenceItems[start..<(start + step)])
              },
              itemTitles: (0..<session.model.itemCount).map { $0 == 0 ? "" : session.label($0).title })
  }
}

/// The table.
public enum KeyBindings {
  /// Lowest and highest temperature; each `[`/`]` multiplies T by 10^∓0.1.
  public static let temperatureRange: ClosedRange<Float> = 0.01...100
  public static let temperatureFactor: Float = 1.258_925_4  // 10^0.1

  public static let all: [KeyBinding] = [
    KeyBinding([.left, .character("h")], "←/h", .stepBack, "Step back: the target moves one item earlier",
               footer: "step", group: .time,
               disabled: { s, _ in s.step == 0 ? "already at the first step" : nil }),
    KeyBinding([.right, .character("l")], "→/l", .stepForward, "Step forward: the target moves one item later",
               group: .time,
               disabled: { s, c in s.step >= c.sequenceLengths[s.userIndex] ? "already after the last item" : nil }),
    KeyBinding([.home, .character("g")], "Home/g", .firstStep, "First step (empty history)", group: .time),
    KeyBinding([.end, .character("G")], "End/G", .lastStep, "Last step: the test item is the target", group: .time),
    KeyBinding([.up, .character("k")], "↑/k", .moveUp, "Previous user, or previous item of the focused list (it scrolls)",
               footer: "move", group: .navigation),
    KeyBinding([.down, .character("j")], "↓/j", .moveDown, "Next user, or next item of the focused list",
               group: .navigation),
    KeyBinding([.pageUp], "PgUp", .pageUp, "A page of users up", group: .navigation),
    KeyBinding([.pageDown], "PgDn", .pageDown, "A page of users down", group: .navigation),
    KeyBinding([.tab], "Tab", .focusNext, "Focus the next pane: users → TiMiRec list → best-match list → history",
               footer: "focus", group: .navigation),
    KeyBinding([.backTab], "S-Tab", .focusPrevious, "Focus the previous pane", group: .navigation),
    KeyBinding([.character("/")], "/", .search, "Search a user by id (type digits, Enter jumps, Esc cancels)",
               footer: "search", group: .navigation),
    KeyBinding([.character("r")], "r", .randomUser, "Jump to a random user", group: .navigation),
    KeyBinding([.character("t")], "t", .jumpToTarget,
               "Jump to the true next item (★) in the focused list (from the users pane: in the TiMiRec list)",
               footer: "★ next", group: .navigation,
               disabled: { s, _ in s.step >= 1 ? nil : "no lists at step 0 (empty history)" }),
    KeyBinding([.character("v")], "v", .toggleCompare,
               "Compare (--compare CKPT2): model 1 vs model 2, or model 1 alone",
               group: .navigation,
               disabled: { _, c in c.hasComparison ? nil : "v compares two checkpoints: start with timirec explore --compare CKPT2" }),
    KeyBinding([.character("["), .character("-")], "[/-", .colder, "Lower T (sharper q and p), ×10^-0.1",
               footer: "T", group: .temperature,
               disabled: { s, _ in s.temperature <= temperatureRange.lowerBound ? "T is at its minimum" : nil }),
    KeyBinding([.character("]"), .character("+"), .character("=")], "]/+", .warmer,
               "Raise T (flatter q and p), ×10^0.1", group: .temperature,
               disabled: { s, _ in s.temperature >= temperatureRange.upperBound ? "T is at its maximum" : nil }),
    KeyBinding([.character("0")], "0", .resetTemperature, "Back to the training temperature", group: .temperature),
    KeyBinding([.character("m")], "m", .toggleMix,
               "Mix the TiMiRec list with softmax(z^q/T), not the model's softmax(z^q)",
               footer: "mix", group: .temperature,
               disabled: { _, c in c.hasPredictor ? nil : "no mix to change: pretrain has no q" }),
    KeyBinding([.character("?")], "?", .help, "Open or close this help (↑/↓ scroll it)", footer: "help", group: .general),
    KeyBinding([.escape], "Esc", .back, "Back out one level: close help or search, or return the focus to the users; never quits",
               group: .general),
    KeyBinding([.control("l")], "Ctrl-L", .redraw, "Redraw the whole screen", group: .general),
    KeyBinding([.character("q")], "q", .quit, "Quit (in help: close the help)", footer: "quit", group: .general),
    KeyBinding([.character("d")], "d", .dropHistoryItem,
               "Drop the history cursor item; everything recomputes and shows the change against the data's history",
               group: .whatIf, disabled: { ExplorerState.editDisabledReason(.dropHistoryItem, $0, $1) }),
    KeyBinding([.character("i")], "i", .insertHistoryItem,
               "Insert an item after the history cursor: type part of its title, ↑/↓ pick, Enter inserts, Esc cancels",
               group: .whatIf, disabled: { ExplorerState.editDisabledReason(.insertHistoryItem, $0, $1) }),
    KeyBinding([.character("<")], "<", .moveItemEarlier, "Move the history cursor item one place earlier", group: .whatIf,
               disabled: { ExplorerState.editDisabledReason(.moveItemEarlier, $0, $1) }),
    KeyBinding([.character(">")], ">", .moveItemLater, "Move the history cursor item one place later", group: .whatIf,
               disabled: { ExplorerState.editDisabledReason(.moveItemLater, $0, $1) }),
    KeyBinding([.character("u")], "u", .undo, "Undo the last history edit", group: .whatIf,
               disabled: { ExplorerState.editDisabledReason(.undo, $0, $1) }),
    KeyBinding([.character("U")], "U", .resetEdits, "Reset the history to the data (another user or step also does)",
               group: .whatIf, disabled: { ExplorerState.editDisabledReason(.resetEdits, $0, $1) }),
    KeyBinding([.character("c")], "c", .cases,
               "Case finder: a table of every test user (p: dev, every step) with the true next item's rank under TiMiRec and the best match (↑/↓, PgUp/PgDn, Home/End move; c or Esc closes it; while it is computed, Esc cancels and q quits)",
               footer: "back", group: .caseTable),
    KeyBinding([.character("p")], "p", .caseSplit,
               "Next split: test users → dev users → every step of every user (data with ≤ 100,000 interactions) → test; each table is computed once and kept",
               footer: "split", group: .caseTable, disabled: caseTableOnly("p")),
    KeyBinding([.character("s")], "s", .caseSort, "Sort the case table by the next column (gain, JS, the ranks, user, step, interest)",
               footer: "sort", group: .caseTable, disabled: caseTableOnly("s")),
    KeyBinding([.character("S")], "S", .caseReverse, "Reverse the case table's order",
               group: .caseTable, disabled: caseTableOnly("S")),
    KeyBinding([.character("f")], "f", .caseFilter,
               "Filter the case table: all → TiMiRec hits & best-match misses → the reverse → both hit → both miss → collapsed interests",
               footer: "filter", group: .caseTable, disabled: caseTableOnly("f")),
    KeyBinding([.character("F")], "F", .caseCategory,
               "Filter the case table by the target's category (most frequent first, then all); one choice for every split, like f and the sort",
               footer: "category", group: .caseTable, disabled: caseTableOnly("F")),
    KeyBinding([.character("a")], "a", .caseShowAll, "All rows again: the outcome filter (f) and the category (F) back to all",
               footer: "all", group: .caseTable, disabled: caseTableOnly("a")),
    KeyBinding([.enter], "Enter", .openCase, "Open the case under the cursor: that user at that step",
               footer: "open", group: .caseTable, disabled: caseTableOnly("Enter")),
    KeyBinding([.character("e")], "e", .export,
               "Export the view into a new folder (current directory or --export-dir): view.json as --snapshot --json prints it, vectors.tsv and metadata.tsv for the Embedding Projector (not Ctrl-S: with flow control on it freezes the terminal)",
               group: .general),
  ]

  /// The reason a case-table key gives outside the table.
  static func caseTableOnly(_ key: String) -> @Sendable (ExplorerState, ExplorerContext) -> String? {
    { s, _ in s.mode == .cases ? nil : "\(key) works in the case table (c opens it)" }
  }

  /// The binding for `key` in browse mode, if any.
  public static func binding(for key: Key) -> KeyBinding? {
    all.first { $0.keys.contains(key) }
  }

  /// The footer: "←/h step  ↑/k move  …" from the bindings marked for it.
  public static var footerItems: [(keys: String, label: String)] {
    all.filter { $0.inFooter && $0.group != .caseTable }.map { b in
      // The footer merges a pair of opposite bindings under the first one's label.
      switch b.action {
      case .stepBack: return ("←→", b.footerLabel)
      case .moveUp: return ("↑↓", b.footerLabel)
      case .colder: return ("[ ]", b.footerLabel)
      case .quit: return ("q", b.footerLabel)
      default: return (b.keyLabel, b.footerLabel)
      }
    }
  }

  /// The case table's footer: its own bindings, c/Esc as "back", s/S (sort, reverse) as one
  /// "sort", f/F (outcome, category) as one "filter", then `?` (its keys) and q (quit the
  /// explorer); ↑↓ and the other moves are left to `?` (the line fits 80 columns).
  public static var caseFooterItems: [(keys: String, label: String)] {
    all.filter { $0.inFooter && $0.group == .caseTable }.compactMap { b -> (keys: String, label: String)? in
      switch b.action {
      case .cases: return ("c/Esc", b.footerLabel)
      case .caseSort: return ("s/S", b.footerLabel)
      case .caseFilter: return ("f/F", b.footerLabel)
      case .caseCategory: return nil
      default: return (b.keyLabel, b.footerLabel)
      }
    } + [("?", "keys"), ("q", "quit")]
  }

  /// docs/KEYS.md, generated from the table.
  public static func markdown() -> String {
    var out = "# Explorer keys\n\nGenerated from `Sources/Explorer/State/KeyBindings.swift` (`timirec explore --keys`).\n"
    for group in BindingGroup.allCases {
      out += "\n## \(group.rawValue)\n\n| keys | action |\n|---|---|\n"
      for b in all where b.group == group { out += "| `\(b.keyLabel)` | \(b.description) |\n" }
    }
    return out
  }
}
