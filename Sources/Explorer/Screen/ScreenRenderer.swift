// Composes a whole frame from the view, the state and the layout; `Terminal` then shows it.

public enum ScreenRenderer {
  /// The frame for a `rows` × `columns` terminal.
  /// - Parameters:
  ///   - view: nil only when the terminal is too small to need one.
  public static func render(view: ExplorerView?, state: ExplorerState, context: ExplorerContext,
                            rows: Int, columns: Int, interestCount: Int) -> Frame {
    var frame = Frame(rows: rows, columns: columns)
    guard let view, let layout = ScreenLayout.compute(rows: rows, columns: columns, interestCount: interestCount) else {
      drawTooSmall(&frame, interestCount: interestCount)
      return frame
    }
    frame.put(Panes.header(view, width: columns), row: 0, column: 0, fill: .header)
    frame.put(Panes.footer(state, width: columns), row: layout.footer.row, column: 0, fill: .footer)
    frame.put(Panes.legend(width: columns, historyFocused: state.focus == .history), row: layout.legend.row, column: 0, fill: .legend)
    for r in 1..<layout.legend.row { frame.put([Span("│", .dim)], row: r, column: layout.separatorColumn, width: 1) }

    let usersRect = layout.users
    draw(&frame, Panes.users(state, context: context, height: usersRect.height - 1, width: usersRect.width),
         in: usersRect, focused: state.focus == .users)
    let historyRect = layout.history
    draw(&frame, Panes.history(view, state: state, height: historyRect.height - 1, width: historyRect.width), in: historyRect,
         focused: state.focus == .history)
    draw(&frame, Panes.timeline(view, width: layout.timeline.width), in: layout.timeline, focused: false)
    // `explore --compare` (ComparePanes.swift): both models in the right half, when it fits.
    if !drawComparison(&frame, view: view, state: state, layout: layout) {
      draw(&frame, Panes.distributions(view, width: layout.distributions.width), in: layout.distributions, focused: false)
      draw(&frame, Panes.interests(view, width: layout.interests.width, detailed: layout.detailedInterests),
           in: layout.interests, focused: false)
      let recRect = layout.recommendations
      draw(&frame, Panes.recommendations(view, state: state, height: recRect.height - 1, width: recRect.width),
           in: recRect, focused: state.focus.isList)
    }
    // The `i` prompt's matches over the right-hand panes.
    if case .insertItem = state.mode {
      let right = Rect(row: 1, column: layout.separatorColumn + 1, height: layout.legend.row - 1,
                       width: columns - layout.separatorColumn - 1)
      frame.clear(right)
      draw(&frame, Panes.insertPicker(view, state: state, search: context.itemSearch, height: right.height - 1, width: right.width),
           in: right, focused: true)
    }

    // The help overlay, last, over the panes.
    if state.mode == .help { drawHelp(&frame, scroll: state.helpScroll) }
    return frame
  }

  /// A pane: its title row, then as many content rows as fit.
  static func draw(_ frame: inout Frame, _ content: PaneContent, in rect: Rect, focused: Bool) {
    guard rect.height > 0 else { return }
    let titleStyle: Style = focused ? .paneTitleFocused : .paneTitle
    let title = " \(content.title) "
    frame.put([Span(title, titleStyle)], row: rect.row, column: rect.column, width: rect.width, fill: titleStyle)
    if !content.titleRight.isEmpty {
      let room = rect.width - cellWidth(title) - 2
      if room > 8 {
        let right = clip(firstFitting([content.titleRight] + content.titleRightShorter, width: room), to: room) + " "
        frame.put([Span(right, titleStyle)], row: rect.row, column: rect.column + rect.width - cellWidth(right),
                  width: cellWidth(right))
      }
    }
    for (i, line) in content.lines.prefix(rect.height - 1).enumerated() {
      frame.put(line, row: rect.row + 1 + i, column: rect.column, width: rect.width)
    }
  }

  /// Where the `?` overlay goes on a `rows` × `columns` screen: its box, its lines (wrapped
  /// to the box) and how many of them show at once.
  public static func helpBox(rows: Int, columns: Int) -> (box: Rect, lines: [StyledLine], visible: Int) {
    let width = min(columns - 4, 96)
    let lines = Panes.help(width: width - 4)
    let height = min(rows - 2, lines.count + 2)
    let box = Rect(row: (rows - height) / 2, column: (columns - width) / 2, height: height, width: width)
    return (box, lines, max(0, height - 2))
  }

  /// The `?` overlay: a box in the middle of the screen with the key table, scrolled down by
  /// `scroll` lines when it is taller than the box (the bottom border says so).
  static func drawHelp(_ frame: inout Frame, scroll: Int) {
    let (box, lines, visible) = helpBox(rows: frame.rows, columns: frame.columns)
    let width = box.width, top = box.row, left = box.column
    let first = min(max(0, scroll), max(0, lines.count - visible))
    frame.clear(box)
    let title = " Help: keys (from the same table the keyboard uses) "
    frame.put([Span("┌" + title + String(repeating: "─", count: max(0, width - 2 - cellWidth(title))) + "┐", .emphasis)],
              row: top, column: left, width: width)
    for r in 0..<visible {
      frame.put([Span("│", .emphasis)], row: top + 1 + r, column: left, width: 1)
      frame.put([Span("│", .emphasis)], row: top + 1 + r, column: left + width - 1, width: 1)
      if first + r < lines.count { frame.put(lines[first + r], row: top + 1 + r, column: left + 2, width: width - 4) }
    }
    var bottom = ""
    if lines.count > visible {
      let more = first + visible < lines.count ? "↓ more" : "end"
      bottom = " lines \(first + 1)–\(first + visible) of \(lines.count) · \(more) · ↑/↓ PgUp/PgDn scroll "
    }
    frame.put([Span("└" + bottom + String(repeating: "─", count: max(0, width - 2 - cellWidth(bottom))) + "┘", .emphasis)],
              row: top + box.height - 1, column: left, width: width)
  }

  static func drawTooSmall(_ frame: inout Frame, interestCount: Int) {
    let rows = ScreenLayout.minimumRows(interestCount: interestCount)
    let lines = [
      "Terminal too small: \(frame.columns)×\(frame.rows)",
      "TiMiRec Explorer needs at least \(ScreenLayout.minimumColumns) columns × \(rows) rows (K=\(interestCount))",
      "Enlarge the window, or press q to quit",
    ]
    let top = max(0, frame.rows / 2 - 1)
    for (i, line) in lines.enumerated() {
      let text = clip(line, to: frame.columns)
      frame.put([Span(text, i == 0 ? .warning : .normal)], row: top + i,
                column: max(0, (frame.columns - cellWidth(text)) / 2))
    }
  }
}
