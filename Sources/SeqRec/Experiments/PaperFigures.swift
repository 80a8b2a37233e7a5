// The paper's own test figures, set beside ours in the benchmark tables: Wang et al., "Target
// Interest Distillation for Multi-Interest Recommendation", CIKM 2022, Table 2 (HR/NDCG@5/10/20
// of every model, 1,000 sampled negatives) and Table 4 (HR@10/NDCG@10 of TiMiRec's training
// variants). Only Beauty: the paper's other datasets are MovieLens-1M and CMCC, and our
// ML-100K is not one of them (docs/MODEL.md §3.8).

/// The paper's reported test figures of one of its tables on one dataset.
public struct PaperFigures: Codable, Equatable, Sendable {
  /// Where in the paper: "Table 2".
  public var source: String
  /// Model (our tables' name) → metric → the paper's value.
  public var values: [String: [String: Double]]

  public init(source: String, values: [String: [String: Double]]) {
    self.source = source
    self.values = values
  }

  /// The paper's figures of its Table `table` (2 or 4) on `dataset`; nil when it has none.
  public static func of(dataset: String, table: Int) -> PaperFigures? {
    switch (dataset, table) {
    case ("beauty", 2): return PaperFigures(source: "Table 2", values: beautyTable2)
    case ("beauty", 4): return PaperFigures(source: "Table 4", values: beautyTable4)
    default: return nil
    }
  }

  /// Table 2, Beauty (22,363 users, 12,101 items: the data of results/beauty).
  static let beautyTable2: [String: [String: Double]] = {
    let metrics = ["HR@5", "HR@10", "HR@20", "NDCG@5", "NDCG@10", "NDCG@20"]
    let columns: [(String, [Double])] = [
      ("GRU4Rec", [0.1072, 0.1552, 0.2107, 0.0719, 0.0873, 0.1013]),
      ("YouTube", [0.1040, 0.1563, 0.2264, 0.0702, 0.0870, 0.1046]),
      ("MIND", [0.1193, 0.1727, 0.2492, 0.0809, 0.0981, 0.1173]),
      ("ComiRec", [0.1257, 0.1832, 0.2543, 0.0852, 0.1038, 0.1217]),
      ("TiMiRec", [0.1437, 0.2006, 0.2645, 0.1006, 0.1118, 0.1350]),
      ("SASRec", [0.1435, 0.2058, 0.2706, 0.1004, 0.1192, 0.1356]),
      ("TiSASRec", [0.1529, 0.2084, 0.2760, 0.1087, 0.1266, 0.1436]),
      ("ComiRec+", [0.1546, 0.2123, 0.2809, 0.1095, 0.1272, 0.1459]),
      ("TiMiRec+", [0.1573, 0.2196, 0.2887, 0.1112, 0.1313, 0.1488]),
    ]
    return Dictionary(uniqueKeysWithValues: columns.map { ($0.0, Dictionary(uniqueKeysWithValues: zip(metrics, $0.1))) })
  }()

  /// Table 4, Beauty: joint training, without stop-gradient, and TiMiRec's two stages.
  static let beautyTable4: [String: [String: Double]] = [
    "TiMiRec-joint": ["HR@10": 0.1787, "NDCG@10": 0.1030],
    "TiMiRec-nostopgrad": ["HR@10": 0.1971, "NDCG@10": 0.1157],
    "TiMiRec": ["HR@10": 0.2006, "NDCG@10": 0.1118],
  ]
}
