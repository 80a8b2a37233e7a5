import Foundation
import Tensor

/// Where a planned training run stands on disk, read from its checkpoint folder
/// (`resume.json`, `config.json`; docs/MODEL.md §6).
public enum RunStatus: Equatable, Sendable, CustomStringConvertible {
  /// No checkpoint folder (or a first epoch that never completed): train from the start.
  case toDo
  /// Interrupted after `epochsDone` epochs: `timirec train --resume` with the thread count it
  /// started with (`threads`).
  case partial(epochsDone: Int, threads: Int)
  /// Finished at an epoch limit smaller than this plan's: `--resume` extends it.
  case extend(epochsDone: Int, threads: Int)
  /// Stopped early or reached this plan's epoch limit.
  case finished(epochsDone: Int)

  public var description: String {
    switch self {
    case .toDo: return "to do"
    case .partial(let epochs, _): return "partial (\(epochs) epochs)"
    case .extend(let epochs, _): return "finished at a smaller epoch limit (\(epochs) epochs): to extend"
    case .finished(let epochs): return "finished (\(epochs) epochs)"
    }
  }

  public var isFinished: Bool { if case .finished = self { return true } else { return false } }

  /// The status of checkpoint folder `path` for a plan whose epoch limit is `maxEpochs` (nil:
  /// the trainer's default).
  /// - Throws: `CheckpointError.unreadable` when resume.json or config.json cannot be read.
  public static func of(_ path: String, maxEpochs: Int?) throws -> RunStatus {
    let folder = AtomicWrite.readablePath(path)
    guard let state = try CheckpointDirectory.readResumeState(folder) else { return .toDo }
    let record = try CheckpointRecord.read(folder)
    let threads = record.training?.threads ?? 1
    if !state.finished { return .partial(epochsDone: state.epochsDone, threads: threads) }
    let planned = maxEpochs ?? TrainingConfig().maxEpochs
    if let limit = record.training?.maxEpochs, state.epochsDone >= limit, planned > limit,
       !Trainer<TiMiRec>.shouldStopEarly(state.devHistory) {
      return .extend(epochsDone: state.epochsDone, threads: threads)
    }
    return .finished(epochsDone: state.epochsDone)
  }
}

/// The few fields of a checkpoint's `config.json` and `resume.json` a benchmark reports
/// (epochs, best epoch, seconds), read leniently so that any model's checkpoint serves.
public struct CheckpointRecord: Codable, Equatable, Sendable {
  public var training: TrainingConfig?
  public var bestEpoch: Int?
  /// From resume.json: epochs completed and seconds spent (train + dev evaluation).
  public var epochsDone: Int?
  public var seconds: Double?

  /// Reads `path`'s config.json (and resume.json when present).
  /// - Throws: `CheckpointError.unreadable` naming the file.
  public static func read(_ path: String) throws -> CheckpointRecord {
    let file = (path as NSString).appendingPathComponent("config.json")
    var record: CheckpointRecord
    do {
      record = try JSONDecoder().decode(CheckpointRecord.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
    } catch {
      throw CheckpointError.unreadable(path: path, reason: "config.json: \(CheckpointDirectory.describe(error))")
    }
    if let state = try CheckpointDirectory.readResumeState(path) {
      record.epochsDone = state.epochsDone
      record.seconds = state.seconds
    }
    return record
  }
}
