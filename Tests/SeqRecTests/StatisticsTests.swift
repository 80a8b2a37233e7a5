// Statistics (Sources/SeqRec/Experiments/Statistics.swift) against values computed by hand and
// by SciPy 1.17.1 (`scipy.special.betainc(a, b, x)`, `scipy.stats.t.cdf(t, df)`,
// `2 * scipy.stats.t.sf(|t|, df)`, `scipy.stats.ttest_rel(a, b)`), run once in a Python venv;
// the printed values are written here as literals.
import SeqRec
import XCTest

final class StatisticsTests: XCTestCase {
  func testRegularizedIncompleteBetaAgainstClosedFormAndSciPy() {
    // Integer a, b: I_x(2, 3) = Σ_{j=2}^{4} C(4, j) x^j (1 − x)^{4−j}
    //   = 6·0.09·0.49 + 4·0.027·0.7 + 0.0081 = 0.3483 at x = 0.3.
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(0.3, a: 2, b: 3), 0.3483, accuracy: 1e-14)
    // I_x(½, ½) = (2/π) asin(√x).
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(0.9, a: 0.5, b: 0.5), 2 / Double.pi * asin(0.9.squareRoot()), accuracy: 1e-14)
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(0.9, a: 0.5, b: 0.5), 0.7951672353008665, accuracy: 1e-14)
    // Tiny values keep their relative precision (SciPy: 1.770034965528571e-21, 6.255662994307364e-32).
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(0.01, a: 10, b: 0.5) / 1.770034965528571e-21, 1, accuracy: 1e-11)
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(0.5, a: 100, b: 0.5) / 6.255662994307364e-32, 1, accuracy: 1e-11)
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(0.999, a: 2.5, b: 7), 1, accuracy: 1e-14)
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(0, a: 2, b: 3), 0)
    XCTAssertEqual(Statistics.regularizedIncompleteBeta(1, a: 2, b: 3), 1)
    XCTAssertTrue(Statistics.regularizedIncompleteBeta(1.5, a: 2, b: 3).isNaN)
    XCTAssertTrue(Statistics.regularizedIncompleteBeta(0.5, a: 0, b: 3).isNaN)
  }

  func testStudentTAgainstClosedFormsAndSciPy() {
    // ν = 1 is the Cauchy distribution: CDF = ½ + atan(t)/π.
    XCTAssertEqual(Statistics.studentTCDF(4.5, degreesOfFreedom: 1), 0.5 + atan(4.5) / Double.pi, accuracy: 1e-14)
    XCTAssertEqual(Statistics.studentTCDF(4.5, degreesOfFreedom: 1), 0.9303955127269361, accuracy: 1e-14)
    // ν = 2: CDF = ½ + t / (2 √(2 + t²)).
    XCTAssertEqual(Statistics.studentTCDF(-0.7, degreesOfFreedom: 2), 0.5 - 0.7 / (2 * (2 + 0.49).squareRoot()), accuracy: 1e-14)
    XCTAssertEqual(Statistics.studentTCDF(2.0, degreesOfFreedom: 5), 0.9490302605850708, accuracy: 1e-13)
    XCTAssertEqual(Statistics.studentTCDF(-1.3, degreesOfFreedom: 3), 0.14223375436394853, accuracy: 1e-13)
    XCTAssertEqual(Statistics.studentTCDF(0, degreesOfFreedom: 10), 0.5, accuracy: 1e-15)
    // The 97.5 % quantile of t with 9 degrees of freedom is 2.2622 (tables): p ≈ 0.05.
    XCTAssertEqual(Statistics.studentTTwoSidedP(2.2622, degreesOfFreedom: 9), 0.04999649931651136, accuracy: 1e-13)
    XCTAssertEqual(Statistics.studentTTwoSidedP(-1.3, degreesOfFreedom: 3), 0.28446750872789706, accuracy: 1e-13)
    // A large t on ML-100K's 943 users: SciPy 1.9229509029558373e-22, relative precision kept.
    XCTAssertEqual(Statistics.studentTTwoSidedP(10, degreesOfFreedom: 940) / 1.9229509029558373e-22, 1, accuracy: 1e-9)
    XCTAssertEqual(Statistics.studentTCDF(.infinity, degreesOfFreedom: 3), 1)
    XCTAssertTrue(Statistics.studentTCDF(1, degreesOfFreedom: 0).isNaN)
  }

  func testPairedTTestByHandAndAgainstSciPy() throws {
    // Differences 0.1, 0.05, −0.1, 0.3, 0.1, 0.05: mean 0.5/6 = 0.08333…, deviations
    // 1/60, −1/30, −11/60, 13/60, 1/60, −1/30 → Σ² = (1 + 4 + 121 + 169 + 1 + 4)/3600 = 300/3600,
    // sd = √(300/3600/5) = √(1/60), t = (1/12)/(√(1/60)/√6) = √10/2 = 1.5811388300841898.
    // SciPy ttest_rel: statistic 1.5811388300841889, pvalue 0.17468781426411967, df 5.
    let a = [0.2, 0.5, 0.1, 0.9, 0.4, 0.35], b = [0.1, 0.45, 0.2, 0.6, 0.3, 0.3]
    let test = try XCTUnwrap(Statistics.pairedTTest(a, b))
    XCTAssertEqual(test.count, 6)
    XCTAssertEqual(test.degreesOfFreedom, 5)
    XCTAssertEqual(test.meanDifference, 1.0 / 12, accuracy: 1e-15)
    XCTAssertEqual(test.t, 10.0.squareRoot() / 2, accuracy: 1e-12)
    XCTAssertEqual(test.p, 0.17468781426411967, accuracy: 1e-12)
    XCTAssertEqual(Statistics.significanceMark(test.p), "")

    // Hit/miss rows as HR@K gives them: differences 1,0,0,1,0,0,1,0,0,1 → mean 0.4,
    // sd √(0.24·10/9), t = 0.4/(sd/√10) = √6 = 2.449489742783178.
    // SciPy: statistic 2.4494897427831783, pvalue 0.036787497879786156, df 9.
    let hits = try XCTUnwrap(Statistics.pairedTTest([1, 0, 1, 1, 0, 1, 1, 1, 0, 1], [0, 0, 1, 0, 0, 1, 0, 1, 0, 0]))
    XCTAssertEqual(hits.t, 6.0.squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(hits.p, 0.036787497879786156, accuracy: 1e-12)
    XCTAssertEqual(Statistics.significanceMark(hits.p), "*")
    // Swapping the arms flips t, not p.
    let swapped = try XCTUnwrap(Statistics.pairedTTest([0, 0, 1, 0, 0, 1, 0, 1, 0, 0], [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]))
    XCTAssertEqual(swapped.t, -hits.t, accuracy: 1e-12)
    XCTAssertEqual(swapped.p, hits.p, accuracy: 1e-15)
  }

  func testPairedTTestEdgeCases() throws {
    XCTAssertNil(Statistics.pairedTTest([1, 2], [1, 2]), "all differences 0: undefined (SciPy: NaN)")
    XCTAssertNil(Statistics.pairedTTest([1], [0]), "one pair")
    XCTAssertNil(Statistics.pairedTTest([1, 2, 3], [1, 2]), "lengths differ")
    let constant = try XCTUnwrap(Statistics.pairedTTest([1, 2, 3], [0, 1, 2]))
    XCTAssertEqual(constant.t, .infinity)
    XCTAssertEqual(constant.p, 0)
    XCTAssertEqual(Statistics.significanceMark(0.01), "**")
    XCTAssertEqual(Statistics.significanceMark(0.0100001), "*")
    XCTAssertEqual(Statistics.significanceMark(0.05), "*")
    XCTAssertEqual(Statistics.significanceMark(nil), "")
  }

  func testMeanAndStandardDeviation() {
    XCTAssertEqual(Statistics.mean([0.25, 0.27, 0.29]), 0.27)
    XCTAssertEqual(Statistics.standardDeviation([0.25, 0.27, 0.29])!, 0.02, accuracy: 1e-15)
    XCTAssertNil(Statistics.standardDeviation([0.25]))
    XCTAssertNil(Statistics.mean([]))
  }
}
