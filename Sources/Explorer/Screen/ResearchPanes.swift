// Presentation of the research tools of issue 14 that belong to the model view: the timeline
// strip over a user's steps and the interest diagnostics column (pure functions, like Panes).

import Foundation

extension Panes {
  /// Rows the timeline strip takes: title, mix, JS, rank, the ▲ marker.
  static let timelineRows = 5

  /// Eight levels, lowest first.
  static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

  /// An interest's short name in one cell: 1…9, then a…z (K ≤ 35), else "+".
  static func interestGlyph(_ k: Int) -> Character {
    let digits = Array("123456789abcdefghijklmnopqrstuvwxyz")
    return k < digits.count ? digits[k] : "+"
  }

  /// JS in bits (0…1) as a block: ▁ for [0, 1/8), █ for [7/8, 1].
  static func divergenceGlyph(_ js: Float) -> Character {
    guard js.isFinite else { return "·" }
    return blocks[min(7, max(0, Int(js * 8)))]
  }

  /// A rank on a log scale: ▁ for #1, █ for the last of `count`, level round(7·ln r / ln count).
  static func rankGlyph(_ rank: Int, of count: Int) -> Character {
    guard count > 1 && rank > 1 else { return blocks[0] }
    let level = (7 * Foundation.log(Double(rank)) / Foundation.log(Double(count))).rounded()
    return blocks[min(7, max(0, Int(level)))]
  }

  /// The timeline: one cell per step t = 0…n_u (t = 0 and n_u have no target: blank), three
  /// rows (the strongest mix interest, JS(q,p), the true next item's rank) and a row with ▲
  /// under the current step beside its values. Scrolls to keep the current step in view.
  /// Always the data's histories: with a what-if edit the title says "data's history"
  /// ("Timeline (data's)" in a narrow pane).
  public static func timeline(_ view: ExplorerView, width: Int) -> PaneContent {
    let labelWidth = 5
    let cells = view.sequenceLength + 1
    let visible = max(1, width - labelWidth)
    let first = max(0, min(view.step - visible / 2, cells - visible))
    let last = min(cells, first + visible)  // exclusive
    let points = view.steps?.points ?? []
    func point(_ t: Int) -> StepPoint? { t >= 1 && t <= points.count ? points[t - 1] : nil }
    func row(_ label: String, _ glyph: (StepPoint) -> Character) -> StyledLine {
      var before = "", current = "", after = ""
      for t in first..<last {
        let c = point(t).map(glyph).map(String.init) ?? " "
        if t < view.step { before += c } else if t == view.step { current = c } else { after += c }
      }
      return [Span(pad(label, to: labelWidth), .dim), Span(before, .normal), Span(current, .selectionFocused), Span(after, .normal)]
    }
    let mix = row("mix") { $0.strongestInterest.map(interestGlyph) ?? "·" }
    let js = row("JS") { $0.jensenShannon.map(divergenceGlyph) ?? "·" }
    let rank = row("rank") { p in p.rank.map { rankGlyph($0, of: p.rankedCount) } ?? "·" }

    // ▲ under the current step, its values on the side with more room (never cut).
    let column = labelWidth + view.step - first
    var values: [String] = ["t=\(view.step)"]
    if let p = point(view.step) {
      let interest = p.strongestInterest.map { "i\($0 + 1)" }
      let divergence = p.jensenShannon.map { "JS \(format($0, 2))" }
      let r = p.rank.map { "#\($0)" } ?? "in history"
      values = [["t=\(view.step)", interest, divergence, "\(r)/\(p.rankedCount)"], [interest, divergence, "\(r)/\(p.rankedCount)"],
                [interest, divergence, r], [interest, r], [r]].map { $0.compactMap { $0 }.joined(separator: " ") }
    }
    let right = width - column - 2, left = column - 1
    var marker: StyledLine
    if right >= left {
      let text = firstFitting(values, width: right)
      marker = [Span(String(repeating: " ", count: column) + "▲", .target), Span(cellWidth(text) <= right ? " " + text : "", .dim)]
    } else {
      let text = firstFitting(values, width: left)
      let shown = cellWidth(text) <= left ? text + " " : ""
      marker = [Span(String(repeating: " ", count: column - cellWidth(shown)), .dim), Span(shown, .dim), Span("▲", .target)]
    }
    let list = view.steps?.list == "best-match" ? "best-match" : "TiMiRec"
    let range = first == 0 && last == cells ? "" : " · t \(first)–\(last - 1)"
    // The strip is over the data's histories: an edit changes one step's history only, so with
    // one the strip (and ▲'s values) is not the edited view's and says so.
    let title = view.edited ? firstFitting(["Timeline · data's history", "Timeline (data's)"], width: width - 4) : "Timeline"
    if view.steps == nil {
      return PaneContent(title: title, titleRight: "computing…", lines: [mix, js, rank, marker])
    }
    return PaneContent(title: title, titleRight: "rank in \(list) (log)\(range)",
                       titleRightShorter: ["log rank\(range)", range.isEmpty ? "▲ t" : "t \(first)–\(last - 1)"],
                       lines: [mix, js, rank, marker])
  }

  /// The diagnostics column of interest k: its effective number of source items and its
  /// attention entropy in nats ("n=2.4 H=0.98"), and "≈i1 cos 0.98" when it has collapsed
  /// onto another interest (cosine ≥ 0.95).
  static func diagnosticsColumn(_ view: ExplorerView, interest k: Int) -> (spread: String, collapse: String?) {
    guard let d = view.diagnostics, d.effectiveSources.indices.contains(k) else { return ("", nil) }
    let spread = "n=\(format(d.effectiveSources[k], 1)) H=\(format(d.attentionEntropy[k], 2)) "
    let collapse = d.collapsedPartner(of: k).map { "≈i\($0.interest + 1) cos \(format($0.cosine, 2)) " }
    return (spread, collapse)
  }

  /// Every pair's cosine on one line ("cos i1·i2 0.98 collapsed · i1·i3 0.12"), for the
  /// snapshot's interests pane.
  static func pairwiseLine(_ view: ExplorerView) -> String? {
    guard let d = view.diagnostics, d.cosines.count > 1 else { return nil }
    let k = d.cosines.count
    var parts: [String] = []
    for a in 0..<k {
      for b in (a + 1)..<k {
        let c = d.cosines[a][b]
        parts.append("i\(a + 1)·i\(b + 1) \(format(c, 2))\(c >= d.collapseThreshold ? " collapsed" : "")")
      }
    }
    return "pairwise cos (collapsed ≥ \(format(d.collapseThreshold, 2))): " + parts.joined(separator: " · ")
  }
}
