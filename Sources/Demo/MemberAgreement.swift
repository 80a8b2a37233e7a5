// The demo report: does q's top interest name the household member who watches next, and
// how does that compare with the best-matching-interest rule (ComiRec)?
//
// Interests are per household and per step, so "interest k serves member m" is learned per
// household from its training steps: at each training step the target is served by the
// interest the teacher picks, argmax_k cos(v_k, e_target) (= argmax p_T); interest k is
// mapped to the member whose targets it serves most often (ties: the lower member index;
// an interest that never serves falls back to the household's most frequent member).
// On the dev and test steps we then compare the true next member with
//   q rule:          member(argmax_k q_k)                         (TiMiRec's predictor)
//   best-match rule: member(k of the top-1 item of max_k ⟨v_k, e_i⟩, history excluded)
// plus two baselines that need no model: the household's most frequent member, and "the
// member who watched the previous item watches again". The rules (teacher cosines, best
// match, top item, argmax) are SeqRec's `Scoring`, the ones evaluation and the explorer use.

import SeqRec
import Tensor

/// Agreement of each rule with the true next member.
public struct MemberAgreementReport: Codable, Equatable, Sendable {
  public var households: Int
  /// Dev + test steps evaluated.
  public var steps: Int
  /// Training steps used for the interest → member maps.
  public var mappingSteps: Int
  /// Share of evaluated steps where the rule names the true next member.
  public var qTopInterest: Double?
  public var bestMatchTopItem: Double
  /// argmax p (uses the target itself: an upper reference, not a prediction).
  public var teacherOracle: Double
  public var previousMember: Double
  public var majorityMember: Double
  /// The category of the case study's runs (the demo's "cartoon").
  public var runCategory: String
  /// The same shares restricted to steps right after a run of ≥ 3 items of `runCategory`
  /// (the case study).
  public var afterRunSteps: Int
  public var afterRunQ: Double?
  public var afterRunBestMatch: Double
  /// Households whose interests at their test step include a collapsed pair (cosine ≥
  /// `InterestDiagnostics.collapseThreshold`), and the test steps looked at.
  public var collapsedAtTest: Int
  public var testSteps: Int

  /// A text table.
  public var text: String {
    func pct(_ x: Double?) -> String { x.map { fixedPoint(Float($0 * 100), digits: 1) + " %" } ?? "— (pretrain checkpoint)" }
    return """
      Who watches next? \(steps) dev+test steps of \(households) households (interest → member maps from \(mappingSteps) training steps)
        q's top interest (TiMiRec predictor)       \(pct(qTopInterest))
        best-matching interest of the top-1 item   \(pct(bestMatchTopItem))
        previous item's member watches again       \(pct(previousMember))
        household's most frequent member           \(pct(majorityMember))
        teacher argmax p (sees the target; oracle) \(pct(teacherOracle))
      Right after a run of ≥ 3 \(runCategory)s (\(afterRunSteps) steps):
        q's top interest                           \(pct(afterRunQ))
        best-matching interest of the top-1 item   \(pct(afterRunBestMatch))
      Households with a collapsed interest pair at their test step (cosine ≥ \(fixedPoint(InterestDiagnostics.collapseThreshold, digits: 2))):
        \(collapsedAtTest) of \(testSteps)                               \(pct(testSteps == 0 ? 0 : Double(collapsedAtTest) / Double(testSteps)))

      """
  }
}

public enum MemberAgreement {
  /// Computes the report over the generated demo.
  /// - Parameters:
  ///   - model: the checkpoint's model: interests v (B, K, D), and z^q (B, K) if it has them
  ///     (else the q shares are nil).
  ///   - corpus: the dataset's sequences (train steps map interests, dev and test are scored).
  ///   - catalog: item categories, for the runs (no catalog: no run steps).
  ///   - members: per user id, the 0-based member of each interaction in chronological order.
  ///   - runCategory: the category whose runs of ≥ 3 make the case study
  ///     (`HouseholdSimulator.runCategory` for the demo).
  ///   - batchSize: histories per forward pass.
  public static func report(model: any MultiInterestRecommender, corpus: SequenceCorpus, catalog: ItemCatalog?,
                            members: [[UInt8]], runCategory: String, batchSize: Int = 256) -> MemberAgreementReport {
    let k = model.interestCount, d = model.embeddingSize, n = model.itemCount
    let users = corpus.userCount
    let table = model.itemEmbeddings

    func member(_ position: Int, user: Int) -> Int { Int(members[user][position - corpus.sequenceOffsets[user]]) }

    // Per household: counts[u][k][m] over training steps, and member frequencies.
    var counts = [[[Int]]](repeating: [], count: users)
    var frequency = [[Int]](repeating: [], count: users)
    for u in 1..<min(users, members.count) {
      let size = Int(members[u].max() ?? 0) + 1
      counts[u] = Array(repeating: Array(repeating: 0, count: size), count: k)
      frequency[u] = Array(repeating: 0, count: size)
      for m in members[u] { frequency[u][Int(m)] += 1 }
    }

    struct Row { let user: Int; let position: Int }
    func batches(_ list: InstanceList) -> [[Row]] {
      let rows = (0..<list.count).map { Row(user: Int(list.users[$0]), position: Int(list.positions[$0])) }
      return stride(from: 0, to: rows.count, by: batchSize).map { Array(rows[$0..<min(rows.count, $0 + batchSize)]) }
    }
    func forward(_ rows: [Row], logits: Bool) -> (interests: [Float], logits: [Float]?) {
      let histories = rows.map { corpus.history(user: $0.user, position: $0.position) }
      let l = histories.map(\.count).max() ?? 1
      var flat = [Int32](repeating: 0, count: rows.count * l)
      for (b, h) in histories.enumerated() { for (j, item) in h.enumerated() { flat[b * l + j] = item } }
      let lengths = histories.map { Int32($0.count) }
      let v = model.interests(history: flat, lengths: lengths, batch: rows.count, length: l).interests  // (B, K, D)
      let z = logits ? model.interestLogits(history: flat, lengths: lengths, batch: rows.count, length: l)?.data : nil
      return (v.data, z)  // z (B, K)
    }
    /// argmax p_T = argmax_k cos(v_k, e_item) (eq. 5).
    func teacherArgmax(_ v: ArraySlice<Float>, item: Int) -> Int {
      Scoring.argmax(Scoring.teacherCosines(Array(v), item: table.data[(item * d)..<((item + 1) * d)])[...])
    }

    // 1. Interest → member maps from the training steps.
    var mappingSteps = 0
    for rows in batches(corpus.train) {
      let (v, _) = forward(rows, logits: false)
      for (b, row) in rows.enumerated() where row.user < members.count {
        let item = Int(corpus.sequenceItems[row.position])
        let kk = teacherArgmax(v[(b * k * d)..<((b + 1) * k * d)], item: item)
        counts[row.user][kk][member(row.position, user: row.user)] += 1
        mappingSteps += 1
      }
    }
    func majority(_ u: Int) -> Int { frequency[u].indices.max { frequency[u][$0] < frequency[u][$1] || (frequency[u][$0] == frequency[u][$1] && $0 > $1) } ?? 0 }
    func mapped(_ u: Int, _ kk: Int) -> Int {
      let c = counts[u][kk]
      guard let best = c.indices.max(by: { c[$0] < c[$1] || (c[$0] == c[$1] && $0 > $1) }), c[best] > 0 else { return majority(u) }
      return best
    }

    // 2. Dev and test steps.
    var steps = 0, hitQ = 0, hitBest = 0, hitTeacher = 0, hitPrevious = 0, hitMajority = 0
    var runSteps = 0, runQ = 0, runBest = 0
    var collapsed = 0, testSteps = 0
    let hasLogits = model.hasInterestLogits
    for (index, list) in [corpus.dev, corpus.test].enumerated() {
      for rows in batches(list) {
        let (v, z) = forward(rows, logits: true)
        let scores = GradMode.withoutGrad {
          Tensor(shape: [rows.count * k, d], data: v).matmul(table, transposeOther: true).data  // ⟨v_k, e_i⟩ (B·K, N)
        }
        for (b, row) in rows.enumerated() where row.user < members.count {
          let u = row.user
          if index == 1 {
            testSteps += 1
            if !InterestDiagnostics.collapsedPairs(v[(b * k * d)..<((b + 1) * k * d)], count: k).isEmpty { collapsed += 1 }
          }
          let truth = member(row.position, user: u)
          let start = corpus.sequenceOffsets[u]
          var excluded = Set<Int32>(corpus.sequenceItems[start..<row.position])
          excluded.insert(0)
          // The best match (eq. 2) of every item; its top item outside the history, and the
          // interest that scores it.
          let best = Scoring.bestMatch(Array(scores[(b * k * n)..<((b + 1) * k * n)]), interests: k)
          let top = best.scores.withUnsafeBufferPointer { Scoring.topIndices($0, count: 1) { excluded.contains(Int32($0)) } }
          let bestK = top.first.map { best.interest[$0] } ?? 0
          let item = Int(corpus.sequenceItems[row.position])
          let teacher = teacherArgmax(v[(b * k * d)..<((b + 1) * k * d)], item: item)
          var qMember = -1
          if let z { qMember = mapped(u, Scoring.argmax(z[(b * k)..<((b + 1) * k)])) }
          let bestMember = mapped(u, bestK)
          steps += 1
          if qMember == truth { hitQ += 1 }
          if bestMember == truth { hitBest += 1 }
          if mapped(u, teacher) == truth { hitTeacher += 1 }
          if member(row.position - 1, user: u) == truth { hitPrevious += 1 }
          if majority(u) == truth { hitMajority += 1 }
          // A run of ≥ 3 items of the run category just before t?
          var run = 0
          var p = row.position - 1
          while p >= start && catalog?.categoryLabels(Int(corpus.sequenceItems[p])).first == runCategory { run += 1; p -= 1 }
          if run >= 3 {
            runSteps += 1
            if qMember == truth { runQ += 1 }
            if bestMember == truth { runBest += 1 }
          }
        }
      }
    }
    func share(_ x: Int, _ total: Int) -> Double { total == 0 ? 0 : Double(x) / Double(total) }
    return MemberAgreementReport(
      households: members.count - 1, steps: steps, mappingSteps: mappingSteps,
      qTopInterest: hasLogits ? share(hitQ, steps) : nil, bestMatchTopItem: share(hitBest, steps),
      teacherOracle: share(hitTeacher, steps), previousMember: share(hitPrevious, steps),
      majorityMember: share(hitMajority, steps), runCategory: runCategory, afterRunSteps: runSteps,
      afterRunQ: hasLogits ? share(runQ, runSteps) : nil, afterRunBestMatch: share(runBest, runSteps),
      collapsedAtTest: collapsed, testSteps: testSteps)
  }
}

/// Fixed-point text of a finite number, half away from zero on `value · 10^digits`
/// (`fixedPoint(61.44, digits: 1)` = "61.4"), as the explorer's panes print numbers.
func fixedPoint(_ value: Float, digits: Int) -> String {
  var scale: Float = 1
  for _ in 0..<digits { scale *= 10 }
  let units = Int((abs(value) * scale).rounded())
  let whole = units / Int(scale), fraction = units % Int(scale)
  var text = String(whole)
  if digits > 0 {
    let f = String(fraction)
    text += "." + String(repeating: "0", count: digits - f.count) + f
  }
  return (value < 0 && units > 0 ? "-" : "") + text
}
