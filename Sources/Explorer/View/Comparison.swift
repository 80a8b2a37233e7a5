// `explore --compare CKPT2`: the second model's view of the same (user, step, T, mix), packed
// under the first model's view (`ExplorerView.compare`, the `compare` key of `--json`).

import SeqRec

/// The second checkpoint's view of the current (user, step): what `ViewBuilder` computes for
/// it, without the parts that belong to the dataset (history, timeline) or to the cursor.
public struct ComparedModel: Codable, Equatable, Sendable {
  public var checkpoint: String
  /// "pretrain" or "finetune".
  public var stage: String
  /// K of this model (it may differ from the first's).
  public var interestCount: Int
  public var trainingTemperature: Float
  /// The list this model recommends with: "timirec" (a finetuned checkpoint's mix) or
  /// "best-match" (a pretrain checkpoint: ComiRec's rule, no predictor).
  public var rule: String
  public var notes: [String]
  public var interests: [InterestSummary]
  public var diagnostics: DiagnosticsSummary?
  public var distributions: DistributionsSummary?
  public var recommendations: RecommendationsSummary?
  /// True when a what-if edit replaced the data's history: model 2 then ranks with the edited
  /// history too, as model 1 does.
  public var edited: Bool
  /// Model 2's own change against the data's history (`WhatIfSummary.compare` on its views of
  /// the data's and the edited history, the path model 1's `whatIf` takes); nil when not edited.
  public var whatIf: WhatIfSummary?

  init(_ view: ExplorerView) {
    checkpoint = view.checkpoint
    stage = view.stage
    interestCount = view.interestCount
    trainingTemperature = view.trainingTemperature
    rule = Stage(rawValue: view.stage) == .pretrain ? "best-match" : "timirec"
    notes = view.notes
    interests = view.interests
    diagnostics = view.diagnostics
    distributions = view.distributions
    recommendations = view.recommendations
    edited = view.edited
    whatIf = view.whatIf
  }
}

extension ExplorerView {
  /// The list a model recommends with and its true next item's rank: the TiMiRec mix for a
  /// finetuned checkpoint, the best match for a pretrain one.
  public static func ruleList(_ r: RecommendationsSummary, pretrain: Bool) -> (name: String, items: [ScoredItem], rank: Int?) {
    if !pretrain, let items = r.timirec { return ("TiMiRec", items, r.timirecTargetRank) }
    return ("best-match", r.bestMatch, r.bestMatchTargetRank)
  }

  /// This view with the second model's parts in place of the first's (its interests,
  /// distributions, lists, diagnostics, K and stage), so the panes draw it as they draw the
  /// first; nil without a comparison.
  public var comparedView: ExplorerView? {
    guard let c = compare else { return nil }
    var v = self
    v.checkpoint = c.checkpoint
    v.stage = c.stage
    v.interestCount = c.interestCount
    v.trainingTemperature = c.trainingTemperature
    v.notes = c.notes
    v.interests = c.interests
    v.diagnostics = c.diagnostics
    v.distributions = c.distributions
    v.recommendations = c.recommendations
    v.edited = c.edited
    v.whatIf = c.whatIf
    v.steps = nil
    v.compare = nil
    return v
  }
}

extension ViewBuilder {
  /// The view of `state` with, when a second model is loaded (`comparison`), its view of
  /// the same (user, step, T, mix) under `compare`. The second model's lists have no cursor;
  /// a what-if edit is the second model's too (its view carries its own `whatIf`).
  public func fullView(for state: ExplorerState) -> ExplorerView {
    var view = self.view(for: state)
    if let comparison {
      var other = state
      other.focus = .users
      other.selection = 0
      view.compare = ComparedModel(comparison.view(for: other))
    }
    return view
  }
}
