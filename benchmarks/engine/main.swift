// bench-engine: how fast the Tensor engine's hot paths run on this machine.
//
//   swift run -c release bench-engine                                               # env as set (Haswell pin)
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE swift run -c release bench-engine  # autodetected kernel
//
// Prints the CPU (/proc/cpuinfo "model name"), the OpenBLAS kernel, its thread count and the env it
// ran with, then
//   1. sgemm GFLOP/s (2·M·N·K / median time per call) for the shapes of the TiMiRec step,
//      with 1 and 2 OpenBLAS threads;
//   2. the GRU (`Tensor.gru`) forward and forward+backward at B = 256, L = 20, D = H = 64 (every
//      length 20): ms, achieved GFLOP/s counting only the matrix products, and that rate as a
//      fraction of the 2-thread sgemm rate for (5120×64)·(64×192) from this same run (the GRU's
//      input projection has exactly that shape: B·L = 5120 rows, 3H = 192 gate columns);
//   3. one Adam step over the Beauty finetune parameter count (1,597,296 floats);
//   4. peak RSS.
// Every figure is the median of several timed samples after warm-up; expect ±10 % noise on a
// shared 2-core VM. See benchmarks/README.md, section "engine".

import CBLAS
import Foundation
import Tensor

// MARK: - Timing helpers

/// Seconds elapsed while running `body` once.
func seconds(_ body: () -> Void) -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
}

/// Median seconds per call of `body`: after `warmup` calls, `samples` samples each timing
/// enough back-to-back calls to last about `sampleSeconds` (at least one call).
func medianSeconds(samples: Int = 11, warmup: Int = 2, sampleSeconds: Double = 0.02, _ body: () -> Void) -> Double {
  for _ in 0..<warmup { body() }
  let once = max(seconds(body), 1e-9)
  let repetitions = max(1, Int(sampleSeconds / once))
  var times: [Double] = []
  for _ in 0..<samples {
    times.append(seconds { for _ in 0..<repetitions { body() } } / Double(repetitions))
  }
  times.sort()
  return times[times.count / 2]
}

func format(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

func pad(_ s: String, _ width: Int) -> String {
  s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

// MARK: - Environment

let environment = ProcessInfo.processInfo.environment
func envValue(_ name: String) -> String { environment[name].map { "\"\($0)\"" } ?? "(unset)" }

/// "model name (family f, model m)" from /proc/cpuinfo, or "unknown" when it has no model name:
/// OpenBLAS's autodetection depends on it. Machines of this kind differ (Intel Xeon and AMD EPYC
/// have both been seen), so every figure belongs to the CPU printed here, not to prose.
func cpuDescription() -> String {
  guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
  var fields: [String: String] = [:]
  for line in text.split(separator: "\n") {
    let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
    if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
  }
  guard let model = fields["model name"], !model.isEmpty else { return "unknown" }
  return "\(model) (family \(fields["cpu family"] ?? "?"), model \(fields["model"] ?? "?"))"
}

print("bench-engine — Tensor engine micro-benchmarks (release build expected)")
print("CPU:                 \(cpuDescription())")
print("OpenBLAS kernel:     \(BLAS.coreName)")
print("OpenBLAS threads:    \(BLAS.threads)")
print("OpenBLAS config:     \(BLAS.config)")
print("OPENBLAS_CORETYPE:   \(envValue("OPENBLAS_CORETYPE"))")
print("OPENBLAS_L2_SIZE:    \(envValue("OPENBLAS_L2_SIZE"))")
print("OPENBLAS_NUM_THREADS \(envValue("OPENBLAS_NUM_THREADS")); default threads \(BLAS.threads); CPUs \(ProcessInfo.processInfo.activeProcessorCount)")
let loadAverage = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
  .split(separator: " ").first.map(String.init) ?? "?"
print("load average (1 min) at start: \(loadAverage) — figures are only meaningful when it is well below the CPU count")
#if DEBUG
print("WARNING: debug build; run with `swift run -c release bench-engine` for meaningful figures")
#endif
print("")

// MARK: - 1. sgemm

/// GFLOP/s of C (m, n) = A (m, k) · B (k, n), row-major, no transposes, with `threads` threads.
func sgemmRate(m: Int, n: Int, k: Int, threads: Int) -> (gflops: Double, seconds: Double) {
  BLAS.setThreads(threads)
  var rng = RNG(seed: UInt64(m * 31 + n * 7 + k))
  let a = Tensor.uniform([m, k], bound: 1, using: &rng).data
  let b = Tensor.uniform([k, n], bound: 1, using: &rng).data
  var c = [Float](repeating: 0, count: m * n)
  let time = a.withUnsafeBufferPointer { ap in
    b.withUnsafeBufferPointer { bp in
      c.withUnsafeMutableBufferPointer { cp in
        medianSeconds(samples: m * n * k >= 1 << 30 ? 7 : 15) {
          sgemm(transA: false, transB: false, m: m, n: n, k: k, a: ap.baseAddress!, lda: k,
                b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
        }
      }
    }
  }
  return (2 * Double(m) * Double(n) * Double(k) / time * 1e-9, time)
}

let gemmShapes: [(m: Int, n: Int, k: Int, label: String)] = [
  (256, 192, 64, "(256×64)·(64×192)"),
  (5120, 192, 64, "(5120×64)·(64×192)"),
  (1024, 1024, 1024, "1024³"),
]
print("1. sgemm, C = A·B row-major, median GFLOP/s (time per call)")
print("   \(pad("shape", 22)) \(pad("1 thread", 24)) 2 threads")
var gruShapeRate2 = 0.0
for shape in gemmShapes {
  let one = sgemmRate(m: shape.m, n: shape.n, k: shape.k, threads: 1)
  let two = sgemmRate(m: shape.m, n: shape.n, k: shape.k, threads: 2)
  if shape.m == 5120 { gruShapeRate2 = two.gflops }
  func cell(_ r: (gflops: Double, seconds: Double)) -> String {
    "\(format(r.gflops)) (\(format(r.seconds * 1e3, 3)) ms)"
  }
  print("   \(pad(shape.label, 22)) \(pad(cell(one), 24)) \(cell(two))")
}
BLAS.setThreads(2)
print("")

// MARK: - 2. GRU forward + backward

/// Times `Tensor.gru` at (B, L, D, H) with every length L; returns median forward and
/// forward+backward seconds.
func gruTimes(batch: Int, length: Int, d: Int, h: Int, threads: Int) -> (forward: Double, both: Double) {
  BLAS.setThreads(threads)
  var rng = RNG(seed: 1)
  let bound = 1 / Float(h).squareRoot()  // docs/MODEL.md "Initialisation": U(−1/√H, 1/√H)
  let weightIH = Tensor.uniform([3 * h, d], bound: bound, requiresGrad: true, name: "weight_ih_l0", using: &rng)
  let weightHH = Tensor.uniform([3 * h, h], bound: bound, requiresGrad: true, name: "weight_hh_l0", using: &rng)
  let biasIH = Tensor.uniform([3 * h], bound: bound, requiresGrad: true, name: "bias_ih_l0", using: &rng)
  let biasHH = Tensor.uniform([3 * h], bound: bound, requiresGrad: true, name: "bias_hh_l0", using: &rng)
  // The input stands for embedding rows (N(0, 0.01²) in the model; unit scale exercises the
  // nonlinearities more). It requires a gradient, as embeddings do.
  let input = Tensor.normal([batch, length, d], std: 1, requiresGrad: true, name: "history", using: &rng)
  let lengths = [Int](repeating: length, count: batch)
  let parameters = [input, weightIH, weightHH, biasIH, biasHH]

  let forward = GradMode.withoutGrad {
    medianSeconds(samples: 11, sampleSeconds: 0.05) {
      _ = Tensor.gru(input, lengths: lengths, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    }
  }
  let both = medianSeconds(samples: 11, sampleSeconds: 0.05) {
    for p in parameters { p.zeroGrad() }
    let out = Tensor.gru(input, lengths: lengths, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH)
    out.sum().backward()
  }
  return (forward, both)
}

let (gruB, gruL, gruD, gruH) = (256, 20, 64, 64)
// Matrix-product FLOPs: input projection 2·B·L·D·3H + recurrent 2·B·L·H·3H; backward ≈ 2× forward
// (one product each for the input gradient and the weight gradient per forward product).
let forwardFlops = 2.0 * Double(gruB * gruL * gruD * 3 * gruH) + 2.0 * Double(gruB * gruL * gruH * 3 * gruH)
let totalFlops = 3 * forwardFlops
print("2. GRU B=\(gruB) L=\(gruL) D=\(gruD) H=\(gruH), all lengths \(gruL); matrix-product FLOPs: forward \(format(forwardFlops * 1e-6)) M, forward+backward \(format(totalFlops * 1e-6)) M")
print("   fraction = achieved GFLOP/s ÷ 2-thread sgemm (5120×64)·(64×192) = \(format(gruShapeRate2)) GFLOP/s (this run)")
for threads in [2, 1] {
  let t = gruTimes(batch: gruB, length: gruL, d: gruD, h: gruH, threads: threads)
  let forwardRate = forwardFlops / t.forward * 1e-9, bothRate = totalFlops / t.both * 1e-9
  print("   \(threads) thread\(threads == 1 ? " " : "s"): forward \(format(t.forward * 1e3, 2)) ms (\(format(forwardRate)) GFLOP/s, \(format(forwardRate / gruShapeRate2, 3)))"
        + "; forward+backward \(format(t.both * 1e3, 2)) ms (\(format(bothRate)) GFLOP/s, \(format(bothRate / gruShapeRate2, 3)))")
}
BLAS.setThreads(2)
print("")

// MARK: - 3. Adam

do {
  let count = 1_597_296  // Beauty finetune parameter count (docs/MODEL.md, "Parameter counts")
  var rng = RNG(seed: 2)
  let weight = Tensor.normal([count], requiresGrad: true, name: "all.weight", using: &rng)
  weight.grad = Tensor.normal([count], std: 1, using: &rng).data
  let adam = Adam(parameters: [("all.weight", weight)], learningRate: 1e-4, weightDecay: 1e-6)
  let time = medianSeconds(samples: 11, sampleSeconds: 0.05) { adam.step() }
  print("3. Adam step over \(count) floats (weight decay on): \(format(time * 1e3, 2)) ms"
        + " (\(format(Double(count) * 28 / time * 1e-9)) GB/s: reads θ, g, m, v and writes θ, m, v, 28 B per element)")
  print("")
}

// MARK: - 4. Memory

var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)  // Glibc imports RUSAGE_SELF as an enum case
print("4. peak RSS: \(format(Double(usage.ru_maxrss) / 1024)) MiB")
