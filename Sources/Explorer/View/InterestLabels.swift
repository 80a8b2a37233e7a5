// Interest labels (docs/EXPLORER.md, "Interest labels"): each interest is named after the
// categories of its nearest items; two interests share a name only when they are alike
// (collapsed), and then the later one says which interest it repeats.
//
// items.tsv joins an item's labels with `|`, which means one of two things:
// - **several genres** (MovieLens "Action|Thriller"): each of an item's n genres counts 1/n;
// - **a path in a hierarchy** (the demo's "cartoon|preschool"): the item counts 1 for its
//   top level ("cartoon").
// A catalog is taken as hierarchical when no label that stands first on some item stands
// later on another (top levels and sub-levels are disjoint) and some item has two levels;
// MovieLens fails this at once ("Comedy" is first in "Comedy|Romance", third in
// "Animation|Children's|Comedy").
//
// When two interests would get the same label, each is told apart by what distinguishes it:
// with a hierarchy, its dominant second level ("cartoon/preschool", "cartoon/animals"); with
// genres, its second genre ("Drama+Romance"); if that still clashes, its nearest item's title,
// put first; interests that remain alike (collapsed) are marked "=iK", K the first of them.

/// How the labels of an item are read.
public enum CategoryStructure: String, Codable, Sendable {
  /// Several genres per item, each counting 1/n.
  case genres
  /// A path, top level first; an item counts at its top level.
  case hierarchy

  /// The structure of a catalog's `|`-joined labels (see the file comment).
  /// - Parameter labels: each item's labels in items.tsv order.
  public static func detect<S: Sequence>(_ labels: S) -> CategoryStructure where S.Element == [String] {
    var first = Set<String>(), later = Set<String>()
    var deep = false
    for item in labels where !item.isEmpty {
      first.insert(item[0])
      if item.count > 1 { deep = true; later.formUnion(item.dropFirst()) }
    }
    return deep && first.isDisjoint(with: later) ? .hierarchy : .genres
  }
}

public enum InterestLabels {
  /// Weighted category counts of `items` (each item's labels), heaviest first; ties keep the
  /// order met. Genres: 1/n per genre; hierarchy: 1 per item at `level` (0 = top) among the
  /// items that have it.
  public static func counts(_ items: [[String]], structure: CategoryStructure, level: Int = 0) -> [(label: String, weight: Double)] {
    var weight: [String: Double] = [:]
    var order: [String] = []
    func add(_ label: String, _ w: Double) {
      if weight[label] == nil { order.append(label) }
      weight[label, default: 0] += w
    }
    for labels in items where !labels.isEmpty {
      switch structure {
      case .genres:
        for l in labels { add(l, 1 / Double(labels.count)) }
      case .hierarchy:
        if labels.count > level { add(labels[level], 1) }
      }
    }
    // Stable: equal weights keep the order met.
    return order.enumerated().sorted { a, b in
      weight[a.element]! != weight[b.element]! ? weight[a.element]! > weight[b.element]! : a.offset < b.offset
    }.map { ($0.element, weight[$0.element]!) }
  }

  /// One label per interest, all distinct where the data allows it.
  /// - Parameters:
  ///   - nearest: per interest, the labels of its nearest items (best first).
  ///   - topTitles: per interest, its nearest item's title (the last resort to tell two apart).
  /// - Returns: K labels ("" for an interest whose items have no categories).
  public static func labels(nearest: [[[String]]], topTitles: [String], structure: CategoryStructure) -> [String] {
    var labels = nearest.map { counts($0, structure: structure).first?.label ?? "" }
    func clashing() -> [Int] {
      labels.indices.filter { i in !labels[i].isEmpty && labels.indices.contains { $0 != i && labels[$0] == labels[i] } }
    }
    // Second step: the dominant second level (hierarchy) or second genre.
    for i in clashing() {
      let base = labels[i]
      let second: String?
      switch structure {
      case .hierarchy:
        let under = nearest[i].filter { $0.first == base }
        second = counts(under, structure: .hierarchy, level: 1).first?.label
        if let second { labels[i] = base + "/" + second }
      case .genres:
        second = counts(nearest[i], structure: .genres).dropFirst().first?.label
        if let second { labels[i] = base + "+" + second }
      }
    }
    // Then the nearest item's title, put first so that a label cut to the pane's column
    // still shows what tells it apart ("Star Wars (1977) · Action+Adventure").
    for i in clashing() where !topTitles[i].isEmpty { labels[i] = topTitles[i] + " · " + labels[i] }
    // Interests still alike (collapsed: the same nearest items) say which earlier interest they
    // repeat, at the front: "=i3 Air Force One (1997) · Thriller+Drama" (1-based, as on screen).
    for i in clashing() {
      if let first = labels.indices.first(where: { $0 < i && labels[$0] == labels[i] }) {
        labels[i] = "=i\(first + 1) " + labels[i]
      }
    }
    return labels
  }
}
