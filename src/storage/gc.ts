import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Either } from "effect"
import { artifactPathFromUri } from "../core/artifacts/path.js"
import { InvalidArgument } from "../core/errors.js"
import { ExperimentNotFound, RunNotFound } from "../core/tracking/errors.js"
import { defaultArtifactLocation } from "../core/tracking/naming.js"
import { withWriteTransaction } from "./transaction.js"

/**
 * Garbage collection of soft-deleted runs and experiments, as `mlflow gc`
 * does: rows are removed for good, and so are the artifacts. It works on the
 * SQL store directly (not through the tracker), across all tenants; it is an
 * operator's tool.
 */

/** What to collect; with nothing set, every deleted run and every deleted experiment. */
export interface GcOptions {
  /**
   * Only runs deleted before this instant, and experiments last updated
   * (deleted) before it, in ms since the epoch: MLflow's `--older-than`.
   */
  readonly deletedBefore?: number
  /** Only these runs (each must be deleted). Deleted experiments are still collected, as in MLflow. */
  readonly runIds?: ReadonlyArray<string>
  /** Only these experiments (each must be deleted), with all their runs. */
  readonly experimentIds?: ReadonlyArray<string>
}

export interface GcRun {
  readonly runId: string
  readonly experimentId: string
  readonly artifactUri: string
}

export interface GcExperiment {
  readonly experimentId: string
  readonly name: string
  readonly artifactLocation: string
}

/** The runs and experiments a collection would purge. Runs of purged experiments are listed among the runs. */
export interface GcPlan {
  readonly runs: ReadonlyArray<GcRun>
  readonly experiments: ReadonlyArray<GcExperiment>
}

/** Deletes the artifacts under a store path (a directory); a missing path must succeed. */
export type DeleteArtifacts<E> = (path: string) => Effect.Effect<void, E>

/** What a collection did: purged ids, and the ids skipped because they were restored or purged meanwhile. */
export interface GcResult {
  readonly runs: ReadonlyArray<string>
  readonly experiments: ReadonlyArray<string>
  readonly skipped: ReadonlyArray<string>
}

interface RunRow {
  readonly runId: string
  readonly experimentId: number | bigint
  readonly artifactUri: string
  readonly lifecycleStage: string
  readonly deletedTime: number | null
}

interface ExperimentRow {
  readonly experimentId: number | bigint
  readonly name: string
  readonly artifactLocation: string
  readonly lifecycleStage: string
  readonly lastUpdateTime: number
}

const toRun = (row: RunRow): GcRun => ({
  runId: row.runId,
  experimentId: String(row.experimentId),
  artifactUri: row.artifactUri
})

const toExperiment = (row: ExperimentRow): GcExperiment => ({
  experimentId: String(row.experimentId),
  name: row.name,
  artifactLocation: row.artifactLocation
})

const invalid = (field: string, reason: string) => new InvalidArgument({ field, reason })

/**
 * Lists what {@link collect} would purge, and refuses (before anything is
 * deleted) a named run or experiment that does not exist, is not deleted, or
 * was deleted too recently.
 */
export const planGc = (
  options: GcOptions = {}
): Effect.Effect<GcPlan, RunNotFound | ExperimentNotFound | InvalidArgument | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const before = options.deletedBefore
    const oldEnough = (time: number | null) => before === undefined || (time !== null && Number(time) < before)

    const runs = new Map<string, GcRun>()
    if (options.runIds !== undefined) {
      for (const runId of options.runIds) {
        const [row] = yield* sql<RunRow>`SELECT run_id, experiment_id, artifact_uri, lifecycle_stage, deleted_time
          FROM runs WHERE run_id = ${runId}`
        if (row === undefined) return yield* new RunNotFound({ runId })
        if (row.lifecycleStage !== "deleted")
          return yield* invalid("run-ids", `run ${runId} is not deleted; only deleted runs can be purged`)
        if (!oldEnough(row.deletedTime))
          return yield* invalid("run-ids", `run ${runId} was deleted more recently than --older-than allows`)
        runs.set(runId, toRun(row))
      }
    } else {
      const rows = yield* sql<RunRow>`SELECT run_id, experiment_id, artifact_uri, lifecycle_stage, deleted_time
        FROM runs WHERE lifecycle_stage = 'deleted' ORDER BY run_id`
      for (const row of rows) if (oldEnough(row.deletedTime)) runs.set(row.runId, toRun(row))
    }

    const experiments: Array<GcExperiment> = []
    if (options.experimentIds !== undefined) {
      for (const experimentId of options.experimentIds) {
        const rows = /^\d+$/.test(experimentId)
          ? yield* sql<ExperimentRow>`SELECT experiment_id, name, artifact_location, lifecycle_stage, last_update_time
              FROM experiments WHERE experiment_id = ${Number(experimentId)}`
          : []
        const row = rows[0]
        if (row === undefined) return yield* new ExperimentNotFound({ experiment: experimentId })
        if (row.lifecycleStage !== "deleted")
          return yield* invalid(
            "experiment-ids",
            `experiment ${experimentId} is not deleted; only deleted experiments can be purged`
          )
        if (!oldEnough(row.lastUpdateTime))
          return yield* invalid(
            "experiment-ids",
            `experiment ${experimentId} was deleted more recently than --older-than allows`
          )
        experiments.push(toExperiment(row))
      }
    } else {
      const rows =
        yield* sql<ExperimentRow>`SELECT experiment_id, name, artifact_location, lifecycle_stage, last_update_time
        FROM experiments WHERE lifecycle_stage = 'deleted' ORDER BY experiment_id`
      for (const row of rows) if (oldEnough(row.lastUpdateTime)) experiments.push(toExperiment(row))
    }

    // Purging an experiment purges all its runs, whatever their own stage.
    for (const experiment of experiments) {
      const rows = yield* sql<RunRow>`SELECT run_id, experiment_id, artifact_uri, lifecycle_stage, deleted_time
        FROM runs WHERE experiment_id = ${Number(experiment.experimentId)} ORDER BY run_id`
      for (const row of rows) runs.set(row.runId, toRun(row))
    }
    return { runs: [...runs.values()], experiments }
  })

/**
 * The store directory of a run's artifacts: the whole `<...>/<runId>` folder
 * when the URI has the usual `<...>/<runId>/artifacts` shape (so no empty
 * folder is left behind), else the URI's own path. `null` for a URI outside
 * the artifact store (another scheme), whose files this store cannot delete.
 */
export const runArtifactDirectory = (runId: string, artifactUri: string): string | null =>
  Either.match(artifactPathFromUri(artifactUri), {
    onLeft: () => null,
    onRight: (path) => {
      if (path === "") return null
      const suffix = `${runId}/artifacts`
      return path === suffix || path.endsWith(`/${suffix}`) ? path.slice(0, -"/artifacts".length) : path
    }
  })

// Every row that names the run. The metric tables and run_inputs/run_outputs
// are deleted outright; logged models produced by the run outlive it (they
// belong to the experiment), so only their reference to it is cleared.
// model_versions.run_id is kept, as MLflow keeps it: lineage then reports
// the run as gone.
const deleteRunRows = (sql: SqlClient.SqlClient, runId: string) =>
  Effect.gen(function* () {
    for (const table of [
      "params",
      "tags",
      "metric_chunks",
      "latest_metrics",
      "metric_tiers",
      "batch_keys",
      "run_inputs",
      "run_outputs"
    ]) {
      yield* sql`DELETE FROM ${sql(table)} WHERE run_id = ${runId}`
    }
    yield* sql`UPDATE logged_models SET source_run_id = NULL WHERE source_run_id = ${runId}`
    yield* sql`UPDATE logged_model_metrics SET run_id = NULL WHERE run_id = ${runId}`
    yield* sql`DELETE FROM runs WHERE run_id = ${runId}`
  })

/**
 * Purges one run in one write transaction: its rows, then its artifacts, so
 * that a failure to delete the files rolls the rows back and a later `gc`
 * retries. The run is checked again inside the transaction, which holds the
 * write lock: a run restored since the plan (and whose experiment is not
 * deleted) is skipped, and cannot be restored half-way.
 */
export const purgeRun = <E>(
  runId: string,
  deleteArtifacts: DeleteArtifacts<E>
): Effect.Effect<boolean, E | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* withWriteTransaction(sql)(
      Effect.gen(function* () {
        const [row] = yield* sql<{ readonly artifactUri: string; readonly run: string; readonly experiment: string }>`
          SELECT r.artifact_uri, r.lifecycle_stage AS run, e.lifecycle_stage AS experiment
          FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id WHERE r.run_id = ${runId}`
        if (row === undefined || (row.run !== "deleted" && row.experiment !== "deleted")) return false
        yield* deleteRunRows(sql, runId)
        const directory = runArtifactDirectory(runId, row.artifactUri)
        if (directory !== null) yield* deleteArtifacts(directory)
        return true
      })
    )
  })

/**
 * Purges one deleted experiment in one write transaction: any run still in
 * it, its logged models, dataset records and tags, the experiment row, then
 * its artifact folder when it has the default location (else the folders of
 * its runs and logged models one by one). An experiment restored since the
 * plan is skipped.
 */
export const purgeExperiment = <E>(
  experimentId: string,
  deleteArtifacts: DeleteArtifacts<E>
): Effect.Effect<boolean, E | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const id = Number(experimentId)
    return yield* withWriteTransaction(sql)(
      Effect.gen(function* () {
        const [experiment] = yield* sql<{ readonly artifactLocation: string; readonly lifecycleStage: string }>`
          SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ${id}`
        if (experiment === undefined || experiment.lifecycleStage !== "deleted") return false
        const directories: Array<string> = []

        const runs = yield* sql<{ readonly runId: string; readonly artifactUri: string }>`
          SELECT run_id, artifact_uri FROM runs WHERE experiment_id = ${id}`
        for (const run of runs) {
          yield* deleteRunRows(sql, run.runId)
          const directory = runArtifactDirectory(run.runId, run.artifactUri)
          if (directory !== null) directories.push(directory)
        }

        const models = yield* sql<{ readonly modelId: string; readonly artifactLocation: string }>`
          SELECT model_id, artifact_location FROM logged_models WHERE experiment_id = ${id}`
        for (const model of models) {
          for (const table of ["logged_model_tags", "logged_model_params", "logged_model_metrics", "run_outputs"]) {
            yield* sql`DELETE FROM ${sql(table)} WHERE model_id = ${model.modelId}`
          }
          yield* sql`DELETE FROM logged_models WHERE model_id = ${model.modelId}`
          const directory = Either.getOrNull(artifactPathFromUri(model.artifactLocation))
          if (directory !== null && directory !== "") directories.push(directory)
        }

        yield* sql`DELETE FROM run_inputs WHERE dataset_id IN (SELECT dataset_id FROM datasets WHERE experiment_id = ${id})`
        yield* sql`DELETE FROM datasets WHERE experiment_id = ${id}`
        yield* sql`DELETE FROM experiment_tags WHERE experiment_id = ${id}`
        yield* sql`DELETE FROM experiments WHERE experiment_id = ${id}`

        // The default location `mlflow-artifacts:/<id>` holds nothing but this experiment's files.
        const root =
          experiment.artifactLocation === defaultArtifactLocation(experimentId)
            ? Either.getOrNull(artifactPathFromUri(experiment.artifactLocation))
            : null
        for (const directory of root !== null && root !== "" ? [root] : directories) {
          yield* deleteArtifacts(directory)
        }
        return true
      })
    )
  })

/** Purges what `plan` lists: each run, then each experiment, one transaction each. */
export const collect = <E>(
  plan: GcPlan,
  deleteArtifacts: DeleteArtifacts<E>
): Effect.Effect<GcResult, E | SqlError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const runs: Array<string> = []
    const experiments: Array<string> = []
    const skipped: Array<string> = []
    for (const { runId } of plan.runs) {
      const purged = yield* purgeRun(runId, deleteArtifacts)
      ;(purged ? runs : skipped).push(runId)
    }
    for (const { experimentId } of plan.experiments) {
      const purged = yield* purgeExperiment(experimentId, deleteArtifacts)
      ;(purged ? experiments : skipped).push(experimentId)
    }
    return { runs, experiments, skipped }
  })
