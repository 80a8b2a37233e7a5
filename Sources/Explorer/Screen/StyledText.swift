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
  /// Bars of q and of p.
  case barQ
  case barP
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

/// Number of terminal cells a character takes: 0 for combining marks and zero-width
/// characters, 2 for East Asian wide/fullwidth and most emoji, else 1.
public func cellWidth(_ c: Character) -> Int {
  if c.asciiValue != nil { return 1 }  // fast path: most titles are ASCII
  guard let scalar = c.unicodeScalars.first else { return 0 }
  let v = scalar.value
  if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 1 }  // control: drawn as a space
  if scalar.properties.generalCategory == .nonspacingMark || v == 0x200B || v == 0x200D { return 0 }
  switch v {
  case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
       0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
       0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
    return 2
  default:
    return 1
  }
}

/// Display width of a string in cells.
public func cellWidth(_ s: String) -> Int { s.reduce(0) { $0 + cellWidth($1) } }

/// `s` cut to at most `width` cells; an ellipsis marks the cut. Control characters become
/// spaces.
public func clip(_ s: String, to width: Int) -> String {
  guard width > 0 else { return "" }
  var out = ""
  var used = 0
  let total = cellWidth(s)
  let limit = total <= width ? width : width - 1
  for c in s {
    let w = cellWidth(c)
    if used + w > limit { break }
    let scalar = c.unicodeScalars.first?.value ?? 32
    out.append(scalar < 0x20 || (scalar >= 0x7F && scalar < 0xA0) ? " " : c)
    used += w
  }
  if total > width { out.append("…") }
  return out
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

/// Fixed-point text of a number: `format(0.12345, 3)` = "0.123".
public func format(_ value: Float, _ digits: Int) -> String {
  guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
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
