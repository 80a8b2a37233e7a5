// Presentation: pure functions from (view, state) to the styled rows of each pane. The
// screen places them in the layout's rectangles; `--snapshot` stacks them (docs/EXPLORER.md, "Rules").

import SeqRec

/// The rows of one pane: a title and its content.
public struct PaneContent: Equatable, Sendable {
  public var title: String
  /// Right-hand part of the title row (e.g. the JS divergence).
  public var titleRight: String = ""
  /// Shorter forms of `titleRight`, longest first, for when it does not fit: the screen
  /// takes the first that fits rather than cutting a number.
  public var titleRightShorter: [String] = []
  public var lines: [StyledLine]
}

/// The first of `options` at most `width` cells wide, else the last one.
func firstFitting(_ options: [String], width: Int) -> String {
  options.first { cellWidth($0) <= width } ?? options.last ?? ""
}

public enum Panes {
  // MARK: - Bars

  /// The status bar, `width` cells at most: when the full bar does not fit, parts get
  /// shorter (then go) from the right, so no number is ever cut.
  /// - Parameter interactive: false for `--snapshot`, which leaves out the undo keys.
  public static func header(_ view: ExplorerView, width: Int = .max, interactive: Bool = true) -> StyledLine {
    let target = view.targetSplit.map { "target: \($0) item" } ?? "no target"
    // Longest first.
    let mix: [String]
    if Stage(rawValue: view.stage) == .pretrain {
      mix = ["none (pretrain: best interest)", "none (pretrain)", "none"]
    } else if let r = view.recommendations {
      mix = [r.mix == .model ? "model" : "tempered"]
    } else {
      mix = ["—"]
    }
    let title = " TiMiRec Explorer "
    let temperature = "│ T=\(formatTemperature(view.temperature)) "
    let user = ("│ user \(view.user) · \(view.sequenceLength) items ", "│ user \(view.user) ")
    let step = ("│ t=\(view.step)/\(view.sequenceLength) \(target) ", "│ t=\(view.step)/\(view.sequenceLength) ")
    let mixText = mix.map { "│ mix: \($0) " }
    let checkpoint = "│ \(view.dataset) · \(view.stage) K=\(view.interestCount) · trained at T=\(formatTemperature(view.trainingTemperature)) "
    let plain: [[String]] = [
      [title, temperature, user.0, step.0, mixText[0], checkpoint],
      [title, temperature, user.0, step.0, mixText[0]],
      [title, temperature, user.0, step.1, mixText[0]],
      [title, temperature, user.1, step.1, mixText[0]],
    ] + mixText.dropFirst().map { [title, temperature, user.1, step.1, $0] } + [
      [title, temperature, user.1, step.1],
    ]
    // An edited history is said in every variant (after the step): the long wording only with
    // every other part, the shortest only when nothing else fits.
    func with(_ edit: String, _ v: [String]) -> [String] { Array(v[..<4]) + [edit] + Array(v[4...]) }
    let variants = !view.edited ? plain
      : (interactive ? [with("│ history edited (u undo · U reset) ", plain[0])] : []) + plain.map { with("│ history edited ", $0) }
        + [with("│ edited ", plain[plain.count - 1])]
    let chosen = variants.first { $0.reduce(0) { $0 + cellWidth($1) } <= width } ?? variants.last!
    return chosen.map { Span($0, .header) }
  }

  /// The footer: key hints from the key table (`items`: the browsing ones, or the case
  /// table's), or the search prompt, plus the status.
  public static func footer(_ state: ExplorerState, width: Int,
                            items: [(keys: String, label: String)] = KeyBindings.footerItems) -> StyledLine {
    if case .search(let text) = state.mode {
      var line: StyledLine = [Span(" search user id: ", .footerKey), Span(text + "▏", .footer),
                              Span("   Enter jump · Esc cancel", .footer)]
      if let status = state.status { line.append(Span("   " + status, .warning)) }
      return line
    }
    if case .insertItem(let query, _) = state.mode { return insertFooter(query: query, status: state.status, width: width) }
    var line: StyledLine = []
    for item in items {
      line.append(Span(" \(item.keys)", .footerKey))
      line.append(Span(" \(item.label) ", .footer))
    }
    if let status = state.status {
      let used = line.reduce(0) { $0 + cellWidth($1.text) }
      let room = width - used - 3
      if cellWidth(status) <= room {
        line.append(Span("   " + padLeft(status, to: room), .warning))
      } else {
        // The status never gets cut for the key hints: it takes the whole bar.
        line = [Span(" " + status, .warning)]
      }
    }
    return line
  }

  /// Cells for the "k label" column: the longest label and a space, at least `minimum`, at
  /// most `width` (so two interests' distinct labels show their difference where there is room).
  static func labelColumn(_ view: ExplorerView, minimum: Int, width: Int) -> Int {
    let longest = view.interests.map { cellWidth("\($0.index + 1) \($0.label)") + 1 }.max() ?? 0
    return max(minimum, min(longest, width))
  }

  /// An item's category as shown: items.tsv's `|` as "/" ("cartoon/preschool", "Action/Thriller").
  static func categoryText(_ category: String) -> String {
    category.split(separator: "|").joined(separator: "/")
  }

  static func mixText(_ mix: MixMode) -> String {
    mix == .model ? "softmax(z^q) (model)" : "softmax(z^q/T) (tempered)"
  }

  /// How many cells a pane's title row leaves for its right-hand part (see
  /// `ScreenRenderer.draw`).
  static func titleRoom(_ title: String, width: Int) -> Int { width - cellWidth(" \(title) ") - 2 }

  // MARK: - Users

  /// The users list around the cursor (scrolling keeps the cursor centred).
  public static func users(_ state: ExplorerState, context: ExplorerContext, height: Int, width: Int) -> PaneContent {
    let count = context.userCount
    let top = max(0, min(state.userIndex - height / 2, count - height))
    var lines: [StyledLine] = []
    for i in top..<min(count, top + height) {
      let selected = i == state.userIndex
      let style: Style = selected ? (state.focus == .users ? .selectionFocused : .selection) : .normal
      let text = "\(selected ? "▸" : " ") \(padLeft(String(context.userIds[i]), to: 7)) \(padLeft(String(context.sequenceLengths[i]), to: 6))"
      lines.append([Span(pad(text, to: width), style)])
    }
    let position = "\(state.userIndex + 1)/\(count)"
    return PaneContent(title: "Users", titleRight: "id · items · \(position)",
                       titleRightShorter: ["items · \(position)", position], lines: lines)
  }

  // MARK: - History

  /// The timeline: every item with its position, split and role; window items show the
  /// interest that reads them most. Scrolls to keep the target visible.
  /// - Parameter all: every row (the screen scrolls otherwise); with `all` and `windowOnly`
  ///   (the `--snapshot` text), only the window, the target and a line for each side left out.
  /// - Parameter state: with the focus on the history, its cursor row (▸) is drawn and kept
  ///   in view.
  public static func history(_ view: ExplorerView, state: ExplorerState? = nil, height: Int, width: Int, all: Bool = false,
                             windowOnly: Bool = false) -> PaneContent {
    var rows: [StyledLine] = []
    var targetRow = 0
    let cursor = state.flatMap { $0.focus == .history ? min(max(0, $0.historySelection), max(0, view.historyLength - 1)) : nil }
    var cursorRow: Int?
    let entries = windowOnly ? view.timeline.filter { $0.role == .window || $0.role == .target } : view.timeline
    let earlier = windowOnly ? view.timeline.filter { $0.role == .history }.count : 0
    let later = windowOnly ? view.timeline.filter { $0.role == .future }.count : 0
    if earlier > 0 {
      rows.append([Span("  … \(earlier) earlier item\(earlier == 1 ? "" : "s") (--full-history shows them)", .dim)])
    }
    for entry in entries {
      let mark: String
      let style: Style
      switch entry.role {
      case .history: mark = " "; style = .dim
      case .window: mark = "│"; style = .window
      case .target: mark = "▶"; style = .target
      case .future: mark = " "; style = .dim
      }
      if entry.role == .target {
        rows += droppedRows(view, width: width)
        targetRow = rows.count
      }
      let inHistory = entry.role == .history || entry.role == .window
      let atCursor = inHistory && entry.position == cursor
      if atCursor { cursorRow = rows.count }
      let split = entry.inserted == true ? "ins" : entry.split == "train" ? "trn" : entry.split == "dev" ? "dev" : "tst"
      var right = ""
      if let k = entry.strongestInterest, let w = entry.strongestWeight { right = " i\(k + 1) \(format(w, 2))" }
      let category = entry.item.category.isEmpty ? "" : " · " + categoryText(entry.item.category)
      let shownMark = atCursor ? "▸" : entry.inserted == true ? "+" : mark
      let left = "\(shownMark)\(padLeft(String(entry.position), to: 4)) \(split) "
      let titleWidth = max(4, width - cellWidth(left) - cellWidth(right))
      rows.append([Span(left, atCursor ? .selectionFocused : style == .target ? .target : .dim),
                   Span(pad(entry.item.title + category, to: titleWidth), atCursor ? .selectionFocused : style),
                   Span(right, atCursor ? .selectionFocused : .dim)])
    }
    if view.step == view.sequenceLength {
      rows += droppedRows(view, width: width)
      targetRow = rows.count
      rows.append([Span("▶ \(padLeft(String(view.step), to: 3)) (after the last item: no target)", .target)])
    }
    if later > 0 {
      rows.append([Span("  … \(later) later item\(later == 1 ? "" : "s") (--full-history shows them)", .dim)])
    }
    var lines = rows
    if !all && rows.count > height {
      // Show more of the past than of the future: the target sits two thirds down.
      var top = max(0, min(targetRow - (height * 2) / 3, rows.count - height))
      // The history cursor, when focused, is always drawn.
      if let cursorRow, cursorRow < top || cursorRow >= top + height { top = max(0, min(cursorRow - height / 2, rows.count - height)) }
      lines = Array(rows[top..<(top + height)])
    }
    if cursor != nil && view.historyLength == 0 {
      lines.insert([Span(pad("▸ (empty: i inserts)", to: width), .selectionFocused)], at: 0)
    }
    let window = view.historyLength - view.windowStart
    return PaneContent(title: view.edited ? "History (edited)" : "History", titleRight: "t=\(view.step) · │ window \(window) · ▶ target",
                       titleRightShorter: ["t=\(view.step) · │ window \(window)", "t=\(view.step) · window \(window)",
                                           "t=\(view.step) · win \(window)", "t=\(view.step)"],
                       lines: lines)
  }

  // MARK: - Interests

  /// Each interest: label and nearest items; with `detailed`, a second row of the history
  /// items with the largest attention weights.
  /// - Parameter pairwise: add a line with every pair's cosine (the snapshot).
  public static func interests(_ view: ExplorerView, width: Int, detailed: Bool, attentionCount: Int = 3,
                               pairwise: Bool = false) -> PaneContent {
    var lines: [StyledLine] = []
    if view.interests.isEmpty {
      lines = view.notes.filter { $0.hasPrefix("step 0") }.map { [Span($0, .warning)] }
    }
    let labelWidth = labelColumn(view, minimum: 14, width: width / 3)
    for interest in view.interests {
      let name = "\(interest.index + 1) " + (interest.label.isEmpty ? "" : interest.label)
      let nearest = interest.nearest.map { $0.item.title }.joined(separator: " · ")
      // Diagnostics (ResearchPanes.swift): sources and entropy, and a collapse mark.
      let (spread, collapse) = diagnosticsColumn(view, interest: interest.index)
      lines.append([Span(pad(name, to: labelWidth - 1) + " ", .emphasis), Span(spread, .dim)]
                   + (collapse.map { [Span($0, .warning)] } ?? []) + [Span(nearest, .normal)])
      if detailed {
        let built = interest.attention.prefix(attentionCount).map { "\($0.item.title) \(format($0.weight, 2))" }
          .joined(separator: " · ")
        lines.append([Span(pad("  built from", to: labelWidth), .dim), Span(built, .dim)])
      }
    }
    if pairwise, let line = pairwiseLine(view) { lines.append([Span(line, .dim)]) }
    let k = "K=\(view.interestCount)"
    return PaneContent(title: "Interests", titleRight: "\(k) · n=1/Σa² sources · H nats · 5 nearest by ⟨v_k,e_i⟩ · attention",
                       titleRightShorter: ["\(k) · n=1/Σa² · H nats · 5 nearest by ⟨v_k,e_i⟩", "\(k) · n=1/Σa² · H nats", k],
                       lines: lines)
  }

  // MARK: - Distributions

  /// q_T, p_T and the mix weights w side by side as bars with values (each labelled, so they
  /// are told apart without colour), their JS divergence, and a note saying that w ranks the
  /// TiMiRec list.
  public static func distributions(_ view: ExplorerView, width: Int) -> PaneContent {
    let t = formatTemperature(view.temperature)
    guard let d = view.distributions else {
      return PaneContent(title: "Distributions", titleRight: "T=\(t)",
                         lines: [[Span("nothing to extract yet (empty history)", .warning)]])
    }
    let w = view.recommendations?.mixWeights
    let tempered = view.recommendations?.mix == .tempered
    let labelWidth = labelColumn(view, minimum: 12, width: width / 4)
    // Three columns of "x " + bar + " 0.000 ".
    let barWidth = max(3, (width - labelWidth - 3 * 9) / 3)
    func column(_ name: String, _ values: [Float]?, _ k: Int, _ style: Style) -> StyledLine {
      guard let values else { return [Span(name + " ", .dim), Span(pad("—", to: barWidth + 7), .dim)] }
      return [Span(name + " ", .dim), Span(bar(values[k], width: barWidth), style), Span(" \(format(values[k], 3)) ", .normal)]
    }
    var lines: [StyledLine] = []
    for k in 0..<view.interestCount {
      let label = view.interests.indices.contains(k) ? view.interests[k].label : ""
      lines.append([Span(pad("\(k + 1) \(label)", to: labelWidth - 1) + " ", .emphasis)]
                   + column("q", d.q, k, .barQ) + column("p", d.p, k, .barP) + column("w", w, k, .barW))
    }
    var notes: [String] = []
    if d.q == nil { notes.append("q and w need a finetuned checkpoint (this one is pretrain only)") }
    if d.p == nil { notes.append("no target at this step, so no p") }
    if view.notes.contains(where: { $0.hasPrefix(ViewBuilder.nonFiniteNote) }) {
      notes.append("a value is not a finite number: it shows as —")
    }
    if let delta = view.whatIf?.mixWeightDelta {
      let parts = delta.enumerated().map { "\($0.offset + 1) \(signed($0.element, 3))" }
      let short = delta.map { signed($0, 2) }
      lines.append([Span(firstFitting(["Δw against the data's history: " + parts.joined(separator: " · "),
                                       "Δw vs data: " + parts.joined(separator: " · "), "Δw: " + parts.joined(separator: " "),
                                       "Δw " + short.joined(separator: " ")] + (notes.isEmpty ? [] : [notes.joined(separator: "; ")]),
                                      width: width), notes.isEmpty ? .emphasis : .warning)])
    } else if notes.isEmpty {
      let weights = tempered ? "w = softmax(z^q/T) (m: tempered)" : "w = softmax(z^q) (no T)"
      let ranks = firstFitting(["q_T: predictor · p_T: teacher (sees the target) · \(weights) ranks the TiMiRec list",
                                "q_T predictor · p_T teacher · \(weights) ranks TiMiRec",
                                "\(weights) ranks the TiMiRec list", "w ranks the TiMiRec list"], width: width)
      lines.append([Span(ranks, .dim)])
    } else {
      lines.append([Span(notes.joined(separator: "; "), .warning)])
    }
    let js = d.jensenShannon.map { "JS(q,p) = \(format($0, 4)) bits" } ?? "JS(q,p) —"
    return PaneContent(title: "Distributions", titleRight: "\(js) · T=\(t) · q=softmax(z^q/T) p=softmax(cos/T)",
                       titleRightShorter: ["\(js) · T=\(t)", "T=\(t)"], lines: lines)
  }

  // MARK: - Recommendations

  /// The TiMiRec list beside the best-matching list, the true next item's rank in each, and
  /// the selected item's own p.
  /// - Parameter interactive: false for `--snapshot`, which leaves out the hint about Tab.
  public static func recommendations(_ view: ExplorerView, state: ExplorerState, height: Int, width: Int,
                                     interactive: Bool = true) -> PaneContent {
    guard let r = view.recommendations else {
      return PaneContent(title: "Recommendations", lines: [[Span("nothing to recommend from an empty history", .warning)]])
    }
    let columnWidth = (width - 1) / 2
    /// The list's name and the target's rank, shortened (never cut) to fit the column:
    /// "Best-match · true next #573/1234" … "best #573".
    func rankText(_ name: String, _ short: String, _ rank: Int?) -> String {
      var options: [String]
      if view.target == nil {
        options = ["\(name) · no target", "\(short) · no target", short]
      } else if r.targetInHistory {
        options = ["\(name) · target in history", "\(short) · in history", short]
      } else if let rank {
        let plain = ["\(name) · true next #\(rank)/\(r.rankedCount)", "\(name) · next #\(rank)/\(r.rankedCount)",
                     "\(name) · next #\(rank)", "\(short) · next #\(rank)", "\(short) #\(rank)", "#\(rank)"]
        // Edited: the change against the data's history first, where it fits.
        let change = rankChangeText(view, list: name == "TiMiRec" ? "TiMiRec" : "best-match")
        options = change.map { c in plain.dropLast(2).map { "\($0) \(c)" } } ?? []
        options += plain
      } else {
        options = ["\(name) · —", short]
      }
      return firstFitting(options, width: columnWidth)
    }
    func cell(_ list: [ScoredItem]?, _ row: Int, pane: FocusPane, note: String) -> StyledLine {
      guard let list else { return [Span(pad(row == 0 ? note : "", to: columnWidth), .warning)] }
      guard row < list.count else { return [Span(String(repeating: " ", count: columnWidth))] }
      let item = list[row]
      let selected = state.focus == pane && row == min(state.selection, list.count - 1)
      let interest = item.interest.map { " i\($0 + 1)" } ?? ""
      let star = item.isTarget ? "★" : rowMark(view, item: item.item.id, pane: pane, row: row)
      let left = "\(selected ? "▸" : " ")\(padLeft(String(row + 1), to: 2))\(star)"
      let right = "\(interest) \(format(item.score, 2))"
      let titleWidth = max(4, columnWidth - cellWidth(left) - cellWidth(right))
      let style: Style = selected ? .selectionFocused : item.isTarget ? .target : .normal
      let category = item.item.category.isEmpty ? "" : " · " + categoryText(item.item.category)
      var spans: StyledLine = [Span(left, selected ? style : .dim)]
      // The title, then its category (dimmer unless the row is highlighted), in titleWidth.
      // When both do not fit, the category keeps up to 2/5 of the room (at least 7 cells), so
      // a narrow screen still tells a movie from a cartoon.
      let full = cellWidth(item.item.title) + cellWidth(category)
      let keep = category.isEmpty || full <= titleWidth ? 0 : min(cellWidth(category), max(7, titleWidth * 2 / 5))
      let titlePart = clip(item.item.title, to: titleWidth - keep)
      let rest = titleWidth - cellWidth(titlePart)
      let shownCategory = keep == 0 || rest >= cellWidth(category) ? category
        : " " + clip(categoryText(item.item.category), to: rest - 1)
      let categoryStyle: Style = selected || item.isTarget ? style : .dim
      spans.append(Span(titlePart, style))
      spans.append(Span(pad(shownCategory, to: rest), categoryStyle))
      spans.append(Span(right, selected ? style : .dim))
      return spans
    }
    let headerLeft = pad(rankText("TiMiRec", "TiMiRec", r.timirecTargetRank), to: columnWidth)
    let headerRight = pad(rankText("Best-match", "best", r.bestMatchTargetRank), to: columnWidth)
    var lines: [StyledLine] = [[Span(headerLeft, state.focus == .timirec ? .paneTitleFocused : .emphasis), Span(" "),
                                Span(headerRight, state.focus == .bestMatch ? .paneTitleFocused : .emphasis)]]
    // The selected item takes three rows below the lists; the hint about Tab one.
    let detail = whatIfRows(view, width: width, showing: r.selected == nil || !interactive, interactive: interactive)
      + selectedDetail(r.selected, width: width, interactive: interactive && view.whatIf == nil)
    let rows = max(0, height - 1 - detail.count)
    let listed = max(r.timirec?.count ?? 1, r.bestMatch.count)
    // The lists scroll together so that the cursor row is always drawn.
    let cursor = state.focus != .timirec && state.focus != .bestMatch ? 0 : min(state.selection, max(0, listed - 1))
    let top = rows > 0 && cursor >= rows ? cursor - rows + 1 : 0
    for row in top..<min(top + rows, listed) {
      lines.append(cell(r.timirec, row, pane: .timirec, note: "q needs a finetuned checkpoint")
                   + [Span(" ")] + cell(r.bestMatch, row, pane: .bestMatch, note: ""))
    }
    lines += detail
    let excluded = "\(r.excludedCount) history item\(r.excludedCount == 1 ? "" : "s") excluded"
    let mix = r.mixWeights == nil ? "no mix (pretrain)" : "mix \(mixText(r.mix))"
    let shown = min(top + rows, listed) > top ? "rows \(top + 1)–\(min(top + rows, listed)) of \(listed)" : ""
    let scroll = shown.isEmpty || (top == 0 && top + rows >= listed) ? "" : shown + " · "
    return PaneContent(title: "Recommendations", titleRight: "\(scroll)\(mix) · \(excluded)",
                       titleRightShorter: ["\(scroll)\(mix)", "\(scroll)w ranks TiMiRec", shown, "\(mix)"], lines: lines)
  }

  /// The selected recommendation in three rows: its rank in its list, title and category;
  /// its TiMiRec score split by interest, w_k·⟨v_k,e⟩ (with the interest whose dot product
  /// gives its best-match score, the `iK` of that list); then its own teacher p over cosines,
  /// which may peak at another interest. Each row says which measure it is.
  static func selectedDetail(_ s: SelectedItem?, width: Int, interactive: Bool) -> [StyledLine] {
    guard let s else {
      let hint = firstFitting(["Tab or t: a list's cursor item shows its score split by interest and its own p",
                               "Tab: a list's cursor item shows its score by interest and own p",
                               "Tab: an item's score by interest"], width: width)
      return interactive ? [[Span(hint, .dim)]] : []
    }
    let list = s.list == "timirec" ? "TiMiRec" : "best-match"
    let category = s.item.category.isEmpty ? "" : " · " + categoryText(s.item.category)
    let rank = "▸ #\(s.row + 1) \(list) "
    let title = clip(s.item.title + category, to: max(6, width - cellWidth(rank)))
    let best = "best match i\(s.scoringInterest + 1)"
    var second: String
    if let c = s.contributions, let total = s.mixedScore {
      let parts = c.enumerated().map { "i\($0.offset + 1) \(format($0.element, 2))" }.joined(separator: " + ")
      second = firstFitting(["  TiMiRec score \(format(total, 2)) = w_k·⟨v_k,e⟩: \(parts) · \(best)",
                             "  score \(format(total, 2)) = w·⟨v,e⟩: \(parts) · \(best)",
                             "  \(format(total, 2)) = w·⟨v,e⟩: \(parts) · best i\(s.scoringInterest + 1)",
                             "  \(format(total, 2)) = w·⟨v,e⟩: \(parts)",
                             "  \(format(total, 2)) = \(parts)"], width: width)
    } else {
      let dots = s.interestScores.enumerated().map { "i\($0.offset + 1) \(format($0.element, 2))" }.joined(separator: " ")
      second = firstFitting(["  ⟨v_k,e⟩: \(dots) · \(best) (pretrain: no mix)", "  ⟨v_k,e⟩: \(dots) · \(best)",
                             "  \(best)"], width: width)
    }
    let p = s.p.enumerated().map { "\($0.offset + 1):\(format($0.element, 2))" }.joined(separator: " ")
    let peak = "peaks at i\(s.interest + 1)"
    let third = firstFitting(["  p (cosine, teacher) \(p) → \(peak)", "  p (cosine) \(p) → \(peak)",
                              "  p(cos) \(p) → i\(s.interest + 1)", "  p(cos) → i\(s.interest + 1)"], width: width)
    return [[Span(rank, .emphasis), Span(title, .emphasis)], [Span(second, .normal)], [Span(third, .normal)]]
  }

  // MARK: - Legend

  /// The one-line legend above the footer, the longest wording that fits (the full one is in
  /// the `?` help).
  public static func legend(width: Int, historyFocused: Bool = false) -> StyledLine {
    if historyFocused { return [Span(firstFitting(historyLegend, width: width), .legend)] }
    let text = firstFitting([
      " q_T predictor · p_T teacher · w ranks TiMiRec · ★ true next · ▸ cursor · iK interest · │ window ▶ target · trn/dev/tst split · ? keys",
      " q predictor · p teacher · w ranks TiMiRec · ★ true next · iK interest · │ window ▶ target · trn/dev/tst · ? keys",
      " q predictor · p teacher · w ranks TiMiRec · ★ true next · iK interest · ? keys",
      " w ranks TiMiRec · ★ true next · ? keys",
    ], width: width)
    return [Span(text, .legend)]
  }

  // MARK: - Help

  /// The `?` screen: every binding of the key table, grouped, then notes; every line is
  /// wrapped at word boundaries to `width` cells, so nothing is cut (the overlay scrolls).
  public static func help(width: Int = .max) -> [StyledLine] {
    var lines: [StyledLine] = []
    let keyColumn = 10
    for group in BindingGroup.allCases {
      if !lines.isEmpty { lines.append([]) }
      lines.append([Span(group.rawValue, .emphasis)])
      for b in KeyBindings.all where b.group == group {
        for (i, part) in wrap(b.description, width: width - keyColumn).enumerated() {
          lines.append([Span(i == 0 ? "  " + pad(b.keyLabel, to: keyColumn - 2) : String(repeating: " ", count: keyColumn),
                             .footerKey), Span(part, .normal)])
        }
      }
    }
    lines.append([])
    let notes = [
      "Legend",
      "q_T = softmax(z^q/T): the predictor's guess of the next interest (q bars); p_T = softmax(cos(v_k, e_target)/T): the teacher, which sees the target (p bars).",
      "w = softmax(z^q), no temperature (eq. 4): the weights that rank the TiMiRec list (w bars); `m` tempers the mix to softmax(z^q/T), and w shows the weights in use.",
      "Lists: rank, ★ the true next item (the target), ▸ the cursor, the title and its category, iK and the score. Both lists exclude history items. TiMiRec scores are ⟨Σ_k w_k v_k, e_i⟩; best-match scores are max_k ⟨v_k, e_i⟩ (ComiRec), so the two columns of scores are on different scales.",
      "Best-match iK: the interest with the largest ⟨v_k,e_i⟩, which gives the item its score. The cursor item shows its TiMiRec score split into w_k·⟨v_k,e⟩ per interest, and its own p over cosines, which can peak at another interest.",
      "History: position, split (trn train, dev, tst test), │ the model's window, ▶ the target; `i2 0.12`: the interest that attends most to that item, and its attention weight.",
      "What-if: the lists exclude the edited history; ins/+ an inserted item, ↺ a dropped item back in a list, + in a list new in the top 10; (Δ±n) the true next item's rank change, Δw w's change.",
      "Interests: label from the categories of the 5 nearest items (a genre counts 1/n for an item with n genres; a category path counts at its top level), 5 nearest items, and the history items that built it.",
      "Interest n=1/Σa²: items it is built from; H: attention entropy (nats); ≈iK cos 0.98: collapsed onto iK (cos ≥ 0.95).",
      "Timeline, a cell per step (▲ now): mix = argmax softmax(z^q); JS(q,p) ▁ 0 to █ 1 bit; rank of the true next item, log scale, ▁ #1 to █ last.",
      "Press ?, q, Esc or Enter to close; ↑/↓, PgUp/PgDn scroll.",
    ]
    for note in notes {
      lines += wrap(note, width: width).map { [Span($0, note == "Legend" ? .emphasis : .dim)] }
    }
    return lines
  }

  /// `text` broken at spaces into lines of at most `width` cells (a longer word is cut).
  static func wrap(_ text: String, width: Int) -> [String] {
    guard width > 0, cellWidth(text) > width else { return [text] }
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
      if current.isEmpty {
        current = word
      } else if cellWidth(current) + 1 + cellWidth(word) <= width {
        current += " " + word
      } else {
        lines.append(current)
        current = word
      }
      while cellWidth(current) > width {
        let head = clip(current, to: width + 1)  // no ellipsis needed: the rest follows
        let cut = String(head.dropLast())
        lines.append(cut)
        current = String(current.dropFirst(cut.count))
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
  }
}
