// The one width function of the explorer (docs/EXPLORER.md, "Widths"): every pane, the frame
// and the `--snapshot` text measure text with it, and it is the function ncurses advances
// its cursor by, the C library's `wcwidth`, so what the frame counts and what ncurses writes
// agree cell for cell.
//
// Where `wcwidth` and terminals disagree, the text is first put in a *display form* on which
// they agree:
// - zero-width joiners, variation selectors, emoji skin-tone modifiers and tag characters are
//   removed: 👨‍👩‍👧 (one glyph of 2 cells in most terminals, 6 by `wcwidth`) shows as 👨👩👧,
//   three glyphs of 2 cells each; 👍🏽 as 👍; ☀️ (drawn 2 wide with U+FE0F) as ☀ (1 by both);
// - control characters become spaces; scalars `wcwidth` calls unprintable (−1: unassigned,
//   noncharacters) become U+FFFD �.
//
// Which `wcwidth`: glibc's under the C.UTF-8 locale (its width table is the same in every
// UTF-8 locale, so it matches ncurses in the UTF-8 locale the explorer requires; the
// snapshot text measures the same way whatever the caller's locale). Fallback, when no UTF-8
// locale can be opened (not glibc, or a system without C.UTF-8): a built-in table (East Asian
// wide and fullwidth ranges and the main emoji blocks 2, combining marks 0, else 1).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum WidthSource {
  /// The UTF-8 locale `wcwidth` is asked under, or nil for the built-in table. Created once
  /// and never changed or freed: an immutable value after initialisation, so reading it from
  /// any thread is safe (Swift initialises globals once, thread-safely).
  nonisolated(unsafe) static let utf8Locale: locale_t? = {
    for name in ["C.UTF-8", "C.utf8", "en_US.UTF-8"] {
      if let l = newlocale(LC_CTYPE_MASK, name, nil) { return l }
    }
    return nil
  }()

  /// The C library's `wcwidth` (looked up by name: Swift's Glibc module does not export it
  /// without _XOPEN_SOURCE). A C function pointer: immutable, safe from any thread.
  static let wcwidthFunction: (@convention(c) (wchar_t) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "wcwidth") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (wchar_t) -> Int32).self)
  }()

  /// True when widths come from `wcwidth` (a UTF-8 locale and the function exist).
  static let usesWcwidth = utf8Locale != nil && wcwidthFunction != nil

  /// "wcwidth (C.UTF-8)" or "built-in table": which rule measures widths (shown by tests).
  static var description: String { !usesWcwidth ? "built-in table" : "wcwidth" }
}

/// True for the scalars the display form removes (see the file comment).
@inline(__always)
func isStrippedScalar(_ v: UInt32) -> Bool {
  switch v {
  case 0x200B...0x200F, 0x2060...0x2064, 0xFE00...0xFE0F, 0x1F3FB...0x1F3FF, 0xE0000...0xE007F, 0xE0100...0xE01EF:
    return true
  default:
    return false
  }
}

/// Width of one scalar by the active rule: −1 for unprintable, else 0, 1 or 2. Call inside
/// `withWidthLocale` (the thread's locale must be the UTF-8 one).
@inline(__always)
func scalarWidth(_ v: UInt32) -> Int {
  if v < 0x7F { return v < 0x20 ? -1 : 1 }
  if WidthSource.usesWcwidth { return Int(WidthSource.wcwidthFunction!(wchar_t(bitPattern: v))) }
  return builtInWidth(v)
}

/// The fallback table.
func builtInWidth(_ v: UInt32) -> Int {
  guard let scalar = Unicode.Scalar(v) else { return -1 }
  if v < 0xA0 { return v < 0x20 || v >= 0x7F ? -1 : 1 }
  switch scalar.properties.generalCategory {
  case .nonspacingMark, .enclosingMark, .format: return 0
  case .unassigned, .control, .surrogate: return -1
  default: break
  }
  switch v {
  case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
       0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
       0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F680...0x1F6FF, 0x1F900...0x1F9FF, 0x1FA70...0x1FAFF,
       0x20000...0x3FFFD:
    return 2
  default:
    return 1
  }
}

/// Runs `body` with the thread's locale set to the UTF-8 one (restored after).
@inline(__always)
func withWidthLocale<R>(_ body: () -> R) -> R {
  guard WidthSource.usesWcwidth, let l = WidthSource.utf8Locale else { return body() }
  let previous = uselocale(l)
  defer { uselocale(previous) }
  return body()
}

/// True when every byte is printable ASCII: then the display form is the text itself and
/// its width its length.
@inline(__always)
func isPrintableASCII(_ s: String) -> Bool {
  s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
}

/// The form of `s` that terminals and `wcwidth` draw alike (see the file comment).
public func displayForm(_ s: String) -> String {
  if isPrintableASCII(s) { return s }
  return withWidthLocale {
    var out = String.UnicodeScalarView()
    for scalar in s.unicodeScalars {
      let v = scalar.value
      if isStrippedScalar(v) { continue }
      if v < 0x20 || (v >= 0x7F && v < 0xA0) { out.append(" "); continue }
      out.append(scalarWidth(v) < 0 ? "\u{FFFD}" : scalar)
    }
    return String(out)
  }
}

/// Cells a character of a display-form string takes: the sum of `wcwidth` over its scalars
/// (a base and its combining marks: the base's width; a flag's two regional indicators: 2).
public func cellWidth(_ c: Character) -> Int {
  if c.asciiValue != nil { return 1 }  // printable, or a control drawn as a space
  return withWidthLocale { displayCharacterWidth(c) }
}

/// `cellWidth(_:)` without setting the locale (the caller has).
@inline(__always)
func displayCharacterWidth(_ c: Character) -> Int {
  if c.asciiValue != nil { return 1 }
  var w = 0
  for scalar in c.unicodeScalars {
    let v = scalar.value
    if isStrippedScalar(v) { continue }
    if v < 0x20 || (v >= 0x7F && v < 0xA0) { w += 1; continue }
    w += max(0, scalarWidth(v) < 0 ? 1 : scalarWidth(v))
  }
  return w
}

/// Display width of a string in cells: the width of its display form, which is what
/// ncurses' cursor advances by when the frame writes it.
public func cellWidth(_ s: String) -> Int {
  if isPrintableASCII(s) { return s.utf8.count }
  return withWidthLocale { displayForm(s).reduce(0) { $0 + displayCharacterWidth($1) } }
}
