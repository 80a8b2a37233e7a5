import Foundation

// Styled text in terminal cells: roles instead of colours (the driver maps roles to colour
// pairs), display widths of characters, and clipping/padding to a number of cells.

/// What a piece of text *is*; `NcursesTerminal` decides how each role looks.
public enum Style: Int, CaseIterable, Sendable {
  case normal
  /// Top status bar.
  case header
  /// Pane titles; `paneTitleFocused` for the pane that takes ↑/↓.
  case paneTitle
  case paneTitleFocused
  /// The cursor row in the focused pane; `selection` when the pane is not focused.
  case selectionFocused
  case selection
  /// Secondary text (scores, ids, splits, history outside the window).
  case dim
  /// History items inside the model's window.
  case window
  /// The target item (true next item) wherever it appears.
  case target
  /// Bars of q, of p and of the mix weights w (each also labelled q, p, w).
  case barQ
  case barP
  case barW
  /// The one-line legend.
  case legend
  /// Emphasis (labels, headings inside panes).
  case emphasis
  /// Notes the person should read (no predictor, empty history).
  case warning
  case error
  /// Footer keys and labels.
  case footerKey
  case footer
}

/// A run of text with one style.
public struct Span: Equatable, Sendable {
  public var text: String
  public var style: Style
  public init(_ text: String, _ style: Style = .normal) {
    self.text = text
    self.style = style
  }
}

/// One row of styled text.
public typealias StyledLine = [Span]

/// `s` in its display form (`displayForm`), cut to at most `width` cells; an ellipsis marks
/// the cut.
public func clip(_ s: String, to width: Int) -> String {
  guard width > 0 else { return "" }
  let shown = displayForm(s)
  if isPrintableASCII(shown) {
    return shown.utf8.count <= width ? shown : String(shown.prefix(width - 1)) + "…"
  }
  return withWidthLocale {
    var out = ""
    var used = 0
    let total = shown.reduce(0) { $0 + displayCharacterWidth($1) }
    let limit = total <= width ? width : width - 1
    for c in shown {
      let w = displayCharacterWidth(c)
      if used + w > limit { break }
      out.append(c)
      used += w
    }
    if total > width { out.append("…") }
    return out
  }
}

/// `s` clipped and right-padded with spaces to exactly `width` cells.
public func pad(_ s: String, to width: Int) -> String {
  let c = clip(s, to: width)
  return c + String(repeating: " ", count: max(0, width - cellWidth(c)))
}

/// `s` right-aligned in `width` cells.
public func padLeft(_ s: String, to width: Int) -> String {
  let c = clip(s, to: width)
  return String(repeating: " ", count: max(0, width - cellWidth(c))) + c
}

/// A horizontal bar of `value` ∈ [0, 1] in `width` cells with eighth-block resolution.
public func bar(_ value: Float, width: Int) -> String {
  guard width > 0 else { return "" }
  let v = value.isFinite ? min(max(value, 0), 1) : 0
  let eighths = Int((v * Float(width * 8)).rounded())
  let full = eighths / 8, rest = eighths % 8
  let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
  var s = String(repeating: "█", count: full)
  if full < width { s += partial[rest] }
  let used = full + (full < width && rest > 0 ? 1 : 0)
  return s + String(repeating: " ", count: max(0, width - used))
}

/// Fixed-point text of a number: `format(0.12345, 3)` = "0.123". A value that is not finite
/// shows as "—" (never as a number: NaN and ±inf are refused where they could arise, see
/// docs/EXPLORER.md); one beyond ±10^15 in scientific notation (no integer overflow).
public func format(_ value: Float, _ digits: Int) -> String {
  guard value.isFinite else { return "—" }
  guard abs(value) < 1e15 else { return String(format: "%.\(max(0, digits))e", Double(value)) }
  var scale: Float = 1
  for _ in 0..<digits { scale *= 10 }
  let rounded = (abs(value) * scale).rounded()
  let integer = Int(rounded / scale)
  let fraction = Int(rounded) - integer * Int(scale)
  var text = "\(integer)"
  if digits > 0 {
    let f = String(fraction)
    text += "." + String(repeating: "0", count: digits - f.count) + f
  }
  return (value < 0 && rounded > 0 ? "-" : "") + text
}

/// A temperature as shown in the status bar: three significant digits.
public func formatTemperature(_ t: Float) -> String {
  if t >= 10 { return format(t, 1) }
  if t >= 1 { return format(t, 2) }
  if t >= 0.1 { return format(t, 3) }
  return format(t, 4)
}
