// The timeline strip: every step of the current user at a glance (the strongest mix interest,
// JS(q,p) and the true next item's rank), so a person sees where the model does well and
// where q and p disagree, then moves there with ←/→.
//
// All steps of a user come from batched forwards through the same `MultiInterestRecommender`
// calls and the same `Scoring` rules as `ViewBuilder.forward` (right-padded histories with
// their lengths, as in training), cached per user; the temperature only enters through JS,
// which is recomputed from the cached z^q and cosines.

import SeqRec
import Tensor

/// One step of the strip.
public struct StepPoint: Codable, Equatable, Sendable {
  /// t: the model reads the items before t, the item at t is the true next item.
  public var step: Int
  /// argmax_k softmax(z^q)_k (0-based): the interest the model mixes most at this step;
  /// nil for a pretrain checkpoint.
  public var strongestInterest: Int?
  /// JS(q_T, p_T) in bits at the view's T; nil for a pretrain checkpoint.
  public var jensenShannon: Float?
  /// The true next item's pessimistic rank in `StepTimeline.list` among the items not in
  /// the history (as the explorer ranks); nil when the item is in the history.
  public var rank: Int?
  /// Items ranked at this step (N − 1 − distinct history items).
  public var rankedCount: Int
}

/// The strip over the steps t = 1…n_u − 1 of the current user (the steps with a history and
/// a true next item).
public struct StepTimeline: Codable, Equatable, Sendable {
  /// The list whose rank `StepPoint.rank` is: "timirec" (the model's mix softmax(z^q), as the
  /// model scores; the `m` key does not change it) or "best-match" (a pretrain checkpoint).
  public var list: String
  public var points: [StepPoint]
}

/// The temperature-free part of a user's strip, cached per user. Mutable, owned by one
/// `ViewBuilder` and used only on the thread that calls it, like its forward cache (the
/// builder is not shared between threads).
final class StepTimelineCache {
  struct Step {
    let logits: [Float]?
    /// cos(v_k, e_target) (K).
    let cosines: [Float]
    let rank: Int?
    let rankedCount: Int
  }
  var user = -1
  var steps: [Step] = []
}

extension ViewBuilder {
  /// The most floats of per-interest scores (B·K, N) one batched forward of the strip holds:
  /// 8 M (32 MB); a user with more steps takes several forwards.
  static let stepScoreBudget = 8 << 20

  /// The strip of `user` at temperature T; nil while it is deferred (`defersTimeline`) and
  /// not computed yet.
  func stepTimeline(user: Int, temperature: Float) -> StepTimeline? {
    if defersTimeline && stepCache.user != user { return nil }
    let steps = timelineSteps(user: user)
    let points = steps.enumerated().map { index, s in
      let q = s.logits.map { Scoring.softmax($0, temperature: temperature) }
      return StepPoint(step: index + 1, strongestInterest: s.logits.map { Scoring.argmax($0[...]) },
                       jensenShannon: q.map { InterestMath.jensenShannon($0, Scoring.softmax(s.cosines, temperature: temperature)) },
                       rank: s.rank, rankedCount: s.rankedCount)
    }
    return StepTimeline(list: session.hasPredictor ? "timirec" : "best-match", points: points)
  }

  /// True when the view of `state` waits for its user's strip (`defersTimeline`).
  public func timelinePending(for state: ExplorerState) -> Bool {
    defersTimeline && stepCache.user != session.users[state.userIndex]
  }

  /// Computes (and caches) the strip of `state`'s user, so the next view has it.
  public func fillTimeline(for state: ExplorerState) {
    _ = timelineSteps(user: session.users[state.userIndex])
  }

  /// Steps t = 1…n_u − 1 of `user` (cached): batched forwards, then per step the ranks and
  /// cosines by `Scoring`, the history S(u, t) excluded as in `forward(user:step:)`.
  func timelineSteps(user: Int) -> [StepTimelineCache.Step] {
    let cache = stepCache
    if cache.user == user { return cache.steps }
    let model = session.model, corpus = session.corpus
    let k = model.interestCount, d = model.embeddingSize, n = model.itemCount
    let start = corpus.sequenceOffsets[user]
    let length = corpus.sequenceOffsets[user + 1] - start
    let targets = Array(1..<max(1, length))  // t with a history and a target
    var excluded = [Bool](repeating: false, count: n)
    excluded[0] = true
    var excludedCount = 0
    var added = 0  // positions start..<start+added are in `excluded`
    var out: [StepTimelineCache.Step] = []
    out.reserveCapacity(targets.count)
    let chunk = max(1, Self.stepScoreBudget / max(1, k * n))
    let table = model.itemEmbeddings
    for first in stride(from: 0, to: targets.count, by: chunk) {
      let steps = targets[first..<min(targets.count, first + chunk)]
      let b = steps.count
      let windows = steps.map { Array(corpus.history(user: user, position: start + $0)) }
      let l = windows.map(\.count).max() ?? 1
      var history = [Int32](repeating: 0, count: b * l)  // (B, L) right-padded with 0
      for (row, w) in windows.enumerated() { history.replaceSubrange((row * l)..<(row * l + w.count), with: w) }
      let lengths = windows.map { Int32($0.count) }
      let (v, logits, scores): ([Float], [Float]?, [Float]) = GradMode.withoutGrad {
        let out = model.interests(history: history, lengths: lengths, batch: b, length: l)
        let z = model.interestLogits(history: history, lengths: lengths, batch: b, length: l)?.data  // (B, K)
        let v = out.interests.reshape([b * k, d])  // (B·K, D)
        return (v.data, z, v.matmul(table, transposeOther: true).data)  // scores (B·K, N)
      }
      for (row, t) in steps.enumerated() {
        while added < t {
          let item = Int(corpus.sequenceItems[start + added])
          if !excluded[item] { excluded[item] = true; excludedCount += 1 }
          added += 1
        }
        let target = Int(corpus.sequenceItems[start + t])
        let block = Array(scores[(row * k * n)..<((row + 1) * k * n)])  // (K, N)
        let z = logits.map { Array($0[(row * k)..<((row + 1) * k)]) }
        let values = z.map { Scoring.mixedScores(block, weights: Scoring.softmax($0)) }
          ?? Scoring.bestMatch(block, interests: k).scores
        var rank: Int? = nil
        if !excluded[target] {
          rank = values.withUnsafeBufferPointer { s in Scoring.rank(of: target, in: s) { excluded[$0] } }
        }
        let interests = Array(v[(row * k * d)..<((row + 1) * k * d)])
        let cosines = Scoring.teacherCosines(interests, item: table.data[(target * d)..<((target + 1) * d)])
        out.append(.init(logits: z, cosines: cosines, rank: rank, rankedCount: n - 1 - excludedCount))
      }
    }
    cache.user = user
    cache.steps = out
    return out
  }
}
