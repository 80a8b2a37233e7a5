// The explorer's state: a small plain value. It does no I/O and knows nothing of curses;
// `Actions.swift` changes it, `ViewBuilder` turns it into an `ExplorerView`.

/// The panes that take ↑/↓ when focused (Tab cycles through them).
public enum FocusPane: String, Codable, CaseIterable, Sendable {
  case users
  case timirec
  case bestMatch
  /// The history S(u, t): ↑/↓ pick an item for the what-if edits (`d`, `i`, `<`, `>`).
  case history

  /// Name shown in the footer.
  public var title: String {
    switch self {
    case .users: return "Users"
    case .timirec: return "TiMiRec list"
    case .bestMatch: return "Best-match list"
    case .history: return "History"
    }
  }

  /// True for the two recommendation lists (the panes whose cursor ▸ is a list row).
  public var isList: Bool { self == .timirec || self == .bestMatch }
}

/// What the keyboard currently drives.
public enum InputMode: Equatable, Sendable {
  /// Normal browsing.
  case browse
  /// The `?` help overlay is open.
  case help
  /// `/` search: digits of a user id typed so far.
  case search(String)
  /// The case table (`c`) fills the screen.
  case cases
  /// `i` in the history pane: a title typed so far and the row of the chosen match
  /// (HistoryEditing.swift).
  case insertItem(query: String, row: Int)
}

/// Everything that decides what is on screen, apart from the loaded data.
public struct ExplorerState: Equatable, Sendable {
  /// Index into `ExplorerSession.users` (not the user id).
  public var userIndex: Int
  /// t: the target is the item at position t of the user's sequence; t ∈ 0…n_u.
  public var step: Int
  /// T of q_T and p_T (and of the mix when `mix == .tempered`).
  public var temperature: Float
  public var mix: MixMode = .model
  public var focus: FocusPane = .users
  /// Row of the cursor in the focused recommendation list.
  public var selection: Int = 0
  public var mode: InputMode = .browse
  /// First help line shown while the `?` overlay is open (↑/↓ scroll it when it is taller
  /// than the screen).
  public var helpScroll: Int = 0
  /// One-line message for the status bar (e.g. "no user 99999").
  public var status: String?
  /// Sort, filter and cursor of the case table (`c`; CaseTableState.swift).
  public var caseTable = CaseTableState()
  /// With `explore --compare`: the right half shows both models (`v` toggles it).
  public var showComparison = true
  /// State of the generator behind `r` (random user), so a key sequence is reproducible.
  public var randomState: UInt64 = 0x9E37_79B9_7F4A_7C15
  /// The what-if edit of the history at (user, step), nil for the data's history
  /// (HistoryEditing.swift).
  public var historyEdit: HistoryEdit?
  /// Cursor in the history pane: an index into the (edited) history, oldest first.
  public var historySelection: Int = 0

  public init(userIndex: Int, step: Int, temperature: Float) {
    self.userIndex = userIndex
    self.step = step
    self.temperature = temperature
  }

  /// The state a session opens with: the first user, at the step whose target is the user's
  /// last (test) item, at the checkpoint's training temperature.
  public static func initial(session: ExplorerSession, userIndex: Int = 0) -> ExplorerState {
    let user = session.users[userIndex]
    let n = session.sequenceLength(user: user)
    return ExplorerState(userIndex: userIndex, step: max(0, n - 1), temperature: session.trainingTemperature)
  }

  /// The state `--user`, `--step` and `--temp` ask for (each nil: the `initial` default).
  /// - Throws: `ExplorerError.noSuchUser` (an id without interactions) or `.stepOutOfRange`
  ///   (t outside 0…n_u).
  public static func opening(session: ExplorerSession, user: Int?, step: Int?, temperature: Float?) throws(ExplorerError)
    -> ExplorerState {
    var userIndex = 0
    if let user {
      guard let index = session.userIndex(forId: user) else {
        throw .noSuchUser(user, available: session.users.first!...session.users.last!)
      }
      userIndex = index
    }
    var state = initial(session: session, userIndex: userIndex)
    if let step {
      let id = session.users[userIndex]
      let n = session.sequenceLength(user: id)
      guard (0...n).contains(step) else { throw .stepOutOfRange(user: id, step: step, length: n) }
      state.step = step
    }
    if let temperature { state.temperature = temperature }
    return state
  }
}
