// What-if editing (issue 14): how the view of an edited history differs from the view of the
// data's history at the same (user, step, T, mix). Both views come from the one
// `ViewBuilder` path (the same model forward and `Scoring`); this only compares them.

/// The true next item's rank with the data's history and with the edited one.
public struct RankChange: Codable, Equatable, Sendable {
  /// nil: no target, the target in that history (excluded, unranked), or no list.
  public var data: Int?
  public var edited: Int?
  /// edited − data (negative: the edit moved the true next item up); nil unless both exist.
  public var delta: Int?

  public init(data: Int?, edited: Int?) {
    self.data = data
    self.edited = edited
    delta = data.flatMap { d in edited.map { $0 - d } }
  }
}

/// Items that entered or left a list's top `WhatIfSummary.topCount`.
public struct TopChange: Codable, Equatable, Sendable {
  /// In the edited top, not in the data's, in edited order.
  public var entered: [ItemLabel]
  /// In the data's top, not in the edited one, in data order.
  public var left: [ItemLabel]
}

/// A dropped history item that is recommended again (no longer excluded).
public struct ReturnedItem: Codable, Equatable, Sendable {
  public var item: ItemLabel
  /// "timirec" or "best-match".
  public var list: String
  /// 0-based row in that list.
  public var row: Int
}

/// The change an edit of the history makes, against the data's history.
public struct WhatIfSummary: Codable, Equatable, Sendable {
  /// Rows of each list compared for items entering or leaving.
  public static let topCount = 10

  /// The data's S(u, t) length (t) and the edited history's items, oldest first.
  public var dataHistoryLength: Int
  public var history: [ItemLabel]
  /// Edits on the undo stack (0 for a history given whole with `--history`).
  public var edits: Int
  /// Distinct items of the data's history not in the edited one (no longer excluded), and
  /// items of the edited history not in the data's, by id.
  public var dropped: [ItemLabel]
  public var inserted: [ItemLabel]
  /// The true next item's rank in each list; nil for the TiMiRec list of a pretrain checkpoint.
  public var timirecTargetRank: RankChange?
  public var bestMatchTargetRank: RankChange
  /// Δw_k = w_k(edited) − w_k(data) with the weights that rank the TiMiRec list (K); nil for a
  /// pretrain checkpoint.
  public var mixWeightDelta: [Float]?
  public var timirecTop: TopChange?
  public var bestMatchTop: TopChange
  /// Dropped items now listed in either list.
  public var droppedRecommended: [ReturnedItem]

  /// Compares `edited` (the view of the edited history `items`) with `data` (the view of the
  /// data's history `dataItems`), both at the same state.
  static func compare(edited: ExplorerView, data: ExplorerView, items: [Int32], dataItems: [Int32], edits: Int,
                      label: (Int) -> ItemLabel) -> WhatIfSummary {
    let editedSet = Set(items), dataSet = Set(dataItems)
    var seen = Set<Int32>()
    let dropped = dataItems.filter { !editedSet.contains($0) && seen.insert($0).inserted }.map { label(Int($0)) }
    seen = []
    let inserted = items.filter { !dataSet.contains($0) && seen.insert($0).inserted }.map { label(Int($0)) }
    let er = edited.recommendations, dr = data.recommendations
    func top(_ e: [ScoredItem]?, _ d: [ScoredItem]?) -> TopChange {
      let e = (e ?? []).prefix(topCount).map(\.item), d = (d ?? []).prefix(topCount).map(\.item)
      let eIds = Set(e.map(\.id)), dIds = Set(d.map(\.id))
      return TopChange(entered: e.filter { !dIds.contains($0.id) }, left: d.filter { !eIds.contains($0.id) })
    }
    let hasMix = er?.mixWeights != nil || dr?.mixWeights != nil
    var delta: [Float]? = nil
    if let we = er?.mixWeights, let wd = dr?.mixWeights { delta = zip(we, wd).map { $0 - $1 } }
    let droppedIds = Set(dropped.map(\.id))
    var returned: [ReturnedItem] = []
    for (name, list) in [("timirec", er?.timirec ?? []), ("best-match", er?.bestMatch ?? [])] {
      for (row, s) in list.enumerated() where droppedIds.contains(s.item.id) {
        returned.append(ReturnedItem(item: s.item, list: name, row: row))
      }
    }
    return WhatIfSummary(
      dataHistoryLength: dataItems.count, history: items.map { label(Int($0)) }, edits: edits,
      dropped: dropped, inserted: inserted,
      timirecTargetRank: hasMix ? RankChange(data: dr?.timirecTargetRank, edited: er?.timirecTargetRank) : nil,
      bestMatchTargetRank: RankChange(data: dr?.bestMatchTargetRank, edited: er?.bestMatchTargetRank),
      mixWeightDelta: delta,
      timirecTop: hasMix ? top(er?.timirec, dr?.timirec) : nil,
      bestMatchTop: top(er?.bestMatch, dr?.bestMatch),
      droppedRecommended: returned)
  }

  /// Whether `item` entered the top of `list` ("timirec" / "best-match") with the edit.
  func entered(_ item: Int, list: String) -> Bool {
    (list == "timirec" ? timirecTop?.entered : bestMatchTop.entered)?.contains { $0.id == item } ?? false
  }

  /// Whether `item` is a dropped history item.
  func isDropped(_ item: Int) -> Bool { dropped.contains { $0.id == item } }
}
