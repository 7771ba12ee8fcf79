import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, layer } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import {
  compareExperiments,
  compareRuns,
  compileExperimentFilter,
  compileExperimentOrderBy,
  compileRunFilter,
  compileRunOrderBy,
  matchesExperiment,
  matchesRun,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy
} from "../../../../src/core/tracking/filter/index.js"
import {
  DatasetContextTag,
  DatasetInput,
  DatasetRef,
  Experiment,
  ExperimentId,
  Metric,
  Param,
  Run,
  RunData,
  RunId,
  RunInfo,
  type RunStatus,
  Tag
} from "../../../../src/core/tracking/model.js"
import { makeSqliteLayer } from "../../../../layers/Sql.js"
import { PostgresTest } from "../../../support/postgres.js"

/*
 * One table of cases, each run through the SQL compiler on a real SQLite
 * database and through the in-memory matcher over the same data. Both must
 * give the expected names in the expected order: that proves they agree.
 */

interface FixtureRun {
  readonly id: string
  readonly name: string
  readonly status: RunStatus
  readonly user: string
  readonly start: number
  readonly end: number | null
  readonly metrics?: Record<string, number>
  readonly params?: Record<string, string>
  readonly tags?: Record<string, string>
  readonly inputs?: ReadonlyArray<{ readonly name: string; readonly digest: string; readonly context?: string }>
}

const id = (prefix: string) => prefix.padEnd(32, "0")

// Default order (start_time DESC, run_id ASC): run-2, run_4, RUN-3, Run-6, run-1, run-5.
const fixture: ReadonlyArray<FixtureRun> = [
  {
    id: id("c1"),
    name: "run-1",
    status: "FINISHED",
    user: "alice",
    start: 1000,
    end: 2000,
    metrics: { loss: 0.25, acc: 0.85 },
    params: { lr: "0.01", optimizer: "adam" },
    tags: { "mlflow.runName": "run-1", owner: "alice", "a.b": "dotted", city: "Zürich" },
    inputs: [{ name: "iris", digest: "abc123", context: "training" }]
  },
  {
    id: id("e2"),
    name: "run-2",
    status: "RUNNING",
    user: "bob",
    start: 3000,
    end: null,
    metrics: { loss: 1.5 },
    params: { lr: "0.1", optimizer: "Adam" },
    tags: { "mlflow.runName": "run-2", city: "ZÜRICH" },
    inputs: [{ name: "wine", digest: "def456", context: "validation" }]
  },
  {
    id: id("d3"),
    name: "RUN-3",
    status: "FAILED",
    user: "alice",
    start: 2000,
    end: 2500,
    metrics: { loss: Number.NaN, acc: Number.POSITIVE_INFINITY },
    params: { lr: "0.01" },
    tags: { owner: "Bob", note: "x*y[1]?" },
    inputs: [
      { name: "iris", digest: "abc123" },
      { name: "wine", digest: "def456", context: "training" }
    ]
  },
  {
    id: id("a4"),
    name: "run_4",
    status: "FINISHED",
    user: "carol",
    start: 2000,
    end: 2600,
    metrics: { loss: Number.NEGATIVE_INFINITY, acc: 0.85 },
    params: { optimizer: "sgd" },
    // What an unescaped GLOB of 'x*y[1]?' would wrongly match.
    tags: { note: "xay1b" }
  },
  { id: id("f5"), name: "run-5", status: "KILLED", user: "", start: 500, end: 600 },
  {
    id: id("b6"),
    name: "Run-6",
    status: "FINISHED",
    user: "alice",
    start: 1000,
    end: 1500,
    metrics: { loss: 0.25 },
    params: { lr: "1e-3" },
    tags: { owner: "alice" },
    inputs: [{ name: "Iris", digest: "abc123", context: "training" }]
  }
]

const artifactUri = (runId: string) => `mlflow-artifacts:/1/${runId}/artifacts`
const entries = <A>(record: Record<string, A> | undefined) => Object.entries(record ?? {})

const toRun = (r: FixtureRun): Run =>
  new Run({
    info: new RunInfo({
      runId: RunId.make(r.id),
      experimentId: ExperimentId.make("1"),
      runName: r.name,
      userId: r.user,
      status: r.status,
      startTime: r.start,
      endTime: r.end,
      artifactUri: artifactUri(r.id),
      lifecycleStage: "active"
    }),
    data: new RunData({
      metrics: entries(r.metrics).map(([key, value]) => new Metric({ key, value, timestamp: 0, step: 0 })),
      params: entries(r.params).map(([key, value]) => new Param({ key, value })),
      tags: entries(r.tags).map(([key, value]) => new Tag({ key, value }))
    }),
    inputs: (r.inputs ?? []).map(
      (input) =>
        new DatasetInput({
          dataset: new DatasetRef({ name: input.name, digest: input.digest, sourceType: "local", source: "{}" }),
          tags: input.context === undefined ? [] : [new Tag({ key: DatasetContextTag, value: input.context })]
        })
    )
  })

const runs = fixture.map(toRun)
const nameOf = new Map(fixture.map((r) => [r.id, r.name]))

const fixtureExperiments = [
  { id: "1", name: "contract-exp", creation: 100, update: 500, tags: { team: "mlops" } },
  { id: "2", name: "Contract-B", creation: 300, update: 300, tags: { team: "vision" } },
  { id: "3", name: "other", creation: 100, update: 200, tags: {} },
  { id: "10", name: "zeta", creation: 50, update: 50, tags: { team: "mlops" } }
]

const experiments = [{ id: "0", name: "Default", creation: 0, update: 0, tags: {} }, ...fixtureExperiments].map(
  (e) =>
    new Experiment({
      experimentId: ExperimentId.make(e.id),
      name: e.name,
      artifactLocation: `mlflow-artifacts:/${e.id}`,
      lifecycleStage: "active",
      creationTime: e.creation,
      lastUpdateTime: e.update,
      tags: entries<string>(e.tags).map(([key, value]) => new Tag({ key, value }))
    })
)

const seed = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (const e of fixtureExperiments) {
    yield* sql`INSERT INTO experiments ${sql.insert({
      experiment_id: Number(e.id),
      name: e.name,
      artifact_location: `mlflow-artifacts:/${e.id}`,
      lifecycle_stage: "active",
      creation_time: e.creation,
      last_update_time: e.update
    })}`
    for (const [key, value] of entries<string>(e.tags)) {
      yield* sql`INSERT INTO experiment_tags ${sql.insert({ experiment_id: Number(e.id), key, value })}`
    }
  }
  const datasetIds = new Map<string, string>()
  for (const r of fixture) {
    yield* sql`INSERT INTO runs ${sql.insert({
      run_id: r.id,
      experiment_id: 1,
      name: r.name,
      user_id: r.user,
      status: r.status,
      start_time: r.start,
      end_time: r.end,
      lifecycle_stage: "active",
      artifact_uri: artifactUri(r.id)
    })}`
    for (const [key, value] of entries(r.metrics)) {
      // NaN is stored as 0 with is_nan = 1, as the schema prescribes.
      const isNan = Number.isNaN(value)
      yield* sql`INSERT INTO latest_metrics ${sql.insert({
        run_id: r.id,
        key,
        step: 0,
        timestamp: 0,
        value: isNan ? 0 : value,
        is_nan: isNan ? 1 : 0
      })}`
    }
    for (const [key, value] of entries(r.params)) {
      yield* sql`INSERT INTO params ${sql.insert({ run_id: r.id, key, value })}`
    }
    for (const [key, value] of entries(r.tags)) {
      yield* sql`INSERT INTO tags ${sql.insert({ run_id: r.id, key, value })}`
    }
    for (const [position, input] of (r.inputs ?? []).entries()) {
      const identity = `${input.name}/${input.digest}`
      let datasetId = datasetIds.get(identity)
      if (datasetId === undefined) {
        datasetId = `ds-${datasetIds.size}`
        datasetIds.set(identity, datasetId)
        yield* sql`INSERT INTO datasets ${sql.insert({
          dataset_id: datasetId,
          experiment_id: 1,
          name: input.name,
          digest: input.digest,
          source_type: "local",
          source: "{}"
        })}`
      }
      yield* sql`INSERT INTO run_inputs ${sql.insert({
        run_id: r.id,
        dataset_id: datasetId,
        context: input.context ?? null,
        tags: "[]",
        position
      })}`
    }
  }
})

const databases = [
  ["SQLite", makeSqliteLayer({ filename: ":memory:" })],
  ["PostgreSQL", PostgresTest]
] as const

interface Case {
  readonly filter?: string
  readonly orderBy?: ReadonlyArray<string>
  /** Run (or experiment) names, in the order the search returns them. */
  readonly expected: ReadonlyArray<string>
}

const r1 = id("c1")
const r2 = id("e2")

const runCases: ReadonlyArray<Case> = [
  { filter: "", expected: ["run-2", "run_4", "RUN-3", "Run-6", "run-1", "run-5"] },
  // transcript 18-21
  { filter: "metrics.loss < 1 and params.lr = '0.01' and attributes.status = 'FINISHED'", expected: ["run-1"] },
  {
    filter: `attributes.run_name ILIKE 'RUN-%' and params.optimizer LIKE 'ad%' and tags.\`mlflow.runName\` != 'x' and attributes.run_id IN ('${r1}', '${r2}')`,
    expected: ["run-1"]
  },
  {
    filter: "datasets.name IN ('iris', 'wine') and datasets.context = 'training' and datasets.digest = 'abc123'",
    expected: ["RUN-3", "run-1"]
  },
  { filter: "params.optimizer = 'adam' and datasets.name = 'iris'", expected: ["run-1"] },
  // NaN satisfies only !=; runs without the metric never match
  { filter: "metrics.loss != 0.25", expected: ["run-2", "run_4", "RUN-3"] },
  { filter: "metrics.loss = 0", expected: [] },
  { filter: "metrics.loss <= 0.25", expected: ["run_4", "Run-6", "run-1"] },
  { filter: "metrics.acc > 1000000", expected: ["RUN-3"] },
  { filter: "metrics.loss < -1e300", expected: ["run_4"] },
  { filter: "metrics.acc = 0.85", expected: ["run_4", "run-1"] },
  { filter: "metrics.missing > 0", expected: [] },
  // LIKE is case-sensitive, ILIKE is not; GLOB metacharacters are literal
  { filter: "params.optimizer LIKE 'ad%'", expected: ["run-1"] },
  { filter: "params.optimizer ILIKE 'AD%'", expected: ["run-2", "run-1"] },
  { filter: "params.optimizer = 'Adam'", expected: ["run-2"] },
  { filter: "params.optimizer LIKE 'A_am'", expected: ["run-2"] },
  { filter: "tags.note LIKE 'x*y[1]?'", expected: ["RUN-3"] },
  { filter: "tags.note LIKE 'x%'", expected: ["run_4", "RUN-3"] },
  { filter: "tags.`a.b` = 'dotted'", expected: ["run-1"] },
  { filter: "tags.owner != 'alice'", expected: ["RUN-3"] },
  { filter: "tags.owner ILIKE 'BOB'", expected: ["RUN-3"] },
  // ILIKE folds ASCII letters only, as SQLite's LOWER does: Ü and ü stay apart; `_` is one code point
  { filter: "tags.city ILIKE 'zürich'", expected: ["run-1"] },
  { filter: "tags.city ILIKE 'zÜrich'", expected: ["run-2"] },
  { filter: "tags.city LIKE 'Z_rich'", expected: ["run-1"] },
  // attributes
  { filter: "attributes.run_name LIKE 'run-%'", expected: ["run-2", "run-1", "run-5"] },
  { filter: `run_id NOT IN ('${r1}', '${r2}')`, expected: ["run_4", "RUN-3", "Run-6", "run-5"] },
  { filter: "attributes.end_time > 1000", expected: ["run_4", "RUN-3", "Run-6", "run-1"] },
  { filter: "attributes.end_time != 2000", expected: ["run_4", "RUN-3", "Run-6", "run-5"] },
  { filter: "created >= 2000", expected: ["run-2", "run_4", "RUN-3"] },
  { filter: "attributes.user_id = 'alice' and status != 'FINISHED'", expected: ["RUN-3"] },
  { filter: "attributes.artifact_uri LIKE '%/f5%'", expected: ["run-5"] },
  // datasets: any input may match; inputs without a context have none
  { filter: "datasets.context != 'training'", expected: ["run-2"] },
  { filter: "datasets.name NOT IN ('iris')", expected: ["run-2", "RUN-3", "Run-6"] },
  { filter: "datasets.name = 'iris'", expected: ["RUN-3", "run-1"] },
  { filter: "datasets.name ILIKE 'IRIS'", expected: ["RUN-3", "Run-6", "run-1"] },
  { filter: "datasets.digest LIKE 'ABC%'", expected: [] },
  // ordering: values, then NaN, then missing, in both directions; ties by start_time DESC, run_id ASC
  { orderBy: ["metrics.loss ASC"], expected: ["run_4", "Run-6", "run-1", "run-2", "RUN-3", "run-5"] },
  { orderBy: ["metrics.loss DESC"], expected: ["run-2", "Run-6", "run-1", "run_4", "RUN-3", "run-5"] },
  {
    orderBy: ["metrics.acc DESC", "attributes.run_name"],
    expected: ["RUN-3", "run-1", "run_4", "Run-6", "run-2", "run-5"]
  },
  { orderBy: ["params.lr DESC"], expected: ["Run-6", "run-2", "RUN-3", "run-1", "run_4", "run-5"] },
  { orderBy: ["tags.owner"], expected: ["RUN-3", "Run-6", "run-1", "run-2", "run_4", "run-5"] },
  { orderBy: ["attributes.end_time ASC"], expected: ["run-5", "Run-6", "run-1", "RUN-3", "run_4", "run-2"] },
  { orderBy: ["attributes.end_time DESC"], expected: ["run_4", "RUN-3", "run-1", "Run-6", "run-5", "run-2"] },
  { orderBy: ["created ASC"], expected: ["run-5", "Run-6", "run-1", "run_4", "RUN-3", "run-2"] },
  { orderBy: ["attributes.run_id DESC"], expected: ["run-5", "run-2", "RUN-3", "run-1", "Run-6", "run_4"] },
  { orderBy: ["attributes.run_name ASC"], expected: ["RUN-3", "Run-6", "run-1", "run-2", "run-5", "run_4"] },
  { orderBy: ["status", "start_time DESC"], expected: ["RUN-3", "run_4", "Run-6", "run-1", "run-5", "run-2"] },
  { filter: "metrics.loss != 0.25", orderBy: ["metrics.loss DESC"], expected: ["run-2", "run_4", "RUN-3"] }
]

const experimentCases: ReadonlyArray<Case> = [
  { filter: "name LIKE 'contract%'", expected: ["contract-exp"] },
  { filter: "name ILIKE 'contract%'", expected: ["Contract-B", "contract-exp"] },
  { filter: "tags.team = 'mlops'", expected: ["contract-exp", "zeta"] },
  { filter: "tags.team != 'mlops'", expected: ["Contract-B"] },
  { filter: "creation_time = 100", expected: ["contract-exp", "other"] },
  { filter: "last_update_time > 100 and name != 'other'", expected: ["Contract-B", "contract-exp"] },
  { orderBy: [], expected: ["Contract-B", "contract-exp", "other", "zeta", "Default"] },
  { orderBy: ["name"], expected: ["Contract-B", "Default", "contract-exp", "other", "zeta"] },
  // ties broken by experiment_id DESC, compared as numbers
  { orderBy: ["creation_time ASC"], expected: ["Default", "zeta", "other", "contract-exp", "Contract-B"] },
  { orderBy: ["experiment_id DESC"], expected: ["zeta", "other", "Contract-B", "contract-exp", "Default"] },
  {
    orderBy: ["last_update_time DESC", "name ASC"],
    expected: ["contract-exp", "Contract-B", "other", "zeta", "Default"]
  }
]

const describeCase = (c: Case) =>
  `${c.filter || "(no filter)"} ORDER BY ${c.orderBy?.length ? c.orderBy.join(", ") : "(default)"}`

for (const [dialect, client] of databases) {
  const Database = Layer.effectDiscard(seed).pipe(Layer.provideMerge(client))

  layer(Database)(`run filters and orderings agree in ${dialect} and in memory`, (it) => {
    for (const c of runCases) {
      it.effect(describeCase(c), () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const filter = Either.getOrThrow(parseRunFilter(c.filter ?? ""))
          const orderBy = Either.getOrThrow(parseRunOrderBy(c.orderBy ?? []))
          const rows = yield* sql<{ run_id: string }>`SELECT r.run_id FROM runs r
            WHERE ${compileRunFilter(sql, filter)} ORDER BY ${compileRunOrderBy(sql, orderBy)}`.withoutTransform
          const inSql = rows.map((row) => nameOf.get(row.run_id) ?? row.run_id)
          const inMemory = runs
            .filter(matchesRun(filter))
            .sort(compareRuns(orderBy))
            .map((run) => run.info.runName)
          assert.deepStrictEqual(inSql, [...c.expected], "SQL")
          assert.deepStrictEqual(inMemory, [...c.expected], "memory")
        })
      )
    }
  })

  layer(Database)(`experiment filters and orderings agree in ${dialect} and in memory`, (it) => {
    for (const c of experimentCases) {
      it.effect(describeCase(c), () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const filter = Either.getOrThrow(parseExperimentFilter(c.filter ?? ""))
          const orderBy = Either.getOrThrow(parseExperimentOrderBy(c.orderBy ?? []))
          const rows = yield* sql<{ name: string }>`SELECT e.name FROM experiments e
            WHERE ${compileExperimentFilter(sql, filter)} ORDER BY ${compileExperimentOrderBy(sql, orderBy)}`
            .withoutTransform
          const inMemory = experiments
            .filter(matchesExperiment(filter))
            .sort(compareExperiments(orderBy))
            .map((e) => e.name)
          assert.deepStrictEqual(
            rows.map((row) => row.name),
            [...c.expected],
            "SQL"
          )
          assert.deepStrictEqual(inMemory, [...c.expected], "memory")
        })
      )
    }
  })
}

layer(SqliteClient.layer({ filename: ":memory:" }))("compiled SQL", (it) => {
  it.effect("binds every user value as a parameter", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const filter = Either.getOrThrow(parseRunFilter("params.`x'; DROP TABLE runs; --` = 'y'' OR 1=1 --'"))
      const [text, params] = sql`${compileRunFilter(sql, filter)}`.compile()
      assert.notInclude(text, "DROP")
      assert.notInclude(text, "OR 1=1")
      assert.deepStrictEqual(params, ["x'; DROP TABLE runs; --", "y' OR 1=1 --"])
    })
  )
})
