import Foundation

// Where a training step's time goes, op by op (issue 11, `bench-train --profile`).
//
// The profiler is bound to the calling thread (task) with `OpProfiler.$current.withValue`, like
// `GradMode`: nothing is global, another thread (e.g. the other data-parallel worker) never
// records into it, and when none is bound every hook below is one task-local read that finds
// nil (a few nanoseconds per op, about 100 ops per step).
//
// What is recorded:
// Times are the thread's CPU time (not wall time), so a busy machine does not inflate them.
// - forward: the time from the previous op's result (or `start()`) to this op's result,
//   keyed by (op name, output shape). That interval holds the op's own work and the model's
//   glue code just before it (mask building, index arrays), which is part of the step too.
// - backward: the time of each node's backward closure, keyed the same way, plus the
//   topological sort.
// - regions: named blocks timed with `region(_:_:)` (e.g. the optimiser step).
// - every sgemm an op issues (shape and count), so a report can compare the op's time with
//   sgemm alone on the same shapes.

/// Per-op timing of forward and backward passes; see the file comment. Not thread-safe: use
/// one profiler per thread, bound with `OpProfiler.$current.withValue(profiler) { … }`.
///
/// `@unchecked Sendable` only because task-local values must be Sendable: a profiler is
/// mutated solely by the thread that bound it. Threads started inside the binding (e.g.
/// `DispatchQueue.concurrentPerform` workers) do not see it; child tasks would inherit it,
/// so a profiled region must not create concurrent child tasks (training steps do not).
public final class OpProfiler: @unchecked Sendable {
  /// The profiler of the calling thread (task), nil when profiling is off.
  @TaskLocal public static var current: OpProfiler?

  public enum Phase: String, Sendable { case forward, backward, region }

  /// One sgemm shape: op(A) (m, k) · op(B) (k, n).
  public struct Gemm: Hashable, Sendable {
    public var m, n, k: Int
    public var transA, transB: Bool
    /// 2·m·n·k.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
  }

  public struct Key: Hashable, Sendable {
    public var phase: Phase
    public var op: String
    public var shape: [Int]
  }

  /// Everything recorded under one key.
  public struct Record: Sendable {
    public var seconds = 0.0
    public var calls = 0
    /// sgemm shapes issued under this key with how many times each ran.
    public var gemms: [Gemm: Int] = [:]
    /// Σ 2mnk over `gemms`.
    public var gemmFlops: Double { gemms.reduce(0) { $0 + $1.key.flops * Double($1.value) } }
  }

  /// Keys in the order they first appeared, and their records.
  public private(set) var order: [Key] = []
  public private(set) var records: [Key: Record] = [:]
  private var mark: UInt64 = 0
  private var pending: [Gemm: Int] = [:]

  public init() {}

  /// The calling thread's CPU time in nanoseconds (CLOCK_THREAD_CPUTIME_ID): time the thread
  /// spends descheduled on a busy machine is not counted, so shares stay meaningful under load.
  static func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
  }

  /// Starts (or restarts) the forward clock; call just before the step.
  public func start() { mark = OpProfiler.now() }

  /// Forgets everything recorded.
  public func reset() {
    order = []
    records = [:]
    pending = [:]
  }

  /// Total recorded seconds.
  public var totalSeconds: Double { records.values.reduce(0) { $0 + $1.seconds } }

  private func add(_ key: Key, seconds: Double) {
    if records[key] == nil { order.append(key); records[key] = Record() }
    records[key]!.seconds += seconds
    records[key]!.calls += 1
    for (gemm, count) in pending { records[key]!.gemms[gemm, default: 0] += count }
    pending = [:]
  }

  /// Closes a forward op: the time since the previous mark goes to (op, shape).
  func forwardOp(_ op: String, shape: [Int]) {
    let now = OpProfiler.now()
    add(Key(phase: .forward, op: op, shape: shape), seconds: Double(now &- mark) * 1e-9)
    mark = now
  }

  /// Times `body` as one backward node (op, shape).
  func backwardOp(_ op: String, shape: [Int], _ body: () -> Void) {
    pending = [:]
    let t0 = OpProfiler.now()
    body()
    add(Key(phase: .backward, op: op, shape: shape), seconds: Double(OpProfiler.now() &- t0) * 1e-9)
  }

  /// Times `body` under `name` (phase `.region`, no shape) and moves the forward clock past it.
  public func region<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
    pending = [:]
    let t0 = OpProfiler.now()
    let value = try body()
    let now = OpProfiler.now()
    add(Key(phase: .region, op: name, shape: []), seconds: Double(now &- t0) * 1e-9)
    mark = now
    return value
  }

  /// Notes `count` sgemm calls of one shape for the op being recorded.
  func gemm(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, count: Int = 1) {
    guard m > 0, n > 0, k > 0, count > 0 else { return }
    pending[Gemm(m: m, n: n, k: k, transA: transA, transB: transB), default: 0] += count
  }

  /// Notes sgemm calls on the calling thread's profiler, if any (one task-local read).
  @inline(__always)
  static func noteGemm(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, count: Int = 1) {
    if let profiler = current { profiler.gemm(m: m, n: n, k: k, transA: transA, transB: transB, count: count) }
  }
}

extension OpProfiler.Gemm {
  /// Seconds of one sgemm of this shape on its own (median of `repeats` timed batches of
  /// calls on fresh, cache-warm buffers), with the process's current BLAS threads.
  public func sgemmSeconds(repeats: Int = 5) -> Double {
    let aCount = m * k, bCount = k * n
    let a = [Float](repeating: 0.01, count: aCount), b = [Float](repeating: 0.02, count: bCount)
    var c = [Float](repeating: 0, count: m * n)
    let lda = transA ? m : k, ldb = transB ? k : n
    // Enough calls per timed batch for ~1 ms.
    let calls = max(1, min(10_000, Int(1e6 / max(flops, 1))))
    var samples: [Double] = []
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          for _ in 0..<(repeats + 1) {
            let t0 = OpProfiler.now()
            for _ in 0..<calls {
              sgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a.baseAddress!, lda: lda,
                    b: b.baseAddress!, ldb: ldb, c: c.baseAddress!, ldc: n)
            }
            samples.append(Double(OpProfiler.now() - t0) * 1e-9 / Double(calls))
          }
        }
      }
    }
    samples.removeFirst()  // warm-up
    return samples.sorted()[samples.count / 2]
  }
}
