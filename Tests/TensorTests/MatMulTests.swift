import TestSupport
import XCTest
@testable import Tensor

// BLAS `sgemm` against the naive triple loop `sgemmNaive`, and `Tensor.matmul`/`bmm` against
// loops written here from the definition.
//
// Tolerance. OpenBLAS accumulates in Float in a kernel-specific order (the Haswell and
// Cooperlake kernels block K differently and use FMA), while `sgemmNaive` accumulates in
// Double and rounds once. The classic bound for a Float dot product of length K in any order
// is |error| ≤ γ_K · Σ|aᵢ bᵢ| with γ_K = K·u/(1 − K·u), u = 2⁻²⁴ ≈ 6e-8; the final scaling by
// α and the β·C update add two more roundings of the result. For the largest K tested (65)
// that is about 4e-6 of Σ|products|, so we accept
//   |blas − naive| ≤ 1e-5 · (|α| · Σₚ|a_ip b_pj| + |β · c_ij|) + 1e-30
// per element: a safe margin over rounding, while any indexing, transpose or leading-dimension
// mistake changes values by O(Σ|products|) and fails by orders of magnitude.

/// One `sgemm` configuration: op(A) is (m, k), op(B) is (k, n), C is (m, n).
private struct GemmCase: CustomStringConvertible {
  var m, n, k: Int
  var transA = false, transB = false
  var alpha: Float = 1, beta: Float = 0
  /// Extra floats at the end of each stored row of A, B and C (submatrix of a wider array).
  var padding = 0

  var description: String {
    "\(m)×\(k)·\(k)×\(n) transA \(transA) transB \(transB) α \(alpha) β \(beta) padding \(padding)"
  }
}

final class MatMulTests: XCTestCase {
  /// The shapes of the brief: unit, odd, larger than a register block, a single row, K = 1.
  private let shapes: [(m: Int, n: Int, k: Int)] = [
    (1, 1, 1), (7, 3, 5), (33, 65, 17), (1, 192, 64), (129, 1, 3),
  ]
  private let flags = [(false, false), (true, false), (false, true), (true, true)]

  /// Runs `sgemm` and `sgemmNaive` on the same random inputs and compares them element by element
  /// with the tolerance above; also checks that padding columns are neither read nor written.
  private func check(_ gemm: GemmCase, file: StaticString = #filePath, line: UInt = #line) {
    let (m, n, k) = (gemm.m, gemm.n, gemm.k)
    // Stored shapes (rows, columns) of A and B, then leading dimensions with padding.
    let aRows = gemm.transA ? k : m, aCols = gemm.transA ? m : k
    let bRows = gemm.transB ? n : k, bCols = gemm.transB ? k : n
    let lda = aCols + gemm.padding, ldb = bCols + gemm.padding, ldc = n + gemm.padding
    let seed = UInt64(m * 1_000_003 + n * 1009 + k) &+ (gemm.transA ? 7 : 0) &+ (gemm.transB ? 11 : 0)
    var a = testValues(aRows * lda, seed: seed)
    var b = testValues(bRows * ldb, seed: seed + 1)
    let c0 = testValues(m * ldc, seed: seed + 2)
    // Padding of A and B is NaN: a kernel that reads it poisons the result.
    for r in 0..<aRows { for j in aCols..<lda { a[r * lda + j] = .nan } }
    for r in 0..<bRows { for j in bCols..<ldb { b[r * ldb + j] = .nan } }
    let sentinel: Float = -12345
    var cBLAS = c0, cNaive = c0
    for r in 0..<m { for j in n..<ldc { cBLAS[r * ldc + j] = sentinel; cNaive[r * ldc + j] = sentinel } }

    a.withUnsafeBufferPointer { ap in
      b.withUnsafeBufferPointer { bp in
        cBLAS.withUnsafeMutableBufferPointer { cp in
          sgemm(transA: gemm.transA, transB: gemm.transB, m: m, n: n, k: k, alpha: gemm.alpha,
                a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                beta: gemm.beta, c: cp.baseAddress!, ldc: ldc)
        }
        cNaive.withUnsafeMutableBufferPointer { cp in
          sgemmNaive(transA: gemm.transA, transB: gemm.transB, m: m, n: n, k: k, alpha: gemm.alpha,
                     a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                     beta: gemm.beta, c: cp.baseAddress!, ldc: ldc)
        }
      }
    }

    var worst: Float = 0
    var failures: [String] = []
    for i in 0..<m {
      for j in 0..<ldc {
        let index = i * ldc + j
        if j >= n {  // padding of C: untouched by both
          if cBLAS[index] != sentinel || cNaive[index] != sentinel {
            failures.append("C padding [\(i), \(j)] written: \(cBLAS[index]) / \(cNaive[index])")
          }
          continue
        }
        var magnitude: Float = 0  // Σₚ |a_ip b_pj|
        for p in 0..<k {
          let x = gemm.transA ? a[p * lda + i] : a[i * lda + p]
          let y = gemm.transB ? b[j * ldb + p] : b[p * ldb + j]
          magnitude += abs(x * y)
        }
        let scale = abs(gemm.alpha) * magnitude + abs(gemm.beta * c0[index])
        let diff = abs(cBLAS[index] - cNaive[index])
        worst = max(worst, diff)
        if !(diff <= 1e-5 * scale + 1e-30) {
          failures.append("[\(i), \(j)] blas \(cBLAS[index]) naive \(cNaive[index]) (Σ|products| \(magnitude))")
        }
      }
    }
    if !failures.isEmpty {
      XCTFail("\(gemm): \(failures.count) mismatches, largest |diff| \(worst): "
              + failures.prefix(5).joined(separator: "; "), file: file, line: line)
    }
  }

  func testSgemmMatchesNaiveForAllTransposeFlagsAndOddShapes() {
    for (m, n, k) in shapes {
      for (transA, transB) in flags {
        check(GemmCase(m: m, n: n, k: k, transA: transA, transB: transB))
      }
    }
  }

  func testSgemmAlphaBeta() {
    for (alpha, beta) in [(Float(0.5), Float(1)), (-2, 0.25), (1, -1), (0, 3)] {
      for (transA, transB) in flags {
        check(GemmCase(m: 33, n: 65, k: 17, transA: transA, transB: transB, alpha: alpha, beta: beta))
        check(GemmCase(m: 7, n: 3, k: 5, transA: transA, transB: transB, alpha: alpha, beta: beta))
      }
    }
  }

  /// Leading dimensions larger than the row: A, B and C are submatrices of wider arrays.
  func testSgemmLeadingDimensionsWiderThanRows() {
    for (m, n, k) in shapes {
      for (transA, transB) in flags {
        check(GemmCase(m: m, n: n, k: k, transA: transA, transB: transB, alpha: 1.5, beta: 0.5, padding: 3))
      }
    }
  }

  /// K = 0: op(A)·op(B) is empty, so C = β·C (BLAS may skip the call; `sgemm` handles it).
  func testSgemmEmptyInnerDimension() {
    check(GemmCase(m: 3, n: 4, k: 0, beta: 0.5))
    check(GemmCase(m: 3, n: 4, k: 0, beta: 0))
  }

  /// The multi-threaded and single-threaded paths must agree with the reference too.
  func testSgemmWithOneAndTwoThreads() {
    let saved = BLAS.threads
    defer { BLAS.setThreads(saved) }
    for threads in [1, 2] {
      BLAS.setThreads(threads)
      check(GemmCase(m: 256, n: 192, k: 64))
      check(GemmCase(m: 129, n: 130, k: 65, transA: true, transB: true, alpha: 0.5, beta: 2))
    }
  }

  // MARK: - Tensor.matmul / bmm values

  /// op(X)[i][p] of a row-major (rows, cols) array, op = transpose when `transposed`.
  private func element(_ x: [Float], cols: Int, _ i: Int, _ p: Int, transposed: Bool) -> Float {
    transposed ? x[p * cols + i] : x[i * cols + p]
  }

  func testTensorMatmulValues() {
    for (m, n, k) in shapes {
      for (transA, transB) in flags {
        let a = Tensor(shape: transA ? [k, m] : [m, k], data: testValues(m * k, seed: 21))
        let b = Tensor(shape: transB ? [n, k] : [k, n], data: testValues(k * n, seed: 22))
        let c = a.matmul(b, transposeSelf: transA, transposeOther: transB)
        XCTAssertEqual(c.shape, [m, n])
        var expected = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
          for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
              sum += Double(element(a.data, cols: a.shape[1], i, p, transposed: transA))
                * Double(element(b.data, cols: b.shape[1], p, j, transposed: transB))
            }
            expected[i * n + j] = Float(sum)
          }
        }
        // |products| ≤ 1 here, so 1e-5·K bounds the tolerance above (absolute).
        assertClose(c.data, expected, relative: 0, absolute: 1e-5 * Double(k),
                    "matmul \(m)×\(k)·\(k)×\(n) transA \(transA) transB \(transB)")
      }
    }
  }

  func testTensorBatchedMatmulValues() {
    let batch = 3
    for (m, n, k) in [(1, 1, 1), (7, 3, 5), (33, 65, 17)] {
      for (transA, transB) in flags {
        let a = Tensor(shape: transA ? [batch, k, m] : [batch, m, k], data: testValues(batch * m * k, seed: 23))
        let b = Tensor(shape: transB ? [batch, n, k] : [batch, k, n], data: testValues(batch * k * n, seed: 24))
        let c = a.bmm(b, transposeSelf: transA, transposeOther: transB)
        XCTAssertEqual(c.shape, [batch, m, n])
        var expected = [Float](repeating: 0, count: batch * m * n)
        for s in 0..<batch {
          let aSlice = Array(a.data[(s * m * k)..<((s + 1) * m * k)])
          let bSlice = Array(b.data[(s * k * n)..<((s + 1) * k * n)])
          for i in 0..<m {
            for j in 0..<n {
              var sum = 0.0
              for p in 0..<k {
                sum += Double(element(aSlice, cols: a.shape[2], i, p, transposed: transA))
                  * Double(element(bSlice, cols: b.shape[2], p, j, transposed: transB))
              }
              expected[(s * m + i) * n + j] = Float(sum)
            }
          }
        }
        assertClose(c.data, expected, relative: 0, absolute: 1e-5 * Double(k),
                    "bmm \(batch)×\(m)×\(k)·\(k)×\(n) transA \(transA) transB \(transB)")
      }
    }
  }
}
