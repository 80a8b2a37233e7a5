// Presentation: pure functions from (view, state) to the styled rows of each pane. The
// screen places them in the layout's rectangles; `--snapshot` stacks them (STYLE.md §11).

/// The rows of one pane: a title and its content.
public struct PaneContent: Equatable, Sendable {
  public var title: String
  /// Right-hand part of the title row (e.g. the JS divergence).
  public var titleRight: String = ""
  public var lines: [StyledLine]
}

public enum Panes {
  // MARK: - Bars

  /// The status bar.
  public static func header(_ view: ExplorerView) -> StyledLine {
    let target = view.targetSplit.map { "target: \($0) item" } ?? "no target"
    let mix = view.recommendations.map { $0.mix == .model ? "model" : "tempered" } ?? "—"
    return [
      Span(" TiMiRec Explorer ", .header),
      Span("│ T=\(formatTemperature(view.temperature)) ", .header),
      Span("│ user \(view.user) · \(view.sequenceLength) items ", .header),
      Span("│ t=\(view.step)/\(view.sequenceLength) \(target) ", .header),
      Span("│ mix: \(mix) ", .header),
      Span("│ \(view.dataset) · \(view.stage) K=\(view.interestCount) · trained at T=\(formatTemperature(view.trainingTemperature)) ", .header),
    ]
  }

  /// The footer: key hints from the key table, or the search prompt, plus the status.
  public static func footer(_ state: ExplorerState, width: Int) -> StyledLine {
    if case .search(let text) = state.mode {
      return [Span(" search user id: ", .footerKey), Span(text + "▏", .footer),
              Span("   Enter jump · Esc cancel", .footer)]
    }
    var line: StyledLine = []
    for item in KeyBindings.footerItems {
      line.append(Span(" \(item.keys)", .footerKey))
      line.append(Span(" \(item.label) ", .footer))
    }
    if let status = state.status {
      let used = line.reduce(0) { $0 + cellWidth($1.text) }
      let room = width - used - 3
      if room >= 12 {
        line.append(Span("   " + padLeft(status, to: room), .warning))
      } else {
        line = [Span(" " + status, .warning)]
      }
    }
    return line
  }

  static func mixText(_ mix: MixMode) -> String {
    mix == .model ? "softmax(z^q) (model)" : "softmax(z^q/T) (tempered)"
  }

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
    return PaneContent(title: "Users", titleRight: "id · items · \(state.userIndex + 1)/\(count)", lines: lines)
  }

  // MARK: - History

  /// The timeline: every item with its position, split and role; window items show the
  /// interest that reads them most. Scrolls to keep the target visible.
  public static func history(_ view: ExplorerView, height: Int, width: Int, all: Bool = false) -> PaneContent {
    var rows: [StyledLine] = []
    var targetRow = 0
    for entry in view.timeline {
      let mark: String
      let style: Style
      switch entry.role {
      case .history: mark = " "; style = .dim
      case .window: mark = "│"; style = .window
      case .target: mark = "▶"; style = .target
      case .future: mark = " "; style = .dim
      }
      if entry.role == .target { targetRow = rows.count }
      let split = entry.split == "train" ? "trn" : entry.split == "dev" ? "dev" : "tst"
      var right = ""
      if let k = entry.strongestInterest, let w = entry.strongestWeight { right = " i\(k + 1) \(format(w, 2))" }
      let category = entry.item.category.isEmpty ? "" : " · " + entry.item.category
      let left = "\(mark)\(padLeft(String(entry.position), to: 4)) \(split) "
      let titleWidth = max(4, width - cellWidth(left) - cellWidth(right))
      rows.append([Span(left, style == .target ? .target : .dim),
                   Span(pad(entry.item.title + category, to: titleWidth), style),
                   Span(right, .dim)])
    }
    if view.step == view.sequenceLength {
      targetRow = rows.count
      rows.append([Span("▶ \(padLeft(String(view.step), to: 3)) (after the last item: no target)", .target)])
    }
    var lines = rows
    if !all && rows.count > height {
      // Show more of the past than of the future: the target sits two thirds down.
      let top = max(0, min(targetRow - (height * 2) / 3, rows.count - height))
      lines = Array(rows[top..<(top + height)])
    }
    let window = view.step - view.windowStart
    return PaneContent(title: "History", titleRight: "t=\(view.step) · │ window \(window) · ▶ target", lines: lines)
  }

  // MARK: - Interests

  /// Each interest: label and nearest items; with `detailed`, a second row of the history
  /// items with the largest attention weights.
  public static func interests(_ view: ExplorerView, width: Int, detailed: Bool, attentionCount: Int = 3) -> PaneContent {
    var lines: [StyledLine] = []
    if view.interests.isEmpty {
      lines = view.notes.filter { $0.hasPrefix("step 0") }.map { [Span($0, .warning)] }
    }
    for interest in view.interests {
      let name = "\(interest.index + 1) " + (interest.label.isEmpty ? "" : interest.label)
      let nearest = interest.nearest.map { $0.item.title }.joined(separator: " · ")
      lines.append([Span(pad(name, to: 14), .emphasis), Span(nearest, .normal)])
      if detailed {
        let built = interest.attention.prefix(attentionCount).map { "\($0.item.title) \(format($0.weight, 2))" }
          .joined(separator: " · ")
        lines.append([Span(pad("  built from", to: 14), .dim), Span(built, .dim)])
      }
    }
    return PaneContent(title: "Interests", titleRight: "K=\(view.interestCount) · 5 nearest items by ⟨v_k,e_i⟩ · attention", lines: lines)
  }

  // MARK: - Distributions

  /// q_T and p_T side by side as bars with values, and their JS divergence.
  public static func distributions(_ view: ExplorerView, width: Int) -> PaneContent {
    let t = formatTemperature(view.temperature)
    guard let d = view.distributions else {
      return PaneContent(title: "Distributions", titleRight: "T=\(t)",
                         lines: [[Span("nothing to extract yet (empty history)", .warning)]])
    }
    let labelWidth = 12
    let barWidth = max(4, (width - labelWidth - 2 * 9) / 2)
    var lines: [StyledLine] = []
    for k in 0..<view.interestCount {
      let label = view.interests.indices.contains(k) ? view.interests[k].label : ""
      var line: StyledLine = [Span(pad("\(k + 1) \(label)", to: labelWidth), .emphasis)]
      if let q = d.q {
        line += [Span("q ", .dim), Span(bar(q[k], width: barWidth), .barQ), Span(" \(format(q[k], 3)) ", .normal)]
      } else {
        line += [Span("q ", .dim), Span(pad("—", to: barWidth + 7), .dim)]
      }
      if let p = d.p {
        line += [Span("p ", .dim), Span(bar(p[k], width: barWidth), .barP), Span(" \(format(p[k], 3))", .normal)]
      } else {
        line += [Span("p ", .dim), Span("—", .dim)]
      }
      lines.append(line)
    }
    var notes: [String] = []
    if d.q == nil { notes.append("q needs a finetuned checkpoint (this one is pretrain only)") }
    if d.p == nil { notes.append("no target at this step, so no p") }
    if !notes.isEmpty { lines.append([Span(notes.joined(separator: "; "), .warning)]) }
    let js = d.jensenShannon.map { "JS(q,p) = \(format($0, 4)) bits" } ?? "JS(q,p) —"
    return PaneContent(title: "Distributions", titleRight: "\(js) · T=\(t) · q=softmax(z^q/T) p=softmax(cos/T)", lines: lines)
  }

  // MARK: - Recommendations

  /// The TiMiRec list beside the best-matching list, the true next item's rank in each, and
  /// the selected item's own p.
  public static func recommendations(_ view: ExplorerView, state: ExplorerState, height: Int, width: Int) -> PaneContent {
    guard let r = view.recommendations else {
      return PaneContent(title: "Recommendations", lines: [[Span("nothing to recommend from an empty history", .warning)]])
    }
    let columnWidth = (width - 1) / 2
    func rankText(_ rank: Int?) -> String {
      if view.target == nil { return "no target" }
      if r.targetInHistory { return "target in history" }
      return rank.map { "true next #\($0)/\(r.rankedCount)" } ?? "—"
    }
    func cell(_ list: [ScoredItem]?, _ row: Int, pane: FocusPane, note: String) -> StyledLine {
      guard let list else { return [Span(pad(row == 0 ? note : "", to: columnWidth), .warning)] }
      guard row < list.count else { return [Span(String(repeating: " ", count: columnWidth))] }
      let item = list[row]
      let selected = state.focus == pane && row == min(state.selection, list.count - 1)
      let interest = item.interest.map { " i\($0 + 1)" } ?? ""
      let star = item.isTarget ? "★" : " "
      let left = "\(padLeft(String(row + 1), to: 2)).\(star)"
      let right = "\(interest) \(format(item.score, 2))"
      let titleWidth = max(4, columnWidth - cellWidth(left) - cellWidth(right))
      let style: Style = selected ? .selectionFocused : item.isTarget ? .target : .normal
      return [Span(left, selected ? style : .dim), Span(pad(item.item.title, to: titleWidth), style),
              Span(right, selected ? style : .dim)]
    }
    let headerLeft = pad("TiMiRec · \(rankText(r.timirecTargetRank))", to: columnWidth)
    let headerRight = pad("Best-match · \(rankText(r.bestMatchTargetRank))", to: columnWidth)
    var lines: [StyledLine] = [[Span(headerLeft, state.focus == .timirec ? .paneTitleFocused : .emphasis), Span(" "),
                                Span(headerRight, state.focus == .bestMatch ? .paneTitleFocused : .emphasis)]]
    let rows = max(0, height - 2)
    for row in 0..<min(rows, max(r.timirec?.count ?? 1, r.bestMatch.count)) {
      lines.append(cell(r.timirec, row, pane: .timirec, note: "q needs a finetuned checkpoint")
                   + [Span(" ")] + cell(r.bestMatch, row, pane: .bestMatch, note: ""))
    }
    if let s = r.selected {
      let p = s.p.enumerated().map { "\($0.offset + 1):\(format($0.element, 2))" }.joined(separator: " ")
      lines.append([Span("▸ \(s.item.title)", .emphasis), Span(" p = \(p) → interest \(s.interest + 1)", .normal)])
    } else {
      lines.append([Span("Tab focuses a list; its cursor item shows its own p (which interest it belongs to)", .dim)])
    }
    let excluded = "\(r.excludedCount) history item\(r.excludedCount == 1 ? "" : "s") excluded"
    return PaneContent(title: "Recommendations", titleRight: "mix \(mixText(r.mix)) · \(excluded)", lines: lines)
  }

  // MARK: - Help

  /// The `?` screen: every binding of the key table, grouped.
  public static func help() -> [StyledLine] {
    var lines: [StyledLine] = []
    for group in BindingGroup.allCases {
      if !lines.isEmpty { lines.append([]) }
      lines.append([Span(group.rawValue, .emphasis)])
      for b in KeyBindings.all where b.group == group {
        lines.append([Span("  " + pad(b.keyLabel, to: 8), .footerKey), Span(b.description, .normal)])
      }
    }
    lines.append([])
    lines.append([Span("q_T = softmax(z^q/T): the predictor's guess of the next interest; p_T = softmax(cos(v_k, e_target)/T): the teacher.", .dim)])
    lines.append([Span("Recommendations exclude history items; the model mixes with softmax(z^q) unless `m` tempers the mix.", .dim)])
    lines.append([Span("Press ?, q, Esc or Enter to close.", .dim)])
    return lines
  }
}
