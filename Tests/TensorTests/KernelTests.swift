import Foundation
import TestSupport
import XCTest
@testable import Tensor

/// The vectorised kernels (Kernels.swift) against their scalar references, on the training
/// row lengths (D = H = 64, 3H = 192; fewer rows than a batch, for the debug build's speed)
/// and on lengths that are not a multiple of 16 (the scalar tails), with float-rounding
/// tolerances.
final class KernelTests: XCTestCase {
  private func values(_ count: Int, seed: UInt64, scale: Double) -> [Float] {
    var g = TestGenerator(seed: seed)
    return (0..<count).map { _ in Float((g.unit() * 2 - 1) * scale) }
  }

  /// Applies a 16-lane function to every element (padding the last vector with zeros).
  private func lanes(_ x: [Float], _ f: (Float16x) -> Float16x) -> [Float] {
    var out: [Float] = []
    var i = 0
    while i < x.count {
      var v = Float16x(repeating: 0)
      for lane in 0..<16 where i + lane < x.count { v[lane] = x[i + lane] }
      let y = f(v)
      for lane in 0..<16 where i + lane < x.count { out.append(y[lane]) }
      i += 16
    }
    return out
  }

  func testExpAgreesWithLibmOverTheFloatRange() {
    let x = values(20_000, seed: 1, scale: 87) + [0, -0, 1, -1, 88.7, -87.3, 1e-8, -1e-8]
    let y = lanes(x, simdExp)
    var worst = 0.0
    for (a, b) in zip(x, y) {
      let exact = Foundation.exp(Double(a))
      worst = max(worst, abs(Double(b) - exact) / exact)
    }
    XCTAssertLessThan(worst, 3e-7, "max relative error of simdExp")
    // Beyond the range: +∞ above, 0 below (where Float goes subnormal), NaN kept.
    let edges = lanes([89, 1000, .infinity, -88, -1000, -.infinity, .nan, 88.72], simdExp)
    XCTAssertEqual(Array(edges[0..<6]), [.infinity, .infinity, .infinity, 0, 0, 0])
    XCTAssertTrue(edges[6].isNaN)
    XCTAssertTrue(edges[7].isFinite && edges[7] > 3.3e38, "e^88.72 = 3.36e38 is a Float: \(edges[7])")
  }

  func testSigmoidAndTanhAgreeWithTheScalarGates() {
    let x = values(20_000, seed: 2, scale: 12) + values(2_000, seed: 3, scale: 0.2) + [0, 0.125, -0.125, 90, -90]
    let sig = lanes(x, simdSigmoid), tanh = lanes(x, simdTanh)
    for (i, v) in x.enumerated() {
      XCTAssertEqual(sig[i], gateSigmoid(v), accuracy: 2e-7 * max(1, gateSigmoid(v)), "σ(\(v))")
      XCTAssertEqual(tanh[i], gateTanh(v), accuracy: 3e-7, "tanh(\(v))")
      XCTAssertEqual(Double(tanh[i]), Foundation.tanh(Double(v)), accuracy: 4e-7, "tanh(\(v)) against libm")
    }
  }

  /// One forward and one backward gate step, fast against reference, at (rows, H).
  /// With `indirect`, packed row p reads gi row giRow[p] (a permutation with repeats, as the
  /// GRU on an embedding lookup does) and the reference must read the same rows.
  /// With `avx2`, the fast versions are the AVX2 + FMA ones (CGateKernels; fused multiply-adds
  /// round differently, hence the wider tolerance).
  private func checkGRUGates(rows: Int, h: Int, base: Int, indirect: Bool = false, avx2: Bool = false) {
    let (relative, absolute): (Double, Double) = avx2 ? (2e-5, 2e-6) : (1e-6, 1e-6)
    let packed = base + rows, g3 = 3 * h
    let gi = values(packed * g3, seed: 10, scale: 3), gh = values(rows * g3, seed: 11, scale: 3)
    let giRow: [Int32] = indirect ? (0..<packed).map { Int32(($0 * 7 + 3) % packed / 2) } : []
    let state0 = values(rows * h, seed: 12, scale: 1)
    let kernels = GRUGateKernels(h: h)
    func forward(_ fast: Bool) -> (state: [Float], gates: [Float], hn: [Float], hp: [Float]) {
      var state = state0
      var gates = [Float](repeating: -7, count: packed * g3), hn = [Float](repeating: -7, count: packed * h)
      var hp = [Float](repeating: -7, count: packed * h)
      gi.withUnsafeBufferPointer { gi in
        gh.withUnsafeBufferPointer { gh in
          state.withUnsafeMutableBufferPointer { s in
            gates.withUnsafeMutableBufferPointer { g in
              hn.withUnsafeMutableBufferPointer { n in
                hp.withUnsafeMutableBufferPointer { p in
                  giRow.withUnsafeBufferPointer { rowsOf in
                    let index = indirect ? rowsOf.baseAddress : nil
                    if fast && avx2 {
                      kernels.forwardAVX2(rows: rows, base: base, gi: gi.baseAddress!, gh: gh.baseAddress!,
                                          state: s.baseAddress!, gates: g.baseAddress!, hiddenN: n.baseAddress!,
                                          hPrev: p.baseAddress!, giRow: index)
                    } else if fast {
                      kernels.forward(rows: rows, base: base, gi: gi.baseAddress!, gh: gh.baseAddress!, state: s.baseAddress!,
                                      gates: g.baseAddress!, hiddenN: n.baseAddress!, hPrev: p.baseAddress!, giRow: index)
                    } else {
                      kernels.forwardReference(rows: rows, base: base, gi: gi.baseAddress!, gh: gh.baseAddress!,
                                               state: s.baseAddress!, gates: g.baseAddress!, hiddenN: n.baseAddress!,
                                               hPrev: p.baseAddress!, giRow: index)
                    }
                  }
                }
              }
            }
          }
        }
      }
      return (state, gates, hn, hp)
    }
    let slow = forward(false), fast = forward(true)
    assertClose(fast.state, slow.state, relative: relative, absolute: absolute)
    assertClose(fast.gates, slow.gates, relative: relative, absolute: absolute)
    XCTAssertEqual(fast.hn, slow.hn)
    XCTAssertEqual(fast.hp, slow.hp)
    XCTAssertFalse(slow.gates[(base * g3)...].contains(-7), "every running row's gates written")

    let delta0 = values(rows * h, seed: 13, scale: 1)
    func backward(_ fast: Bool) -> (delta: [Float], dgi: [Float], dgh: [Float]) {
      var delta = delta0
      var dgi = [Float](repeating: -7, count: packed * g3), dgh = [Float](repeating: -7, count: packed * g3)
      slow.gates.withUnsafeBufferPointer { g in
        slow.hn.withUnsafeBufferPointer { n in
          slow.hp.withUnsafeBufferPointer { p in
            delta.withUnsafeMutableBufferPointer { d in
              dgi.withUnsafeMutableBufferPointer { a in
                dgh.withUnsafeMutableBufferPointer { b in
                  if fast && avx2 {
                    kernels.backwardAVX2(rows: rows, base: base, gates: g.baseAddress!, hiddenN: n.baseAddress!,
                                         hPrev: p.baseAddress!, delta: d.baseAddress!, dgi: a.baseAddress!, dgh: b.baseAddress!)
                  } else if fast {
                    kernels.backward(rows: rows, base: base, gates: g.baseAddress!, hiddenN: n.baseAddress!,
                                     hPrev: p.baseAddress!, delta: d.baseAddress!, dgi: a.baseAddress!, dgh: b.baseAddress!)
                  } else {
                    kernels.backwardReference(rows: rows, base: base, gates: g.baseAddress!, hiddenN: n.baseAddress!,
                                              hPrev: p.baseAddress!, delta: d.baseAddress!, dgi: a.baseAddress!,
                                              dgh: b.baseAddress!)
                  }
                }
              }
            }
          }
        }
      }
      return (delta, dgi, dgh)
    }
    let slowBack = backward(false), fastBack = backward(true)
    let backRelative = avx2 ? 2e-5 : 1e-6, backAbsolute = avx2 ? 2e-6 : 1e-7
    assertClose(fastBack.delta, slowBack.delta, relative: backRelative, absolute: backAbsolute)
    assertClose(fastBack.dgi, slowBack.dgi, relative: backRelative, absolute: backAbsolute)
    assertClose(fastBack.dgh, slowBack.dgh, relative: backRelative, absolute: backAbsolute)
  }

  func testGRUGatesAtTheTrainingShape() { checkGRUGates(rows: 64, h: 64, base: 100) }  // H of training; rows fewer (debug speed)
  func testGRUGatesWithAScalarTail() { checkGRUGates(rows: 7, h: 20, base: 3) }
  func testGRUGatesReadingProjectedRowsThroughAnIndex() { checkGRUGates(rows: 64, h: 64, base: 100, indirect: true) }

  func testAVX2GRUGatesAgreeWithTheReference() throws {
    try XCTSkipUnless(GRUGateKernels.cpuHasAVX2, "this CPU has no AVX2 + FMA: the C gate loops are never used")
    checkGRUGates(rows: 64, h: 64, base: 100, avx2: true)
    checkGRUGates(rows: 64, h: 64, base: 100, indirect: true, avx2: true)
    checkGRUGates(rows: 5, h: 24, base: 3, avx2: true)  // H a multiple of 8, not of 16
  }

  // MARK: - Layer norm, column sums, unary ops, softmax

  func testLayerNormRowsAgreeWithTheReference() {
    let (rows, d) = (640, 64)  // D of the transformer; fewer rows than B·L = 5,120 (debug speed)
    let x = values(rows * d, seed: 20, scale: 2), w = values(d, seed: 21, scale: 1), b = values(d, seed: 22, scale: 1)
    let g = values(rows * d, seed: 23, scale: 1)
    func run(_ fast: Bool) -> (xh: [Float], y: [Float], rs: [Float], gx: [Float]) {
      var xh = [Float](repeating: 0, count: rows * d), y = xh, rs = [Float](repeating: 0, count: rows)
      var gx = values(rows * d, seed: 24, scale: 1)  // accumulates into an existing gradient
      x.withUnsafeBufferPointer { x in
        w.withUnsafeBufferPointer { w in
          b.withUnsafeBufferPointer { b in
            xh.withUnsafeMutableBufferPointer { xh in
              y.withUnsafeMutableBufferPointer { y in
                rs.withUnsafeMutableBufferPointer { rs in
                  let forward = fast ? LayerNormKernels.forward : LayerNormKernels.forwardReference
                  forward(rows, d, 1e-5, x.baseAddress!, w.baseAddress!, b.baseAddress!, xh.baseAddress!, y.baseAddress!,
                          rs.baseAddress!)
                }
              }
            }
          }
        }
      }
      g.withUnsafeBufferPointer { g in
        w.withUnsafeBufferPointer { w in
          xh.withUnsafeBufferPointer { xh in
            rs.withUnsafeBufferPointer { rs in
              gx.withUnsafeMutableBufferPointer { gx in
                let backward = fast ? LayerNormKernels.backwardInput : LayerNormKernels.backwardInputReference
                backward(rows, d, g.baseAddress!, w.baseAddress!, xh.baseAddress!, rs.baseAddress!, gx.baseAddress!)
              }
            }
          }
        }
      }
      return (xh, y, rs, gx)
    }
    let slow = run(false), fast = run(true)
    assertClose(fast.xh, slow.xh, relative: 1e-5, absolute: 1e-5)
    assertClose(fast.y, slow.y, relative: 1e-5, absolute: 1e-5)
    assertClose(fast.rs, slow.rs, relative: 1e-5, absolute: 0)
    assertClose(fast.gx, slow.gx, relative: 1e-4, absolute: 1e-5)
  }

  func testColumnSumsEqualTheScalarLoopExactly() {
    for (rows, cols) in [(640, 64), (640, 192), (7, 20), (3, 100)] {  // D and 3H of training
      let m = values(rows * cols, seed: 30, scale: 1), m2 = values(rows * cols, seed: 31, scale: 1)
      let start = values(cols, seed: 32, scale: 1)
      var fast = start, slow = start, fastDot = start, slowDot = start
      m.withUnsafeBufferPointer { m in
        m2.withUnsafeBufferPointer { m2 in
          columnSums(rows: rows, cols: cols, m.baseAddress!, into: &fast, vector: true)
          columnSumsReference(rows: rows, cols: cols, m.baseAddress!, into: &slow)
          columnDotSums(rows: rows, cols: cols, m.baseAddress!, m2.baseAddress!, into: &fastDot, vector: true)
          for r in 0..<rows { for k in 0..<cols { slowDot[k] += m[r * cols + k] * m2[r * cols + k] } }
        }
      }
      XCTAssertEqual(fast, slow, "column sums (\(rows), \(cols))")  // same order of additions
      XCTAssertEqual(fastDot, slowDot, "column dot sums (\(rows), \(cols))")
    }
  }

  /// Forward values and input gradients of a specialised op against its `unary` reference,
  /// both with a fresh gradient and accumulating into an existing one.
  private func checkUnary(_ name: String, tolerance: Double, _ fast: (Tensor) -> Tensor, _ reference: (Tensor) -> Tensor) {
    let shape = [32, 20, 8], n = 32 * 20 * 8
    let x = Tensor(shape: shape, data: values(n, seed: 40, scale: 3), requiresGrad: true)
    let weights = Tensor(shape: shape, data: values(n, seed: 41, scale: 1))
    func gradient(_ op: (Tensor) -> Tensor, twice: Bool) -> ([Float], [Float]) {
      x.grad = []
      let y = op(x)
      let loss = twice ? ((y * weights).sum() + (y * y).sum()) : (y * weights).sum()
      loss.backward()
      return (y.data, x.grad)
    }
    for twice in [false, true] {
      let (yFast, gFast) = gradient(fast, twice: twice), (ySlow, gSlow) = gradient(reference, twice: twice)
      assertClose(yFast, ySlow, relative: tolerance, absolute: tolerance)
      assertClose(gFast, gSlow, relative: tolerance, absolute: tolerance)
    }
    // A count that is not a multiple of 16 (tail) and the edges.
    let odd = Tensor(shape: [37], data: values(33, seed: 42, scale: 5) + [0, 90, -90, .nan])
    let a = fast(odd).data, b = reference(odd).data
    for i in 0..<36 { XCTAssertEqual(Double(a[i]), Double(b[i]), accuracy: tolerance, "\(name)(\(odd.data[i]))") }
    XCTAssertTrue(a[36].isNaN == b[36].isNaN, "\(name)(NaN)")
  }

  /// (In a debug build `tanh()` evaluates `gateTanh` per element instead of `simdTanh`; the
  /// vector function itself is checked in testSigmoidAndTanhAgreeWithTheScalarGates.)
  func testSpecialisedUnaryOpsAgreeWithTheGenericOnes() {
    checkUnary("relu", tolerance: 0, { $0.relu() }, { $0.reluReference() })
    // tanh: values within 4e-7 of libm (testSigmoidAndTanh…), so gradients of y-dependent
    // losses (here (w + 2y)(1 − y²), |w + 2y| ≤ 3) within ~3 · 4e-7.
    checkUnary("tanh", tolerance: 1.5e-6, { $0.tanh() }, { $0.tanhReference() })
    checkUnary("scale", tolerance: 0, { $0 * 0.125 }, { $0.scaledReference(by: 0.125) })
  }

  func testContiguousSoftmaxAgreesWithTheGeneralLoops() {
    let (b, l) = (64, 20)  // the transformer's (B, L, L), fewer rows, with padded keys
    let x = Tensor(shape: [b, l, l], data: values(b * l * l, seed: 50, scale: 4), requiresGrad: true)
    var mask = [Bool](repeating: true, count: b * l * l)
    for row in 0..<b { let valid = row % (l + 1); for i in 0..<l { for j in valid..<l { mask[(row * l + i) * l + j] = false } } }
    let weights = Tensor(shape: [b, l, l], data: values(b * l * l, seed: 51, scale: 1))
    for m in [mask, nil] {
      x.grad = []
      let fast = x.softmax(axis: -1, mask: m)
      (fast * weights).sum().backward()
      let fastGrad = x.grad
      x.grad = []
      let slow = x.normalizedExponential(axis: -1, mask: m, logarithm: false, reference: true)
      (slow * weights).sum().backward()
      XCTAssertEqual(fast.data, slow.data)  // the same arithmetic in the same order
      XCTAssertEqual(fastGrad, x.grad)
    }
  }

  /// The contiguous softmax with `simdExp` (optimised builds) against the general loops with
  /// libm's exp: values within simdExp's few-ulp error, gradients likewise; a slice with no
  /// valid entry and one whose only valid entry is −∞ stay all zero.
  func testContiguousSoftmaxWithTheVectorExponentialAgreesWithTheGeneralLoops() {
    let (b, l) = (64, 20)
    var data = values(b * l * l, seed: 52, scale: 30)
    var mask = [Bool](repeating: true, count: b * l * l)
    for row in 0..<b { let valid = row % (l + 1); for i in 0..<l { for j in valid..<l { mask[(row * l + i) * l + j] = false } } }
    for j in 0..<l { mask[l + j] = j == 3; data[l + j] = j == 3 ? -.infinity : 1 }  // slice 1: only −∞ valid
    let x = Tensor(shape: [b, l, l], data: data, requiresGrad: true)
    let weights = Tensor(shape: [b, l, l], data: values(b * l * l, seed: 53, scale: 1))
    for m in [mask, nil] {
      x.grad = []
      let fast = x.normalizedExponential(axis: -1, mask: m, logarithm: false, vectorExponential: true)
      (fast * weights).sum().backward()
      let fastGrad = x.grad
      x.grad = []
      let slow = x.normalizedExponential(axis: -1, mask: m, logarithm: false, reference: true)
      (slow * weights).sum().backward()
      assertClose(fast.data, slow.data, relative: 2e-6, absolute: 1e-7, "softmax")
      assertClose(fastGrad, x.grad, relative: 2e-5, absolute: 1e-6, "gradient")
      if m != nil {
        XCTAssertEqual(Array(fast.data[0..<(2 * l)]), [Float](repeating: 0, count: 2 * l), "empty slices stay 0")
      }
    }
  }

  /// Adam with two threads (an item table of 1,683 × 64, split in two ranges) gives the same
  /// bits as with one, over two steps, with and without weight decay.
  func testAdamOnTwoThreadsEqualsOneThread() {
    func run(threads: Int) -> [[Float]] {
      let table = Tensor(shape: [1_683, 64], data: values(1_683 * 64, seed: 60, scale: 0.01), requiresGrad: true, name: "t")
      let bias = Tensor(shape: [64], data: values(64, seed: 61, scale: 0.01), requiresGrad: true, name: "b")
      bias.appliesWeightDecay = false
      let adam = Adam(parameters: [("t", table), ("b", bias)], learningRate: 1e-3, weightDecay: 1e-4)
      adam.threads = threads
      for step in 0..<2 {
        table.grad = values(table.count, seed: 70 + UInt64(step), scale: 1)
        bias.grad = step == 1 ? [] : values(64, seed: 80 + UInt64(step), scale: 1)  // an empty gradient in step 2
        adam.step()
      }
      return [table.data, bias.data]
    }
    XCTAssertEqual(run(threads: 2), run(threads: 1))
  }
}
