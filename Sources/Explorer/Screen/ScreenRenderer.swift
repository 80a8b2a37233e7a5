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
    frame.put(Panes.header(view), row: 0, column: 0, fill: .header)
    frame.put(Panes.footer(state, width: columns), row: layout.footer.row, column: 0, fill: .footer)
    for r in 1..<(rows - 1) { frame.put([Span("│", .dim)], row: r, column: layout.separatorColumn, width: 1) }

    let usersRect = layout.users
    draw(&frame, Panes.users(state, context: context, height: usersRect.height - 1, width: usersRect.width),
         in: usersRect, focused: state.focus == .users)
    let historyRect = layout.history
    draw(&frame, Panes.history(view, height: historyRect.height - 1, width: historyRect.width), in: historyRect, focused: false)
    draw(&frame, Panes.distributions(view, width: layout.distributions.width), in: layout.distributions, focused: false)
    draw(&frame, Panes.interests(view, width: layout.interests.width, detailed: layout.detailedInterests),
         in: layout.interests, focused: false)
    let recRect = layout.recommendations
    draw(&frame, Panes.recommendations(view, state: state, height: recRect.height - 1, width: recRect.width),
         in: recRect, focused: state.focus != .users)

    // Notes the pane contents do not already say go to the top of the history pane's title.
    if state.mode == .help { drawHelp(&frame) }
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
        let right = clip(content.titleRight, to: room) + " "
        frame.put([Span(right, titleStyle)], row: rect.row, column: rect.column + rect.width - cellWidth(right),
                  width: cellWidth(right))
      }
    }
    for (i, line) in content.lines.prefix(rect.height - 1).enumerated() {
      frame.put(line, row: rect.row + 1 + i, column: rect.column, width: rect.width)
    }
  }

  /// The `?` overlay: a box in the middle of the screen with the key table.
  static func drawHelp(_ frame: inout Frame) {
    let lines = Panes.help()
    let width = min(frame.columns - 4, 96)
    let height = min(frame.rows - 2, lines.count + 2)
    let top = (frame.rows - height) / 2, left = (frame.columns - width) / 2
    frame.clear(Rect(row: top, column: left, height: height, width: width))
    let title = " Help: keys (from the same table the keyboard uses) "
    frame.put([Span("┌" + title + String(repeating: "─", count: max(0, width - 2 - cellWidth(title))) + "┐", .emphasis)],
              row: top, column: left, width: width)
    for r in 1..<(height - 1) {
      frame.put([Span("│", .emphasis)], row: top + r, column: left, width: 1)
      frame.put([Span("│", .emphasis)], row: top + r, column: left + width - 1, width: 1)
      if r - 1 < lines.count { frame.put(lines[r - 1], row: top + r, column: left + 2, width: width - 4) }
    }
    frame.put([Span("└" + String(repeating: "─", count: width - 2) + "┘", .emphasis)],
              row: top + height - 1, column: left, width: width)
  }

  static func drawTooSmall(_ frame: inout Frame, interestCount: Int) {
    let lines = [
      "Terminal too small: \(frame.columns)×\(frame.rows)",
      "TiMiRec Explorer needs at least \(ScreenLayout.minimumColumns)×\(ScreenLayout.minimumRows)"
        + (interestCount > 6 ? " (more rows for K=\(interestCount))" : ""),
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
