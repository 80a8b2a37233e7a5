// `explore --compare`: the right half with both models (docs/EXPLORER.md, "Compare"). The
// left half (users, history, timeline) stays: the dataset is the same. Model 1 is --ckpt,
// model 2 is --compare; `v` toggles between this view and model 1 alone.

import SeqRec

/// Where the right half's panes go in the compare view.
public struct CompareLayout: Equatable, Sendable {
  /// Model 1's q, p and w, when there is room for them too.
  public var distributions: Rect?
  /// Model 1's interests (one row each).
  public var interests: Rect
  /// Model 2's interests (one row each).
  public var comparedInterests: Rect
  /// Both models' lists side by side.
  public var recommendations: Rect

  /// The fewest rows of the right half the compare view needs: both interest panes (title
  /// and one row per interest) and the lists (8 rows, as in the plain view).
  public static func minimumBody(k1: Int, k2: Int) -> Int { (1 + k1) + (1 + k2) + ScreenLayout.minimumRecommendations }

  /// The compare view in the right half of `base`, or nil when it does not fit (then the
  /// screen shows model 1 alone and says so in the legend row).
  public static func compute(base: ScreenLayout, k1: Int, k2: Int) -> CompareLayout? {
    let top = base.distributions.row, column = base.distributions.column, width = base.distributions.width
    let body = base.legend.row - top
    let need = minimumBody(k1: k1, k2: k2)
    guard body >= need else { return nil }
    var row = top
    var distributions: Rect? = nil
    if body - need >= k1 + 2 {
      distributions = Rect(row: row, column: column, height: k1 + 2, width: width)
      row += k1 + 2
    }
    let interests = Rect(row: row, column: column, height: 1 + k1, width: width)
    let compared = Rect(row: row + 1 + k1, column: column, height: 1 + k2, width: width)
    let listsRow = compared.row + compared.height
    return CompareLayout(distributions: distributions, interests: interests, comparedInterests: compared,
                         recommendations: Rect(row: listsRow, column: column, height: base.legend.row - listsRow, width: width))
  }
}

extension Panes {
  /// The last part of a checkpoint path ("runs/beauty-ft" → "beauty-ft").
  static func checkpointName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }

  /// A model's interests pane titled with its number (1: --ckpt, 2: --compare).
  static func numberedInterests(_ view: ExplorerView, model: Int, width: Int, detailed: Bool,
                                pairwise: Bool = false) -> PaneContent {
    var pane = interests(view, width: width, detailed: detailed, attentionCount: detailed ? 5 : 3, pairwise: pairwise)
    pane.title = "Interests · model \(model)"
    let stage = Stage(rawValue: view.stage) == .pretrain ? "pretrain" : "finetune"
    pane.titleRight = "\(stage) K=\(view.interestCount) · n=1/Σa² · H nats"
    pane.titleRightShorter = ["\(stage) K=\(view.interestCount)", "K=\(view.interestCount)"]
    return pane
  }

  /// Model 1's list beside model 2's, each by its own rule (TiMiRec's mix for a finetuned
  /// checkpoint, the best match for a pretrain one), the true next item's rank above each;
  /// the cursor row (↓ in a list) scrolls both. With a what-if edit each model's rank change
  /// (Δ±n) follows its rank where it fits, its rows carry its own + and ↺ marks (`rowMark`),
  /// and a row above the names gives both models' rank before → after. Nil without a comparison.
  public static func versus(_ view: ExplorerView, state: ExplorerState, height: Int, width: Int) -> PaneContent? {
    guard let other = view.comparedView, let r1 = view.recommendations, let r2 = other.recommendations else { return nil }
    let sides = [(1, ExplorerView.ruleList(r1, pretrain: Stage(rawValue: view.stage) == .pretrain), r1, view),
                 (2, ExplorerView.ruleList(r2, pretrain: Stage(rawValue: other.stage) == .pretrain), r2, other)]
    let columnWidth = (width - 1) / 2
    /// The model's rank change with the edit, for the list it recommends with.
    func change(_ list: (name: String, items: [ScoredItem], rank: Int?), _ v: ExplorerView) -> RankChange? {
      list.name == "TiMiRec" ? v.whatIf?.timirecTargetRank : v.whatIf?.bestMatchTargetRank
    }
    func header(_ model: Int, _ list: (name: String, items: [ScoredItem], rank: Int?), _ r: RecommendationsSummary,
                _ v: ExplorerView) -> String {
      let name = "\(model) \(list.name)"
      var options: [String]
      if view.target == nil {
        options = ["\(name) · no target", "\(model) · no target", "\(model)"]
      } else if r.targetInHistory {
        options = ["\(name) · target in history", "\(model) · in history", "\(model)"]
      } else if let rank = list.rank {
        let plain = ["\(name) · true next #\(rank)/\(r.rankedCount)", "\(name) · next #\(rank)/\(r.rankedCount)",
                     "\(name) · next #\(rank)", "\(model) · next #\(rank)", "\(model) #\(rank)", "#\(rank)"]
        // Edited: the change against the data's history first, where it fits (as in the plain view).
        options = rankChangeText(v, list: list.name).map { c in plain.dropLast(1).map { "\($0) \(c)" } } ?? []
        options += plain
      } else {
        options = ["\(name) · —", "\(model)"]
      }
      return pad(firstFitting(options, width: columnWidth), to: columnWidth)
    }
    let listed = max(sides[0].1.items.count, sides[1].1.items.count)
    let edited = view.whatIf != nil || other.whatIf != nil
    let rows = max(0, height - 2 - (edited ? 1 : 0))
    let cursor = !state.focus.isList ? 0 : min(state.selection, max(0, listed - 1))
    let top = rows > 0 && cursor >= rows ? cursor - rows + 1 : 0
    func cell(_ items: [ScoredItem], _ row: Int, _ v: ExplorerView, pane: FocusPane) -> StyledLine {
      guard row < items.count else { return [Span(String(repeating: " ", count: columnWidth))] }
      let item = items[row]
      let selected = state.focus.isList && row == cursor
      let mark = item.isTarget ? "★" : rowMark(v, item: item.item.id, pane: pane, row: row)
      let left = "\(selected ? "▸" : " ")\(padLeft(String(row + 1), to: 2))\(mark)"
      let right = "\(item.interest.map { " i\($0 + 1)" } ?? "") \(format(item.score, 2))"
      let category = item.item.category.isEmpty ? "" : " · " + categoryText(item.item.category)
      let titleWidth = max(4, columnWidth - cellWidth(left) - cellWidth(right))
      let style: Style = selected ? .selectionFocused : item.isTarget ? .target : .normal
      return [Span(left, selected ? style : .dim), Span(pad(clip(item.item.title + category, to: titleWidth), to: titleWidth), style),
              Span(right, selected ? style : .dim)]
    }
    func pane(_ list: (name: String, items: [ScoredItem], rank: Int?)) -> FocusPane { list.name == "TiMiRec" ? .timirec : .bestMatch }
    var lines: [StyledLine] = [[Span(header(sides[0].0, sides[0].1, sides[0].2, sides[0].3), .emphasis), Span(" "),
                                Span(header(sides[1].0, sides[1].1, sides[1].2, sides[1].3), .emphasis)]]
    for row in top..<min(top + rows, listed) {
      lines.append(cell(sides[0].1.items, row, sides[0].3, pane: pane(sides[0].1)) + [Span(" ")]
        + cell(sides[1].1.items, row, sides[1].3, pane: pane(sides[1].1)))
    }
    if edited {
      // Each model's rank with the data's history → with the edited one, and its top-10 turnover.
      func part(_ side: (Int, (name: String, items: [ScoredItem], rank: Int?), RecommendationsSummary, ExplorerView),
                long: Bool) -> String {
        guard let w = side.3.whatIf else { return "\(side.0) —" }
        let top = side.1.name == "TiMiRec" ? w.timirecTop : w.bestMatchTop
        let turnover = top.map { "top 10 +\($0.entered.count) −\($0.left.count)" } ?? ""
        let rank = view.target == nil ? "" : change(side.1, side.3).map(rankTransition) ?? "–→–"
        return (long ? "\(side.0) \(side.1.name) " : "\(side.0) ") + [rank, turnover].filter { !$0.isEmpty }.joined(separator: " ")
      }
      let text = firstFitting(["what-if ★ " + part(sides[0], long: true) + " · " + part(sides[1], long: true),
                               "what-if ★ " + part(sides[0], long: false) + " · " + part(sides[1], long: false),
                               "★ " + part(sides[0], long: false) + " · " + part(sides[1], long: false)], width: width)
      lines.append([Span(clip(text, to: width), .emphasis)])
    }
    let names = firstFitting(["1 = \(checkpointName(view.checkpoint)) · 2 = \(checkpointName(other.checkpoint)) · scores are on each model's own scale",
                              "1 = \(checkpointName(view.checkpoint)) · 2 = \(checkpointName(other.checkpoint))",
                              "1 --ckpt · 2 --compare"], width: width)
    lines.append([Span(names, .dim)])
    let shown = listed > rows ? "rows \(top + 1)–\(min(top + rows, listed)) of \(listed)" : ""
    let prefix = shown.isEmpty ? "" : shown + " · "
    return PaneContent(title: "Model 1 vs model 2", titleRight: "\(prefix)each by its own rule · v: model 1 alone",
                       titleRightShorter: ["\(prefix)v: model 1 alone", shown.isEmpty ? "v toggles" : shown], lines: lines)
  }
}

extension ScreenRenderer {
  /// Draws the right half as the compare view when it is asked for (`--compare`, `v`) and
  /// fits; returns false when the plain panes must be drawn instead (then, if it was asked
  /// for but does not fit, the legend row says how many rows it needs).
  static func drawComparison(_ frame: inout Frame, view: ExplorerView, state: ExplorerState, layout: ScreenLayout) -> Bool {
    guard state.showComparison, let other = view.comparedView else { return false }
    guard let compare = CompareLayout.compute(base: layout, k1: view.interestCount, k2: other.interestCount) else {
      let rows = frame.rows - (layout.legend.row - layout.distributions.row)
        + CompareLayout.minimumBody(k1: view.interestCount, k2: other.interestCount)
      let note = firstFitting([" model 1 vs model 2 needs \(rows) rows (K=\(view.interestCount)+\(other.interestCount)): model 1 alone · v hides this",
                               " compare needs \(rows) rows: model 1 alone", " compare: \(rows) rows"], width: frame.columns)
      frame.put([Span(note, .warning)], row: layout.legend.row, column: 0, fill: .legend)
      return false
    }
    if let d = compare.distributions {
      draw(&frame, Panes.distributions(view, width: d.width), in: d, focused: false)
    }
    draw(&frame, Panes.numberedInterests(view, model: 1, width: compare.interests.width, detailed: false),
         in: compare.interests, focused: false)
    draw(&frame, Panes.numberedInterests(other, model: 2, width: compare.comparedInterests.width, detailed: false),
         in: compare.comparedInterests, focused: false)
    let rect = compare.recommendations
    // No lists (an empty history): the plain pane says why.
    let pane = Panes.versus(view, state: state, height: rect.height - 1, width: rect.width)
      ?? Panes.recommendations(view, state: state, height: rect.height - 1, width: rect.width)
    draw(&frame, pane, in: rect, focused: state.focus.isList)
    return true
  }
}
