import Foundation
import XCTest

@testable import SeqRec

final class PlotTests: XCTestCase {
  /// The canvas rows of a terminal plot (top row first), each `width` cells, and the margin.
  private func canvas(_ plot: String, height: Int) -> (rows: [[Character]], lines: [String]) {
    let lines = plot.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let rows = lines[2..<(2 + height)].map { line -> [Character] in
      let bar = line.firstIndex(of: "|")!
      return Array(line[line.index(after: bar)...])
    }
    return (rows, lines)
  }

  func testLinesPlaceKnownPointsInTheirCells() {
    // x 0, 5, 10 over 11 columns → columns 0, 5, 10; y 0, 2, 4 over 5 rows → rows 0, 2, 4 from the bottom.
    let plot = Plot.terminal(title: "T", xLabel: "K", yLabel: "HR@10",
                             series: [PlotSeries(label: "TiMiRec", x: [0, 5, 10], y: [0, 2, 4])],
                             kind: .lines, width: 11, height: 5)
    let (rows, lines) = canvas(plot, height: 5)
    XCTAssertEqual(lines[0], "T")
    XCTAssertEqual(lines[1], "HR@10")
    XCTAssertEqual(rows.map { String($0) }, [
      "         **",
      "       *** ",
      "    ****   ",
      "  ***      ",
      "***        ",
    ])
    // Tick values: ymax on the top row, the middle row's value, ymin on the bottom row.
    XCTAssertTrue(lines[2].hasPrefix("4 |"), lines[2])
    XCTAssertTrue(lines[4].hasPrefix("2 |"), lines[4])
    XCTAssertTrue(lines[6].hasPrefix("0 |"), lines[6])
    XCTAssertEqual(lines[7], "  ++----+----+")
    XCTAssertEqual(lines[8], "   0    5   10")
    XCTAssertEqual(lines[9], "        K")
    XCTAssertEqual(lines[10], "   * TiMiRec")
    XCTAssertEqual(lines.count, 12)  // and the final newline
  }

  func testTwoLineSeriesKeepTheirMarkersAndNaNIsSkipped() {
    let plot = Plot.terminal(title: "", xLabel: "", yLabel: "",
                             series: [PlotSeries(label: "a", x: [0, 3], y: [1, 1]),
                                      PlotSeries(label: "b", x: [0, 1.5, 3], y: [0, .nan, 0])],
                             kind: .lines, width: 4, height: 3)
    let (rows, lines) = canvas(plot, height: 3)
    // Width 4 is widened to the minimum of 8 columns; "a" at y = 1 (top), "b" at y = 0 (bottom).
    XCTAssertEqual(rows.map { String($0) }, ["********", "        ", "oooooooo"])
    XCTAssertEqual(lines[lines.count - 3], "     * a")
    XCTAssertEqual(lines[lines.count - 2], "     o b")
  }

  func testHistogramBarsFillTheirBinsToTheirHeight() {
    // Bins centred 0.25 and 0.75 (width 0.5): x range [0, 1] over 10 columns → columns 0–4 and
    // 5–9; heights 1 and 2 of ymax 2 over 4 rows → 2 and 4 rows.
    let plot = Plot.terminal(title: "JS", xLabel: "JS divergence", yLabel: "rows",
                             series: [PlotSeries(label: "TiMiRec", x: [0.25, 0.75], y: [1, 2])],
                             kind: .histogram, width: 10, height: 4)
    let (rows, lines) = canvas(plot, height: 4)
    XCTAssertEqual(rows.map { String($0) }, [
      "     *****",
      "     *****",
      "**********",
      "**********",
    ])
    XCTAssertTrue(lines[2].hasPrefix("2 |"), lines[2])
    XCTAssertEqual(lines[6], "0 ++---+----+")
    XCTAssertEqual(lines[7], "   0  0.5   1")
  }

  func testHistogramSeriesShareEachBinSideBySide() {
    // Two series, one bin each at 0.5 (bar width 1 by default) over 8 columns: 0–3 and 4–7.
    // A small positive count still shows one row; a zero count none.
    let plot = Plot.terminal(title: "", xLabel: "", yLabel: "",
                             series: [PlotSeries(label: "TiMiRec", x: [0.5], y: [10]),
                                      PlotSeries(label: "ComiRec", x: [0.5], y: [0.1])],
                             kind: .histogram, width: 8, height: 3)
    let (rows, _) = canvas(plot, height: 3)
    XCTAssertEqual(rows.map { String($0) }, ["****    ", "****    ", "****oooo"])
  }

  func testNoFiniteDataSaysSo() {
    let plot = Plot.terminal(title: "T", xLabel: "x", yLabel: "y",
                             series: [PlotSeries(label: "a", x: [.nan], y: [1])], kind: .lines)
    XCTAssertEqual(plot, "T\n(no data)\n")
  }

  private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plot-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
  }

  /// gnuplot is a test dependency (.ci/run installs gnuplot-nox): its absence fails here.
  func testPNGIsAValidImageOfTheRequestedSize() throws {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    guard Plot.findOnPath("gnuplot", searchPath: path) != nil else {
      return XCTFail("gnuplot is not on PATH: install apt package \(Plot.gnuplotPackage) (.ci/run does)")
    }
    let folder = try temporaryFolder()
    let lines = folder.appendingPathComponent("lines.png").path
    try Data("old".utf8).write(to: URL(fileURLWithPath: lines))
    try Plot.png(path: lines, title: "It's HR@10", xLabel: "K", yLabel: "HR@10",
                 series: [PlotSeries(label: "TiMiRec_plus", x: [1, 2, 4], y: [0.2, 0.25, 0.27], errors: [0.01, 0.02, .nan]),
                          PlotSeries(label: "ComiRec", x: [1, 2, 4], y: [0.18, .nan, 0.2])], kind: .lines, logX: true)
    let histogram = folder.appendingPathComponent("histogram.png").path
    try Plot.png(path: histogram, title: "JS", xLabel: "JS", yLabel: "rows",
                 series: [PlotSeries(label: "a", x: [0.05, 0.15], y: [3, 1]),
                          PlotSeries(label: "b", x: [0.05, 0.15], y: [1, 4])], kind: .histogram)
    for file in [lines, histogram] {
      let data = try Data(contentsOf: URL(fileURLWithPath: file))
      XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], file)
      // IHDR: width and height, big-endian, at bytes 16 and 20.
      let bytes = Array(data)
      let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
      let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
      XCTAssertEqual([width, height], [960, 600], file)
    }
    // Only the two images are left: the temporary folder and AtomicWrite's temporaries are gone.
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(),
                   ["histogram.png", "lines.png"])
  }

  /// What gnuplot is given: a fake gnuplot keeps the script and data files and writes a
  /// stand-in image. A series with errors is drawn with error bars from a third column
  /// (0 for a missing or negative error); one without keeps two columns.
  func testErrorBarsAreAThirdDataColumnDrawnAsYErrorLines() throws {
    let folder = try temporaryFolder()
    let kept = folder.appendingPathComponent("kept").path
    try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: false)
    let fake = folder.appendingPathComponent("gnuplot").path
    try Data("""
      #!/bin/sh
      cp "$1" "$(dirname "$1")"/series*.dat '\(kept)'/
      out=$(sed -n "s/^set output '\\(.*\\)'$/\\1/p" "$1")
      printf png > "$out"

      """.utf8).write(to: URL(fileURLWithPath: fake))
    XCTAssertEqual(chmod(fake, 0o755), 0)
    let target = folder.appendingPathComponent("x.png").path
    try Plot.png(path: target, title: "T", xLabel: "T", yLabel: "HR@10",
                 series: [PlotSeries(label: "HR@10", x: [1, 2, 4, 8], y: [0.2, 0.25, .nan, 0.27], errors: [0.01, .nan, 0.5, -1]),
                          PlotSeries(label: "NDCG@10", x: [1, 2], y: [0.1, 0.12])], kind: .lines, logX: true,
                 searchPath: folder.path)
    XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "png")
    let script = try String(contentsOfFile: kept + "/plot.gp", encoding: .utf8)
    XCTAssertTrue(script.contains("series0.dat' using 1:2:3 with yerrorlines lw 2 title 'HR@10'"), script)
    XCTAssertTrue(script.contains("series1.dat' using 1:2 with linespoints lw 2 title 'NDCG@10'"), script)
    // Ticks at the points' x (the NaN point's x 4 is not one), whole bars at the ends, log x.
    XCTAssertTrue(script.contains("set xtics (1.0, 2.0, 8.0)\nset autoscale xfix\nset offsets graph 0.04, graph 0.04, 0, 0\nset key outside right top\nset logscale x\n"), script)
    XCTAssertEqual(try String(contentsOfFile: kept + "/series0.dat", encoding: .utf8), "1.0\t0.2\t0.01\n2.0\t0.25\t0.0\n8.0\t0.27\t0.0\n")
    XCTAssertEqual(try String(contentsOfFile: kept + "/series1.dat", encoding: .utf8), "1.0\t0.1\n2.0\t0.12\n")
  }

  func testMissingGnuplotNamesTheAptPackage() throws {
    let folder = try temporaryFolder()
    let target = folder.appendingPathComponent("x.png").path
    XCTAssertThrowsError(try Plot.png(path: target, title: "", xLabel: "", yLabel: "",
                                      series: [PlotSeries(label: "a", x: [1], y: [1])], kind: .lines,
                                      searchPath: folder.path)) { error in
      XCTAssertEqual(error as? PlotError, .gnuplotMissing(aptPackage: "gnuplot-nox"))
      XCTAssertTrue("\(error)".contains("apt-get install gnuplot-nox"), "\(error)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: target))
  }

  func testFailingGnuplotReportsStatusAndStderrAndKeepsTheOldFile() throws {
    let folder = try temporaryFolder()
    let fake = folder.appendingPathComponent("gnuplot").path
    try Data("#!/bin/sh\necho \"line 3: unknown terminal\" >&2\nexit 3\n".utf8).write(to: URL(fileURLWithPath: fake))
    XCTAssertEqual(chmod(fake, 0o755), 0)
    let target = folder.appendingPathComponent("x.png").path
    try Data("old".utf8).write(to: URL(fileURLWithPath: target))
    XCTAssertThrowsError(try Plot.png(path: target, title: "", xLabel: "", yLabel: "",
                                      series: [PlotSeries(label: "a", x: [1], y: [1])], kind: .lines,
                                      searchPath: folder.path)) { error in
      XCTAssertEqual(error as? PlotError, .gnuplotFailed(status: 3, stderr: "line 3: unknown terminal\n"))
    }
    XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "old")
  }
}
