// Presentation of the what-if edits (issue 14, docs/EXPLORER.md "What-if"): the change against
// the data's history, the marks in the lists and the history pane, and the `i` prompt. Pure
// functions, like the rest of `Panes`.

extension Panes {
  /// "+0.120" / "-0.050" (a sign always, so a change reads as one).
  static func signed(_ value: Float, _ digits: Int) -> String {
    let text = format(value, digits)
    return value.isFinite && !text.hasPrefix("-") ? "+" + text : text
  }

  /// "(Δ-5)" when both ranks exist, "(was in history)" when the data's history held the
  /// target, "(no list at t=0)" when the data's history is empty (`dataHistoryLength` 0: no
  /// lists to rank in); nil when the edited list has no rank.
  static func rankChangeText(_ change: RankChange, dataHistoryLength: Int = 1) -> String? {
    if let delta = change.delta { return "(Δ\(delta > 0 ? "+" : "")\(delta))" }
    guard change.edited != nil else { return nil }
    return dataHistoryLength == 0 ? "(no list at t=0)" : "(was in history)"
  }

  /// The change of `list`'s ("TiMiRec" or "best-match") true next rank in `view`'s what-if
  /// summary, as `rankChangeText` words it; nil when not edited.
  static func rankChangeText(_ view: ExplorerView, list: String) -> String? {
    guard let w = view.whatIf, let change = list == "TiMiRec" ? w.timirecTargetRank : w.bestMatchTargetRank else { return nil }
    return rankChangeText(change, dataHistoryLength: w.dataHistoryLength)
  }

  /// "#12→#7" with "–" for a missing rank.
  static func rankTransition(_ change: RankChange) -> String {
    "\(change.data.map { "#\($0)" } ?? "–")→\(change.edited.map { "#\($0)" } ?? "–")"
  }

  /// The mark after a list row's rank: ↺ for a dropped history item recommended again, + for
  /// an item new in the top 10 with the edit, else a space.
  static func rowMark(_ view: ExplorerView, item: Int, pane: FocusPane, row: Int) -> String {
    guard let w = view.whatIf else { return " " }
    if w.isDropped(item) { return "↺" }
    return row < WhatIfSummary.topCount && w.entered(item, list: pane == .timirec ? "timirec" : "best-match") ? "+" : " "
  }

  /// Three rows under the lists saying what the edit changed: the true next item's ranks, the
  /// top-10 turnover, and a dropped item back in a list (or the items that left the top 10).
  /// Empty when not edited or not `showing` (a list's cursor item takes those rows).
  /// - Parameter interactive: false for `--snapshot` (no key hints).
  static func whatIfRows(_ view: ExplorerView, width: Int, showing: Bool, interactive: Bool = true) -> [StyledLine] {
    guard showing, let w = view.whatIf else { return [] }
    var ranks: [String]
    if view.target == nil {
      ranks = ["what-if: no true next item at this step, so no ranks to compare",
               "what-if: no true next item, no ranks to compare", "what-if: no target"]
    } else {
      let b = rankTransition(w.bestMatchTargetRank)
      if let tr = w.timirecTargetRank {
        let t = rankTransition(tr)
        ranks = ["what-if, true next ★ rank: TiMiRec \(t) \(rankChangeText(view, list: "TiMiRec") ?? "") · best-match \(b) \(rankChangeText(view, list: "best-match") ?? "")",
                 "what-if ★: TiMiRec \(t) · best-match \(b)", "★ TiMiRec \(t) · best \(b)"]
      } else {
        ranks = ["what-if, true next ★ rank: best-match \(b) \(rankChangeText(view, list: "best-match") ?? "")",
                 "what-if ★: best-match \(b)"]
      }
    }
    func counts(_ c: TopChange) -> String { "+\(c.entered.count) −\(c.left.count)" }
    let best = counts(w.bestMatchTop)
    let top = w.timirecTop.map { t in
      ["top 10 (+ new in, − out): TiMiRec \(counts(t)) · best-match \(best)", "top 10: TiMiRec \(counts(t)) · best \(best)"]
    } ?? ["top 10 (+ new in, − out): best-match \(best)", "top 10: best \(best)"]
    let third: [String]
    if let back = w.droppedRecommended.first {
      let list = back.list == "timirec" ? "TiMiRec" : "best-match"
      third = ["↺ dropped \(back.item.title) is recommended again: \(list) #\(back.row + 1)",
               "↺ \(back.item.title): \(list) #\(back.row + 1)"]
    } else {
      third = [topTurnover(w) ?? (interactive ? "top 10 unchanged in both lists · u undo · U reset" : "top 10 unchanged in both lists")]
    }
    return [[Span(clip(firstFitting(ranks, width: width), to: width), .emphasis)],
            [Span(firstFitting(top, width: width), .normal)],
            [Span(clip(firstFitting(third, width: width), to: width), w.droppedRecommended.isEmpty ? .dim : .warning)]]
  }

  /// The items that left each list's top 10 with the edit, each list named ("left the top 10:
  /// TiMiRec A · B; best-match C"); when none left, the items that entered ("entered the top
  /// 10: …", e.g. from an empty data history at step 0, which had no lists); nil when both
  /// lists' tops are unchanged.
  static func topTurnover(_ w: WhatIfSummary) -> String? {
    func named(_ pick: (TopChange) -> [ItemLabel]) -> String? {
      let parts = [("TiMiRec", w.timirecTop), ("best-match", w.bestMatchTop)].compactMap { name, top -> String? in
        guard let items = top.map(pick), !items.isEmpty else { return nil }
        return "\(name): " + items.map(\.title).joined(separator: " · ")
      }
      return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
    if let left = named(\.left) { return "left the top 10: " + left }
    if let entered = named(\.entered) { return "entered the top 10: " + entered }
    return nil
  }

  /// The history pane's line for items the edit dropped (above the target), or none.
  static func droppedRows(_ view: ExplorerView, width: Int) -> [StyledLine] {
    guard let dropped = view.whatIf?.dropped, !dropped.isEmpty else { return [] }
    return [[Span(clip("  − dropped: " + dropped.map(\.title).joined(separator: " · "), to: width), .dim)]]
  }

  /// The legend while the history pane has the focus: its keys.
  static let historyLegend = [
    " ↑↓ history item · d drop · i insert · < > move · u undo · U reset · + inserted · ↺ dropped, back · Esc users · ? keys",
    " ↑↓ item · d drop · i insert · < > move · u undo · U reset · + inserted · Esc users · ? keys",
    " d drop · i insert · < > move · u undo · U reset · ? keys",
    " d i < > u U edit · ? keys",
  ]

  /// The footer while the `i` prompt is open.
  static func insertFooter(query: String, status: String?, width: Int) -> StyledLine {
    var line: StyledLine = [Span(" insert, title: ", .footerKey), Span(query + "▏", .footer),
                            Span("   ↑↓ pick · Enter inserts · Esc cancels", .footer)]
    if let status { line.append(Span("   " + status, .warning)) }
    return line
  }

  /// The `i` prompt's list of matching titles around the chosen row, with where the item will go.
  public static func insertPicker(_ view: ExplorerView, state: ExplorerState, search: ItemSearch, height: Int,
                                  width: Int) -> PaneContent {
    guard case .insertItem(let query, let row) = state.mode else { return PaneContent(title: "Insert", lines: []) }
    let cursor = min(max(0, state.historySelection), max(0, view.historyLength - 1))
    let after = view.historyLength == 0 ? nil : view.timeline.first {
      ($0.role == .history || $0.role == .window) && $0.position == cursor
    }
    let place = after.map { "after #\(cursor) \($0.item.title)" } ?? "into the empty history"
    let (items, total) = search.matches(query)
    var lines: [StyledLine] = []
    if query.isEmpty {
      lines.append([Span("type part of an item's title (or its id)", .dim)])
    } else if items.isEmpty {
      lines.append([Span("no item title contains '\(query)'", .warning)])
    }
    let rows = max(1, height - lines.count)
    let chosen = min(row, max(0, items.count - 1))
    let top = max(0, min(chosen - rows / 2, items.count - rows))
    for i in top..<min(items.count, top + rows) {
      let selected = i == chosen
      let text = "\(selected ? "▸" : " ") \(padLeft(String(items[i]), to: 6)) \(search.titles[items[i]])"
      lines.append([Span(pad(clip(text, to: width), to: width), selected ? .selectionFocused : .normal)])
    }
    let count = total > items.count ? "\(items.count) of \(total) matches" : "\(total) match\(total == 1 ? "" : "es")"
    return PaneContent(title: clip("Insert \(place)", to: max(8, width - 4)), titleRight: count, lines: lines)
  }
}
