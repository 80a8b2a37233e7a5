import XCTest

@testable import Explorer

/// Interest labels (docs/EXPLORER.md, "Interest labels"), by hand on small catalogs.
final class InterestLabelTests: XCTestCase {
  /// MovieLens-like genres: "Comedy" is first on one item and later on another, so genres.
  /// The demo's "cartoon|preschool": top levels and sub-levels disjoint, so a hierarchy.
  func testStructureIsDetectedFromTheLabels() {
    XCTAssertEqual(CategoryStructure.detect([["Comedy", "Romance"], ["Animation", "Children's", "Comedy"]]), .genres)
    XCTAssertEqual(CategoryStructure.detect([["cartoon", "preschool"], ["movie", "drama"], ["cartoon", "animals"], []]),
                   .hierarchy)
    // One level only: nothing to tell a hierarchy by; genres (each counts 1).
    XCTAssertEqual(CategoryStructure.detect([["Drama"], ["Comedy"]]), .genres)
  }

  /// Genres count 1/n: items (Thriller), (Romance|Thriller), (Action|Romance|Drama),
  /// (Romance) → Romance 0 + 1/2 + 1/3 + 1 = 11/6, Thriller 1 + 1/2 = 3/2, Action 1/3, Drama
  /// 1/3. Counting only the first genre would say Thriller 1, Romance 1, Action 1 (a tie).
  func testGenresCountOneOverN() {
    let counts = InterestLabels.counts([["Thriller"], ["Romance", "Thriller"], ["Action", "Romance", "Drama"], ["Romance"]],
                                       structure: .genres)
    XCTAssertEqual(counts.map(\.label), ["Romance", "Thriller", "Action", "Drama"])
    XCTAssertEqual(counts[0].weight, 11.0 / 6, accuracy: 1e-12)
    XCTAssertEqual(counts[1].weight, 1.5, accuracy: 1e-12)
    XCTAssertEqual(counts[2].weight, 1.0 / 3, accuracy: 1e-12)
  }

  /// A hierarchy counts each item once at its top level: cartoon 3, movie 2.
  func testHierarchyCountsTheTopLevel() {
    let items = [["cartoon", "preschool"], ["movie", "drama"], ["cartoon", "animals"], ["movie", "comedy"], ["cartoon", "animals"]]
    XCTAssertEqual(InterestLabels.counts(items, structure: .hierarchy).map(\.label), ["cartoon", "movie"])
    XCTAssertEqual(InterestLabels.counts(items, structure: .hierarchy).map(\.weight), [3, 2])
  }

  /// Two "cartoon" interests get their dominant second level; a third interest keeps its
  /// label; two "Drama" interests get their second genre; a clash left after that takes the
  /// nearest item's title.
  func testClashingLabelsAreToldApart() {
    let hierarchy = InterestLabels.labels(
      nearest: [[["cartoon", "preschool"], ["cartoon", "preschool"], ["movie", "drama"]],
                [["cartoon", "animals"], ["cartoon", "animals"], ["cartoon", "preschool"]],
                [["movie", "drama"], ["news", "world"]]],
      topTitles: ["Robo ep. 1", "Panda ep. 2", "Vertigo"], structure: .hierarchy)
    XCTAssertEqual(hierarchy, ["cartoon/preschool", "cartoon/animals", "movie"])
    let genres = InterestLabels.labels(
      nearest: [[["Drama", "Romance"], ["Drama"]], [["Drama", "War"], ["Drama"]], [["Drama", "Romance"], ["Drama"]]],
      topTitles: ["Titanic", "Glory", "Casablanca"], structure: .genres)
    // Drama 1.5 each; second genres Romance, War, Romance: the first and third still clash.
    XCTAssertEqual(genres, ["Titanic · Drama+Romance", "Drama+War", "Casablanca · Drama+Romance"])
    // Collapsed interests (the same nearest items, the same title): the later ones name the
    // first (1-based, as on screen), at the front where a cut label still shows it.
    let collapsed = InterestLabels.labels(
      nearest: [[["Thriller"], ["Drama"], ["Thriller"]], [["Comedy"]], [["Thriller"], ["Drama"], ["Thriller"]],
                [["Thriller"], ["Drama"], ["Thriller"]]],
      topTitles: ["Air Force One", "Clerks", "Air Force One", "Air Force One"], structure: .genres)
    XCTAssertEqual(collapsed, ["Air Force One · Thriller+Drama", "Comedy", "=i1 Air Force One · Thriller+Drama",
                               "=i1 Air Force One · Thriller+Drama"])
    // No categories: empty labels are not a clash.
    XCTAssertEqual(InterestLabels.labels(nearest: [[[]], [[]]], topTitles: ["a", "b"], structure: .genres), ["", ""])
  }
}
