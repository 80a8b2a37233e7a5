// What the explorer shows for one state: a plain value, computed by `ViewBuilder` from an
// `ExplorerState` and an `ExplorerSession`, drawn by `Screen/` and printed by
// `timirec explore --snapshot` (text) or `--snapshot --json` (this struct, encoded).
//
// Shape letters: K interests, L history window, N item-table rows.

/// An item with what the screen prints for it.
public struct ItemLabel: Codable, Equatable, Sendable {
  /// Item id (1-based; 0 is padding).
  public var id: Int
  /// Title from items.tsv, or "item <id>" when there is none.
  public var title: String
  /// The category labels from items.tsv as written there, `|`-joined ("Action|Thriller",
  /// "cartoon|preschool"), or "" when there are none.
  public var category: String
}

/// Where an entry of the user's sequence stands relative to the step t.
public enum TimelineRole: String, Codable, Sendable {
  /// Before t but older than the model's window (history, not seen by the model).
  case history
  /// In the window: the last `historyMax` items before t, which the model reads.
  case window
  /// The item at t: the target.
  case target
  /// After t.
  case future
}

/// One row of the history timeline.
public struct TimelineEntry: Codable, Equatable, Sendable {
  /// 0-based position in the user's sequence.
  public var position: Int
  public var item: ItemLabel
  /// "train", "dev" or "test".
  public var split: String
  public var role: TimelineRole
  /// For window entries: the interest (0-based) that gives this slot the largest attention
  /// weight, and that weight; nil elsewhere.
  public var strongestInterest: Int?
  public var strongestWeight: Float?
  /// In an edited history: true for an item the edit put in (its split is "inserted"); nil
  /// otherwise. Entries before the target are then numbered by their place in the edited history.
  public var inserted: Bool? = nil
}

/// An item with a score.
public struct ScoredItem: Codable, Equatable, Sendable {
  public var item: ItemLabel
  public var score: Float
  /// For the best-matching list: the interest (0-based) that gives this item its score.
  public var interest: Int?
  /// True when this is the target (the true next item).
  public var isTarget: Bool
}

/// A history item with its attention weight in one interest.
public struct AttentionEntry: Codable, Equatable, Sendable {
  /// 0-based position in the user's sequence.
  public var position: Int
  public var item: ItemLabel
  /// Attention weight a_kj (the weights of one interest sum to 1 over the window).
  public var weight: Float
}

/// One of the K interests.
public struct InterestSummary: Codable, Equatable, Sendable {
  /// 0-based interest index k (shown as k + 1).
  public var index: Int
  /// Dominant category of the nearest items (docs/EXPLORER.md, "Interest labels"), made
  /// distinct from the other interests' labels; "" without categories.
  public var label: String
  /// The 5 items with the largest ⟨v_k, e_i⟩ (padding row excluded), best first.
  public var nearest: [ScoredItem]
  /// Attention weights over the window, heaviest first (every window slot).
  public var attention: [AttentionEntry]
  /// ‖v_k‖.
  public var norm: Float
}

/// The interest distributions at temperature T.
public struct DistributionsSummary: Codable, Equatable, Sendable {
  /// The predictor's logits z^q (K); nil for a pretrain checkpoint.
  public var logits: [Float]?
  /// q_T = softmax(z^q / T) (K); nil for a pretrain checkpoint.
  public var q: [Float]?
  /// cos(v_k, e_target) (K); nil without a target.
  public var cosines: [Float]?
  /// p_T = softmax(cos(v_k, e_target) / T) (K); nil without a target.
  public var p: [Float]?
  /// JS(q_T, p_T) in bits; nil unless both exist.
  public var jensenShannon: Float?
  /// w = softmax(z^q) (K), no temperature: the weights that rank the TiMiRec list (eq. 4)
  /// unless the mix is tempered (then `RecommendationsSummary.mixWeights` is softmax(z^q/T));
  /// nil for a pretrain checkpoint.
  public var modelMix: [Float]?
}

/// Which weights mix the interests into the TiMiRec recommendation.
public enum MixMode: String, Codable, Sendable {
  /// softmax(z^q), exactly as the model scores at inference (eq. 4).
  case model
  /// softmax(z^q / T): "what if the mix were sharper/flatter".
  case tempered
}

/// The item the cursor is on in a recommendation list, with its own p.
public struct SelectedItem: Codable, Equatable, Sendable {
  public var item: ItemLabel
  /// "timirec" or "best-match".
  public var list: String
  /// 0-based row in that list.
  public var row: Int
  /// softmax(cos(v_k, e_item) / T) (K): the teacher's p for this item.
  public var p: [Float]
  /// argmax of p: the interest nearest the item by cosine.
  public var interest: Int
  /// argmax_k ⟨v_k, e_item⟩: the interest that gives the item its best-match score (the
  /// `iK` of the best-match list). It can differ from `interest`: dot products grow with
  /// ‖v_k‖, cosines do not.
  public var scoringInterest: Int
  /// ⟨v_k, e_item⟩ (K): the item's score under each interest.
  public var interestScores: [Float]
  /// w_k·⟨v_k, e_item⟩ (K) with the weights in use (`RecommendationsSummary.mixWeights`): the
  /// item's TiMiRec score split by interest (they sum to it); nil for a pretrain checkpoint.
  public var contributions: [Float]?
  /// The item's TiMiRec score Σ_k contributions_k; nil for a pretrain checkpoint.
  public var mixedScore: Float?
}

/// The two recommendation lists.
public struct RecommendationsSummary: Codable, Equatable, Sendable {
  /// How the TiMiRec list mixes interests.
  public var mix: MixMode
  /// The mixing weights used for the TiMiRec list (K); nil for a pretrain checkpoint.
  public var mixWeights: [Float]?
  /// Top-N by ⟨Σ_k w_k v_k, e_i⟩; nil for a pretrain checkpoint.
  public var timirec: [ScoredItem]?
  /// Top-N by max_k ⟨v_k, e_i⟩ (ComiRec's best-matching interest).
  public var bestMatch: [ScoredItem]
  /// Pessimistic rank of the target among all non-excluded items (nil: no target, target in
  /// the history, or no TiMiRec list).
  public var timirecTargetRank: Int?
  public var bestMatchTargetRank: Int?
  /// Distinct history items excluded from both lists.
  public var excludedCount: Int
  /// True when the target itself is a history item (so it cannot be ranked).
  public var targetInHistory: Bool
  /// Items ranked in each list (N − 1 − excluded).
  public var rankedCount: Int
  public var selected: SelectedItem?
  /// 0-based row of the target in each list, nil when it is not among the listed rows (the
  /// `t` key jumps there).
  public var timirecTargetRow: Int?
  public var bestMatchTargetRow: Int?
}

/// The whole view for one (user, step, temperature, mix, selection).
public struct ExplorerView: Codable, Equatable, Sendable {
  public var dataset: String
  public var checkpoint: String
  /// "pretrain" or "finetune".
  public var stage: String
  public var interestCount: Int
  public var itemCount: Int
  public var userCount: Int
  public var user: Int
  /// n_u, the length of the user's whole sequence.
  public var sequenceLength: Int
  /// t: the target is the item at position t; t = n_u means "after the last item".
  public var step: Int
  public var historyLength: Int
  /// First position of the window (t − min(t, historyMax)).
  public var windowStart: Int
  public var temperature: Float
  public var trainingTemperature: Float
  public var target: ItemLabel?
  public var targetSplit: String?
  public var timeline: [TimelineEntry]
  /// Notes for the person: empty history, no predictor, no target.
  public var notes: [String]
  /// Empty when the history is empty.
  public var interests: [InterestSummary]
  public var distributions: DistributionsSummary?
  public var recommendations: RecommendationsSummary?
  /// Collapse and attention spread of the interests (Diagnostics.swift); nil when the history
  /// is empty.
  public var diagnostics: DiagnosticsSummary? = nil
  /// The strip over all the user's steps (StepTimeline.swift).
  public var steps: StepTimeline? = nil
  /// The second model of `explore --compare` (Comparison.swift); nil without one.
  public var compare: ComparedModel? = nil
  /// True when a what-if edit replaced the data's history (`historyLength` is then the edited
  /// history's length).
  public var edited = false
  /// The change against the data's history (WhatIf.swift); nil when not edited.
  public var whatIf: WhatIfSummary? = nil
}
