import Foundation

/// A model's group in the recipe table (Recipes.swift); the tables show Table 2's two halves,
/// models without and with a transformer layer, as groups.
public typealias ModelGroup = Recipe.Group

extension Recipe.Group: Codable {
  /// Table 2's groups, in its order.
  public static let table2: [Recipe.Group] = [.withoutTransformer, .withTransformer]

  /// The model whose significance against the group's best baseline the table marks:
  /// TiMiRec (no transformer) and TiMiRec+ (Table 2's `*`/`**`); nil outside Table 2.
  public var proposedModel: String? {
    switch self {
    case .withoutTransformer: return "TiMiRec"
    case .withTransformer: return "TiMiRec+"
    case .ablation, .pretrainOnly: return nil
    }
  }

  /// The multi-interest model of the group that `proposedModel` is set against whatever the
  /// group's best baseline: ComiRec beside TiMiRec, ComiRec+ (TiMiRec+'s own pretrain) beside
  /// TiMiRec+; the paper's question whether distilling the target interest improves on the
  /// extractor alone. Nil outside Table 2.
  public var extractorModel: String? {
    switch self {
    case .withoutTransformer: return "ComiRec"
    case .withTransformer: return "ComiRec+"
    case .ablation, .pretrainOnly: return nil
    }
  }
}

/// How one model of a benchmark is trained on one dataset: its `timirec train` arguments and
/// the model whose run of the same seed it starts from (`--init`), e.g. TiMiRec+ from
/// ComiRec+. The CLI builds these from the Table 2 recipes (Recipes.swift); tests build their
/// own.
public struct ModelRecipe: Equatable, Sendable {
  /// The model's name as the tables print it ("GRU4Rec", "TiMiRec+", "TiMiRec-joint").
  public var model: String
  /// Its half of Table 2; nil for a model outside it (Table 4's variants).
  public var group: ModelGroup?
  /// `timirec train` arguments, without `--data`, `--out`, `--seed`, `--threads`, `--resume`
  /// and `--init` (the plan adds those).
  public var arguments: [String]
  /// The model whose run (same dataset, same seed) is this one's `--init`, or nil.
  public var initFrom: String?
  /// How many of the asked seeds its table row expects (`Recipe.tableSeeds`), nil for all.
  public var tableSeeds: Int?

  public init(model: String, group: ModelGroup?, arguments: [String], initFrom: String? = nil, tableSeeds: Int? = nil) {
    self.model = model
    self.group = group
    self.arguments = arguments
    self.initFrom = initFrom
    self.tableSeeds = tableSeeds
  }

  /// The value of option `name` in `arguments` (the last occurrence), e.g. "--K" → "4".
  public func value(of name: String) -> String? {
    guard let index = arguments.lastIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
  }

  /// These arguments with option `name` set to `value` (replacing every occurrence, or
  /// appended).
  public func setting(_ name: String, to value: String) -> ModelRecipe {
    var copy = self
    var kept: [String] = []
    var i = 0
    while i < arguments.count {
      if arguments[i] == name { i += 2; continue }
      kept.append(arguments[i])
      i += 1
    }
    copy.arguments = kept + [name, value]
    return copy
  }
}

/// Finds the recipe of a model on a dataset (by the dataset folder's name, "ml-100k").
/// - Throws: `BenchmarkError.unknownModel` for a model it does not know.
public typealias RecipeBook = @Sendable (_ model: String, _ dataset: String) throws -> ModelRecipe

/// A change to a recipe that a sweep or ablation makes: an option set to a value
/// (`--K 4`) or a flag added (`--joint`), named in the run folder ("TiMiRec+-K4-s0").
public struct RecipeChange: Equatable, Sendable {
  /// The option, e.g. "--K".
  public var option: String
  /// Its value; nil for a flag.
  public var value: String?
  /// Whether the run this one starts from changes too (K does: the pretrain must have the
  /// same K; T does not, so every T of a sweep shares one pretrain).
  public var appliesToInit: Bool
  /// `--joint` trains from scratch: the run has no `--init`.
  public var dropsInit: Bool

  public init(option: String, value: String?, appliesToInit: Bool = false, dropsInit: Bool = false) {
    self.option = option
    self.value = value
    self.appliesToInit = appliesToInit
    self.dropsInit = dropsInit
  }

  /// "K4", "temp0.2", "joint": the suffix of a run folder.
  var label: String {
    let name = option.drop(while: { $0 == "-" })
    return name + (value ?? "")
  }
}

/// One `timirec train` run of a plan, identified by its folder name.
public struct PlannedRun: Equatable, Sendable {
  /// Folder name under the dataset's runs folder: "<model>[-<change>…]-s<seed>".
  public var name: String
  public var model: String
  public var seed: Int
  /// Every argument but `--data`, `--out`, `--threads`, `--resume` (those depend on where and
  /// how it runs); `--seed`, `--init` and `--epochs` are included.
  public var arguments: [String]
  /// The run (by name) whose folder is `--init`, trained first.
  public var initRun: String?
  /// `--epochs` of this plan (the recipe's or `--max-epochs`), nil when the trainer's default.
  public var maxEpochs: Int?
}

/// What one table row and seed evaluates: the model's own run.
public struct PlannedEvaluation: Equatable, Sendable {
  public var model: String
  public var seed: Int
  /// The run whose checkpoint is evaluated.
  public var run: String
  /// Where results keeps its JSON: "<model>[-<change>…]-s<seed>" (the run's name).
  public var name: String { run }

  public init(model: String, seed: Int, run: String) {
    self.model = model
    self.seed = seed
    self.run = run
  }
}

/// Every run and evaluation of a benchmark on one dataset, in dependency order.
public struct BenchmarkPlan: Equatable, Sendable {
  public var dataset: String
  public var models: [ModelRecipe]
  public var seeds: [Int]
  /// Training runs, each after the run it starts from; shared runs appear once (TiMiRec+'s
  /// pretrain is ComiRec+'s run of the same seed).
  public var runs: [PlannedRun]
  /// One per model and seed, in table order.
  public var evaluations: [PlannedEvaluation]

  /// Plans `models` × `seeds` on `dataset` with `changes` applied to every model (a sweep
  /// point), and `maxEpochs` (if given) as every run's `--epochs`.
  /// - Throws: what `recipes` throws for an unknown model; `BenchmarkError.initCycle` when
  ///   recipes start from each other.
  public init(dataset: String, models: [String], seeds: [Int], recipes: RecipeBook,
              changes: [RecipeChange] = [], maxEpochs: Int? = nil) throws {
    self.dataset = dataset
    self.seeds = seeds
    self.models = try models.map { try recipes($0, dataset) }
    var runs: [PlannedRun] = []
    var evaluations: [PlannedEvaluation] = []
    for recipe in self.models {
      for seed in seeds {
        let run = try Self.plan(recipe, seed: seed, changes: changes, recipes: recipes, dataset: dataset,
                                maxEpochs: maxEpochs, into: &runs, depth: 0)
        evaluations.append(PlannedEvaluation(model: recipe.model, seed: seed, run: run))
      }
    }
    self.runs = runs
    self.evaluations = evaluations
  }

  /// A plan from its parts (a sweep's points merged, or a table's rows relabelled).
  public init(dataset: String, models: [ModelRecipe], seeds: [Int], runs: [PlannedRun], evaluations: [PlannedEvaluation]) {
    self.dataset = dataset
    self.models = models
    self.seeds = seeds
    self.runs = runs
    self.evaluations = evaluations
  }

  /// Plans of one dataset as one: their runs and evaluations in order, each once (sweep
  /// points share runs, e.g. the pretrain of every T).
  public static func union(_ plans: [BenchmarkPlan]) -> BenchmarkPlan {
    var runs: [PlannedRun] = [], evaluations: [PlannedEvaluation] = [], models: [ModelRecipe] = []
    for plan in plans {
      for run in plan.runs where !runs.contains(where: { $0.name == run.name }) { runs.append(run) }
      for evaluation in plan.evaluations where !evaluations.contains(evaluation) { evaluations.append(evaluation) }
      for model in plan.models where !models.contains(model) { models.append(model) }
    }
    return BenchmarkPlan(dataset: plans.first?.dataset ?? "", models: models, seeds: plans.first?.seeds ?? [],
                         runs: runs, evaluations: evaluations)
  }

  /// Adds `recipe`'s run (after the run it starts from) to `runs` unless present; returns its name.
  private static func plan(_ recipe: ModelRecipe, seed: Int, changes: [RecipeChange], recipes: RecipeBook,
                           dataset: String, maxEpochs: Int?, into runs: inout [PlannedRun], depth: Int) throws -> String {
    guard depth < 8 else { throw BenchmarkError.initCycle(model: recipe.model) }
    var changed = recipe
    var labels: [String] = []
    var dropInit = false
    for change in changes {
      if let value = change.value {
        // A change to the recipe's own value is no change: the run is shared with the plain one
        // ("0.50" for a recipe's "0.5" too: the trainer reads both as one number).
        if let own = recipe.value(of: change.option), own == value || Double(own).map({ $0 == Double(value) }) == true { continue }
        changed = changed.setting(change.option, to: value)
      } else {
        if recipe.arguments.contains(change.option) { continue }
        changed.arguments.append(change.option)
      }
      labels.append(change.label)
      if change.dropsInit { dropInit = true }
    }
    var initRun: String? = nil
    if let parent = recipe.initFrom, !dropInit {
      let parentRecipe = try recipes(parent, dataset)
      initRun = try plan(parentRecipe, seed: seed, changes: changes.filter(\.appliesToInit), recipes: recipes,
                         dataset: dataset, maxEpochs: maxEpochs, into: &runs, depth: depth + 1)
    }
    let name = ([recipe.model] + labels + ["s\(seed)"]).joined(separator: "-")
    if runs.contains(where: { $0.name == name }) { return name }
    var arguments = changed.arguments + ["--seed", String(seed)]
    if let maxEpochs { arguments = ModelRecipe(model: "", group: nil, arguments: arguments).setting("--epochs", to: String(maxEpochs)).arguments }
    let epochs = ModelRecipe(model: "", group: nil, arguments: arguments).value(of: "--epochs").flatMap { Int($0) }
    runs.append(PlannedRun(name: name, model: recipe.model, seed: seed, arguments: arguments, initRun: initRun,
                           maxEpochs: epochs))
    return name
  }
}

/// Why a benchmark cannot be planned or run.
public enum BenchmarkError: Error, CustomStringConvertible, Equatable {
  case unknownModel(model: String, dataset: String, known: [String])
  case unknownDataset(dataset: String, known: [String])
  case initCycle(model: String)
  case noRunsFolder(variable: String)
  case badResult(path: String, reason: String)
  case badNotes(path: String, reason: String)
  case badReference(path: String, reason: String)
  case failedRuns([String])
  case interrupted(notDone: [String])

  public var description: String {
    switch self {
    case .unknownModel(let model, let dataset, let known):
      return "no recipe for model '\(model)' on dataset '\(dataset)'; known: \(known.joined(separator: ", "))"
    case .unknownDataset(let dataset, let known):
      return "the recipe table has no settings for dataset '\(dataset)' (the --data folder's name); it has \(known.joined(separator: ", "))"
    case .initCycle(let model):
      return "the recipes of \(model) start from each other in a cycle (initFrom); fix the recipe table"
    case .noRunsFolder(let variable):
      return "no folder for the run checkpoints: pass --runs DIR or set \(variable) (a folder outside the repository; it survives restarts)"
    case .badResult(let path, let reason):
      return "\(path): \(reason); delete it and run again to redo that evaluation"
    case .badNotes(let path, let reason):
      return "\(path): \(reason); a table's notes file is UTF-8 Markdown (fix or delete it, then run again)"
    case .badReference(let path, let reason):
      return "\(path): \(reason); it holds the reference code's runs as benchmarks/reference-baselines.sh writes them (fix or delete it, then run again)"
    case .interrupted(let names):
      return "interrupted: \(names.count) job(s) not done (\(names.joined(separator: ", "))); running the same command again resumes them, and finished runs are kept"
    case .failedRuns(let names):
      return "\(names.count) job(s) did not finish: \(names.joined(separator: ", ")); their logs are beside the run folders, and running the same command again resumes them"
    }
  }
}
