import Foundation

/// One unit of a benchmark: a training run or an evaluation, started after the jobs it
/// depends on have succeeded.
public struct BenchmarkJob: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case train(PlannedRun)
    case evaluate(PlannedEvaluation)
  }

  /// Unique: "train <run>" or "evaluate <run>".
  public var id: String
  public var kind: Kind
  /// Ids of the jobs that must succeed first.
  public var dependencies: [String]

  public init(id: String, kind: Kind, dependencies: [String]) {
    self.id = id
    self.kind = kind
    self.dependencies = dependencies
  }
}

/// Runs jobs with dependencies on at most `parallel` threads at once.
///
/// Each thread takes the first job (in the given order) whose dependencies have all
/// succeeded, runs `execute` on it outside the lock (it typically waits for a child
/// process), and records the outcome. A job whose dependency failed is not started and counts
/// as failed. `finished` is called after each job, one call at a time (the lock serialises
/// them), so it may rewrite shared files such as the tables.
///
/// Thread safety: `pending`, `running`, `outcomes` and `stopping` are touched only while
/// holding `condition`'s lock; `execute` gets a value copy of its job.
public final class JobScheduler: @unchecked Sendable {
  private let condition = NSCondition()
  private var pending: [BenchmarkJob]
  private var running: Set<String> = []
  private var outcomes: [String: Bool] = [:]
  private var stopping = false
  public let parallel: Int

  public init(jobs: [BenchmarkJob], parallel: Int) {
    pending = jobs
    self.parallel = max(1, parallel)
  }

  /// Starts no new job after this call; running ones finish. Not to be called from `execute`
  /// or `finished` (the lock is not recursive); pass `shouldStop` to `run` instead.
  public func stop() {
    condition.lock()
    stopping = true
    condition.broadcast()
    condition.unlock()
  }

  /// Runs every job and returns the ids of those that failed or were not run (a failed
  /// dependency, `stop()` or `shouldStop`), in the given order.
  /// - Parameter shouldStop: polled before each new job; true starts no more (Ctrl-C).
  public func run(execute: @escaping @Sendable (BenchmarkJob) -> Bool,
                  finished: @escaping @Sendable (BenchmarkJob, Bool) -> Void = { _, _ in },
                  shouldStop: @escaping @Sendable () -> Bool = { false }) -> [String] {
    let order = pending.map(\.id)
    let group = DispatchGroup()
    for _ in 0..<parallel {
      group.enter()
      let thread = Thread { [self] in
        worker(execute: execute, finished: finished, shouldStop: shouldStop)
        group.leave()
      }
      thread.stackSize = 1 << 20
      thread.start()
    }
    group.wait()
    condition.lock()
    defer { condition.unlock() }
    return order.filter { outcomes[$0] != true }
  }

  private func worker(execute: @Sendable (BenchmarkJob) -> Bool, finished: @Sendable (BenchmarkJob, Bool) -> Void,
                      shouldStop: @Sendable () -> Bool) {
    condition.lock()
    while true {
      if stopping || shouldStop() {
        stopping = true
        condition.broadcast()
        break
      }
      // Jobs whose dependency failed can never run: they fail too.
      var dropped = false
      pending.removeAll { job in
        let blocked = job.dependencies.contains { outcomes[$0] == false }
        if blocked { outcomes[job.id] = false; dropped = true }
        return blocked
      }
      if dropped { condition.broadcast() }
      if let index = pending.firstIndex(where: { job in job.dependencies.allSatisfy { outcomes[$0] == true } }) {
        let job = pending.remove(at: index)
        running.insert(job.id)
        condition.unlock()
        let ok = execute(job)
        condition.lock()
        running.remove(job.id)
        outcomes[job.id] = ok
        finished(job, ok)
        condition.broadcast()
        continue
      }
      // Nothing ready: done when nothing runs either (what is left waits on a missing job).
      if running.isEmpty {
        for job in pending { outcomes[job.id] = false }
        pending.removeAll()
        condition.broadcast()
        break
      }
      condition.wait()
    }
    condition.unlock()
  }
}
