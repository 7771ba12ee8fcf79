import { randomUUID } from "node:crypto"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import pg from "pg"
import { ArtifactStore } from "../../../src/core/artifacts/ArtifactStore.js"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { Datasets } from "../../../src/core/data/Datasets.js"
import { LoggedModels } from "../../../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { databaseUrl, freshDatabase } from "../../support/postgres.js"
import { tempDir } from "../../support/sqlite.js"
import { makePostgresLayer } from "../../../layers/Postgres.js"
import { Redacted } from "effect"

const acme = TenantId.make("acme")
const globex = TenantId.make("globex")
const as =
  (tenant: TenantId) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provideService(self, CurrentTenant, tenant)

/** The database's name, for raw connections next to the layer's. */
class Database extends Effect.Tag("test/Database")<Database, { readonly database: string }>() {}

const Store = Layer.unwrapScoped(
  Effect.map(freshDatabase, (name) => {
    const Sql = makePostgresLayer({
      url: Redacted.make(databaseUrl(name, "app")),
      adminUrl: Redacted.make(databaseUrl(name, "admin"))
    })
    const Artifacts = Layer.unwrapScoped(Effect.map(tempDir("isolation-artifacts"), ArtifactStore.layer)).pipe(
      Layer.provide(NodeContext.layer)
    )
    return Layer.mergeAll(ModelRegistry.layer, LoggedModels.layer, Datasets.layer).pipe(
      Layer.provideMerge(ExperimentTracker.layer),
      Layer.provideMerge(Artifacts),
      Layer.provideMerge(Sql),
      Layer.merge(Layer.succeed(Database, { database: name }))
    )
  })
)

/** One statement on a connection of our own, as `role`, with `app.tenant_id` set to `tenant` when given. */
const raw = (database: string, role: "admin" | "app", text: string, tenant?: string) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: databaseUrl(database, role) })
    await client.connect()
    try {
      await client.query("BEGIN")
      if (tenant !== undefined) await client.query("SELECT set_config('app.tenant_id', $1, true)", [tenant])
      const result = await client.query(text).then(
        (r) => Either.right(r.rows as ReadonlyArray<Record<string, unknown>>),
        (error: Error) => Either.left(error.message)
      )
      await client.query("ROLLBACK")
      return result
    } finally {
      await client.end()
    }
  })

/** Acme's experiment, run, model version, logged model and dataset; names are unique per call (the store is shared). */
const seedAcme = Effect.gen(function* () {
  const suffix = randomUUID()
  const tracker = yield* ExperimentTracker
  const experiment = yield* tracker.createExperiment({ name: `churn-${suffix}` })
  const run = yield* tracker.createRun({ experimentId: experiment.experimentId, runName: "acme-run" })
  yield* tracker.logBatch(run.info.runId, {
    metrics: [{ key: "loss", value: 0.5, step: 0 }],
    params: [{ key: "lr", value: "0.1" }],
    tags: [{ key: "team", value: "acme" }]
  })
  const modelName = `churn-model-${suffix}`
  yield* (yield* ModelRegistry).createRegisteredModel({ name: modelName })
  yield* (yield* ModelRegistry).createModelVersion({ name: modelName, source: "s3://m", runId: run.info.runId })
  const model = yield* (yield* LoggedModels).createLoggedModel({ experimentId: experiment.experimentId })
  yield* (yield* Datasets).registerMetadata({
    name: `customers-${suffix}`,
    digest: "d1",
    source: "{}",
    sourceType: "local"
  })
  return { experiment, run, model, modelName }
}).pipe(as(acme))

layer(Store)("PostgreSQL tenant isolation", (it) => {
  it.effect("every table with tenant data has forced row-level security and a tenant policy", () =>
    Effect.gen(function* () {
      const { database: name } = yield* Database
      const tables = yield* raw(
        name,
        "admin",
        `SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
           (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r'
           AND EXISTS (SELECT 1 FROM information_schema.columns k
                       WHERE k.table_schema = 'public' AND k.table_name = c.relname AND k.column_name = 'tenant_id')
           AND c.relname <> 'tenants'
         ORDER BY c.relname`
      ).pipe(Effect.map(Either.getOrThrow))
      assert.isAtLeast(tables.length, 24)
      for (const table of tables) {
        assert.deepStrictEqual(
          { ...table, policies: Number(table.policies) },
          { table: table.table, enabled: true, forced: true, policies: 1 }
        )
      }
    })
  )

  it.effect("the application's role owns no table and can neither bypass nor switch off row-level security", () =>
    Effect.gen(function* () {
      const { database: name } = yield* Database
      const [role] = yield* raw(
        name,
        "app",
        `SELECT rolsuper, rolbypassrls,
           (SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user) AS owned
         FROM pg_roles WHERE rolname = current_user`
      ).pipe(Effect.map(Either.getOrThrow))
      assert.deepStrictEqual(
        { ...role, owned: Number(role?.owned) },
        { rolsuper: false, rolbypassrls: false, owned: 0 }
      )
      const disable = yield* raw(name, "app", "ALTER TABLE runs DISABLE ROW LEVEL SECURITY", "acme")
      assert.match(
        Either.getLeft(disable).pipe((e) => (e._tag === "Some" ? e.value : "")),
        /must be owner/
      )
    })
  )

  it.effect("another tenant sees none of acme's experiments, runs, models, logged models or datasets", () =>
    Effect.gen(function* () {
      const { experiment, run, model, modelName } = yield* seedAcme
      const tracker = yield* ExperimentTracker
      const registry = yield* ModelRegistry
      const outcome = yield* Effect.all({
        experiment: Effect.either(tracker.getExperiment(experiment.experimentId)),
        byName: Effect.either(tracker.getExperimentByName(experiment.name)),
        experiments: tracker.searchExperiments({ filter: `name = '${experiment.name}'` }),
        run: Effect.either(tracker.getRun(run.info.runId)),
        runs: Effect.either(tracker.searchRuns({ experimentIds: [experiment.experimentId] })),
        history: Effect.either(tracker.getMetricHistory({ runId: run.info.runId, key: "loss" })),
        registered: Effect.either(registry.getRegisteredModel(modelName)),
        models: registry.searchRegisteredModels(),
        versions: registry.searchModelVersions(),
        logged: Effect.either((yield* LoggedModels).getLoggedModel(model.modelId)),
        datasets: (yield* Datasets).listDatasets()
      }).pipe(as(globex))
      assert.strictEqual(
        Either.getLeft(outcome.experiment).pipe((e) => e._tag === "Some" && e.value._tag),
        "ExperimentNotFound"
      )
      assert.isTrue(Either.isLeft(outcome.byName))
      assert.deepStrictEqual(outcome.experiments.items, [])
      assert.strictEqual(
        Either.getLeft(outcome.run).pipe((e) => e._tag === "Some" && e.value._tag),
        "RunNotFound"
      )
      assert.isTrue(Either.isLeft(outcome.runs) || Either.getOrThrow(outcome.runs).items.length === 0)
      assert.isTrue(Either.isLeft(outcome.history))
      assert.isTrue(Either.isLeft(outcome.registered))
      assert.deepStrictEqual(outcome.models.items, [])
      assert.deepStrictEqual(outcome.versions.items, [])
      assert.isTrue(Either.isLeft(outcome.logged))
      assert.deepStrictEqual(outcome.datasets, [])
      // Acme itself still sees everything.
      assert.strictEqual((yield* tracker.getRun(run.info.runId).pipe(as(acme))).info.runName, "acme-run")
    })
  )

  it.effect("another tenant cannot write to acme's run, model or experiment", () =>
    Effect.gen(function* () {
      const { experiment, run, modelName } = yield* seedAcme
      const tracker = yield* ExperimentTracker
      const registry = yield* ModelRegistry
      const refused = (attempt: Effect.Effect<unknown, unknown>) =>
        Effect.map(Effect.either(attempt.pipe(as(globex))), Either.isLeft)
      const attempts = yield* Effect.all([
        refused(tracker.logBatch(run.info.runId, { metrics: [{ key: "loss", value: 9, step: 1 }] })),
        refused(tracker.setTag(run.info.runId, "team", "globex")),
        refused(tracker.updateRun(run.info.runId, { status: "FAILED" })),
        refused(tracker.deleteRun(run.info.runId)),
        refused(tracker.createRun({ experimentId: experiment.experimentId })),
        refused(tracker.renameExperiment(experiment.experimentId, "stolen")),
        refused(registry.createModelVersion({ name: modelName, source: "s3://x" })),
        refused(registry.deleteRegisteredModel(modelName))
      ])
      assert.deepStrictEqual(
        attempts,
        attempts.map(() => true)
      )
      const stored = yield* tracker.getRun(run.info.runId).pipe(as(acme))
      assert.strictEqual(stored.info.status, "RUNNING")
      assert.deepStrictEqual(
        stored.data.metrics.map((m) => m.value),
        [0.5]
      )
      assert.deepStrictEqual(
        stored.data.tags.filter((t) => t.key === "team").map((t) => t.value),
        ["acme"]
      )
      assert.strictEqual((yield* tracker.getExperiment(experiment.experimentId).pipe(as(acme))).name, experiment.name)
    })
  )

  it.effect("names are unique per tenant: both tenants may own an experiment and a model called alike", () =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const registry = yield* ModelRegistry
      const a = yield* tracker.createExperiment({ name: "shared-name" }).pipe(as(acme))
      const b = yield* tracker.createExperiment({ name: "shared-name" }).pipe(as(globex))
      assert.notStrictEqual(a.experimentId, b.experimentId)
      yield* registry.createRegisteredModel({ name: "shared-model" }).pipe(as(acme))
      yield* registry.createRegisteredModel({ name: "shared-model" }).pipe(as(globex))
      assert.strictEqual(
        (yield* tracker.getExperimentByName("shared-name").pipe(as(globex))).experimentId,
        b.experimentId
      )
    })
  )

  it.effect("a query without any tenant filter, run as the application, returns only the current tenant's rows", () =>
    Effect.gen(function* () {
      yield* seedAcme
      const sql = yield* SqlClient.SqlClient
      const tenantsOf = (table: string) =>
        sql<{ readonly tenantId: string }>`SELECT DISTINCT tenant_id FROM ${sql(table)}`.pipe(
          Effect.map((rows) => rows.map((row) => row.tenantId))
        )
      for (const table of ["experiments", "runs", "params", "metric_chunks", "latest_metrics", "registered_models"]) {
        assert.deepStrictEqual(yield* tenantsOf(table).pipe(as(acme)), ["acme"], table)
        assert.deepStrictEqual(
          (yield* tenantsOf(table).pipe(as(globex))).filter((t) => t !== "globex"),
          [],
          table
        )
      }
    })
  )

  it.effect("a tenant id with quotes and backslashes is the setting, verbatim, inside and outside transactions", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const tricky = TenantId.make(String.raw`o'brien\'); SELECT 1; --`)
      const setting = sql<{ readonly tenant: string }>`SELECT current_setting('app.tenant_id') AS tenant`.pipe(
        Effect.map((rows) => rows[0]?.tenant)
      )
      assert.strictEqual(yield* sql.withTransaction(setting).pipe(as(tricky)), tricky)
      assert.strictEqual(yield* setting.pipe(as(tricky)), tricky)
      const tracker = yield* ExperimentTracker
      const { experimentId } = yield* tracker.createExperiment({ name: "quoted" }).pipe(as(tricky))
      assert.strictEqual((yield* tracker.getExperiment(experimentId).pipe(as(tricky))).name, "quoted")
      assert.isTrue(Either.isLeft(yield* Effect.either(tracker.getExperiment(experimentId).pipe(as(acme)))))
    })
  )

  it.effect("a row written under one tenant's setting for another tenant is refused", () =>
    Effect.gen(function* () {
      const { database: name } = yield* Database
      const { run } = yield* seedAcme
      const insert = yield* raw(
        name,
        "app",
        `INSERT INTO params (run_id, key, value, tenant_id) VALUES ('${run.info.runId}', 'x', 'y', 'acme')`,
        "globex"
      )
      assert.match(
        Either.getLeft(insert).pipe((e) => (e._tag === "Some" ? e.value : "")),
        /row-level security/
      )
    })
  )

  it.effect("a connection that sets no tenant sees no rows and can write none", () =>
    Effect.gen(function* () {
      const { database: name } = yield* Database
      yield* seedAcme
      assert.deepStrictEqual(Either.getOrThrow(yield* raw(name, "app", "SELECT count(*)::int AS n FROM runs")), [
        { n: 0 }
      ])
      const insert = yield* raw(name, "app", "INSERT INTO tags (run_id, key, value) VALUES ('x', 'k', 'v')")
      assert.isTrue(Either.isLeft(insert))
    })
  )
})
