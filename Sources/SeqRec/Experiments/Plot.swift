// Plots for the `analyze` commands (the paper's Figures 2 and 3): a text plot for the terminal
// and a PNG drawn by gnuplot (apt package gnuplot-nox), so no pixels are drawn by hand.
import Foundation
import Tensor

/// One named series of a plot: points (x[i], y[i]). Non-finite points are not drawn.
public struct PlotSeries: Sendable {
  public var label: String
  public var x: [Double]
  public var y: [Double]
  /// Half-lengths of error bars, y[i] ± errors[i] (e.g. one standard error), same count as
  /// `y`; nil: none. Drawn in the PNG of `.lines` plots only (the terminal plot has no room);
  /// a missing, non-finite or negative value draws a zero-length bar (its caps at the point).
  public var errors: [Double]?
  public init(label: String, x: [Double], y: [Double], errors: [Double]? = nil) {
    self.label = label
    self.x = x
    self.y = y
    self.errors = errors
  }
}

/// How the series are drawn.
public enum PlotKind: Sendable {
  /// Points joined by straight segments, in the order given.
  case lines
  /// Bars from 0 to y, centred on x (x = bin centres; the bar width is the smallest gap
  /// between distinct x of all series); several series share each bin side by side.
  case histogram
}

/// Why ``Plot/png(path:title:xLabel:yLabel:series:kind:logX:)`` failed.
public enum PlotError: Error, Equatable, CustomStringConvertible {
  /// No `gnuplot` executable on PATH; `aptPackage` installs it.
  case gnuplotMissing(aptPackage: String)
  /// gnuplot ran and exited with `status` (its standard error attached).
  case gnuplotFailed(status: Int32, stderr: String)
  /// The temporary folder, a data file or the PNG at its destination could not be written.
  case writeFailed(path: String, detail: String)

  public var description: String {
    switch self {
    case .gnuplotMissing(let package):
      return "gnuplot was not found on PATH; install it (apt-get install \(package)) or leave out the PNG option"
    case .gnuplotFailed(let status, let stderr):
      let text = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      return "gnuplot failed (exit status \(status))" + (text.isEmpty ? "" : ":\n\(text)")
    case .writeFailed(let path, let detail):
      return "cannot write \(path): \(detail)"
    }
  }
}

/// Text and PNG plots. Stateless; every function may be called from any thread.
public enum Plot {
  /// The apt package that provides gnuplot without X11.
  public static let gnuplotPackage = "gnuplot-nox"

  /// Characters marking series 0, 1, … (cycled) in ``terminal(title:xLabel:yLabel:series:kind:width:height:)``.
  public static let markers: [Character] = ["*", "o", "+", "x", "#", "@"]

  // MARK: Terminal

  /// A plot drawn with text characters, `width` × `height` cells, with axes, ticks and a legend.
  ///
  /// Layout (lines top to bottom): the title; the y label; `height` canvas rows, each
  /// `TICK |` followed by `width` cells (tick values on the top, middle and bottom rows);
  /// the x axis `+---…` with `+` at the ticked columns; the x tick values; the x label; one
  /// legend line `m label` per series (m its marker, ``markers``).
  ///
  /// Cell of a point, with `c` counted from the left (0 ..< width) and `r` from the bottom
  /// (0 ..< height):
  /// - `.lines`: c = round((x − xmin)/(xmax − xmin)·(width − 1)),
  ///   r = round((y − ymin)/(ymax − ymin)·(height − 1)), over the finite points of all
  ///   series; consecutive points are joined with the series' marker. Ticks: xmin at c = 0,
  ///   xmax at c = width − 1; ymin on the bottom row, ymax on the top row.
  /// - `.histogram`: the x range is [min centre − w/2, max centre + w/2] (w the bar width)
  ///   split into `width` equal columns; a bar of height y fills round(y/ymax·height) rows
  ///   from the bottom (at least one when y > 0), so ymax fills the whole height. Ticks: 0 on
  ///   the axis row, ymax on the top row.
  /// A range of zero length is widened by ±0.5 (±1 % of |value| when larger).
  /// - Returns: the plot, lines joined by "\n", ending with "\n"; "(no data)" in place of the
  ///   canvas when no series has a finite point.
  public static func terminal(title: String, xLabel: String, yLabel: String, series: [PlotSeries], kind: PlotKind,
                              width: Int = 72, height: Int = 18) -> String {
    let width = max(width, 8), height = max(height, 3)
    let points = series.map { finitePoints($0) }
    let all = points.flatMap { $0 }
    var lines: [String] = [title]
    guard !all.isEmpty else {
      lines.append("(no data)")
      return lines.joined(separator: "\n") + "\n"
    }
    var grid = Array(repeating: Array(repeating: Character(" "), count: width), count: height)  // grid[r from top][c]
    func set(_ c: Int, _ rFromBottom: Int, _ mark: Character) {
      guard (0..<width).contains(c), (0..<height).contains(rFromBottom) else { return }
      grid[height - 1 - rFromBottom][c] = mark
    }
    var yTicks: [(row: Int, value: Double)] = []  // row from the bottom; -1 = the axis row
    var xTicks: [(column: Int, value: Double)] = []

    switch kind {
    case .lines:
      let (xmin, xmax) = widened(all.map(\.x))
      let (ymin, ymax) = widened(all.map(\.y))
      func column(_ x: Double) -> Int { Int(((x - xmin) / (xmax - xmin) * Double(width - 1)).rounded()) }
      func rowValue(_ y: Double) -> Double { (y - ymin) / (ymax - ymin) * Double(height - 1) }
      for (s, seriesPoints) in points.enumerated() {
        let mark = markers[s % markers.count]
        for (i, p) in seriesPoints.enumerated() {
          set(column(p.x), Int(rowValue(p.y).rounded()), mark)
          guard i + 1 < seriesPoints.count else { continue }
          // Join to the next point: every column between them, and the rows between adjacent columns.
          let q = seriesPoints[i + 1]
          let c0 = column(p.x), c1 = column(q.x)
          let step = c1 >= c0 ? 1 : -1
          var previousRow = Int(rowValue(p.y).rounded())
          for c in stride(from: c0, through: c1, by: step) {
            let t = c1 == c0 ? 1 : Double(c - c0) / Double(c1 - c0)
            let row = Int(rowValue(p.y + t * (q.y - p.y)).rounded())
            for r in min(previousRow, row)...max(previousRow, row) { set(c, r, mark) }
            previousRow = row
          }
        }
      }
      let middleRow = (height - 1) / 2, middleColumn = (width - 1) / 2
      yTicks = [(height - 1, ymax), (middleRow, ymin + Double(middleRow) / Double(height - 1) * (ymax - ymin)), (0, ymin)]
      xTicks = [(0, xmin), (middleColumn, xmin + Double(middleColumn) / Double(width - 1) * (xmax - xmin)),
                (width - 1, xmax)]
    case .histogram:
      let centres = Array(Set(all.map(\.x))).sorted()
      var barWidth = Double.infinity
      for i in centres.indices.dropFirst() { barWidth = min(barWidth, centres[i] - centres[i - 1]) }
      if !barWidth.isFinite { barWidth = 1 }
      let xmin = centres[0] - barWidth / 2, xmax = centres[centres.count - 1] + barWidth / 2
      let ymax = all.map(\.y).max()! > 0 ? all.map(\.y).max()! : 1
      let share = barWidth / Double(max(series.count, 1))
      func column(_ x: Double) -> Int { min(width - 1, max(0, Int(((x - xmin) / (xmax - xmin) * Double(width)).rounded(.down)))) }
      for (s, seriesPoints) in points.enumerated() {
        let mark = markers[s % markers.count]
        for p in seriesPoints where p.y > 0 {
          let left = p.x - barWidth / 2 + Double(s) * share
          let first = column(left + 1e-9 * barWidth)
          let last = max(first, column(left + share - 1e-9 * barWidth))
          let rows = max(1, Int((p.y / ymax * Double(height)).rounded()))
          for c in first...last { for r in 0..<min(rows, height) { set(c, r, mark) } }
        }
      }
      yTicks = [(height - 1, ymax), ((height - 1) / 2, ymax * Double((height - 1) / 2 + 1) / Double(height)), (-1, 0)]
      xTicks = [(0, xmin), ((width - 1) / 2, (xmin + xmax) / 2), (width - 1, xmax)]
    }

    // Tick values within rounding of 0 (e.g. 0.05 − 0.1/2) print as 0.
    func snapped(_ value: Double, _ ticks: [Double]) -> Double {
      abs(value) <= 1e-9 * (ticks.map(abs).max() ?? 0) ? 0 : value
    }
    yTicks = yTicks.map { ($0.row, snapped($0.value, yTicks.map(\.value))) }
    xTicks = xTicks.map { ($0.column, snapped($0.value, xTicks.map(\.value))) }
    let tickText = yTicks.map { (row: $0.row, text: format($0.value)) }
    let margin = tickText.map(\.text.count).max() ?? 0
    func pad(_ s: String) -> String { String(repeating: " ", count: margin - s.count) + s }
    lines.append(yLabel)
    for r in stride(from: height - 1, through: 0, by: -1) {
      let label = tickText.first { $0.row == r }?.text ?? ""
      lines.append(pad(label) + " |" + String(grid[height - 1 - r]))
    }
    var axis = Array(repeating: Character("-"), count: width)
    for tick in xTicks { axis[tick.column] = "+" }
    lines.append(pad(tickText.first { $0.row == -1 }?.text ?? "") + " +" + String(axis))
    // X tick values centred under their columns, clamped to the canvas, never overlapping.
    var tickLine = Array(repeating: Character(" "), count: width + 16)
    var freeFrom = 0
    for tick in xTicks {
      let text = Array(format(tick.value))
      var start = max(0, tick.column - text.count / 2)
      start = min(start, max(0, width - text.count))
      start = max(start, freeFrom)
      guard start + text.count <= tickLine.count else { continue }
      for (i, ch) in text.enumerated() { tickLine[start + i] = ch }
      freeFrom = start + text.count + 1
    }
    let prefix = String(repeating: " ", count: margin + 2)
    lines.append(prefix + String(tickLine).trimmingTrailingSpaces())
    lines.append(prefix + String(repeating: " ", count: max(0, (width - xLabel.count) / 2)) + xLabel)
    for (s, one) in series.enumerated() { lines.append(prefix + "\(markers[s % markers.count]) \(one.label)") }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A tick value with at most 4 significant digits ("0.25", "1200", "1.5e-05").
  public static func format(_ value: Double) -> String {
    if value == 0 { return "0" }
    return String(format: "%.4g", value)
  }

  /// The series' finite points, each with its error-bar half-length (0 when it has none or
  /// it is not a finite value ≥ 0).
  private static func finitePoints(_ series: PlotSeries) -> [(x: Double, y: Double, error: Double)] {
    series.x.indices.compactMap { i in
      guard i < series.y.count, series.x[i].isFinite, series.y[i].isFinite else { return nil }
      let error = series.errors.flatMap { i < $0.count ? $0[i] : nil } ?? 0
      return (x: series.x[i], y: series.y[i], error: error.isFinite && error >= 0 ? error : 0)
    }
  }

  private static func widened(_ values: [Double]) -> (Double, Double) {
    let low = values.min()!, high = values.max()!
    guard low == high else { return (low, high) }
    let half = max(0.5, abs(low) * 0.01)
    return (low - half, high + half)
  }

  // MARK: PNG

  /// Writes a PNG by running gnuplot (found on PATH) on a script and data it writes to a temporary folder (removed after); atomically replaces `path`.
  ///
  /// The image is 960 × 600 pixels (gnuplot's `pngcairo` terminal, in apt's gnuplot-nox);
  /// `.lines` draws lines with points (with error bars for a series that has `errors`), x
  /// ticks at the points' x when there are at most 12 distinct ones (a sweep's values), a
  /// margin of 4 % of the width on both sides so that bars at the ends are whole, the legend
  /// right of the plot (lines run through every corner), and with
  /// `logX` (all x > 0) a logarithmic x axis; `.histogram` draws filled boxes, several series
  /// side by side in each bin. Non-finite points are left out. `path`'s folder must exist.
  /// - Throws: `PlotError.gnuplotMissing` (with the apt package name) or `.gnuplotFailed(status:stderr:)`;
  ///   `.writeFailed` when the temporary folder or `path` cannot be written (`path` is then unchanged).
  public static func png(path: String, title: String, xLabel: String, yLabel: String, series: [PlotSeries],
                         kind: PlotKind, logX: Bool = false) throws {
    try png(path: path, title: title, xLabel: xLabel, yLabel: yLabel, series: series, kind: kind, logX: logX,
            searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
  }

  /// ``png(path:title:xLabel:yLabel:series:kind:logX:)`` looking for gnuplot in the folders of
  /// `searchPath` (":"-separated) instead of PATH (tests use it to hide or fake gnuplot).
  static func png(path: String, title: String, xLabel: String, yLabel: String, series: [PlotSeries],
                  kind: PlotKind, logX: Bool = false, searchPath: String) throws {
    guard let gnuplot = findOnPath("gnuplot", searchPath: searchPath) else { throw PlotError.gnuplotMissing(aptPackage: gnuplotPackage) }
    let fileManager = FileManager.default
    let folder = fileManager.temporaryDirectory.appendingPathComponent("timirec-plot-\(getpid())-\(UUID().uuidString)")
    do {
      try fileManager.createDirectory(at: folder, withIntermediateDirectories: false)
    } catch {
      throw PlotError.writeFailed(path: folder.path, detail: "\(error.localizedDescription)")
    }
    defer { try? fileManager.removeItem(at: folder) }

    let output = folder.appendingPathComponent("plot.png").path
    var script = """
      set terminal pngcairo size 960,600 noenhanced font ",11"
      set output \(quoted(output))
      set title \(quoted(title))
      set xlabel \(quoted(xLabel))
      set ylabel \(quoted(yLabel))
      set key top right
      set grid ytics

      """
    let points = series.map { finitePoints($0) }
    var clauses: [String] = []
    switch kind {
    case .lines:
      let xs = Array(Set(points.flatMap { $0.map(\.x) })).sorted()
      if xs.count <= 12, !xs.isEmpty { script += "set xtics (" + xs.map(repr).joined(separator: ", ") + ")\n" }
      script += "set autoscale xfix\nset offsets graph 0.04, graph 0.04, 0, 0\nset key outside right top\n"
      if logX, xs.first.map({ $0 > 0 }) == true { script += "set logscale x\n" }
      for (s, one) in series.enumerated() where !points[s].isEmpty {
        // A series with errors has a third column (0: no bar) and draws them as bars on its line.
        let style = one.errors == nil ? "using 1:2 with linespoints" : "using 1:2:3 with yerrorlines"
        clauses.append("\(quoted(dataPath(folder, s))) \(style) lw 2 title \(quoted(one.label))")
      }
    case .histogram:
      let centres = Array(Set(points.flatMap { $0.map(\.x) })).sorted()
      var barWidth = Double.infinity
      for i in centres.indices.dropFirst() { barWidth = min(barWidth, centres[i] - centres[i - 1]) }
      if !barWidth.isFinite { barWidth = 1 }
      let share = barWidth / Double(max(series.count, 1))
      script += "set style fill solid 0.6 border -1\nset yrange [0:*]\n"
      for (s, one) in series.enumerated() where !points[s].isEmpty {
        let offset = -barWidth / 2 + (Double(s) + 0.5) * share
        clauses.append("\(quoted(dataPath(folder, s))) using ($1+\(offset)):2:(\(share)) with boxes title \(quoted(one.label))")
      }
    }
    if clauses.isEmpty {
      // gnuplot cannot plot nothing: an empty frame with the title says there was no data.
      script += "set label 1 'no data' at graph 0.5,0.5 center\nplot [0:1] [0:1] NaN notitle\n"
    } else {
      script += "plot " + clauses.joined(separator: ", \\\n     ") + "\n"
    }
    for (s, seriesPoints) in points.enumerated() {
      let text = seriesPoints.map { point in
        "\(repr(point.x))\t\(repr(point.y))" + (kind == .lines && series[s].errors != nil ? "\t\(repr(point.error))" : "") + "\n"
      }.joined()
      try writeTemporary(Data(text.utf8), to: dataPath(folder, s))
    }
    let scriptPath = folder.appendingPathComponent("plot.gp").path
    try writeTemporary(Data(script.utf8), to: scriptPath)

    let stderrPath = folder.appendingPathComponent("stderr.txt").path
    let status = try run(gnuplot, [scriptPath], stderrPath: stderrPath)
    let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    guard status == 0 else { throw PlotError.gnuplotFailed(status: status, stderr: stderr) }
    guard let image = fileManager.contents(atPath: output), !image.isEmpty else {
      throw PlotError.gnuplotFailed(status: status, stderr: stderr + "\n(gnuplot wrote no image)")
    }
    do {
      try AtomicWrite.writeFile(image, to: path)
    } catch {
      throw PlotError.writeFailed(path: path, detail: error.description)
    }
  }

  private static func dataPath(_ folder: URL, _ series: Int) -> String {
    folder.appendingPathComponent("series\(series).dat").path
  }

  /// A gnuplot single-quoted string (a quote inside is doubled; no escapes are interpreted).
  private static func quoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''").replacingOccurrences(of: "\n", with: " ") + "'"
  }

  /// Round-trip decimal text of a finite value.
  private static func repr(_ value: Double) -> String { "\(value)" }

  private static func writeTemporary(_ data: Data, to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: data) else {
      throw PlotError.writeFailed(path: path, detail: "cannot create the file")
    }
  }

  /// The first executable `name` in the folders of `searchPath` (":"-separated, as PATH).
  static func findOnPath(_ name: String, searchPath: String) -> String? {
    for folder in searchPath.split(separator: ":") where !folder.isEmpty {
      let candidate = "\(folder)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Runs `executable arguments` with stdin from /dev/null, stdout discarded and stderr to a
  /// file (files, not pipes: nothing can fill up and block gnuplot); returns its exit status.
  private static func run(_ executable: String, _ arguments: [String], stderrPath: String) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    guard FileManager.default.createFile(atPath: stderrPath, contents: nil),
          let errorHandle = FileHandle(forWritingAtPath: stderrPath) else {
      throw PlotError.writeFailed(path: stderrPath, detail: "cannot create the file")
    }
    defer { try? errorHandle.close() }
    process.standardError = errorHandle
    do {
      try process.run()
    } catch {
      throw PlotError.gnuplotFailed(status: -1, stderr: "cannot start \(executable): \(error.localizedDescription)")
    }
    process.waitUntilExit()
    return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}
