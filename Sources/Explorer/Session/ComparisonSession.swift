import Foundation

// `timirec explore --compare CKPT2`: a second checkpoint on the same dataset, shown beside the
// first (docs/EXPLORER.md, "Compare").

extension ExplorerSession {
  /// A session for a second checkpoint on this session's dataset (the same loaded tables),
  /// opened as `load` opens the first.
  /// - Throws: `ExplorerError.compare` wrapping the reason: no checkpoint at `path`, one
  ///   trained on another dataset (item rows, user rows or split sizes differ), unreadable or
  ///   non-finite weights, or not a multi-interest model.
  public func comparison(checkpoint path: String) throws -> ExplorerSession {
    do {
      let (model, config) = try Self.openModel(path, dataset: dataset, data: datasetPath)
      return ExplorerSession(dataset: dataset, model: model, checkpoint: config, datasetPath: datasetPath,
                             checkpointPath: path)
    } catch let error as ExplorerError {
      throw ExplorerError.compare(path: path, reason: error)
    }
  }
}
