import SeqRec
import Tensor

/// Turns an `ExplorerState` into an `ExplorerView` by running the SeqRec model forward.
///
/// Everything model-side comes from SeqRec through `MultiInterestRecommender`: the
/// interests v (K, D) and attention (K, L), the logits z^q (K), the item table E (N, D), and
/// the scores ⟨v_k, e_i⟩ as one BLAS product V·Eᵀ (K, N). From those, with the rules of
/// `Scoring` (the ones evaluation and the demo report use):
/// ```
/// nearest_k   = top-5_i ⟨v_k, e_i⟩                       (i ≥ 1)
/// q_T         = softmax(z^q / T)                          (eq. 6)
/// p_T         = softmax(cos(v_k, e_target) / T)           (eqs. 5, 7)
/// TiMiRec_i   = ⟨Σ_k w_k v_k, e_i⟩ = Σ_k w_k ⟨v_k, e_i⟩,  w = softmax(z^q)   (eq. 4; or
///               softmax(z^q / T) when the mix is tempered)
/// bestMatch_i = max_k ⟨v_k, e_i⟩                          (eq. 2, ComiRec)
/// ```
/// Both lists skip the padding row and every item of the history S(u, t).
///
/// A what-if edit (`ExplorerState.historyEdit`) replaces S(u, t) by the edited history and
/// goes through the same forward and scoring: the model reads its last `historyMax` items, the
/// lists skip all of its items; the view also carries the change against the data's history
/// (`WhatIfSummary`).
///
/// The last forward pass on the data's history and the last on an edited one are cached, so
/// changing T, the mix or the selection costs only the cheap parts, and an edit one forward.
/// The result is a pure function of (session, state).
public final class ViewBuilder {
  public let session: ExplorerSession
  /// Items per recommendation list in the view.
  public var listLength: Int
  /// Nearest items per interest.
  public var nearestCount = 5

  /// The last forward pass on the data's history (index 0) and on an edited one (index 1).
  private var cached: [Forward?] = [nil, nil]
  /// The current user's timeline strip, temperature-free (StepTimeline.swift).
  let stepCache = StepTimelineCache()
  /// When true, a view of a user whose strip is not cached has `steps` nil; the interactive
  /// loop fills it in when no key is waiting (`fillTimeline`), so a key never waits for it.
  public var defersTimeline = false
  /// The second model of `explore --compare` (Comparison.swift: `fullView(for:)`). Its
  /// timeline strip is never shown, so it never computes one.
  public var comparison: ViewBuilder? { didSet { comparison?.defersTimeline = true } }
  /// The lists that depend only on (user, step, history): interests, best-match and the
  /// model-mix list, in the same two slots as `cached`.
  private var cachedLists: [(user: Int, step: Int, history: [Int32]?, interests: [InterestSummary],
                             bestMatch: ([ScoredItem], Int?), modelMix: ([ScoredItem], Int?)?)?] = [nil, nil]

  /// The note a view carries when one of its numbers is NaN or ±inf.
  public static let nonFiniteNote = "the model gave a value that is not a finite number"

  public init(session: ExplorerSession, listLength: Int = 20) {
    self.session = session
    self.listLength = listLength
  }

  /// The model's outputs for one (user, step).
  struct Forward {
    let user: Int
    let step: Int
    /// The edited history, nil for the data's S(u, t).
    let history: [Int32]?
    /// The window: the last ≤ historyMax items of the history, oldest first, (L).
    let window: [Int32]
    /// Index of the window's first item in the history.
    let windowStart: Int
    /// v (K, D) row-major.
    let interests: [Float]
    /// a (K, L) row-major.
    let attention: [Float]
    /// z^q (K); nil for a pretrain checkpoint.
    let logits: [Float]?
    /// ⟨v_k, e_i⟩ (K, N) row-major.
    let scores: [Float]
    /// True for every item of S(u, t) and for the padding row, (N).
    let excluded: [Bool]
    let excludedCount: Int
  }

  /// Runs (or reuses) the model forward for `user` at step `step` on the data's history
  /// S(u, t) (t ≥ 1), or on `edited` (non-empty) in its place.
  func forward(user: Int, step t: Int, history edited: [Int32]? = nil) -> Forward {
    let slot = edited == nil ? 0 : 1
    if let hit = cached[slot], hit.user == user, hit.step == t, hit.history == edited { return hit }
    let model = session.model
    let corpus = session.corpus
    let k = model.interestCount, d = model.embeddingSize
    let start = corpus.sequenceOffsets[user]
    // The model's window rule (`SequenceCorpus.history`): the last historyMax items.
    let history: ArraySlice<Int32> = edited.map { $0[...] } ?? corpus.sequenceItems[start..<(start + t)]
    let window = Array(edited.map { $0.suffix(model.historyMax) } ?? corpus.history(user: user, position: start + t))  // (L)
    let l = window.count
    let result: Forward = GradMode.withoutGrad {
      let out = model.interests(history: window, lengths: [Int32(l)], batch: 1, length: l)
      let logits = model.interestLogits(history: window, lengths: [Int32(l)], batch: 1, length: l)?.data  // (1, K)
      let v = out.interests.reshape([k, d])  // (K, D)
      let scores = v.matmul(model.itemEmbeddings, transposeOther: true)  // (K, N)
      var excluded = [Bool](repeating: false, count: model.itemCount)
      excluded[0] = true
      var count = 0
      for item in history where !excluded[Int(item)] { excluded[Int(item)] = true; count += 1 }
      return Forward(user: user, step: t, history: edited, window: window, windowStart: history.count - l,
                     interests: v.data, attention: out.attention.data, logits: logits, scores: scores.data,
                     excluded: excluded, excludedCount: count)
    }
    cached[slot] = result
    return result
  }

  /// The view of `state`: of the data's history, or of the state's what-if edit with its
  /// change against the data's history.
  public func view(for state: ExplorerState) -> ExplorerView {
    guard let edit = state.historyEdit, edit.userIndex == state.userIndex, edit.step == state.step else {
      return view(for: state, history: nil)
    }
    let data = view(for: state, history: nil)
    var edited = view(for: state, history: edit.items)
    let user = session.users[state.userIndex]
    let start = session.corpus.sequenceOffsets[user]
    let dataItems = Array(session.corpus.sequenceItems[start..<(start + min(max(state.step, 0), data.sequenceLength))])
    let summary = WhatIfSummary.compare(edited: edited, data: data, items: edit.items, dataItems: dataItems,
                                        edits: edit.undoStack.count, label: session.label)
    edited.whatIf = summary
    let dropped = summary.dropped.count, inserted = summary.inserted.count
    edited.notes.append("history edited (\(edit.items.count) items for the data's \(dataItems.count): \(dropped) dropped, \(inserted) inserted); both lists exclude the edited history, so a dropped item may be recommended again (↺)")
    return edited
  }

  /// The view of `state` with `edited` in place of the data's history S(u, t) (nil: the data's).
  func view(for state: ExplorerState, history edited: [Int32]?) -> ExplorerView {
    let session = self.session
    let model = session.model
    let k = model.interestCount
    let n = model.itemCount
    let user = session.users[state.userIndex]
    let sequence = session.corpus.userSequence(user)
    let length = sequence.items.count
    let t = min(max(state.step, 0), length)
    // m: the history's length (t for the data's S(u, t)).
    let m = edited?.count ?? t
    let windowStart = m - min(m, model.historyMax)
    let target: ItemLabel? = t < length ? session.label(Int(sequence.items[t])) : nil
    var notes: [String] = []

    var view = ExplorerView(
      dataset: session.dataset.name, checkpoint: session.checkpointPath, stage: session.checkpoint.stageLabel,
      interestCount: k, itemCount: n, userCount: session.users.count, user: user,
      sequenceLength: length, step: t, historyLength: m, windowStart: windowStart,
      temperature: state.temperature, trainingTemperature: session.trainingTemperature,
      target: target, targetSplit: t < length ? splitName(sequence.splits[t]) : nil,
      timeline: [], notes: [], interests: [], distributions: nil, recommendations: nil, edited: edited != nil)
    // The strip is over the data's steps (an edit changes one step's history only).
    view.steps = stepTimeline(user: user, temperature: state.temperature)

    var timeline: [TimelineEntry] = []
    timeline.reserveCapacity(length + m - t)
    if let edited {
      // The edited history, numbered by its own places; an item not (or not as often) in the
      // data's S(u, t) is marked inserted.
      var left: [Int32: Int] = [:]
      for item in sequence.items[0..<t] { left[item, default: 0] += 1 }
      for (place, item) in edited.enumerated() {
        let fromData = (left[item] ?? 0) > 0
        if fromData { left[item]! -= 1 }
        let split = fromData ? sequence.items[0..<t].lastIndex(of: item).map { splitName(sequence.splits[$0]) } ?? "train" : "inserted"
        timeline.append(TimelineEntry(position: place, item: session.label(Int(item)), split: split,
                                      role: place < windowStart ? .history : .window, strongestInterest: nil,
                                      strongestWeight: nil, inserted: fromData ? nil : true))
      }
    }
    for position in (edited == nil ? 0 : t)..<length {
      let role: TimelineRole = position == t ? .target : position > t ? .future : position < windowStart ? .history : .window
      timeline.append(TimelineEntry(position: position, item: session.label(Int(sequence.items[position])),
                                    split: splitName(sequence.splits[position]), role: role,
                                    strongestInterest: nil, strongestWeight: nil))
    }

    if !session.hasPredictor {
      notes.append("pretrain checkpoint: no predictor, so no q and no TiMiRec mix; q needs a finetuned checkpoint")
    }
    guard m > 0 else {
      notes.append(edited == nil
        ? "step 0: the history is empty, so there is nothing to extract yet; press → to give the model its first item"
        : "the edited history is empty, so there is nothing to extract; i inserts an item, u undoes")
      view.timeline = timeline
      view.notes = notes
      return view
    }
    if target == nil {
      notes.append("after the last item: no target, so no p (the lists are what the model would suggest next)")
    }

    let f = forward(user: user, step: t, history: edited)
    let l = f.window.count
    let d = model.embeddingSize
    let table = model.itemEmbeddings

    // Which interest reads each window slot most.
    for j in 0..<l {
      var best = 0
      for kk in 1..<k where f.attention[kk * l + j] > f.attention[best * l + j] { best = kk }
      // The timeline begins with the history, so place j of the window is entry windowStart + j.
      timeline[f.windowStart + j].strongestInterest = best
      timeline[f.windowStart + j].strongestWeight = f.attention[best * l + j]
    }

    view.diagnostics = DiagnosticsSummary(interests: f.interests, attention: f.attention, count: k)
    let lists = self.lists(f, target: target?.id)
    let interests = lists.interests
    // Distributions at T.
    let temperature = state.temperature
    var distributions = DistributionsSummary(logits: f.logits, q: nil, cosines: nil, p: nil, jensenShannon: nil,
                                             modelMix: nil)
    if let z = f.logits {
      distributions.q = Scoring.softmax(z, temperature: temperature)
      distributions.modelMix = Scoring.softmax(z)
    }
    if let target {
      let cos = teacherCosines(f, item: target.id, k: k, d: d, table: table)
      distributions.cosines = cos
      distributions.p = Scoring.softmax(cos, temperature: temperature)
    }
    if let q = distributions.q, let p = distributions.p {
      distributions.jensenShannon = InterestMath.jensenShannon(q, p)
    }

    // Recommendations.
    var mixWeights: [Float]? = nil
    if let z = f.logits {
      mixWeights = state.mix == .tempered ? Scoring.softmax(z, temperature: temperature) : distributions.modelMix
    }
    let targetInHistory = target.map { f.excluded[$0.id] } ?? false
    let (bestList, bestRank) = lists.bestMatch
    var recommendations = RecommendationsSummary(
      mix: state.mix, mixWeights: mixWeights, timirec: nil, bestMatch: bestList, timirecTargetRank: nil,
      bestMatchTargetRank: bestRank, excludedCount: f.excludedCount, targetInHistory: targetInHistory,
      rankedCount: n - 1 - f.excludedCount, selected: nil, timirecTargetRow: nil, bestMatchTargetRow: nil)
    if let w = mixWeights {
      let (items, rank) = state.mix == .model && lists.modelMix != nil ? lists.modelMix!
        : rankedList(Scoring.mixedScores(f.scores, weights: w), f: f, target: target?.id, interestOf: nil)
      recommendations.timirec = items
      recommendations.timirecTargetRank = rank
      recommendations.timirecTargetRow = items.firstIndex { $0.isTarget }
    }
    recommendations.bestMatchTargetRow = bestList.firstIndex { $0.isTarget }
    if targetInHistory {
      notes.append("the target is already in the history, so it is excluded from both lists and has no rank")
    }

    // The selected recommendation and its own p.
    let focusedList: [ScoredItem]? = state.focus == .timirec ? recommendations.timirec
      : state.focus == .bestMatch ? recommendations.bestMatch : nil
    if let items = focusedList, !items.isEmpty {
      let row = min(max(state.selection, 0), items.count - 1)
      let item = items[row].item
      let p = Scoring.softmax(teacherCosines(f, item: item.id, k: k, d: d, table: table), temperature: temperature)
      let strongest = p.indices.max { p[$0] < p[$1] } ?? 0
      let interestScores = (0..<k).map { f.scores[$0 * n + item.id] }
      let scoring = Scoring.bestMatch(interestScores, interests: k).interest[0]
      let contributions = mixWeights.map { Scoring.interestContributions(f.scores, weights: $0, item: item.id) }
      recommendations.selected = SelectedItem(item: item, list: state.focus == .timirec ? "timirec" : "best-match",
                                              row: row, p: p, interest: strongest, scoringInterest: scoring,
                                              interestScores: interestScores, contributions: contributions,
                                              mixedScore: contributions.map { $0.reduce(0, +) })
    }

    // Never a number that is not one (docs/EXPLORER.md, "Rules"): say so where one arose.
    let shown: [Float] = (distributions.q ?? []) + (distributions.p ?? []) + (mixWeights ?? [])
      + (recommendations.timirec ?? []).map(\.score) + recommendations.bestMatch.map(\.score)
      + (recommendations.selected?.contributions ?? [])
    if shown.contains(where: { !$0.isFinite }) {
      notes.append(Self.nonFiniteNote + " at this step; it shows as —")
    }
    view.timeline = timeline
    view.notes = notes
    view.interests = interests
    view.distributions = distributions
    view.recommendations = recommendations
    return view
  }

  /// Top-N of `scores` without the history, and the target's pessimistic rank.
  private func rankedList(_ scores: [Float], f: Forward, target: Int?, interestOf: [Int]?) -> ([ScoredItem], Int?) {
    let session = self.session
    let excluded = f.excluded
    return scores.withUnsafeBufferPointer { s in
      let top = Scoring.topIndices(s, count: listLength) { excluded[$0] }
      let items = top.map {
        ScoredItem(item: session.label($0), score: s[$0], interest: interestOf?[$0], isTarget: $0 == target)
      }
      var rank: Int? = nil
      if let target, !excluded[target] { rank = Scoring.rank(of: target, in: s) { excluded[$0] } }
      return (items, rank)
    }
  }

  /// The parts of the view that depend only on (user, step), computed once per forward pass.
  private func lists(_ f: Forward, target: Int?)
    -> (interests: [InterestSummary], bestMatch: ([ScoredItem], Int?), modelMix: ([ScoredItem], Int?)?) {
    let slot = f.history == nil ? 0 : 1
    if let c = cachedLists[slot], c.user == f.user, c.step == f.step, c.history == f.history {
      return (c.interests, c.bestMatch, c.modelMix)
    }
    let session = self.session
    let model = session.model
    let k = model.interestCount, n = model.itemCount, d = model.embeddingSize
    let l = f.window.count
    // Interests: nearest items, attention; labels once all are known (they must differ).
    var interests: [InterestSummary] = []
    var nearestLabels: [[[String]]] = []
    f.scores.withUnsafeBufferPointer { all in
      for kk in 0..<k {
        let row = UnsafeBufferPointer(rebasing: all[(kk * n)..<((kk + 1) * n)])
        let top = Scoring.topIndices(row, count: nearestCount) { $0 == 0 }
        let nearest = top.map { ScoredItem(item: session.label($0), score: row[$0], interest: kk, isTarget: false) }
        nearestLabels.append(top.map { session.categories($0) })
        var attention = (0..<l).map {
          AttentionEntry(position: f.windowStart + $0, item: session.label(Int(f.window[$0])), weight: f.attention[kk * l + $0])
        }
        attention.sort { $0.weight > $1.weight || ($0.weight == $1.weight && $0.position > $1.position) }
        var norm: Float = 0
        for j in 0..<d { norm += f.interests[kk * d + j] * f.interests[kk * d + j] }
        interests.append(InterestSummary(index: kk, label: "", nearest: nearest, attention: attention, norm: norm.squareRoot()))
      }
    }
    let labels = InterestLabels.labels(nearest: nearestLabels, topTitles: interests.map { $0.nearest.first?.item.title ?? "" },
                                       structure: session.categoryStructure)
    for kk in 0..<k { interests[kk].label = labels[kk] }

    // Best-matching interest per item (ComiRec) and the model's own mix (no temperature).
    let (bestScores, bestInterest) = Scoring.bestMatch(f.scores, interests: k)
    let best = rankedList(bestScores, f: f, target: target, interestOf: bestInterest)
    let modelMix = f.logits.map {
      rankedList(Scoring.mixedScores(f.scores, weights: Scoring.softmax($0)), f: f, target: target, interestOf: nil)
    }
    cachedLists[slot] = (f.user, f.step, f.history, interests, best, modelMix)
    return (interests, best, modelMix)
  }

  /// cos(v_k, e_item) for every k (the teacher, eq. 5), (K).
  private func teacherCosines(_ f: Forward, item: Int, k: Int, d: Int, table: Tensor) -> [Float] {
    Scoring.teacherCosines(f.interests, item: table.data[(item * d)..<((item + 1) * d)])
  }

}

/// "train", "dev" or "test".
func splitName(_ split: Split) -> String {
  switch split {
  case .train: return "train"
  case .dev: return "dev"
  case .test: return "test"
  }
}
