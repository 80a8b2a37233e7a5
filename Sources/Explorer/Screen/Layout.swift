// Layout: a pure function from the terminal size (in cells) and K to pane rectangles.

/// Where each pane goes. Sizes are in terminal cells (rows × columns).
public struct ScreenLayout: Equatable, Sendable {
  /// The smallest terminal the explorer draws into: 80 columns, and 24 rows or what K
  /// interests need (`minimumRows(interestCount:)`).
  public static let minimumColumns = 80

  /// Rows the recommendations pane needs at least: its title, the lists' header, 3 list rows
  /// and the selected item's 3 rows.
  static let minimumRecommendations = 8

  /// The fewest rows that fit K interests: header, legend and footer, distributions (K + 2),
  /// interests (1 + K, one row each) and the recommendations; never below 24.
  public static func minimumRows(interestCount k: Int) -> Int {
    max(24, 3 + (k + 2) + (1 + k) + minimumRecommendations)
  }

  public var header: Rect
  public var users: Rect
  public var history: Rect
  /// The timeline strip under the history (`Panes.timelineRows` rows).
  public var timeline: Rect
  /// Column of the vertical rule between the left and right halves.
  public var separatorColumn: Int
  public var distributions: Rect
  public var interests: Rect
  /// True when each interest gets a second row (its attention).
  public var detailedInterests: Bool
  public var recommendations: Rect
  /// The one-line legend above the footer.
  public var legend: Rect
  public var footer: Rect

  /// The layout for a `rows` × `columns` terminal and K interests, or nil when the terminal
  /// is too small (then the screen says so instead of drawing garbage).
  ///
  /// Left third: users (a third of the height) above the history, then the timeline strip
  /// (5 rows; the history keeps at least 9 since the body has at least 21). Right: distributions
  /// (K + 2 rows incl. title and note), interests (1 + 2K rows, or 1 + K when short of room),
  /// recommendations (the rest, at least 8 rows). Each rectangle includes its title row.
  /// Below the panes a legend row, then the footer.
  public static func compute(rows: Int, columns: Int, interestCount k: Int) -> ScreenLayout? {
    guard rows >= minimumRows(interestCount: k) && columns >= minimumColumns else { return nil }
    let body = rows - 3
    let left = min(44, max(26, columns * 3 / 10))
    let users = max(5, body / 3)
    let right = columns - left - 1
    let distributions = k + 2
    var interests = 1 + 2 * k
    var detailed = true
    if body - distributions - interests < minimumRecommendations {
      interests = 1 + k
      detailed = false
    }
    let recommendations = body - distributions - interests
    guard recommendations >= minimumRecommendations else { return nil }
    return ScreenLayout(
      header: Rect(row: 0, column: 0, height: 1, width: columns),
      users: Rect(row: 1, column: 0, height: users, width: left),
      history: Rect(row: 1 + users, column: 0, height: body - users - Panes.timelineRows, width: left),
      timeline: Rect(row: 1 + body - Panes.timelineRows, column: 0, height: Panes.timelineRows, width: left),
      separatorColumn: left,
      distributions: Rect(row: 1, column: left + 1, height: distributions, width: right),
      interests: Rect(row: 1 + distributions, column: left + 1, height: interests, width: right),
      detailedInterests: detailed,
      recommendations: Rect(row: 1 + distributions + interests, column: left + 1, height: recommendations, width: right),
      legend: Rect(row: rows - 2, column: 0, height: 1, width: columns),
      footer: Rect(row: rows - 1, column: 0, height: 1, width: columns))
  }

  /// Rows of the users list (its page size for PgUp/PgDn).
  public var usersPageSize: Int { max(1, users.height - 1) }
}
