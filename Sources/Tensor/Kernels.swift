import CGateKernels
import Foundation

// Vectorised inner loops of the training step (issue 11), each beside the scalar reference it
// must agree with (tests: KernelTests, real shapes, float-rounding tolerances).
//
// They use Swift's SIMD16<Float>, which compiles at the default x86-64 target to four SSE
// operations per instruction (AVX-512 would need a target CPU the binary cannot assume).
// Only +, −, ×, ÷, min/max, comparisons and bit operations are used: at this target
// `addProduct` becomes per-lane calls of libm's `fmaf` and `rounded()` per-lane calls of
// `rintf` (SSE2 has neither FMA nor a vector round), so the exponential below rounds with
// the 1.5·2²³ trick instead.
//
// Rows of length not a multiple of 16 finish with the scalar reference code.
//
// Ops call these only in optimised builds (`vectorKernels`): debug (-Onone) builds do not
// specialise the generic SIMD operators, which made the SIMD loops ~30× slower than the scalar
// references there (the test suite trains models in a debug build and got 40 % slower;
// `@_optimize(speed)` did not help). Debug builds take the references; KernelTests call both
// versions directly in either configuration.

/// True in optimised builds: ops use the SIMD kernels; false in debug builds: the references.
#if DEBUG
let vectorKernels = false
#else
let vectorKernels = true
#endif

typealias Float16x = SIMD16<Float>

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> Float16x {
  UnsafeRawPointer(p).loadUnaligned(as: Float16x.self)
}

@inline(__always)
func store16(_ v: Float16x, _ p: UnsafeMutablePointer<Float>) {
  UnsafeMutableRawPointer(p).storeBytes(of: v, as: Float16x.self)
}

// Lane selection without SIMDMask: the generic `replacing(with:where:)`, `clamped` and
// `pointwiseMin` compile to per-lane loops through the stack (measured: the GRU gates got 2.6×
// slower than scalar code). Masks here are Int32 lanes of all ones or zeros made from sign
// bits, and selection is bitwise, which compiles to plain SSE instructions.

typealias Int32x16 = SIMD16<Int32>

@inline(__always) func bits(_ v: Float16x) -> Int32x16 { unsafeBitCast(v, to: Int32x16.self) }
@inline(__always) func floats(_ v: Int32x16) -> Float16x { unsafeBitCast(v, to: Float16x.self) }

/// All ones in the lanes where `v`'s sign bit is set (v < 0 or −0), zeros elsewhere.
@inline(__always) func signMask(_ v: Float16x) -> Int32x16 { bits(v) &>> 31 }

/// `a` where `mask` is all ones, `b` where it is zero.
@inline(__always) func select(_ mask: Int32x16, _ a: Float16x, _ b: Float16x) -> Float16x {
  floats((bits(a) & mask) | (bits(b) & ~mask))
}

/// All ones in the NaN lanes: |bits| > the bits of +∞.
@inline(__always) func nanMask(_ v: Float16x) -> Int32x16 {
  (Int32x16(repeating: 0x7F80_0000) &- (bits(v) & 0x7FFF_FFFF)) &>> 31
}

/// |v| per lane (sign bit cleared).
@inline(__always) func magnitude(_ v: Float16x) -> Float16x { floats(bits(v) & 0x7FFF_FFFF) }

/// eˣ per lane, relative error < 3e-7 (a few ulp) over the whole Float range: +∞ for
/// x > 88.72, 0 for x < −87.34 (where Float goes subnormal), NaN stays NaN.
///
/// x = n·ln 2 + r with |r| ≤ ln2/2 (Cody–Waite: ln 2 split in two constants), eʳ by the
/// degree-7 minimax polynomial of Cephes' `expf`, then scaled by 2ⁿ built in the exponent bits.
@inline(__always)
func simdExp(_ x: Float16x) -> Float16x {
  let upper: Float = 88.72283, lower: Float = -87.33654
  let tooLow = signMask(x - lower), tooHigh = signMask(upper - x), nan = nanMask(x)
  let clamped = select(tooLow, Float16x(repeating: lower), select(tooHigh, Float16x(repeating: upper), x))
  // n = round(x / ln 2): adding 1.5·2²³ leaves the rounded integer in the low mantissa bits.
  let magic: Float = 12_582_912
  let shifted = clamped * 1.442_695_04 + magic
  let n = shifted - magic
  let r = clamped - n * 0.693_359_375 - n * -2.121_944_4e-4
  var p = Float16x(repeating: 1.987_569_15e-4)
  p = p * r + 1.398_199_950_7e-3
  p = p * r + 8.333_451_907_3e-3
  p = p * r + 4.166_579_589_4e-2
  p = p * r + 1.666_666_545_9e-1
  p = p * r + 5.000_000_120_1e-1
  let er = p * (r * r) + r + 1
  // 2ⁿ as 2^⌊n/2⌋ · 2^(n − ⌊n/2⌋), each built in the exponent bits: n ∈ [−126, 128] here and
  // 2¹²⁸ itself is not a Float (e^88.7 = 0.98 · 2¹²⁸ is).
  let nInt = bits(shifted) &- Int32(bitPattern: magic.bitPattern)
  let half = nInt &>> 1, rest = nInt &- half
  var result = er * floats((half &+ 127) &<< 23) * floats((rest &+ 127) &<< 23)
  result = select(tooHigh, Float16x(repeating: .infinity), result)
  result = floats(bits(result) & ~tooLow)  // 0 below the range
  return select(nan, x, result)
}

/// σ(x) = 1 / (1 + e⁻ˣ) per lane (the vector form of `gateSigmoid`).
@inline(__always)
func simdSigmoid(_ x: Float16x) -> Float16x { 1 / (simdExp(-x) + 1) }

/// tanh x per lane (the vector form of `gateTanh`): 1 − 2 / (1 + e²ˣ), and the Taylor series
/// x − x³/3 + 2x⁵/15 − 17x⁷/315 where |x| < 1/8.
@inline(__always)
func simdTanh(_ x: Float16x) -> Float16x {
  let e2x = simdExp(x + x)
  let result = 1 - 2 / (e2x + 1)
  let s = x * x
  let c3: Float = -1.0 / 3, c5: Float = 2.0 / 15, c7: Float = -17.0 / 315
  var series = s * c7 + c5
  series = series * s + c3
  series = x * (series * s + 1)
  return select(signMask(magnitude(x) - 0.125), series, result)
}

// MARK: - GRU gate loops (one time step, `rows` running sequences)

/// The GRU's forward gate loop for one step; the equations are in GRU.swift.
///
/// For each running row s (packed row p = base + s) and j < H:
/// r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h ← (1 − z)·n + z·h,
/// saving r|z|n in `gates` (P, 3H), gh_n in `hiddenN` (P, H) and h before the step in `hPrev`.
/// - Parameters: gi (P, 3H) rows from `base`, or with `giRow`, packed row p's input projection
///   is row giRow[p] of gi (the GRU on an embedding lookup projects each distinct item once);
///   gh (rows, 3H) this step's h·W_hhᵀ + b_hh; state (rows, H) updated in place.
struct GRUGateKernels {
  let h: Int

  /// Whether this CPU runs the AVX2 + FMA versions (CGateKernels) of the loops below: decided
  /// once per process (a global `let`, initialised lazily and thread-safely, then immutable).
  static let cpuHasAVX2 = cgk_has_avx2_fma() != 0

  /// Whether `forwardAVX2` and `backwardAVX2` may be used: the CPU has AVX2 + FMA and H is a
  /// multiple of their 8 lanes.
  var avx2: Bool { GRUGateKernels.cpuHasAVX2 && h % 8 == 0 }

  /// `forward` compiled for AVX2 + FMA (C, CGateKernels): the same arithmetic 8 lanes at a
  /// time, with fused multiply-adds (float rounding only). Only when `avx2` is true.
  func forwardAVX2(rows: Int, base: Int, gi: UnsafePointer<Float>, gh: UnsafePointer<Float>,
                   state: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
                   hiddenN: UnsafeMutablePointer<Float>, hPrev: UnsafeMutablePointer<Float>,
                   giRow: UnsafePointer<Int32>? = nil) {
    precondition(avx2, "GRUGateKernels.forwardAVX2: needs AVX2 + FMA and H % 8 == 0 (H = \(h))")
    cgk_gru_forward(rows, base, h, gi, giRow, gh, state, gates, hiddenN, hPrev)
  }

  /// `backward` compiled for AVX2 + FMA (C, CGateKernels). Only when `avx2` is true.
  func backwardAVX2(rows: Int, base: Int, gates: UnsafePointer<Float>, hiddenN: UnsafePointer<Float>,
                    hPrev: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>,
                    dgi: UnsafeMutablePointer<Float>, dgh: UnsafeMutablePointer<Float>) {
    precondition(avx2, "GRUGateKernels.backwardAVX2: needs AVX2 + FMA and H % 8 == 0 (H = \(h))")
    cgk_gru_backward(rows, base, h, gates, hiddenN, hPrev, delta, dgi, dgh)
  }

  /// Scalar reference.
  func forwardReference(rows: Int, base: Int, gi: UnsafePointer<Float>, gh: UnsafePointer<Float>,
                        state: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
                        hiddenN: UnsafeMutablePointer<Float>, hPrev: UnsafeMutablePointer<Float>,
                        giRow: UnsafePointer<Int32>? = nil) {
    let g3 = 3 * h
    for s in 0..<rows {
      let row = giRow.map { Int($0[base + s]) } ?? base + s
      forwardRowScalar(from: 0, gi: gi + row * g3, gh: gh + s * g3, state: state + s * h,
                       gates: gates + (base + s) * g3, hiddenN: hiddenN + (base + s) * h, hPrev: hPrev + (base + s) * h)
    }
  }

  @inline(__always)
  private func forwardRowScalar(from start: Int, gi: UnsafePointer<Float>, gh: UnsafePointer<Float>,
                                state: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
                                hiddenN: UnsafeMutablePointer<Float>, hPrev: UnsafeMutablePointer<Float>) {
    for j in start..<h {
      let r = gateSigmoid(gi[j] + gh[j])
      let z = gateSigmoid(gi[h + j] + gh[h + j])
      let nh = gh[2 * h + j]
      let n = gateTanh(gi[2 * h + j] + r * nh)
      let previous = state[j]
      gates[j] = r
      gates[h + j] = z
      gates[2 * h + j] = n
      hiddenN[j] = nh
      hPrev[j] = previous
      state[j] = (1 - z) * n + z * previous
    }
  }

  /// SIMD16 version of `forwardReference` (same results up to float rounding).
  func forward(rows: Int, base: Int, gi: UnsafePointer<Float>, gh: UnsafePointer<Float>,
               state: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
               hiddenN: UnsafeMutablePointer<Float>, hPrev: UnsafeMutablePointer<Float>,
               giRow rowIndex: UnsafePointer<Int32>? = nil) {
    let g3 = 3 * h, vectorEnd = h - h % 16
    for s in 0..<rows {
      let p = base + s
      let giRow = gi + (rowIndex.map { Int($0[p]) } ?? p) * g3, ghRow = gh + s * g3, hRow = state + s * h
      let gateRow = gates + p * g3, hnRow = hiddenN + p * h, hpRow = hPrev + p * h
      var j = 0
      while j < vectorEnd {
        let r = simdSigmoid(load16(giRow + j) + load16(ghRow + j))
        let z = simdSigmoid(load16(giRow + h + j) + load16(ghRow + h + j))
        let nh = load16(ghRow + 2 * h + j)
        let n = simdTanh(load16(giRow + 2 * h + j) + r * nh)
        let previous = load16(hRow + j)
        store16(r, gateRow + j)
        store16(z, gateRow + h + j)
        store16(n, gateRow + 2 * h + j)
        store16(nh, hnRow + j)
        store16(previous, hpRow + j)
        store16((1 - z) * n + z * previous, hRow + j)
        j += 16
      }
      if vectorEnd < h {
        forwardRowScalar(from: vectorEnd, gi: giRow, gh: ghRow, state: hRow, gates: gateRow, hiddenN: hnRow, hPrev: hpRow)
      }
    }
  }

  /// The backward gate loop for one step (derivation in GRU.swift): from δ = dL/dh after the
  /// step (`delta`, (rows, H), replaced by the direct part δ ⊙ z) it writes dgi and dgh rows
  /// (P, 3H) of this step. Scalar reference.
  func backwardReference(rows: Int, base: Int, gates: UnsafePointer<Float>, hiddenN: UnsafePointer<Float>,
                         hPrev: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>,
                         dgi: UnsafeMutablePointer<Float>, dgh: UnsafeMutablePointer<Float>) {
    let g3 = 3 * h
    for s in 0..<rows {
      let p = base + s
      backwardRowScalar(from: 0, gates: gates + p * g3, hiddenN: hiddenN + p * h, hPrev: hPrev + p * h,
                        delta: delta + s * h, dgi: dgi + p * g3, dgh: dgh + p * g3)
    }
  }

  @inline(__always)
  private func backwardRowScalar(from start: Int, gates: UnsafePointer<Float>, hiddenN: UnsafePointer<Float>,
                                 hPrev: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>,
                                 dgi: UnsafeMutablePointer<Float>, dgh: UnsafeMutablePointer<Float>) {
    for j in start..<h {
      let r = gates[j], z = gates[h + j], n = gates[2 * h + j]
      let d = delta[j]
      let dn = d * (1 - z)
      let dz = d * (hPrev[j] - n)
      let dan = dn * (1 - n * n)
      let dr = dan * hiddenN[j]
      let daz = dz * z * (1 - z)
      let dar = dr * r * (1 - r)
      dgi[j] = dar
      dgi[h + j] = daz
      dgi[2 * h + j] = dan
      dgh[j] = dar
      dgh[h + j] = daz
      dgh[2 * h + j] = dan * r
      delta[j] = d * z
    }
  }

  /// SIMD16 version of `backwardReference` (identical arithmetic, so identical results).
  func backward(rows: Int, base: Int, gates: UnsafePointer<Float>, hiddenN: UnsafePointer<Float>,
                hPrev: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>,
                dgi: UnsafeMutablePointer<Float>, dgh: UnsafeMutablePointer<Float>) {
    let g3 = 3 * h, vectorEnd = h - h % 16
    for s in 0..<rows {
      let p = base + s
      let gateRow = gates + p * g3, hnRow = hiddenN + p * h, hpRow = hPrev + p * h
      let dRow = delta + s * h, dgiRow = dgi + p * g3, dghRow = dgh + p * g3
      var j = 0
      while j < vectorEnd {
        let r = load16(gateRow + j), z = load16(gateRow + h + j), n = load16(gateRow + 2 * h + j)
        let d = load16(dRow + j)
        let dn = d * (1 - z)
        let dz = d * (load16(hpRow + j) - n)
        let dan = dn * (1 - n * n)
        let dr = dan * load16(hnRow + j)
        let daz = dz * z * (1 - z)
        let dar = dr * r * (1 - r)
        store16(dar, dgiRow + j)
        store16(daz, dgiRow + h + j)
        store16(dan, dgiRow + 2 * h + j)
        store16(dar, dghRow + j)
        store16(daz, dghRow + h + j)
        store16(dan * r, dghRow + 2 * h + j)
        store16(d * z, dRow + j)
        j += 16
      }
      if vectorEnd < h {
        backwardRowScalar(from: vectorEnd, gates: gateRow, hiddenN: hnRow, hPrev: hpRow, delta: dRow,
                          dgi: dgiRow, dgh: dghRow)
      }
    }
  }
}

// MARK: - Layer norm rows (Tensor+NN.swift `layerNorm`)

/// Sum of the 16 lanes (pairwise halves, then four scalars).
@inline(__always)
func laneSum(_ v: Float16x) -> Float {
  let eight = v.lowHalf + v.highHalf
  let four = eight.lowHalf + eight.highHalf
  return (four[0] + four[1]) + (four[2] + four[3])
}

/// Layer normalisation of `rows` rows of `d` values, forward and the input gradient; the
/// equations are in `Tensor.layerNorm`. The fast versions need d % 16 == 0 (callers fall back
/// to the references otherwise).
enum LayerNormKernels {
  /// Scalar reference: writes x̂ (`normalized`), y = x̂ ⊙ w + b and 1/√(σ² + eps) per row.
  static func forwardReference(rows: Int, d: Int, eps: Float, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>, normalized: UnsafeMutablePointer<Float>,
                               out: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
      let base = row * d
      var sum: Float = 0
      for k in 0..<d { sum += x[base + k] }
      let mean = sum / Float(d)
      var squares: Float = 0
      for k in 0..<d { let c = x[base + k] - mean; squares += c * c }
      let rstd = 1 / (squares / Float(d) + eps).squareRoot()
      inverseStd[row] = rstd
      for k in 0..<d {
        let v = (x[base + k] - mean) * rstd
        normalized[base + k] = v
        out[base + k] = v * weight[k] + bias[k]
      }
    }
  }

  /// SIMD16 version of `forwardReference` (sums in another order: float rounding only).
  static func forward(rows: Int, d: Int, eps: Float, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                      bias: UnsafePointer<Float>, normalized: UnsafeMutablePointer<Float>,
                      out: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
    precondition(d % 16 == 0, "LayerNormKernels.forward: d = \(d) is not a multiple of 16")
    let scale = 1 / Float(d)
    for row in 0..<rows {
      let xr = x + row * d
      var acc = Float16x(repeating: 0)
      var k = 0
      while k < d { acc += load16(xr + k); k += 16 }
      let mean = laneSum(acc) * scale
      acc = Float16x(repeating: 0)
      k = 0
      while k < d { let c = load16(xr + k) - mean; acc += c * c; k += 16 }
      let rstd = 1 / (laneSum(acc) * scale + eps).squareRoot()
      inverseStd[row] = rstd
      k = 0
      while k < d {
        let v = (load16(xr + k) - mean) * rstd
        store16(v, normalized + row * d + k)
        store16(v * load16(weight + k) + load16(bias + k), out + row * d + k)
        k += 16
      }
    }
  }

  /// Scalar reference of the input gradient: gx += ρ (ĝ − mean ĝ − x̂ · mean(ĝ x̂)), ĝ = g ⊙ w.
  static func backwardInputReference(rows: Int, d: Int, g: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     normalized: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                                     gx: UnsafeMutablePointer<Float>) {
    for row in 0..<rows {
      let base = row * d
      var meanG: Float = 0, meanGX: Float = 0
      for k in 0..<d {
        let gh = g[base + k] * weight[k]
        meanG += gh
        meanGX += gh * normalized[base + k]
      }
      meanG /= Float(d)
      meanGX /= Float(d)
      let rstd = inverseStd[row]
      for k in 0..<d {
        gx[base + k] += rstd * (g[base + k] * weight[k] - meanG - normalized[base + k] * meanGX)
      }
    }
  }

  /// SIMD16 version of `backwardInputReference`.
  static func backwardInput(rows: Int, d: Int, g: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                            normalized: UnsafePointer<Float>, inverseStd: UnsafePointer<Float>,
                            gx: UnsafeMutablePointer<Float>) {
    precondition(d % 16 == 0, "LayerNormKernels.backwardInput: d = \(d) is not a multiple of 16")
    let scale = 1 / Float(d)
    for row in 0..<rows {
      let gr = g + row * d, xr = normalized + row * d, out = gx + row * d
      var sumG = Float16x(repeating: 0), sumGX = Float16x(repeating: 0)
      var k = 0
      while k < d {
        let gh = load16(gr + k) * load16(weight + k)
        sumG += gh
        sumGX += gh * load16(xr + k)
        k += 16
      }
      let meanG = laneSum(sumG) * scale, meanGX = laneSum(sumGX) * scale
      let rstd = inverseStd[row]
      k = 0
      while k < d {
        let update = (load16(gr + k) * load16(weight + k) - meanG - load16(xr + k) * meanGX) * rstd
        store16(load16(out + k) + update, out + k)
        k += 16
      }
    }
  }

  /// db += Σ_rows g and dw += Σ_rows g ⊙ x̂ (column sums; the same order as the reference loop).
  static func backwardAffine(rows: Int, d: Int, g: UnsafePointer<Float>, normalized: UnsafePointer<Float>,
                             gw: UnsafeMutablePointer<Float>?, gb: UnsafeMutablePointer<Float>?) {
    if let gb { columnSums(rows: rows, cols: d, g, into: gb) }
    if let gw { columnDotSums(rows: rows, cols: d, g, normalized, into: gw) }
  }
}

// MARK: - Column sums (bias gradients)

/// out[j] += Σ_r m[r, j] for a row-major (rows, cols) matrix: every bias gradient. Each
/// column is summed in row order, as `columnSumsReference`, so results are identical; 64
/// columns at a time are kept in four registers over one pass down the rows.
/// `vector` false: the scalar loop (debug builds; tests pass true to check the SIMD loop).
func columnSums(rows: Int, cols: Int, _ m: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                vector: Bool = vectorKernels) {
  if !vector { columnSumsReference(rows: rows, cols: cols, m, into: out); return }
  var j = 0
  while j + 64 <= cols {
    var a0 = load16(out + j), a1 = load16(out + j + 16), a2 = load16(out + j + 32), a3 = load16(out + j + 48)
    var p = m + j
    for _ in 0..<rows {
      a0 += load16(p); a1 += load16(p + 16); a2 += load16(p + 32); a3 += load16(p + 48)
      p += cols
    }
    store16(a0, out + j); store16(a1, out + j + 16); store16(a2, out + j + 32); store16(a3, out + j + 48)
    j += 64
  }
  while j + 16 <= cols {
    var acc = load16(out + j)
    var p = m + j
    for _ in 0..<rows { acc += load16(p); p += cols }
    store16(acc, out + j)
    j += 16
  }
  if j < cols {
    for r in 0..<rows { for k in j..<cols { out[k] += m[r * cols + k] } }
  }
}

/// Scalar reference of `columnSums`.
func columnSumsReference(rows: Int, cols: Int, _ m: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
  for r in 0..<rows { for k in 0..<cols { out[k] += m[r * cols + k] } }
}

/// out[j] += Σ_r a[r, j] · b[r, j] (the layer norm's weight gradient), column by column in
/// row order like the scalar loop; 64 columns per pass as `columnSums`.
func columnDotSums(rows: Int, cols: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                   into out: UnsafeMutablePointer<Float>, vector: Bool = vectorKernels) {
  if !vector {
    for r in 0..<rows { for k in 0..<cols { out[k] += a[r * cols + k] * b[r * cols + k] } }
    return
  }
  var j = 0
  while j + 64 <= cols {
    var a0 = load16(out + j), a1 = load16(out + j + 16), a2 = load16(out + j + 32), a3 = load16(out + j + 48)
    for r in 0..<rows {
      let pa = a + r * cols + j, pb = b + r * cols + j
      a0 += load16(pa) * load16(pb); a1 += load16(pa + 16) * load16(pb + 16)
      a2 += load16(pa + 32) * load16(pb + 32); a3 += load16(pa + 48) * load16(pb + 48)
    }
    store16(a0, out + j); store16(a1, out + j + 16); store16(a2, out + j + 32); store16(a3, out + j + 48)
    j += 64
  }
  while j + 16 <= cols {
    var acc = load16(out + j)
    for r in 0..<rows { acc += load16(a + r * cols + j) * load16(b + r * cols + j) }
    store16(acc, out + j)
    j += 16
  }
  if j < cols {
    for r in 0..<rows { for k in j..<cols { out[k] += a[r * cols + k] * b[r * cols + k] } }
  }
}

// MARK: - Row copies

/// Copies `count` floats from `source` to `destination` (non-overlapping) with SIMD16 moves:
/// for the short rows (D = 64) of embedding lookups and bias fills, where one `memmove` call
/// per row costs more than the copy.
@inline(__always)
func copyRow(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
  guard vectorKernels else { destination.update(from: source, count: count); return }
  var j = 0
  while j + 16 <= count { store16(load16(source + j), destination + j); j += 16 }
  while j < count { destination[j] = source[j]; j += 1 }
}

/// Adds `count` floats of `source` into `destination` (non-overlapping) with SIMD16 operations:
/// the per-row scatter-adds of gradients (GRU inputs, embedding rows). Each element gets one
/// addition, so the result is that of the scalar loop.
@inline(__always)
func addRow(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
  var j = 0
  if vectorKernels {
    while j + 16 <= count { store16(load16(destination + j) + load16(source + j), destination + j); j += 16 }
  }
  while j < count { destination[j] += source[j]; j += 1 }
}
