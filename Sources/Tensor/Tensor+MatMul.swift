import CBLAS

// Matrix products through OpenBLAS `cblas_sgemm`, with a naive reference kept for tests.
// Layout: row-major; a matrix X of shape (M, K) has leading dimension K (its row length).

/// Row-major GEMM: `C = alpha · op(A) · op(B) + beta · C` with `op(X) = Xᵀ` when the flag is set.
///
/// - Parameters:
///   - m, n, k: `op(A)` is (m, k), `op(B)` is (k, n), C is (m, n).
///   - a, lda: A as stored, (m, k) or (k, m) when transposed; `lda` is its row length.
///   - b, ldb: B as stored, (k, n) or (n, k) when transposed.
///   - c, ldc: C, (m, n), row length `ldc`.
@inline(__always)
public func sgemm(
  transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  OpProfiler.noteGemm(m: m, n: n, k: k, transA: transA, transB: transB)
  sgemmUnprofiled(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                  beta: beta, c: c, ldc: ldc)
}

/// `sgemm` without the profiler note, for ops that note their calls once (e.g. `bmm`'s B calls).
@inline(__always)
func sgemmUnprofiled(
  transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  guard m > 0, n > 0 else { return }
  if k == 0 {  // BLAS may not touch C at all when k == 0: apply beta ourselves.
    for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta } }
    return
  }
  cblas_sgemm(
    CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The naive triple loop that `sgemm` must agree with (documentation of the layout and the
/// oracle for tests). Same contract as `sgemm`; accumulates in Double.
public func sgemmNaive(
  transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
  a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  for i in 0..<m {
    for j in 0..<n {
      var sum = 0.0
      for p in 0..<k {
        let x = transA ? a[p * lda + i] : a[i * lda + p]
        let y = transB ? b[j * ldb + p] : b[p * ldb + j]
        sum += Double(x) * Double(y)
      }
      let old = beta == 0 ? 0 : beta * c[i * ldc + j]
      c[i * ldc + j] = alpha * Float(sum) + old
    }
  }
}

/// OpenBLAS threading and kernel information.
public enum BLAS {
  /// Sets the number of threads OpenBLAS uses for one call (1 when the caller parallelises).
  public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
  /// Threads OpenBLAS currently uses.
  public static var threads: Int { Int(openblas_get_num_threads()) }
  /// The kernel in use, e.g. "Haswell" (depends on OPENBLAS_CORETYPE).
  public static var coreName: String { String(cString: openblas_get_corename()) }
  /// OpenBLAS build configuration string.
  public static var config: String { String(cString: openblas_get_config()) }
}

extension Tensor {
  /// Matrix product of two rank-2 tensors with optional transposes: `op(self) · op(other)`.
  ///
  /// - Parameters: self (M, K) or (K, M) when `transposeSelf`; other (K, N) or (N, K) when
  ///   `transposeOther`.
  /// - Returns: (M, N).
  public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
    precondition(rank == 2 && other.rank == 2, "matmul: expected rank-2 tensors, got \(shape) and \(other.shape)")
    let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
    let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
    precondition(k == k2, "matmul: inner extents differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")
    let lda = shape[1], ldb = other.shape[1]
    var out = uninitializedFloats(m * n)  // sgemm with beta 0 writes every element
    data.withUnsafeBufferPointer { a in
      other.data.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { c in
          sgemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, c: c.baseAddress!, ldc: n)
        }
      }
    }
    let lhs = self, rhs = other
    let (tA, tB) = (transposeSelf, transposeOther)
    return Tensor.result([m, n], out, op: "matmul", parents: [lhs, rhs]) { result in
      // Forward: C = op(A) · op(B). dop(A) = dC · op(B)ᵀ, dop(B) = op(A)ᵀ · dC.
      result.grad.withUnsafeBufferPointer { g in
        if lhs.requiresGrad {
          let bData = rhs.data
          lhs.accumulateGrad { ga, fresh in
            bData.withUnsafeBufferPointer { b in
              if !tA {  // dA (m, k) += dC (m, n) · op(B)ᵀ
                sgemm(transA: false, transB: !tB, m: m, n: k, k: n, a: g.baseAddress!, lda: n,
                      b: b.baseAddress!, ldb: ldb, beta: fresh ? 0 : 1, c: ga.baseAddress!, ldc: lda)
              } else {  // dA (k, m) += op(B) · dCᵀ
                sgemm(transA: tB, transB: true, m: k, n: m, k: n, a: b.baseAddress!, lda: ldb,
                      b: g.baseAddress!, ldb: n, beta: fresh ? 0 : 1, c: ga.baseAddress!, ldc: lda)
              }
            }
          }
        }
        if rhs.requiresGrad {
          let aData = lhs.data
          rhs.accumulateGrad { gb, fresh in
            aData.withUnsafeBufferPointer { a in
              if !tB {  // dB (k, n) += op(A)ᵀ · dC
                sgemm(transA: !tA, transB: false, m: k, n: n, k: m, a: a.baseAddress!, lda: lda,
                      b: g.baseAddress!, ldb: n, beta: fresh ? 0 : 1, c: gb.baseAddress!, ldc: ldb)
              } else {  // dB (n, k) += dCᵀ · op(A)
                sgemm(transA: true, transB: tA, m: n, n: k, k: m, a: g.baseAddress!, lda: n,
                      b: a.baseAddress!, ldb: lda, beta: fresh ? 0 : 1, c: gb.baseAddress!, ldc: ldb)
              }
            }
          }
        }
      }
    }
  }

  /// Batched matrix product of rank-3 tensors: for each b, `op(self[b]) · op(other[b])`.
  ///
  /// - Parameters: self (B, M, K) (or (B, K, M) transposed), other (B, K, N) (or (B, N, K)).
  /// - Returns: (B, M, N).
  public func bmm(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
    precondition(rank == 3 && other.rank == 3 && shape[0] == other.shape[0],
                 "bmm: expected (B, ·, ·) tensors with equal B, got \(shape) and \(other.shape)")
    let batch = shape[0]
    let (m, k) = transposeSelf ? (shape[2], shape[1]) : (shape[1], shape[2])
    let (k2, n) = transposeOther ? (other.shape[2], other.shape[1]) : (other.shape[1], other.shape[2])
    precondition(k == k2, "bmm: inner extents differ: \(shape) · \(other.shape)")
    let lda = shape[2], ldb = other.shape[2]
    let aStride = shape[1] * shape[2], bStride = other.shape[1] * other.shape[2], cStride = m * n
    var out = uninitializedFloats(batch * m * n)
    let (tA, tB) = (transposeSelf, transposeOther)
    data.withUnsafeBufferPointer { a in
      other.data.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { c in
          for i in 0..<batch {
            sgemm(transA: tA, transB: tB, m: m, n: n, k: k, a: a.baseAddress! + i * aStride, lda: lda,
                  b: b.baseAddress! + i * bStride, ldb: ldb, c: c.baseAddress! + i * cStride, ldc: n)
          }
        }
      }
    }
    let lhs = self, rhs = other
    return Tensor.result([batch, m, n], out, op: "bmm", parents: [lhs, rhs]) { result in
      // Same rules as `matmul`, applied per batch entry.
      result.grad.withUnsafeBufferPointer { g0 in
        let g = g0.baseAddress!
        if lhs.requiresGrad {
          let bData = rhs.data
          lhs.accumulateGrad { ga0, fresh in
            bData.withUnsafeBufferPointer { b0 in
              for i in 0..<batch {
                let gi = g + i * cStride, bi = b0.baseAddress! + i * bStride
                let ga = ga0.baseAddress! + i * aStride
                if !tA {
                  sgemm(transA: false, transB: !tB, m: m, n: k, k: n, a: gi, lda: n, b: bi, ldb: ldb,
                        beta: fresh ? 0 : 1, c: ga, ldc: lda)
                } else {
                  sgemm(transA: tB, transB: true, m: k, n: m, k: n, a: bi, lda: ldb, b: gi, ldb: n,
                        beta: fresh ? 0 : 1, c: ga, ldc: lda)
                }
              }
            }
          }
        }
        if rhs.requiresGrad {
          let aData = lhs.data
          rhs.accumulateGrad { gb0, fresh in
            aData.withUnsafeBufferPointer { a0 in
              for i in 0..<batch {
                let gi = g + i * cStride, ai = a0.baseAddress! + i * aStride
                let gb = gb0.baseAddress! + i * bStride
                if !tB {
                  sgemm(transA: !tA, transB: false, m: k, n: n, k: m, a: ai, lda: lda, b: gi, ldb: n,
                        beta: fresh ? 0 : 1, c: gb, ldc: ldb)
                } else {
                  sgemm(transA: true, transB: tA, m: n, n: k, k: m, a: gi, lda: n, b: ai, ldb: lda,
                        beta: fresh ? 0 : 1, c: gb, ldc: ldb)
                }
              }
            }
          }
        }
      }
    }
  }

  /// A fully connected layer with PyTorch's weight layout: `y = x · Wᵀ + b`.
  ///
  /// - Parameters:
  ///   - weight: (out, in).
  ///   - bias: (out), optional.
  ///   - self: (…, in); leading axes are flattened into rows.
  /// - Returns: (…, out).
  public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(weight.rank == 2 && shape.last == weight.shape[1],
                 "linear: input \(shape) does not end in weight's in-features \(weight.shape)")
    let (outputs, inputs) = (weight.shape[0], weight.shape[1])
    let rows = count / inputs
    let outShape = Array(shape.dropLast()) + [outputs]
    guard let bias else { return reshape([rows, inputs]).matmul(weight, transposeOther: true).reshape(outShape) }
    precondition(bias.shape == [outputs], "linear: bias \(bias.shape) does not match \(outputs) out-features")
    // Fused: y starts as the bias on every row, then sgemm adds x · Wᵀ (beta 1); one pass and
    // one array instead of matmul + broadcast add + reshape.
    var out = uninitializedFloats(rows * outputs)
    data.withUnsafeBufferPointer { x in
      weight.data.withUnsafeBufferPointer { w in
        bias.data.withUnsafeBufferPointer { b in
          out.withUnsafeMutableBufferPointer { y in
            for r in 0..<rows { copyRow(b.baseAddress!, to: y.baseAddress! + r * outputs, count: outputs) }
            sgemm(transA: false, transB: true, m: rows, n: outputs, k: inputs, a: x.baseAddress!, lda: inputs,
                  b: w.baseAddress!, ldb: inputs, beta: 1, c: y.baseAddress!, ldc: outputs)
          }
        }
      }
    }
    let input = self
    return Tensor.result(outShape, out, op: "linear", parents: [input, weight, bias]) { result in
      // Forward: Y (rows, out) = X (rows, in) · Wᵀ + 1·bᵀ.
      //   dX = dY · W,   dW = dYᵀ · X,   db = Σ_rows dY.
      result.grad.withUnsafeBufferPointer { g in
        if input.requiresGrad {
          let wData = weight.data
          input.accumulateGrad { gx, fresh in
            wData.withUnsafeBufferPointer { w in
              sgemm(transA: false, transB: false, m: rows, n: inputs, k: outputs, a: g.baseAddress!, lda: outputs,
                    b: w.baseAddress!, ldb: inputs, beta: fresh ? 0 : 1, c: gx.baseAddress!, ldc: inputs)
            }
          }
        }
        if weight.requiresGrad {
          let xData = input.data
          weight.accumulateGrad { gw, fresh in
            xData.withUnsafeBufferPointer { x in
              sgemm(transA: true, transB: false, m: outputs, n: inputs, k: rows, a: g.baseAddress!, lda: outputs,
                    b: x.baseAddress!, ldb: inputs, beta: fresh ? 0 : 1, c: gw.baseAddress!, ldc: inputs)
            }
          }
        }
        bias.accumulateGrad { gb in columnSums(rows: rows, cols: outputs, g.baseAddress!, into: gb.baseAddress!) }
      }
    }
  }
}

/// Process-wide memory settings for training.
public enum AllocatorTuning {
  /// Makes glibc keep freed blocks for reuse instead of returning every large array to the
  /// kernel: a training step allocates and frees the same ~100 large activation arrays each
  /// time, and with glibc's defaults each one is a fresh mmap whose pages fault in again
  /// (measured: ~10 % of a step in page faults). Call once at start-up; no effect elsewhere.
  public static func keepFreedMemory() {
    #if canImport(Glibc)
    _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
    _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
    #endif
  }
}

extension BLAS {
  /// Whether OpenBLAS fell back to its generic SSE3 kernel ("Prescott") on a CPU that has
  /// AVX2 and FMA: OpenBLAS 0.3.21 does not recognise newer Intel Xeons and then runs sgemm
  /// 3–10× slower than its Haswell kernel. Only meaningful when OPENBLAS_CORETYPE is unset.
  public static var fellBackToGenericKernel: Bool {
    guard coreName.lowercased() == "prescott" else { return false }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    let set = Set(flags.split(separator: " "))
    return set.contains("avx2") && set.contains("fma")
  }
}
