// Comparing computed floating-point values with expected ones.
import Foundation
import Tensor
import XCTest

/// Elementwise |actual − expected| ≤ max(absolute, relative · |expected|) (equal values,
/// infinities included, always pass; a NaN never does). Lists the first five mismatches and
/// the largest difference.
public func assertClose(_ actual: [Float]?, _ expected: [Float], relative: Double = 1e-4, absolute: Double = 1e-6,
                        _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
  compareClose(actual.map { $0.map(Double.init) }, expected.map(Double.init), relative: relative, absolute: absolute,
               what, file: file, line: line)
}

/// The same against hand-computed Double values.
public func assertClose(_ actual: [Float]?, _ expected: [Double], relative: Double = 1e-4, absolute: Double = 1e-6,
                        _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
  compareClose(actual.map { $0.map(Double.init) }, expected, relative: relative, absolute: absolute,
               what, file: file, line: line)
}

private func compareClose(_ actual: [Double]?, _ expected: [Double], relative: Double, absolute: Double,
                          _ what: String, file: StaticString, line: UInt) {
  let label = what.isEmpty ? "" : "\(what): "
  guard let actual else { return XCTFail("\(label)nil, expected \(expected)", file: file, line: line) }
  guard actual.count == expected.count else {
    return XCTFail("\(label)\(actual.count) values, expected \(expected.count)", file: file, line: line)
  }
  var bad: [String] = []
  var worst = 0.0
  for i in actual.indices where actual[i] != expected[i] {
    let diff = abs(actual[i] - expected[i])
    if diff > worst || diff.isNaN { worst = diff }
    if !(diff <= max(absolute, relative * abs(expected[i]))) {
      if bad.count < 5 { bad.append("[\(i)] \(actual[i]) vs \(expected[i])") }
      else if bad.count == 5 { bad.append("…") }
    }
  }
  if !bad.isEmpty {
    XCTFail("\(label)mismatch (largest |diff| \(worst), tolerance max(\(absolute), \(relative)·|expected|)): "
            + bad.joined(separator: ", "), file: file, line: line)
  }
}

/// The central difference (L(x + h) − L(x − h)) / 2h of `loss` in element `index` of `x`,
/// with recording off; `x` is left as it was. The engine's and the models' gradient checks
/// compare `backward()` with it.
public func centralDifference(of x: Tensor, at index: Int, h: Float, _ loss: () -> Tensor) -> Float {
  let saved = x.data[index]
  x.data[index] = saved + h
  let up = GradMode.withoutGrad { loss().item() }
  x.data[index] = saved - h
  let down = GradMode.withoutGrad { loss().item() }
  x.data[index] = saved
  return (up - down) / (2 * h)
}
