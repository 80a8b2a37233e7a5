// Interactions as a raw source lists them, before the split of docs/MODEL.md §1.2.

/// Maps original id strings (or integers) to dense temporary indices in first-seen order.
///
/// `ranks()` then gives each id its final 1-based id: the position of the original id in
/// ascending order (docs/MODEL.md §1.2 step 3) — numeric order for `.numeric`, byte (= code point)
/// order for `.text`.
public struct IdInterner: Sendable {
  public enum Order: Sendable { case numeric, text }
  public let order: Order
  private var numericIndex: [Int: Int32] = [:]
  private var textIndex: [String: Int32] = [:]
  /// Original integer ids by temporary index (numeric order only).
  public private(set) var numericKeys: [Int] = []
  /// Original text ids by temporary index (text order only).
  public private(set) var textKeys: [String] = []

  public init(order: Order) { self.order = order }

  public var count: Int { order == .numeric ? numericKeys.count : textKeys.count }

  public mutating func intern(_ id: Int) -> Int32 {
    precondition(order == .numeric, "intern(Int) on a text interner")
    if let i = numericIndex[id] { return i }
    let i = Int32(numericKeys.count)
    numericIndex[id] = i
    numericKeys.append(id)
    return i
  }

  public mutating func intern(_ id: String) -> Int32 {
    precondition(order == .text, "intern(String) on a numeric interner")
    if let i = textIndex[id] { return i }
    let i = Int32(textKeys.count)
    textIndex[id] = i
    textKeys.append(id)
    return i
  }

  /// Temporary index of an original id given as text, if seen.
  public func lookup(_ id: String) -> Int32? {
    switch order {
    case .numeric: return Int(id).flatMap { numericIndex[$0] }
    case .text: return textIndex[id]
    }
  }

  /// The original id of temporary index `i`, as text.
  public func key(_ i: Int) -> String { order == .numeric ? String(numericKeys[i]) : textKeys[i] }

  /// Final id (1-based rank of the original id in ascending order) per temporary index.
  public func ranks() -> [Int32] {
    var sorted = Array(0..<count)
    switch order {
    case .numeric: sorted.sort { numericKeys[$0] < numericKeys[$1] }
    case .text:
      let bytes = textKeys.map { Array($0.utf8) }
      sorted.sort { bytes[$0].lexicographicallyPrecedes(bytes[$1]) }
    }
    var rank = [Int32](repeating: 0, count: count)
    for (r, i) in sorted.enumerated() { rank[i] = Int32(r + 1) }
    return rank
  }
}

/// (user, item, time) triples in raw-file order, with interned original ids.
public struct RawInteractions: Sendable {
  public var users: IdInterner
  public var items: IdInterner
  /// Temporary user index per interaction, shape (N).
  public var userIndex: [Int32] = []
  /// Temporary item index per interaction, shape (N).
  public var itemIndex: [Int32] = []
  /// Time per interaction (unix seconds, or position for the `sequences` source), shape (N).
  public var times: [Int64] = []

  public init(userOrder: IdInterner.Order, itemOrder: IdInterner.Order) {
    users = IdInterner(order: userOrder)
    items = IdInterner(order: itemOrder)
  }

  public var count: Int { times.count }

  public mutating func append(user: Int32, item: Int32, time: Int64) {
    userIndex.append(user)
    itemIndex.append(item)
    times.append(time)
  }
}
