import Foundation

extension Recipes {
  /// The recipe table (Recipes.swift) as a benchmark's `RecipeBook`: Table 2's models keep
  /// their group; Table 4's variants and pretrain-only runs have none.
  /// - Throws: `BenchmarkError.unknownDataset` for a dataset without recipes,
  ///   `.unknownModel` listing the table's models for a name it lacks.
  public static let book: RecipeBook = { model, dataset in
    guard Recipes.datasets.contains(dataset) else {
      throw BenchmarkError.unknownDataset(dataset: dataset, known: Recipes.datasets)
    }
    guard let recipe = Recipes.recipe(model, dataset: dataset) else {
      throw BenchmarkError.unknownModel(model: model, dataset: dataset, known: Recipes.tableModels)
    }
    return ModelRecipe(model: recipe.name, group: ModelGroup.table2.contains(recipe.group) ? recipe.group : nil, arguments: recipe.arguments,
                       initFrom: recipe.initFrom, tableSeeds: recipe.tableSeeds)
  }
}
