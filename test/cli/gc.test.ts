import * as fs from "node:fs"
import * as path from "node:path"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeSqliteLayer } from "../../layers/Sql.js"
import { ArtifactStore } from "../../src/core/artifacts/ArtifactStore.js"
import { runArtifactPath } from "../../src/core/artifacts/path.js"
import { LoggedModels } from "../../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import type { ExperimentId } from "../../src/core/tracking/model.js"
import { tempDir } from "../support/sqlite.js"
import { cli, cliOk, withStore } from "./harness.js"

// A run with a row in every run table and a file in the artifact store.
const richRun = (experimentId: ExperimentId, name: string) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const models = yield* LoggedModels
    const artifacts = yield* ArtifactStore
    const run = yield* tracker.createRun({ experimentId, runName: name })
    const runId = run.info.runId
    yield* tracker.logBatch(runId, {
      metrics: Array.from({ length: 50 }, (_, step) => ({ key: "loss", value: 1 / (step + 1), step })),
      params: [{ key: "lr", value: "0.1" }],
      tags: [{ key: "team", value: "vision" }],
      idempotencyKey: `batch-${name}`
    })
    yield* tracker.logInputs(runId, [
      {
        dataset: { name: `data-${name}`, digest: "abc", sourceType: "local", source: "file:///d.csv" },
        tags: [{ key: "mlflow.data.context", value: "training" }]
      }
    ])
    const model = yield* models.createLoggedModel({ experimentId, name: `model-${name}`, sourceRunId: runId })
    yield* models.logLoggedModelMetrics(model.modelId, [{ key: "acc", value: 0.9, timestamp: 1, runId }])
    yield* models.logOutputs(runId, [{ modelId: model.modelId, step: 1 }])
    yield* artifacts.putBytes(runArtifactPath(experimentId, runId, "model/weights.bin"), `weights of ${name}`)
    return runId
  })

const seed = (data: string) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const registry = yield* ModelRegistry
    const kept = yield* tracker.createExperiment({ name: "kept", tags: [{ key: "k", value: "v" }] })
    const keep = yield* richRun(kept.experimentId, "keep")
    const purge = yield* richRun(kept.experimentId, "purge")
    yield* tracker.deleteRun(purge)
    const doomed = yield* tracker.createExperiment({ name: "doomed", tags: [{ key: "k", value: "v" }] })
    const inDoomed = yield* richRun(doomed.experimentId, "in-doomed")
    yield* tracker.deleteExperiment(doomed.experimentId)
    yield* registry.createRegisteredModel({ name: "m" })
    yield* registry.createModelVersion({ name: "m", source: "mlflow-artifacts:/x", runId: purge })
    return { kept: kept.experimentId, doomed: doomed.experimentId, keep, purge, inDoomed }
  }).pipe(withStore(data))

/** Rows per table that name `runId` (in any `run_id` or `source_run_id` column). */
const rowsNaming = (data: string, runId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* sql<{ readonly name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`
    const counts: Record<string, number> = {}
    for (const { name } of tables) {
      const columns = yield* sql<{ readonly name: string }>`SELECT name FROM pragma_table_info(${name})`
      for (const column of columns.map((c) => c.name).filter((c) => c === "run_id" || c === "source_run_id")) {
        const [row] = yield* sql<{ readonly count: number }>`SELECT COUNT(*) AS count FROM ${sql(name)}
          WHERE ${sql(column)} = ${runId}`
        counts[`${name}.${column}`] = row?.count ?? 0
      }
    }
    return counts
  }).pipe(Effect.provide(makeSqliteLayer({ filename: path.join(data, "mlops.db") })))

const countWhere = (data: string, table: string, column: string, value: string | number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ readonly count: number }>`SELECT COUNT(*) AS count FROM ${sql(table)}
      WHERE ${sql(column)} = ${value}`
    return row?.count ?? 0
  }).pipe(Effect.provide(makeSqliteLayer({ filename: path.join(data, "mlops.db") })))

const runDirectory = (data: string, experimentId: string, runId: string) =>
  path.join(data, "artifacts", "files", experimentId, runId)

describe("effect-mlops gc", () => {
  it.scopedLive("purges deleted runs and deleted experiments with every row and artifact, and nothing else", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli-gc")
      const ids = yield* seed(data)
      const keepBefore = yield* rowsNaming(data, ids.keep)
      const purgeBefore = yield* rowsNaming(data, ids.purge)
      // Every run table holds rows of the runs, so the check below means something.
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
        assert.isAbove(purgeBefore[`${table}.run_id`] ?? 0, 0, table)
      }
      assert.isTrue(fs.existsSync(runDirectory(data, ids.kept, ids.purge)))

      const result = yield* cliOk("gc", "--data", data, "--json")
      const output = JSON.parse(result.stdout) as { runs: ReadonlyArray<string>; experiments: ReadonlyArray<string> }
      assert.deepStrictEqual([...output.runs].sort(), [ids.purge, ids.inDoomed].sort())
      assert.deepStrictEqual(output.experiments, [ids.doomed])

      // The purged runs are named nowhere, except by the model version (MLflow keeps it too).
      for (const runId of [ids.purge, ids.inDoomed]) {
        const after = yield* rowsNaming(data, runId)
        for (const [table, count] of Object.entries(after)) {
          assert.strictEqual(count, table === "model_versions.run_id" && runId === ids.purge ? 1 : 0, table)
        }
      }
      // The kept run is untouched, row for row.
      assert.deepStrictEqual(yield* rowsNaming(data, ids.keep), keepBefore)
      // The deleted experiment and everything keyed by it are gone; the kept one is whole.
      for (const table of ["experiments", "experiment_tags", "datasets", "logged_models"]) {
        assert.strictEqual(yield* countWhere(data, table, "experiment_id", Number(ids.doomed)), 0, table)
        assert.isAbove(yield* countWhere(data, table, "experiment_id", Number(ids.kept)), 0, table)
      }
      // Files: the purged run's folder and the experiment's folder are gone, the kept run's bytes remain.
      assert.isFalse(fs.existsSync(runDirectory(data, ids.kept, ids.purge)))
      assert.isFalse(fs.existsSync(path.join(data, "artifacts", "files", ids.doomed)))
      assert.isFalse(fs.existsSync(path.join(data, "artifacts", "meta", ids.doomed)))
      const kept = yield* Effect.flatMap(ArtifactStore, (store) =>
        store.getBytes(runArtifactPath(ids.kept, ids.keep, "model/weights.bin"))
      ).pipe(withStore(data))
      assert.strictEqual(new TextDecoder().decode(kept), "weights of keep")
      // The tracker agrees, and the registry still answers for the version of the purged run.
      const missing = yield* cli("runs", "show", ids.purge, "--data", data)
      assert.strictEqual(missing.code, 1)
      yield* cliOk("models", "show", "m", "--data", data)

      // A second collection has nothing left to do.
      const again = yield* cliOk("gc", "--data", data)
      assert.strictEqual(again.stdout.trim(), "purged 0 run(s) and 0 experiment(s)")
    })
  )

  it.scopedLive("--dry-run lists what would go and changes nothing; --older-than spares recent deletions", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli-gc")
      const ids = yield* seed(data)
      const dry = JSON.parse((yield* cliOk("gc", "--data", data, "--dry-run", "--json")).stdout) as {
        runs: ReadonlyArray<string>
      }
      assert.deepStrictEqual([...dry.runs].sort(), [ids.purge, ids.inDoomed].sort())
      const recent = JSON.parse((yield* cliOk("gc", "--data", data, "--older-than", "1d", "--json")).stdout) as {
        runs: ReadonlyArray<string>
        experiments: ReadonlyArray<string>
      }
      assert.deepStrictEqual(recent.runs, [])
      assert.deepStrictEqual(recent.experiments, [])
      assert.isAbove((yield* rowsNaming(data, ids.purge))["params.run_id"] ?? 0, 0)
      assert.isTrue(fs.existsSync(runDirectory(data, ids.kept, ids.purge)))
    })
  )

  it.scopedLive("--run-ids refuses an active run (exit 1) and purges only the named deleted run's rows", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli-gc")
      const ids = yield* seed(data)
      const refused = yield* cli("gc", "--data", data, "--run-ids", `${ids.purge},${ids.keep}`)
      assert.strictEqual(refused.code, 1)
      assert.include(refused.stderr, `run ${ids.keep} is not deleted`)
      assert.isAbove((yield* rowsNaming(data, ids.purge))["params.run_id"] ?? 0, 0)

      const named = JSON.parse(
        (yield* cliOk("gc", "--data", data, "--run-ids", ids.purge, "--experiment-ids", ids.doomed, "--json")).stdout
      ) as { runs: ReadonlyArray<string> }
      assert.deepStrictEqual([...named.runs].sort(), [ids.purge, ids.inDoomed].sort())
      assert.strictEqual((yield* rowsNaming(data, ids.keep))["params.run_id"], 1)
    })
  )

  it.scopedLive("a malformed --older-than is a usage error", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli-gc")
      const result = yield* cli("gc", "--data", data, "--older-than", "yesterday")
      assert.strictEqual(result.code, 2)
      assert.include(result.stderr, "--older-than")
    })
  )
})
