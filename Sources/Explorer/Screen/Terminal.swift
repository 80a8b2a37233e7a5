// The small surface the explorer needs from a terminal. `NcursesTerminal` implements it;
// tests can implement it with an in-memory grid.

/// A full-screen terminal: size, styled text at a position, a flush, and keys.
public protocol Terminal: AnyObject {
  /// Current size in cells.
  var size: (rows: Int, columns: Int) { get }
  /// Starts a new frame (the previous contents are forgotten).
  func beginFrame()
  /// Writes `text` (already clipped to the screen) at (row, column).
  func draw(row: Int, column: Int, text: String, style: Style)
  /// Shows the frame.
  func endFrame()
  /// Waits up to `timeoutMilliseconds` for a key; nil when none arrived.
  func readKey(timeoutMilliseconds: Int) -> Key?
  /// Forgets what the terminal is believed to show, so the next frame rewrites every cell
  /// (Ctrl-L). Default: nothing to forget.
  func invalidate()
}

extension Terminal {
  public func invalidate() {}
}

extension Terminal {
  /// Sends a whole frame as runs of equal style.
  public func show(_ frame: Frame) {
    beginFrame()
    for r in 0..<frame.rows {
      for run in frame.runs(row: r) { draw(row: r, column: run.column, text: run.text, style: run.style) }
    }
    endFrame()
  }
}
