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
// member who watched the previous item watches again".

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
  /// The same shares restricted to steps right after a run of ≥ 3 cartoons (the case study).
  public var afterCartoonRunSteps: Int
  public var afterCartoonRunQ: Double?
  public var afterCartoonRunBestMatch: Double
  /// Households whose interests at their test step include a collapsed pair (cosine ≥
  /// `InterestDiagnostics.collapseThreshold`), and the test steps looked at.
  public var collapsedAtTest: Int
  public var testSteps: Int

  /// A text table.
  public var text: String {
    func pct(_ x: Double?) -> String { x.map { format(Float($0 * 100), 1) + " %" } ?? "— (pretrain checkpoint)" }
    return """
      Who watches next? \(steps) dev+test steps of \(households) households (interest → member maps from \(mappingSteps) training steps)
        q's top interest (TiMiRec predictor)       \(pct(qTopInterest))
        best-matching interest of the top-1 item   \(pct(bestMatchTopItem))
        previous item's member watches again       \(pct(previousMember))
        household's most frequent member           \(pct(majorityMember))
        teacher argmax p (sees the target; oracle) \(pct(teacherOracle))
      Right after a run of ≥ 3 cartoons (\(afterCartoonRunSteps) steps):
        q's top interest                           \(pct(afterCartoonRunQ))
        best-matching interest of the top-1 item   \(pct(afterCartoonRunBestMatch))
      Households with a collapsed interest pair at their test step (cosine ≥ \(format(InterestDiagnostics.collapseThreshold, 2))):
        \(collapsedAtTest) of \(testSteps)                               \(pct(testSteps == 0 ? 0 : Double(collapsedAtTest) / Double(testSteps)))

      """
  }
}

public enum MemberAgreement {
  /// Computes the report for a session over the generated demo.
  /// - Parameters:
  ///   - members: per user id, the 0-based member of each interaction in chronological order.
  public static func report(session: ExplorerSession, members: [[UInt8]], batchSize: Int = 256) -> MemberAgreementReport {
    let corpus = session.corpus
    let model = session.model
    let k = model.config.interestCount, d = model.config.embeddingSize, n = model.config.itemCount
    let users = corpus.userCount
    let table = model.extractor.itemEmbeddings
    let catalog = session.dataset.catalog

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
    func forward(_ rows: [Row], predictor: Bool) -> (interests: [Float], logits: [Float]?) {
      let histories = rows.map { corpus.history(user: $0.user, position: $0.position) }
      let l = histories.map(\.count).max() ?? 1
      var flat = [Int32](repeating: 0, count: rows.count * l)
      for (b, h) in histories.enumerated() { for (j, item) in h.enumerated() { flat[b * l + j] = item } }
      let lengths = histories.map { Int32($0.count) }
      return GradMode.withoutGrad {
        let v = model.extractor(history: flat, lengths: lengths, batch: rows.count, length: l).interests  // (B, K, D)
        var z: [Float]? = nil
        if predictor, let p = model.predictor {
          var unused = RNG(seed: 0)
          z = p(history: flat, lengths: lengths, batch: rows.count, length: l, training: false, rng: &unused).data
        }
        return (v.data, z)
      }
    }
    func teacherArgmax(_ v: ArraySlice<Float>, item: Int) -> Int {
      let cos = GradMode.withoutGrad {
        Tensor.cosineSimilarity(Tensor(shape: [k, d], data: Array(v)),
                                Tensor(shape: [1, d], data: Array(table.data[(item * d)..<((item + 1) * d)])), axis: -1).data
      }
      return cos.indices.max { cos[$0] < cos[$1] } ?? 0
    }

    // 1. Interest → member maps from the training steps.
    var mappingSteps = 0
    for rows in batches(corpus.train) {
      let (v, _) = forward(rows, predictor: false)
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
    let hasPredictor = model.predictor != nil
    for (index, list) in [corpus.dev, corpus.test].enumerated() {
      for rows in batches(list) {
        let (v, z) = forward(rows, predictor: true)
        let scores = GradMode.withoutGrad {
          Tensor(shape: [rows.count * k, d], data: v).matmul(table, transposeOther: true).data  // (B·K, N)
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
          var bestK = 0, bestScore = -Float.infinity
          for kk in 0..<k {
            let base = (b * k + kk) * n
            for i in 1..<n where scores[base + i] > bestScore && !excluded.contains(Int32(i)) {
              bestScore = scores[base + i]
              bestK = kk
            }
          }
          let item = Int(corpus.sequenceItems[row.position])
          let teacher = teacherArgmax(v[(b * k * d)..<((b + 1) * k * d)], item: item)
          var qMember = -1
          if let z {
            let logits = z[(b * k)..<((b + 1) * k)]
            qMember = mapped(u, logits.indices.max { logits[$0] < logits[$1] }! - b * k)
          }
          let bestMember = mapped(u, bestK)
          steps += 1
          if qMember == truth { hitQ += 1 }
          if bestMember == truth { hitBest += 1 }
          if mapped(u, teacher) == truth { hitTeacher += 1 }
          if member(row.position - 1, user: u) == truth { hitPrevious += 1 }
          if majority(u) == truth { hitMajority += 1 }
          // A run of ≥ 3 cartoons just before t?
          var run = 0
          var p = row.position - 1
          while p >= start && catalog?.categoryLabels(Int(corpus.sequenceItems[p])).first == "cartoon" { run += 1; p -= 1 }
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
      qTopInterest: hasPredictor ? share(hitQ, steps) : nil, bestMatchTopItem: share(hitBest, steps),
      teacherOracle: share(hitTeacher, steps), previousMember: share(hitPrevious, steps),
      majorityMember: share(hitMajority, steps), afterCartoonRunSteps: runSteps,
      afterCartoonRunQ: hasPredictor ? share(runQ, runSteps) : nil, afterCartoonRunBestMatch: share(runBest, runSteps),
      collapsedAtTest: collapsed, testSteps: testSteps)
  }
}
