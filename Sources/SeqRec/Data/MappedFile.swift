// Read-only memory mapping of a whole file: the input of every byte parser in Data/.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory (`mmap`, `MAP_PRIVATE`), unmapped on deinit.
///
/// Parsers read `bytes` directly: no copy, no per-line `String`. An empty file maps to an
/// empty buffer.
public final class MappedFile: @unchecked Sendable {
  /// The path as given.
  public let path: String
  /// The file's bytes; valid while this object lives.
  public let bytes: UnsafeRawBufferPointer
  private let mapped: UnsafeMutableRawPointer?

  /// Maps `path`.
  /// - Throws: `DataError.fileMissing` if there is no such file, `.unreadable` otherwise.
  public init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY)
    if fd < 0 {
      let code = errno
      if code == ENOENT { throw DataError.fileMissing(path: path) }
      throw DataError.unreadable(path: path, reason: String(cString: strerror(code)))
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      throw DataError.unreadable(path: path, reason: "is a folder, expected a file")
    }
    let size = Int(st.st_size)
    if size == 0 {
      mapped = nil
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
      throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    mapped = p
    bytes = UnsafeRawBufferPointer(start: p, count: size)
  }

  deinit {
    if let mapped { munmap(mapped, bytes.count) }
  }
}
