// Reading plain or gzip-compressed files through zlib (system library target CZlib).

import CZlib

/// How much larger than the file its decompressed content may be: JSON review and metadata
/// files compress about 5:1, zlib's maximum is 1032:1 (a "decompression bomb").
public let gzipMaximumExpansion = 64
/// Content up to this size is always allowed, whatever the ratio (small, very repetitive files).
public let gzipExpansionFloor = 64 << 20

/// The whole decompressed content of `path`. zlib's `gzread` passes uncompressed files
/// through unchanged, so this reads `.json` and `.json.gz` alike.
///
/// Bounded: the content may be at most `max(maximumExpansion × file size, floor)` bytes
/// (defaults ``gzipMaximumExpansion`` and ``gzipExpansionFloor``), so a small file cannot make
/// the reader allocate gigabytes.
/// - Throws: `DataError.fileMissing`, `.unreadable`, `.gzip` for a corrupt or truncated
///   stream, `.gzipExpansion` for one that expands beyond the bound.
public func readPossiblyGzipped(path: String, maximumExpansion: Int = gzipMaximumExpansion,
                                floor: Int = gzipExpansionFloor) throws -> [UInt8] {
  let fileSize = try MappedFile(path: path).bytes.count  // typed missing/unreadable errors before zlib's generic ones
  let (product, overflow) = fileSize.multipliedReportingOverflow(by: maximumExpansion)
  let limit = overflow ? Int.max : max(product, floor)
  guard let gz = gzopen(path, "rb") else { throw DataError.unreadable(path: path, reason: "zlib could not open it") }
  defer { gzclose(gz) }
  // Buffers sized to the file up to 256 KB / 1 MB (small files need no megabyte of buffers).
  gzbuffer(gz, UInt32(min(1 << 18, max(8 << 10, fileSize))))
  var out: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: min(1 << 20, max(64 << 10, fileSize)))
  while true {
    let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
    if n < 0 {
      var code: Int32 = 0
      let message = gzerror(gz, &code).map { String(cString: $0) } ?? "unknown"
      throw DataError.gzip(path: path, reason: message)
    }
    if n == 0 { break }
    guard out.count + Int(n) <= limit else {
      throw DataError.gzipExpansion(path: path, limit: limit, fileSize: fileSize, ratio: maximumExpansion)
    }
    out.append(contentsOf: chunk[0..<Int(n)])
  }
  // A truncated gzip member reads as EOF; zlib reports it through gzerror.
  var code: Int32 = 0
  let message = gzerror(gz, &code).map { String(cString: $0) } ?? ""
  if code != Z_OK && code != Z_STREAM_END { throw DataError.gzip(path: path, reason: message) }
  return out
}
