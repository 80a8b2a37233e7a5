// `timirec explore --snapshot`: the same panes as the screen, stacked, every row shown (the
// history: its window and target, unless `fullHistory`).

public enum SnapshotText {
  /// The view as plain text `width` columns wide: status line, notes, then the history,
  /// distributions, interests (with attention) and recommendations panes in full. The
  /// history shows the window and the target with a line for the items left out on each
  /// side, or every item with `fullHistory`. Hints for the interactive keys are left out.
  public static func render(_ view: ExplorerView, state: ExplorerState, width: Int, fullHistory: Bool = false) -> String {
    var out: [String] = []
    func line(_ spans: StyledLine) -> String {
      var frame = Frame(rows: 1, columns: width)
      frame.put(spans, row: 0, column: 0)
      return frame.text(row: 0)
    }
    func section(_ content: PaneContent) {
      out.append("")
      let title = "── \(content.title) " + (content.titleRight.isEmpty ? "" : "(\(content.titleRight)) ")
      // At least one rule character, so the line never ends in a (trimmed) space.
      out.append(clip(title + String(repeating: "─", count: max(1, width - cellWidth(title))), to: width))
      for l in content.lines { out.append(line(l)) }
    }
    // The header, wrapped at its separators so nothing is cut at narrow widths.
    var current = ""
    for span in Panes.header(view, interactive: false) {
      let piece = span.text.trimmingCharacters(in: " ")
      if !current.isEmpty && cellWidth(current) + cellWidth(piece) + 1 > width { out.append(clip(current, to: width)); current = "" }
      current += (current.isEmpty ? "" : " ") + piece
    }
    if !current.isEmpty { out.append(clip(current, to: width)) }
    for note in view.notes { out.append(clip("note: " + note, to: width)) }
    section(Panes.history(view, height: .max, width: width, all: true, windowOnly: !fullHistory))
    section(Panes.timeline(view, width: width))
    section(Panes.distributions(view, width: width))
    section(Panes.interests(view, width: width, detailed: true, attentionCount: 5, pairwise: true))
    let rows = (view.recommendations.map { max($0.timirec?.count ?? 1, $0.bestMatch.count) } ?? 0) + 2
    let detailRows = (view.recommendations?.selected == nil ? 0 : 3) + (view.whatIf == nil ? 0 : 3)
    section(Panes.recommendations(view, state: state, height: rows + detailRows, width: width, interactive: false))
    if let other = view.comparedView {
      // `--compare` (ComparePanes.swift): the second model's panes, then both lists.
      out.append("")
      out.append(clip("model 2 (--compare): \(other.checkpoint) · \(other.stage) K=\(other.interestCount) · trained at T=\(formatTemperature(other.trainingTemperature))", to: width))
      for note in other.notes where !view.notes.contains(note) { out.append(clip("note: " + note, to: width)) }
      var distributions = Panes.distributions(other, width: width)
      distributions.title = "Distributions · model 2"
      section(distributions)
      section(Panes.numberedInterests(other, model: 2, width: width, detailed: true, pairwise: true))
      let listed = max(other.recommendations?.bestMatch.count ?? 0, view.recommendations?.bestMatch.count ?? 0)
      let whatIfRow = view.whatIf != nil || other.whatIf != nil ? 1 : 0
      if let versus = Panes.versus(view, state: state, height: listed + 2 + whatIfRow, width: width) { section(versus) }
    }
    return out.map { l in var s = l; while s.last == " " { s.removeLast() }; return s }.joined(separator: "\n") + "\n"
  }
}

extension String {
  func trimmingCharacters(in set: Character) -> String {
    var s = Substring(self)
    while s.first == set { s.removeFirst() }
    while s.last == set { s.removeLast() }
    return String(s)
  }
}
