import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Migrator, SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { makeSqliteLayer } from "../../layers/Sql.js"
import { ModelRegistry } from "../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { RunId } from "../../src/core/tracking/model.js"
import { latestSchemaVersion, migrations } from "../../src/storage/migrations.js"
import { tempDir } from "../support/sqlite.js"

const legacyRunId = RunId.make("0123456789abcdef0123456789abcdef")
const t0 = 1_700_000_000_000

const dbFile = (dataPath: string) => path.join(dataPath, "mlops.db")

/** A raw client on the file, without any migration: what an older or newer release would open. */
const rawClient = (filename: string) => SqliteClient.layer({ filename })

/**
 * The store as release 0.0.x left it: only the tracking migration, and rows
 * written with the plain SQL of that release (NaN as 0 with `is_nan = 1`).
 */
const createPreviousReleaseStore = (dataPath: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* Migrator.make({})({ loader: Migrator.fromRecord({ "1_tracking": migrations["1_tracking"]! }) })
    yield* sql`INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
      VALUES ('legacy', 'mlflow-artifacts:/1', 'active', ${t0}, ${t0})`
    yield* sql`INSERT INTO experiment_tags (experiment_id, key, value) VALUES (1, 'team', 'vision')`
    yield* sql`INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
      VALUES (${legacyRunId}, 1, 'baseline', 'alice', 'FINISHED', ${t0}, ${t0 + 3000}, 'active',
        ${`mlflow-artifacts:/1/${legacyRunId}/artifacts`})`
    yield* sql`INSERT INTO tags (run_id, key, value) VALUES (${legacyRunId}, 'mlflow.runName', 'baseline')`
    yield* sql`INSERT INTO params (run_id, key, value) VALUES (${legacyRunId}, 'lr', '0.01')`
    yield* sql`INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan) VALUES
      (${legacyRunId}, 'loss', 0, ${t0 + 1000}, 0.9, 0),
      (${legacyRunId}, 'loss', 1, ${t0 + 2000}, 0, 1),
      (${legacyRunId}, 'loss', 2, ${t0 + 3000}, 0.4, 0)`
    yield* sql`INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
      VALUES (${legacyRunId}, 'loss', 2, ${t0 + 3000}, 0.4, 0)`
  }).pipe(Effect.provide(rawClient(dbFile(dataPath))))

const appliedMigrations = (filename: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly migration_id: number }>`SELECT migration_id FROM effect_sql_migrations
      ORDER BY migration_id`
    return rows.map((row) => Number(row.migration_id))
  }).pipe(Effect.provide(rawClient(filename)))

const allMigrationIds = Object.keys(migrations).map((key) => Number.parseInt(key, 10))

/** A store a newer release migrated: everything this release knows, plus a migration 999. */
const createNewerStore = (dataPath: string) =>
  Layer.build(makeSqliteLayer({ filename: dbFile(dataPath) })).pipe(
    Effect.scoped,
    Effect.zipRight(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql`INSERT INTO effect_sql_migrations (migration_id, name) VALUES (999, 'from_the_future')`
      ).pipe(Effect.provide(rawClient(dbFile(dataPath))))
    )
  )

/** Name, size, SHA-256 and mtime of every file in `dir` (the database, and its WAL and shm if present). */
const snapshot = (dir: string) =>
  fs
    .readdirSync(dir)
    .sort()
    .map((name) => {
      const file = path.join(dir, name)
      const bytes = fs.readFileSync(file)
      return {
        name,
        size: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        mtimeMs: fs.statSync(file).mtimeMs
      }
    })

describe("a store created by the previous release (schema version 1)", () => {
  it.scoped("is migrated to the latest version when opened", () =>
    Effect.gen(function* () {
      const dataPath = yield* tempDir("effect-mlops-legacy")
      yield* createPreviousReleaseStore(dataPath)
      assert.deepStrictEqual(yield* appliedMigrations(dbFile(dataPath)), [1])
      yield* Layer.build(makeBasicLayer({ dataPath })).pipe(Effect.scoped)
      assert.deepStrictEqual(yield* appliedMigrations(dbFile(dataPath)), allMigrationIds)
    })
  )

  it.scoped("reads back its experiments, runs, params, tags and metrics", () =>
    Effect.gen(function* () {
      const dataPath = yield* tempDir("effect-mlops-legacy")
      yield* createPreviousReleaseStore(dataPath)
      yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const experiment = yield* tracker.getExperimentByName("legacy")
        assert.strictEqual(experiment.experimentId, "1")
        assert.deepStrictEqual(
          experiment.tags.map((t) => [t.key, t.value]),
          [["team", "vision"]]
        )

        const run = yield* tracker.getRun(legacyRunId)
        assert.strictEqual(run.info.experimentId, "1")
        assert.strictEqual(run.info.runName, "baseline")
        assert.strictEqual(run.info.userId, "alice")
        assert.strictEqual(run.info.status, "FINISHED")
        assert.strictEqual(run.info.endTime, t0 + 3000)
        assert.deepStrictEqual(
          run.data.params.map((p) => [p.key, p.value]),
          [["lr", "0.01"]]
        )
        assert.deepStrictEqual(
          run.data.tags.map((t) => [t.key, t.value]),
          [["mlflow.runName", "baseline"]]
        )
        assert.deepStrictEqual(
          run.data.metrics.map((m) => [m.key, m.step, m.value]),
          [["loss", 2, 0.4]]
        )

        const history = yield* tracker.getMetricHistory({ runId: legacyRunId, key: "loss" })
        assert.deepStrictEqual(
          history.items.map((m) => [m.step, m.value]),
          [
            [0, 0.9],
            [1, Number.NaN],
            [2, 0.4]
          ]
        )

        const found = yield* tracker.searchRuns({
          experimentIds: [experiment.experimentId],
          filter: "metrics.loss < 0.5 AND params.lr = '0.01'"
        })
        assert.deepStrictEqual(
          found.items.map((r) => r.info.runId),
          [legacyRunId]
        )
      }).pipe(Effect.provide(makeBasicLayer({ dataPath })))
    })
  )

  it.scoped("accepts new writes and registry entries (migration 2) linked to its runs", () =>
    Effect.gen(function* () {
      const dataPath = yield* tempDir("effect-mlops-legacy")
      yield* createPreviousReleaseStore(dataPath)
      yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const registry = yield* ModelRegistry
        const next = yield* tracker.createExperiment({ name: "after-upgrade" })
        assert.strictEqual(next.experimentId, "2")

        yield* registry.createRegisteredModel({ name: "legacy-model" })
        const version = yield* registry.createModelVersion({
          name: "legacy-model",
          source: `mlflow-artifacts:/1/${legacyRunId}/artifacts/model`,
          runId: legacyRunId
        })
        assert.strictEqual(version.version, "1")
        const lineage = yield* registry.getLineage("legacy-model", version.version)
        assert.strictEqual(lineage.run?.runId, legacyRunId)
        assert.strictEqual(lineage.experiment?.name, "legacy")
      }).pipe(Effect.provide(makeBasicLayer({ dataPath })))
    })
  )
})

describe("a store with a newer schema version", () => {
  it.scoped("is refused with StoreVersionTooNew", () =>
    Effect.gen(function* () {
      const dataPath = yield* tempDir("effect-mlops-newer")
      yield* createNewerStore(dataPath)
      const error = yield* Effect.flip(Layer.build(makeBasicLayer({ dataPath })).pipe(Effect.scoped))
      assert.strictEqual(error._tag, "StoreVersionTooNew")
      assert.deepInclude(error, { storeVersion: 999, supportedVersion: latestSchemaVersion })
    })
  )

  it.scoped("is left untouched when refused", () =>
    Effect.gen(function* () {
      const dataPath = yield* tempDir("effect-mlops-newer")
      yield* createNewerStore(dataPath)
      const before = snapshot(dataPath)
      yield* Effect.flip(Layer.build(makeSqliteLayer({ filename: dbFile(dataPath) })).pipe(Effect.scoped))
      assert.deepStrictEqual(snapshot(dataPath), before)
      assert.deepStrictEqual(yield* appliedMigrations(dbFile(dataPath)), [...allMigrationIds, 999])
    })
  )
})

describe("opening a store again", () => {
  it.scoped("applies no migration twice and keeps the data", () =>
    Effect.gen(function* () {
      const dataPath = yield* tempDir("effect-mlops-reopen")
      const filename = dbFile(dataPath)
      // A factory on purpose: each call is a separate layer, so the store is opened twice.
      const Store = () => ExperimentTracker.layer.pipe(Layer.provide(makeSqliteLayer({ filename })))
      yield* Effect.flatMap(ExperimentTracker, (tracker) => tracker.createExperiment({ name: "kept" })).pipe(
        Effect.provide(Store())
      )
      const experiments = yield* Effect.flatMap(ExperimentTracker, (tracker) => tracker.searchExperiments()).pipe(
        Effect.provide(Store())
      )
      assert.sameMembers(
        experiments.items.map((e) => e.name),
        ["Default", "kept"]
      )
      assert.deepStrictEqual(yield* appliedMigrations(filename), allMigrationIds)
    })
  )
})
