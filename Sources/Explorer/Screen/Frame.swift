// A frame: a grid of styled cells that panes are drawn into before the terminal sees it.
// Tests and `--snapshot` read it as plain text; `Terminal` receives it as styled runs.

/// A rectangle in cells.
public struct Rect: Equatable, Sendable {
  public var row: Int
  public var column: Int
  public var height: Int
  public var width: Int
  public init(row: Int, column: Int, height: Int, width: Int) {
    self.row = row
    self.column = column
    self.height = max(0, height)
    self.width = max(0, width)
  }
}

/// rows × columns styled cells. A wide character occupies its cell and marks the next one
/// as a continuation.
public struct Frame: Equatable, Sendable {
  public struct Cell: Equatable, Sendable {
    public var character: Character
    public var style: Style
    /// True for the second cell of a wide character.
    public var continuation: Bool
  }

  public let rows: Int
  public let columns: Int
  public private(set) var cells: [Cell]

  public init(rows: Int, columns: Int) {
    self.rows = max(0, rows)
    self.columns = max(0, columns)
    cells = Array(repeating: Cell(character: " ", style: .normal, continuation: false), count: self.rows * self.columns)
  }

  /// Writes `line` at (row, column), clipped to `width` cells (to the frame edge by default);
  /// the rest of the width is filled with spaces in `fill` style when `fill` is given.
  public mutating func put(_ line: StyledLine, row: Int, column: Int, width: Int? = nil, fill: Style? = nil) {
    guard row >= 0 && row < rows && column < columns else { return }
    let limit = min(columns, column + (width ?? columns - column))
    var x = column
    // The display form is what is written and measured (CellWidth.swift): the frame's cells
    // and ncurses' cursor advance by the same widths.
    let shown = line.map { ($0.style, displayForm($0.text)) }
    withWidthLocale {
      // Clip the whole line first so an ellipsis marks a cut.
      let total = shown.reduce(0) { $0 + $1.1.reduce(0) { $0 + displayCharacterWidth($1) } }
      let available = limit - column
      let cutAt = total > available ? available - 1 : Int.max
      var used = 0
      var outOfRoom = false
      for (style, text) in shown where !outOfRoom {
        for c in text {
          let w = displayCharacterWidth(c)
          if w == 0 { continue }
          if used + w > cutAt || x + w > limit {
            if x < limit { set(row, x, "…", style); x += 1 }
            outOfRoom = true
            break
          }
          set(row, x, c, style)
          for extra in 1..<w where x + extra < columns {
            set(row, x + extra, " ", style)
            cells[row * columns + x + extra].continuation = true
          }
          x += w
          used += w
        }
      }
    }
    if let fill { while x < limit { set(row, x, " ", fill); x += 1 } }
  }

  /// Fills a rectangle with spaces of `style`.
  public mutating func clear(_ rect: Rect, style: Style = .normal) {
    for r in rect.row..<min(rows, rect.row + rect.height) where r >= 0 {
      for c in rect.column..<min(columns, rect.column + rect.width) where c >= 0 { set(r, c, " ", style) }
    }
  }

  private mutating func set(_ row: Int, _ column: Int, _ character: Character, _ style: Style) {
    guard row >= 0 && row < rows && column >= 0 && column < columns else { return }
    // Overwriting part of a wide character blanks the rest of it.
    let i = row * columns + column
    if cells[i].continuation {
      var c = column - 1
      while c >= 0 {
        let j = row * columns + c
        let wasContinuation = cells[j].continuation
        cells[j] = Cell(character: " ", style: cells[j].style, continuation: false)
        if !wasContinuation { break }
        c -= 1
      }
    }
    var c = column + 1
    while c < columns && cells[row * columns + c].continuation {
      cells[row * columns + c] = Cell(character: " ", style: cells[row * columns + c].style, continuation: false)
      c += 1
    }
    cells[i] = Cell(character: character, style: style, continuation: false)
  }

  /// Row `r` as plain text, trailing spaces removed.
  public func text(row r: Int) -> String {
    var s = ""
    for c in 0..<columns where !cells[r * columns + c].continuation { s.append(cells[r * columns + c].character) }
    while s.last == " " { s.removeLast() }
    return s
  }

  /// The whole frame as plain text, one line per row.
  public var text: String { (0..<rows).map { text(row: $0) }.joined(separator: "\n") }

  /// Row `r` as runs of equal style (continuation cells skipped), for the terminal driver.
  public func runs(row r: Int) -> [(column: Int, text: String, style: Style)] {
    var out: [(Int, String, Style)] = []
    var start = 0
    var text = ""
    var style: Style? = nil
    for c in 0..<columns {
      let cell = cells[r * columns + c]
      if cell.continuation { continue }
      if cell.style != style {
        if let style, !text.isEmpty { out.append((start, text, style)) }
        start = c
        text = ""
        style = cell.style
      }
      text.append(cell.character)
    }
    if let style, !text.isEmpty { out.append((start, text, style)) }
    return out
  }
}
