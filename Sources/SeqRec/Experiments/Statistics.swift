import Foundation

/// The statistics the benchmark tables need (issue 13): mean and sample standard deviation,
/// the regularised incomplete beta function, Student's t distribution and the two-sided
/// paired t-test used for Table 2's `*`/`**` marks (the paper's significance test).
///
/// Foundation has no statistics; these follow the textbook definitions (Abramowitz & Stegun
/// 26.5.8 for the beta continued fraction, 26.7.1 for the t distribution through it).
public enum Statistics {
  /// Arithmetic mean; nil for no values.
  public static func mean(_ values: [Double]) -> Double? {
    values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
  }

  /// Sample standard deviation (n − 1 in the denominator); nil for fewer than 2 values.
  public static func standardDeviation(_ values: [Double]) -> Double? {
    guard values.count >= 2, let m = mean(values) else { return nil }
    let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
    return (squares / Double(values.count - 1)).squareRoot()
  }

  /// The regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0
  /// and 0 ≤ x ≤ 1, by Lentz's evaluation of its continued fraction (A&S 26.5.8), using the
  /// symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly
  /// (x > (a + 1)/(a + b + 2)). Relative accuracy about 1e-14; NaN outside the domain.
  public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    guard a > 0, b > 0, x >= 0, x <= 1 else { return .nan }
    if x == 0 { return 0 }
    if x == 1 { return 1 }
    if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a) }
    // x^a (1 − x)^b / (a B(a, b)), in logs to stay finite for large a, b.
    let logFront = a * log(x) + b * log1p(-x) - (lgamma(a) + lgamma(b) - lgamma(a + b)) - log(a)
    // Continued fraction 1 / (1 + d1 / (1 + d2 / (1 + …))), d_{2m+1} and d_{2m} of A&S 26.5.8.
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var fraction = d
    for m in 1...10_000 {
      let m = Double(m)
      let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
      d = 1 + even * d
      if abs(d) < tiny { d = tiny }
      c = 1 + even / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      fraction *= d * c
      let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
      d = 1 + odd * d
      if abs(d) < tiny { d = tiny }
      c = 1 + odd / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let step = d * c
      fraction *= step
      if abs(step - 1) < 1e-15 { break }
    }
    return exp(logFront) * fraction
  }

  /// P(T ≤ t) for Student's t with `degreesOfFreedom` ν > 0 (A&S 26.7.1):
  /// with x = ν / (ν + t²), P(|T| ≥ |t|) = I_x(ν/2, 1/2), so the CDF is 1 − ½ I_x for t ≥ 0
  /// and ½ I_x for t < 0. NaN for ν ≤ 0 or t NaN.
  public static func studentTCDF(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    guard nu > 0, !t.isNaN else { return .nan }
    if t.isInfinite { return t > 0 ? 1 : 0 }
    let tail = 0.5 * regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
    return t >= 0 ? 1 - tail : tail
  }

  /// Two-sided p-value of Student's t statistic `t` with ν degrees of freedom:
  /// P(|T| ≥ |t|) = I_{ν/(ν+t²)}(ν/2, 1/2), computed directly (not as 2·(1 − CDF)) so small
  /// p-values keep their precision.
  public static func studentTTwoSidedP(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    guard nu > 0, !t.isNaN else { return .nan }
    if t.isInfinite { return 0 }
    return regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
  }

  /// The result of a paired t-test.
  public struct PairedTTest: Equatable, Sendable {
    /// Number of pairs n.
    public var count: Int
    /// Mean of the differences a_i − b_i.
    public var meanDifference: Double
    /// t = mean(d) / (sd(d) / √n), sd with n − 1; ±inf when every difference is the same
    /// non-zero value.
    public var t: Double
    /// n − 1.
    public var degreesOfFreedom: Int
    /// Two-sided p-value P(|T| ≥ |t|) under H0: mean difference 0.
    public var p: Double
  }

  /// Two-sided paired t-test of `a` against `b` (pairs by index), as scipy.stats.ttest_rel:
  /// the one-sample t-test of the differences a_i − b_i against 0.
  /// - Returns: nil when it is undefined: the arrays differ in length, fewer than 2 pairs,
  ///   or every difference is 0 (no evidence either way; scipy returns NaN).
  public static func pairedTTest(_ a: [Double], _ b: [Double]) -> PairedTTest? {
    guard a.count == b.count, a.count >= 2 else { return nil }
    let differences = zip(a, b).map { $0 - $1 }
    guard let m = mean(differences), let sd = standardDeviation(differences) else { return nil }
    let n = differences.count
    if sd == 0 {
      guard m != 0 else { return nil }
      return PairedTTest(count: n, meanDifference: m, t: m > 0 ? .infinity : -.infinity, degreesOfFreedom: n - 1, p: 0)
    }
    let t = m / (sd / Double(n).squareRoot())
    return PairedTTest(count: n, meanDifference: m, t: t, degreesOfFreedom: n - 1,
                       p: studentTTwoSidedP(t, degreesOfFreedom: Double(n - 1)))
  }

  /// The table's significance mark for a p-value: "**" for p ≤ 0.01, "*" for p ≤ 0.05,
  /// "" otherwise (or for nil).
  public static func significanceMark(_ p: Double?) -> String {
    guard let p else { return "" }
    return p <= 0.01 ? "**" : p <= 0.05 ? "*" : ""
  }
}
