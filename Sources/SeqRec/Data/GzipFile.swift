// Reading plain or gzip-compressed files through zlib (system library target CZlib).

import CZlib

/// The whole decompressed content of `path`. zlib's `gzread` passes uncompressed files
/// through unchanged, so this reads `.json` and `.json.gz` alike.
/// - Throws: `DataError.fileMissing`, `.unreadable`, or `.gzip` for a corrupt or truncated stream.
public func readPossiblyGzipped(path: String) throws -> [UInt8] {
  _ = try MappedFile(path: path)  // typed missing/unreadable errors before zlib's generic ones
  guard let gz = gzopen(path, "rb") else { throw DataError.unreadable(path: path, reason: "zlib could not open it") }
  defer { gzclose(gz) }
  gzbuffer(gz, 1 << 18)
  var out: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 20)
  while true {
    let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
    if n < 0 {
      var code: Int32 = 0
      let message = gzerror(gz, &code).map { String(cString: $0) } ?? "unknown"
      throw DataError.gzip(path: path, reason: message)
    }
    if n == 0 { break }
    out.append(contentsOf: chunk[0..<Int(n)])
  }
  // A truncated gzip member reads as EOF; zlib reports it through gzerror.
  var code: Int32 = 0
  let message = gzerror(gz, &code).map { String(cString: $0) } ?? ""
  if code != Z_OK && code != Z_STREAM_END { throw DataError.gzip(path: path, reason: message) }
  return out
}
