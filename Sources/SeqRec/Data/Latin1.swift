// ISO-8859-1 → UTF-8 (the MovieLens item files are latin-1).

/// Decodes latin-1 bytes: every byte is the code point U+00XX.
public func decodeLatin1<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
  var utf8: [UInt8] = []
  utf8.reserveCapacity(bytes.count + 8)
  for b in bytes {
    if b < 0x80 {
      utf8.append(b)
    } else {
      utf8.append(0xC0 | (b >> 6))
      utf8.append(0x80 | (b & 0x3F))
    }
  }
  return String(decoding: utf8, as: UTF8.self)
}
