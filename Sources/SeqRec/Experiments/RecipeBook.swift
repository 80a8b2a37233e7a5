import Foundation

extension Recipes {
  /// The recipe table (Recipes.swift) as a benchmark's `RecipeBook`: Table 2's models keep
  /// their group; Table 4's variants and pretrain-only runs have none.
  /// - Throws: `BenchmarkError.unknownModel` listing the table's models for a name it lacks.
  public static let book: RecipeBook = { model, dataset in
    guard let recipe = Recipes.recipe(model, dataset: dataset) else {
      throw BenchmarkError.unknownModel(model: model, dataset: dataset,
                                        known: Recipes.datasets.contains(dataset) ? Recipes.tableModels : Recipes.datasets.map { "(dataset \($0))" })
    }
    return ModelRecipe(model: recipe.name, group: ModelGroup.table2.contains(recipe.group) ? recipe.group : nil, arguments: recipe.arguments,
                       initFrom: recipe.initFrom)
  }
}
