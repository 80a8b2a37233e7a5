// The package's executables as `swift test` built them: next to the test bundle.
import Foundation

public enum BuiltProducts {
  /// The folders a product can be in: the test bundle's own folder and the one holding it
  /// (Linux: `.build/<triple>/<config>/<Package>PackageTests.xctest` is a file beside the
  /// executables; macOS: a bundle folder beside them).
  public static var searchFolders: [URL] {
    var folders: [URL] = []
    for path in [Bundle(for: Marker.self).bundlePath, CommandLine.arguments.first ?? ""] where !path.isEmpty {
      let url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
      for folder in [url, url.deletingLastPathComponent()] where !folders.contains(folder) { folders.append(folder) }
    }
    return folders
  }

  /// The path of the built executable `name`. Never builds: the running `swift test` holds
  /// the lock on `.build`, and a build from inside a test would race it.
  /// - Throws: `TestSupportError` naming the folders searched and the command that builds it.
  public static func executable(_ name: String) throws -> String {
    let fm = FileManager.default
    let folders = searchFolders
    if let found = folders.map({ $0.appendingPathComponent(name).path }).first(where: { fm.isExecutableFile(atPath: $0) }) {
      return found
    }
    throw TestSupportError("""
      no built `\(name)` next to the test bundle (looked in \(folders.map(\.path).joined(separator: ", "))); \
      `swift test` builds every product first; after `swift build --build-tests` run `swift build --product \(name)` too
      """)
  }

  /// `timirec`, looked up once per test process.
  public static let timirec: Result<String, any Error> = Result { try executable("timirec") }

  private final class Marker {}
}
