import XCTest
@testable import SeqRec
import Tensor

/// The model marks which parameters weight decay skips (`Init.bias`); Adam only reads the
/// mark. The exempt set is exactly the biases, the parameters whose reference names contain
/// "bias" (the rule Adam applied by name before).
final class WeightDecayTests: XCTestCase {
  func testExactlyTheBiasesAreExemptInEveryVariant() {
    for stage in Stage.allCases {
      for (position, transformer, layers) in [(true, true, 1), (false, true, 2), (true, false, 3)] {
        var rng = RNG(seed: 1)
        let config = TiMiRecConfig(itemCount: 11, embeddingSize: 8, attentionSize: 4, interestCount: 3,
                                   addPosition: position, addTransformer: transformer, projectionLayers: layers)
        let model = TiMiRec(config: config, stage: stage, rng: &rng)
        let exempt = Set(model.namedParameters.filter { !$0.tensor.appliesWeightDecay }.map(\.name))
        let biases = Set(model.namedParameters.map(\.name).filter { $0.contains("bias") })
        XCTAssertFalse(biases.isEmpty)
        XCTAssertEqual(exempt, biases, "\(stage), position \(position), transformer \(transformer), \(layers) layers")
      }
    }
  }
}
