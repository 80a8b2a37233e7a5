import XCTest
@testable import SeqRec
import Tensor
import TestSupport

/// Every parameter element's dL/dθ from `backward()` against central differences
/// (L(θ + h) − L(θ − h)) / 2h, for a model's training loss (BPR, of order 1), the check the
/// baseline tests share. h = 1e-2: the truncation error O(h²·|L'''|) and the Float32 rounding
/// of the quotient (~1e-7·|L| / h ≈ 1e-5) stay well below the bound
/// |analytic − numeric| ≤ atol + 2e-2·max(|analytic|, |numeric|); a wrong term is off by O(1).
/// `loss` must give the same value for the same weights (the same random draws each call).
/// Fails when fewer than `minimumNonZeroShare` of the elements have |gradient| > 1e-3 (a check
/// of all-zero gradients would mean nothing) or fewer than 100 elements were checked.
func assertModelGradientsMatchFiniteDifferences(
  _ model: some ParameterContainer, _ what: String, h: Float = 1e-2, atol: Float = 1e-3,
  minimumNonZeroShare: Double = 0, file: StaticString = #filePath, line: UInt = #line,
  loss: () -> Tensor
) {
  for (_, p) in model.namedParameters { p.zeroGrad() }
  loss().backward()
  var failures: [String] = []
  var checked = 0, nonZero = 0
  for (name, p) in model.namedParameters {
    let analytic = p.grad.isEmpty ? [Float](repeating: 0, count: p.count) : p.grad
    for i in 0..<p.count {
      let numeric = centralDifference(of: p, at: i, h: h, loss)
      checked += 1
      if abs(analytic[i]) > 1e-3 { nonZero += 1 }
      if abs(analytic[i] - numeric) > atol + 2e-2 * max(abs(analytic[i]), abs(numeric)), failures.count < 5 {
        failures.append("\(name)[\(i)]: analytic \(analytic[i]), numeric \(numeric)")
      }
    }
  }
  XCTAssertGreaterThan(checked, 100, "\(what): too few elements checked", file: file, line: line)
  XCTAssert(failures.isEmpty, "\(what): gradient mismatches:\n" + failures.joined(separator: "\n"), file: file, line: line)
  XCTAssertGreaterThanOrEqual(Double(nonZero), minimumNonZeroShare * Double(checked),
                              "\(what): too few non-zero gradients to mean anything", file: file, line: line)
}
