// The case table (`c`) as a full screen: a pure function from the computed table, its order
// and the state to a frame, like `ScreenRenderer` for the browsing screen. Fits 80×24:
// numbers are never cut (each column is as wide as its widest shown value), the target's
// title takes what is left.

import SeqRec

public enum CaseTableScreen {
  /// Rows above the table (header, summary, column names) and below it (legend, footer).
  static let chromeRows = 5

  /// Table rows on a `rows`-high screen (its PgUp/PgDn page).
  public static func tableRows(screenRows rows: Int) -> Int { max(1, rows - chromeRows) }

  /// The frame of the open case table.
  /// - Parameters:
  ///   - order: indices into `table.rows`, in shown order (`CaseTableCache.order`).
  ///   - categories: the labels `F` cycles through.
  ///   - checkpoints: in compare mode, the names of the two checkpoint folders (model 1 =
  ///     ckpt1 = --ckpt, model 2 = ckpt2 = --compare), named in the header.
  public static func render(_ table: CaseTable, order: [Int], categories: [String], state: ExplorerState,
                            session: ExplorerSession, checkpoints: (first: String, second: String)? = nil,
                            rows: Int, columns: Int) -> Frame {
    var frame = Frame(rows: rows, columns: columns)
    let collapsed = table.collapsedUsers()
    let share = table.collapsedShare()
    let split = splitName(table.split)
    let title = " TiMiRec Explorer "
    let width = columns - cellWidth(title)
    let header: String
    if table.compared, let checkpoints {
      // The checkpoints first (the columns are only ckpt1/ckpt2); long folder names are cut.
      let names = "ckpt1 = \(checkpoints.first) · ckpt2 = \(checkpoints.second)"
      let shortNames = "1 = \(checkpoints.first) · 2 = \(checkpoints.second)"
      let fitted = firstFitting([
        "│ Cases · \(split) · \(table.rows.count) rows · \(names) · collapsed pair in ckpt1: \(collapsed.collapsed)/\(collapsed.users) users (\(share) %) ",
        "│ Cases · \(split) · \(table.rows.count) rows · \(names) ",
        "│ Cases · \(split) · \(names) ",
        "│ \(split) · \(names) ",
        "│ \(split) · \(shortNames) ",
      ], width: width)
      header = clip(fitted, to: width)
    } else {
      header = firstFitting([
        "│ Case finder · \(split) · \(table.rows.count) rows · users with a collapsed pair (cos ≥ 0.95): \(collapsed.collapsed)/\(collapsed.users) (\(share) %) ",
        "│ Cases · \(split) · \(table.rows.count) rows · collapsed pair: \(collapsed.collapsed)/\(collapsed.users) users (\(share) %) ",
        "│ Cases · \(split) · collapsed: \(collapsed.collapsed)/\(collapsed.users) users (\(share) %) ",
        "│ \(split) · collapsed: \(collapsed.collapsed)/\(collapsed.users) users ",
      ], width: width)
    }
    frame.put([Span(title, .header), Span(header, .header)], row: 0, column: 0, fill: .header)

    let s = state.caseTable
    let category = s.category
    let direction = s.sort.descendingByDefault != s.reversed ? "↓" : "↑"
    let summary = firstFitting([
      " \(s.filter.summary(compare: table.compared)) · category: \(category ?? "all") · \(order.count) rows · sorted by \(s.sort.rawValue) \(direction)",
      " \(s.filter.summary(compare: table.compared)) · \(category ?? "all") · \(order.count) rows · \(s.sort.rawValue) \(direction)",
      " \(order.count) rows · \(s.sort.rawValue) \(direction)",
    ], width: columns)
    frame.put([Span(summary, .emphasis)], row: 1, column: 0, width: columns)

    // Columns: name, sort column, value of a row.
    let (a, b) = table.compared ? ("ckpt1", "ckpt2") : ("TiMiRec", "best")
    func number(_ v: Int?) -> String { v.map(String.init) ?? "—" }
    let fields: [(name: String, column: CaseColumn?, value: (CaseRow) -> String)] = [
      ("user", .user, { String($0.user) }),
      ("t", .step, { String($0.step) }),
      (a, .rank, { number($0.firstRank) }),
      (b, .bestRank, { String($0.secondRank) }),
      ("gain", .gain, { r in r.gain.map { $0 > 0 ? "+\($0)" : String($0) } ?? "—" }),
      ("\(table.compared ? "c1" : "Ti")@smp", .sampled, { number($0.firstSampled) }),
      ("\(table.compared ? "c2" : "bm")@smp", .bestSampled, { number($0.secondSampled) }),
      ("JS", .js, { r in r.model.jensenShannon.map { format(Float($0), 3) } ?? "—" }),
      ("int", .interest, { r in r.model.strongestInterest.map { "i\($0 + 1)" } ?? "—" }),
      ("=", nil, { $0.model.collapsed ? "=" : " " }),
    ]
    let visible = tableRows(screenRows: rows)
    let cursor = min(s.cursor, max(0, order.count - 1))
    let top = max(0, min(cursor - visible / 2, order.count - visible))
    let shown = Array(order[min(top, order.count)..<min(order.count, top + visible)])
    let widths = fields.map { field in
      shown.reduce(cellWidth(field.name) + (field.column == s.sort ? 1 : 0)) { max($0, cellWidth(field.value(table.rows[$1]))) }
    }
    // The cursor column "▸ " (its space keeps ▸ off a 4-digit user id), then the numbers.
    let fixed = 2 + widths.reduce(0) { $0 + $1 + 1 }
    let titleWidth = max(0, columns - fixed - 1)
    var names = "  "
    for (i, field) in fields.enumerated() {
      let name = field.name + (field.column == s.sort ? direction : "")
      names += padLeft(name, to: widths[i]) + " "
    }
    frame.put([Span(names + "target", .paneTitle)], row: 2, column: 0, width: columns, fill: .paneTitle)
    for (i, index) in shown.enumerated() {
      let row = table.rows[index]
      let selected = top + i == cursor
      var text = selected ? "▸ " : "  "
      for (j, field) in fields.enumerated() { text += padLeft(field.value(row), to: widths[j]) + " " }
      let label = session.label(row.target)
      let target = label.category.isEmpty ? label.title : "\(label.title) · \(Panes.categoryText(label.category))"
      let style: Style = selected ? .selectionFocused : row.firstHit() && !row.secondHit() ? .target : .normal
      frame.put([Span(text, style), Span(pad(clip(target, to: titleWidth), to: titleWidth), selected ? style : .dim)],
                row: 3 + i, column: 0, width: columns)
    }
    if order.isEmpty {
      frame.put([Span(firstFitting([" no row passes the filter: f or F changes it, a shows all rows",
                                    " no row passes the filter: f, F or a (all) changes it"], width: columns), .warning)],
                row: 3, column: 0, width: columns)
    }
    let legend = firstFitting([
      " ranks: whole catalogue, history excluded · @smp: among the sampled negatives · gain = \(b) − \(a) · = collapsed · hit: ≤ 10",
      " ranks: whole catalogue · @smp: sampled negatives · gain = \(b) − \(a) · = collapsed",
      " gain = \(b) rank − \(a) rank · @smp: sampled · = collapsed",
    ], width: columns)
    frame.put([Span(legend, .legend)], row: rows - 2, column: 0, fill: .legend)
    frame.put(Panes.footer(state, width: columns, items: KeyBindings.caseFooterItems), row: rows - 1, column: 0, fill: .footer)
    return frame
  }

  /// A split as the header names it: "test", "dev", "every step".
  static func splitName(_ split: CaseSplit) -> String { split == .all ? "every step" : split.rawValue }

  /// Compare mode's progress as rows of one checkpoint: model 1's pass over every row, then
  /// model 2's (`CaseFinder.compare` counts each row twice): (model 1 or 2, its rows done,
  /// rows in the table).
  static func modelProgress(done: Int, total: Int) -> (model: Int, done: Int, rows: Int) {
    let rows = total / 2
    return done <= rows ? (1, done, rows) : (2, done - rows, rows)
  }

  /// What the status says after Esc cancelled a table's computation ("dev: cancelled at 512
  /// of 943 rows", in compare mode "… of ckpt2"); `done`, `total` as `progress` takes them.
  static func cancelledStatus(split: CaseSplit, done: Int, total: Int, compared: Bool) -> String {
    guard total > 0 else { return "\(splitName(split)): cancelled" }
    if compared {
      let (model, rows, all) = modelProgress(done: done, total: total)
      return "\(splitName(split)): cancelled at \(rows) of \(all) rows of ckpt\(model)"
    }
    return "\(splitName(split)): cancelled at \(done) of \(total) rows"
  }

  /// The keys of the progress screen (the loop reads them between blocks of rows).
  static let progressKeys = "Esc cancels · q quits"

  /// The frame shown while the table is computed: how many rows are done.
  /// - Parameters:
  ///   - done, total: as `CaseFinder` reports them: rows ranked and rows in all, over both
  ///     models in compare mode (each row counts twice there: model 1's pass, then model 2's).
  ///   - checkpoints: in compare mode, the names of the two checkpoint folders.
  public static func progress(done: Int, total: Int, split: CaseSplit, threads: Int,
                              checkpoints: (first: String, second: String)? = nil, rows: Int, columns: Int) -> Frame {
    var frame = Frame(rows: rows, columns: columns)
    frame.put([Span(" TiMiRec Explorer ", .header), Span("│ Case finder", .header)], row: 0, column: 0, fill: .header)
    let fraction = total == 0 ? 1 : Float(done) / Float(total)
    let what = split == .all ? "step" : "\(split.rawValue) row"
    let on = "on \(threads) thread\(threads == 1 ? "" : "s")"
    let width = columns - 2
    var lines = [firstFitting(["Ranking the true next item of every \(what) against the whole catalogue,",
                               "Ranking every \(what) against the catalogue,"], width: width)]
    if let checkpoints {
      let (model, rowsDone, perModel) = modelProgress(done: done, total: total)
      let name = model == 1 ? checkpoints.first : checkpoints.second
      let percent = perModel == 0 ? 100 : 100 * rowsDone / perModel
      lines.append(clip(firstFitting(["under ckpt1 = \(checkpoints.first), then ckpt2 = \(checkpoints.second), each by its own rule, \(on):",
                                      "under ckpt1 = \(checkpoints.first), then ckpt2 = \(checkpoints.second), \(on):",
                                      "under ckpt1, then ckpt2, \(on):"], width: width), to: width))
      lines.append(clip(firstFitting(["ckpt\(model) (\(name)): \(rowsDone) of \(perModel) rows (\(percent) %)",
                                      "ckpt\(model): \(rowsDone) of \(perModel) rows (\(percent) %)"], width: width), to: width))
    } else {
      let percent = total == 0 ? 100 : 100 * done / total
      lines.append("under TiMiRec's mix and under the best match, \(on):")
      lines.append("\(done) of \(total) rows (\(percent) %)")
    }
    for (i, line) in lines.enumerated() {
      frame.put([Span(line, i == 2 ? .emphasis : .normal)], row: rows / 2 - 2 + i, column: 2, width: width)
    }
    let barWidth = max(10, columns - 4)
    frame.put([Span(bar(fraction, width: barWidth), .barW)], row: rows / 2 + 1, column: 2, width: barWidth)
    frame.put([Span(" " + progressKeys, .footerKey)], row: rows - 1, column: 0, fill: .footer)
    return frame
  }
}
