import * as path from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Config, Effect, Layer, Logger } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { ArtifactStorageError } from "../src/core/artifacts/errors.js"
import { ArtifactStore } from "../src/core/artifacts/ArtifactStore.js"
import { layerGuardDatasetFiles } from "../src/core/data/datasetFiles.js"
import { Datasets } from "../src/core/data/Datasets.js"
import { LoggedModels } from "../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../src/core/tracking/ExperimentTracker.js"
import { AlertStore } from "../src/operations/alerts/AlertStore.js"
import { DriftMonitor } from "../src/operations/drift/DriftMonitor.js"
import { layerStoreChecks } from "../src/operations/health/checks.js"
import { HealthCheck } from "../src/operations/health/HealthCheck.js"
import { makeSqliteLayer, type SqlStoreError } from "./Sql.js"

/**
 * The services every configuration provides: the core ones, readiness
 * checks, drift monitoring and the store of alert evaluation (which a
 * server's `AlertEvaluator` uses when it has rules).
 */
export type CoreServices =
  | ExperimentTracker
  | ModelRegistry
  | LoggedModels
  | ArtifactStore
  | Datasets
  | HealthCheck
  | DriftMonitor
  | AlertStore

/** Options of {@link makeBasicLayer}. */
export interface BasicLayerOptions {
  /** Directory holding `mlops.db` and `artifacts/`; created if missing. */
  readonly dataPath: string
  /** SQLite durability: `NORMAL` (default; safe in WAL mode) or `FULL` (fsync on every commit). */
  readonly synchronous?: "NORMAL" | "FULL"
  /** Where WAL checkpoints run: `background` (default, a worker thread) or `inline` (see {@link makeSqliteLayer}). */
  readonly checkpoint?: "background" | "inline"
  /**
   * How log lines look: `pretty` (default, for a terminal), `logfmt` or
   * `json` (one line per record, for a server's log collector).
   */
  readonly logFormat?: LogFormat
}

/** The log line formats of {@link BasicLayerOptions.logFormat}. */
export type LogFormat = "pretty" | "logfmt" | "json"

const loggers: Record<LogFormat, Layer.Layer<never>> = {
  pretty: Logger.pretty,
  logfmt: Logger.logFmt,
  json: Logger.json
}

/**
 * The embedded configuration: experiment tracking and the model registry in
 * one SQLite file, artifacts on the local disk, a readable console logger,
 * and readiness checks of the database, its migrations and the artifact
 * directory.
 * No auth, one tenant, one node — several processes may share the directory.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ExperimentTracker } from "effect-mlops"
 * import { makeBasicLayer } from "effect-mlops/layers"
 *
 * const program = Effect.flatMap(ExperimentTracker, (tracker) => tracker.createExperiment({ name: "demo" }))
 * Effect.runPromise(program.pipe(Effect.provide(makeBasicLayer({ dataPath: "./mlops-data" }))))
 * ```
 */
export const makeBasicLayer = (
  options: BasicLayerOptions
): Layer.Layer<CoreServices, SqlStoreError | ArtifactStorageError> => {
  const dataPath = path.resolve(options.dataPath)
  const Sql = makeSqliteLayer({
    filename: path.join(dataPath, "mlops.db"),
    ...(options.synchronous ? { synchronous: options.synchronous } : {}),
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {})
  })
  const Tracker = ExperimentTracker.layer.pipe(Layer.provide(Sql))
  const Registry = ModelRegistry.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const Models = LoggedModels.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
  const Artifacts = ArtifactStore.layer(path.join(dataPath, "artifacts")).pipe(Layer.provide(NodeContext.layer))
  const Data = Datasets.layer.pipe(Layer.provide(Artifacts), Layer.provide(Sql))
  const Exposed = layerGuardDatasetFiles.pipe(Layer.provide(Artifacts))
  // The artifact probe writes through the unguarded store.
  const Health = layerStoreChecks.pipe(Layer.provideMerge(HealthCheck.layer), Layer.provide([Sql, Artifacts]))
  const Drift = DriftMonitor.layer.pipe(Layer.provide([Tracker, Registry, Data]))
  const Alerts = AlertStore.layer.pipe(Layer.provide(Sql))
  return Layer.mergeAll(
    Tracker,
    Registry,
    Models,
    Exposed,
    Data,
    Health,
    Drift,
    Alerts,
    loggers[options.logFormat ?? "pretty"]
  )
}

/**
 * {@link makeBasicLayer} with the data directory from `MLOPS_DATA_DIR`
 * (default `./mlops-data`).
 */
export const BasicLayer: Layer.Layer<CoreServices, SqlStoreError | ArtifactStorageError | ConfigError> =
  Layer.unwrapEffect(
    Effect.map(Config.string("MLOPS_DATA_DIR").pipe(Config.withDefault("./mlops-data")), (dataPath) =>
      makeBasicLayer({ dataPath })
    )
  )
