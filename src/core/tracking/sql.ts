import { SqlClient } from "@effect/sql"
import { Clock, Effect } from "effect"
import { CurrentPrincipal, CurrentTenant } from "../context.js"
import { InvalidArgument } from "../errors.js"
import { pageFromRows, pageOf } from "../paging.js"
import { makeDirectStatements } from "../../storage/direct.js"
import { withWriteTransaction } from "../../storage/transaction.js"
import { method } from "../spans.js"
import { lttb } from "./downsample.js"
import { makeHistoryReads } from "./sqlHistory.js"
import { makeIngest } from "./sqlIngest.js"
import { bucketPoints, bucketWidth, chooseLevel, downsampleCandidates } from "./tiers.js"
import {
  ExperimentAlreadyExists,
  ExperimentNotActive,
  ExperimentNotFound,
  ParamAlreadyLogged,
  RunNotActive,
  RunNotFound,
  TagNotFound
} from "./errors.js"
import type { ExperimentTrackerShape } from "./ExperimentTracker.js"
import {
  compileExperimentFilter,
  compileExperimentOrderBy,
  compileRunFilter,
  compileRunOrderBy
} from "./filter/index.js"
import { planExperimentSearch, planHistory, planRunSearch } from "./queries.js"
import {
  DatasetContextTag,
  DatasetInput,
  DatasetRef,
  DefaultExperimentId,
  Experiment,
  ExperimentId,
  ExperimentKeys,
  ExperimentSummary,
  type LifecycleStage,
  Metric,
  type MetricHistoryQuery,
  Param,
  Run,
  RunData,
  type RunDataSelection,
  RunId,
  RunInfo,
  type RunStatus,
  Tag,
  type ViewType
} from "./model.js"
import { defaultArtifactLocation, generateRunName, newRunId, runArtifactUri, SystemTags } from "./naming.js"
import {
  type KeyValue,
  type MetricRow,
  type ValidBatch,
  validateBatch,
  validateExperimentName,
  validateInputs,
  validateKeyValue,
  validateMetric,
  validateNewRun,
  validateRunUpdate,
  validateTags
} from "./validate.js"

// Rows and state this store wrote were validated on the way in; validating
// them again on every read cost most of searchRuns' time (bench/search.ts).
const trusted = { disableValidation: true } as const

interface ExperimentRow {
  readonly experimentId: number
  readonly name: string
  readonly artifactLocation: string
  readonly lifecycleStage: LifecycleStage
  readonly creationTime: number
  readonly lastUpdateTime: number
}

interface RunRow {
  readonly runId: string
  readonly experimentId: number
  readonly name: string
  readonly userId: string
  readonly status: RunStatus
  readonly startTime: number
  readonly endTime: number | null
  readonly lifecycleStage: LifecycleStage
  readonly artifactUri: string
}

interface KeyValueRow extends KeyValue {
  readonly ownerId: string | number
}

interface MetricDbRow {
  readonly key: string
  readonly step: number
  readonly timestamp: number
  readonly value: number
  readonly isNan: number
}

interface TierDbRow {
  readonly minStep: number | null
  readonly minTimestamp: number | null
  readonly minValue: number | null
  readonly maxStep: number | null
  readonly maxTimestamp: number | null
  readonly maxValue: number | null
  readonly nanStep: number | null
  readonly nanTimestamp: number | null
}

const point = (key: string, step: number | null, timestamp: number | null, value: number): MetricRow | undefined =>
  step === null || timestamp === null ? undefined : { key, step: Number(step), timestamp: Number(timestamp), value }

const fromTierRow = (key: string, row: TierDbRow) => ({
  min: point(key, row.minStep, row.minTimestamp, Number(row.minValue)),
  max: point(key, row.maxStep, row.maxTimestamp, Number(row.maxValue)),
  nan: point(key, row.nanStep, row.nanTimestamp, Number.NaN)
})

interface SummaryRow {
  readonly experimentId: number | string
  readonly runCount: number | string
  readonly activeRunCount: number | string
  readonly lastStart: number | string | null
  readonly lastEnd: number | string | null
}

interface InputRow {
  readonly runId: string
  readonly name: string
  readonly digest: string
  readonly sourceType: string
  readonly source: string
  readonly schema: string | null
  readonly profile: string | null
  readonly tags: string
}

/** Rows per multi-row INSERT of tags. */
const insertChunk = 500

const stagesOf = (viewType: ViewType | undefined): ReadonlyArray<LifecycleStage> =>
  viewType === "ALL" ? ["active", "deleted"] : viewType === "DELETED_ONLY" ? ["deleted"] : ["active"]

const fromDbValue = (row: { readonly value: number; readonly isNan: number }): number =>
  row.isNan ? Number.NaN : Number(row.value)

const toMetric = (row: MetricDbRow): Metric =>
  new Metric(
    { key: row.key, value: fromDbValue(row), timestamp: Number(row.timestamp), step: Number(row.step) },
    trusted
  )

const toTrustedMetric = (row: MetricRow): Metric => new Metric(row, trusted)

const toRunInfo = (row: RunRow): RunInfo =>
  new RunInfo(
    {
      runId: RunId.make(row.runId),
      experimentId: ExperimentId.make(String(row.experimentId)),
      runName: row.name,
      userId: row.userId,
      status: row.status,
      startTime: Number(row.startTime),
      endTime: row.endTime === null ? null : Number(row.endTime),
      artifactUri: row.artifactUri,
      lifecycleStage: row.lifecycleStage
    },
    trusted
  )

const groupBy = <R extends { readonly ownerId: string | number }>(rows: ReadonlyArray<R>) => {
  const groups = new Map<string, Array<R>>()
  for (const row of rows) {
    const key = String(row.ownerId)
    const group = groups.get(key)
    if (group) group.push(row)
    else groups.set(key, [row])
  }
  return groups
}

/** Groups raw value rows by their first column (the owning run), mapping each row. */
const groupValues = <A>(rows: ReadonlyArray<ReadonlyArray<unknown>>, make: (row: ReadonlyArray<unknown>) => A) => {
  const groups = new Map<string, Array<A>>()
  for (const row of rows) {
    const owner = String(row[0])
    const group = groups.get(owner)
    if (group) group.push(make(row))
    else groups.set(owner, [make(row)])
  }
  return groups
}

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * The ExperimentTracker over `@effect/sql`, in portable SQL (SQLite and
 * PostgreSQL). Every write runs in one transaction that is retried on lock
 * conflicts, so several processes can share one store.
 */
export const make: Effect.Effect<ExperimentTrackerShape, never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const write = withWriteTransaction(sql)

  const direct = makeDirectStatements(sql)
  const ingest = makeIngest(sql, direct)
  const history = makeHistoryReads(sql)
  const die = { SqlError: Effect.die } as const

  // ---- reads shared by several methods

  const experimentTags = (ids: ReadonlyArray<number>) =>
    ids.length === 0
      ? Effect.succeed(new Map<string, Array<KeyValueRow>>())
      : sql<KeyValueRow>`SELECT experiment_id AS owner_id, key, value FROM experiment_tags
          WHERE ${sql.in("experiment_id", ids)} ORDER BY key`.pipe(Effect.map(groupBy))

  const toExperiments = (rows: ReadonlyArray<ExperimentRow>) =>
    Effect.map(experimentTags(rows.map((r) => Number(r.experimentId))), (tags) =>
      rows.map(
        (row) =>
          new Experiment(
            {
              experimentId: ExperimentId.make(String(row.experimentId)),
              name: row.name,
              artifactLocation: row.artifactLocation,
              lifecycleStage: row.lifecycleStage,
              creationTime: Number(row.creationTime),
              lastUpdateTime: Number(row.lastUpdateTime),
              tags: (tags.get(String(row.experimentId)) ?? []).map(
                (t) => new Tag({ key: t.key, value: t.value }, trusted)
              )
            },
            trusted
          )
      )
    )

  const experimentColumns = sql`experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time`

  const findExperimentRow = (experimentId: string) =>
    sql<ExperimentRow>`SELECT ${experimentColumns} FROM experiments WHERE experiment_id = ${Number(experimentId)}`.pipe(
      Effect.flatMap((rows) =>
        rows[0] ? Effect.succeed(rows[0]) : Effect.fail(new ExperimentNotFound({ experiment: experimentId }))
      )
    )

  const findRunRow = (runId: string) =>
    sql<RunRow>`SELECT * FROM runs WHERE run_id = ${runId}`.pipe(
      Effect.flatMap((rows) => (rows[0] ? Effect.succeed(rows[0]) : Effect.fail(new RunNotFound({ runId }))))
    )

  const activeRunRow = (runId: string) =>
    Effect.flatMap(findRunRow(runId), (row) =>
      row.lifecycleStage === "active" ? Effect.succeed(row) : Effect.fail(new RunNotActive({ runId }))
    )

  /** The ingest path's run check: one column on the transaction's connection. */
  const requireActiveRun = (runId: string) =>
    Effect.flatMap(
      ingest.lifecycleStage(runId),
      (stage): Effect.Effect<void, RunNotFound | RunNotActive> =>
        stage === undefined
          ? Effect.fail(new RunNotFound({ runId }))
          : stage === "active"
            ? Effect.void
            : Effect.fail(new RunNotActive({ runId }))
    )

  /** Loads params, tags, latest metrics and inputs of many runs in four queries. */
  /** `AND key IN (...)` for a selected kind; `undefined` when the selection skips the kind entirely. */
  // On SQLite `+key` keeps the planner on the (run_id, key) primary key: with a plain `key IN`
  // it walked the whole `(key, value)` index of each selected key, 1 s for a page over 100,000 runs.
  const keyClause = (keys: ReadonlyArray<string> | undefined) =>
    keys === undefined
      ? sql``
      : keys.length === 0
        ? undefined
        : sql.onDialectOrElse({
            sqlite: () => sql`AND +key IN ${sql.in(keys)}`,
            orElse: () => sql`AND ${sql.in("key", keys)}`
          })
  const none = Effect.succeed<ReadonlyArray<ReadonlyArray<unknown>>>([])

  const toRuns = (rows: ReadonlyArray<RunRow>, select?: RunDataSelection) =>
    Effect.gen(function* () {
      if (rows.length === 0) return []
      const ids = rows.map((r) => r.runId)
      const [paramKeys, tagKeys, metricKeys] = [
        keyClause(select?.params),
        keyClause(select?.tags),
        keyClause(select?.metrics)
      ]
      // Arrays, not objects: no per-row name transform on the widest reads (bench/search.ts).
      const [params, tags, metrics, inputs] = yield* Effect.all([
        paramKeys === undefined
          ? none
          : sql`SELECT run_id, key, value FROM params WHERE ${sql.in("run_id", ids)} ${paramKeys} ORDER BY key`.values,
        tagKeys === undefined
          ? none
          : sql`SELECT run_id, key, value FROM tags WHERE ${sql.in("run_id", ids)} ${tagKeys} ORDER BY key`.values,
        metricKeys === undefined
          ? none
          : sql`SELECT run_id, key, step, timestamp, value, is_nan FROM latest_metrics
          WHERE ${sql.in("run_id", ids)} ${metricKeys} ORDER BY key`.values,
        select !== undefined && select.inputs !== true
          ? Effect.succeed<ReadonlyArray<InputRow & { readonly ownerId: string }>>([])
          : sql<InputRow & { readonly ownerId: string }>`SELECT i.run_id AS owner_id, d.name, d.digest, d.source_type,
            d.source, d.schema, d.profile, i.tags
          FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id
          WHERE ${sql.in("i.run_id", ids)} ORDER BY i.position`
      ])
      const paramsBy = groupValues(params, (v) => new Param({ key: v[1] as string, value: v[2] as string }, trusted))
      const tagsBy = groupValues(tags, (v) => new Tag({ key: v[1] as string, value: v[2] as string }, trusted))
      const metricsBy = groupValues(metrics, (v) =>
        toMetric({
          key: v[1] as string,
          step: v[2] as number,
          timestamp: v[3] as number,
          value: v[4] as number,
          isNan: v[5] as number
        })
      )
      const inputsBy = groupBy(inputs)
      return rows.map(
        (row) =>
          new Run(
            {
              info: toRunInfo(row),
              data: new RunData(
                {
                  metrics: metricsBy.get(row.runId) ?? [],
                  params: paramsBy.get(row.runId) ?? [],
                  tags: tagsBy.get(row.runId) ?? []
                },
                trusted
              ),
              inputs: (inputsBy.get(row.runId) ?? []).map(
                (input) =>
                  new DatasetInput(
                    {
                      dataset: new DatasetRef(
                        {
                          name: input.name,
                          digest: input.digest,
                          sourceType: input.sourceType,
                          source: input.source,
                          ...(input.schema === null ? {} : { schema: input.schema }),
                          ...(input.profile === null ? {} : { profile: input.profile })
                        },
                        trusted
                      ),
                      tags: (JSON.parse(input.tags) as Array<KeyValue>).map((t) => new Tag(t, trusted))
                    },
                    trusted
                  )
              )
            },
            trusted
          )
      )
    })

  // ---- writes

  // Tags and params are written on the hot paths (a run's creation, a batch): direct statements.
  const upsertTags = (
    table: "tags" | "experiment_tags",
    owner: "run_id" | "experiment_id",
    id: string | number,
    tags: ReadonlyArray<KeyValue>
  ) =>
    Effect.forEach(
      chunks(tags, insertChunk),
      (chunk) =>
        direct.execute(
          direct.valuesText(
            `INSERT INTO ${table} (${owner}, key, value)`,
            3,
            chunk.length,
            `ON CONFLICT (${owner}, key) DO UPDATE SET value = excluded.value`
          ),
          chunk.flatMap((t) => [id, t.key, t.value])
        ),
      { discard: true }
    )

  const experimentOfNewRunText = `SELECT lifecycle_stage, artifact_location FROM experiments
    WHERE experiment_id = ${direct.placeholder(1)}`
  const insertRunText = direct.valuesText(
    "INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)",
    8,
    1
  )

  const batchKeySeenText = `SELECT 1 AS seen FROM batch_keys
    WHERE run_id = ${direct.placeholder(1)} AND idempotency_key = ${direct.placeholder(2)}`
  const insertBatchKeyText = direct.valuesText("INSERT INTO batch_keys (run_id, idempotency_key, created_at)", 3, 1)

  const loggedParamsText = (keys: number) =>
    direct.textOf(
      `logged params\u0000${keys}`,
      () =>
        `SELECT key, value FROM params WHERE run_id = ${direct.placeholder(1)} AND key IN ${direct.parameters(keys, 2)}`
    )

  /** Applies a validated batch inside the caller's transaction. */
  const applyBatch = (runId: string, batch: ValidBatch) =>
    Effect.gen(function* () {
      if (batch.params.length > 0) {
        const logged = (yield* direct.execute(loggedParamsText(batch.params.length), [
          runId,
          ...batch.params.map((p) => p.key)
        ])) as ReadonlyArray<KeyValue>
        const byKey = new Map(logged.map((p) => [p.key, p.value]))
        for (const { key, value } of batch.params) {
          const loggedValue = byKey.get(key)
          if (loggedValue !== undefined && loggedValue !== value) {
            return yield* new ParamAlreadyLogged({ runId, key, loggedValue, newValue: value })
          }
        }
        const fresh = batch.params.filter((p) => !byKey.has(p.key))
        if (fresh.length > 0) {
          yield* direct.execute(
            direct.valuesText("INSERT INTO params (run_id, key, value)", 3, fresh.length),
            fresh.flatMap((p) => [runId, p.key, p.value])
          )
        }
      }
      if (batch.tags.length > 0) yield* upsertTags("tags", "run_id", runId, batch.tags)
      if (batch.metrics.length > 0) yield* ingest.writePoints(runId, batch.metrics)
    })

  const logValidBatch = (runId: RunId, batch: ValidBatch, idempotencyKey: string | undefined) =>
    write(
      Effect.gen(function* () {
        yield* requireActiveRun(runId)
        if (idempotencyKey !== undefined) {
          const seen = yield* direct.execute(batchKeySeenText, [runId, idempotencyKey])
          if (seen.length > 0) return
          yield* direct.execute(insertBatchKeyText, [runId, idempotencyKey, yield* Clock.currentTimeMillis])
        }
        yield* applyBatch(runId, batch)
      })
    )

  /**
   * A downsampled window: its first and last point, then either the raw
   * points (small step ranges) or the extremes of the tier buckets covering
   * it, reduced to `maxPoints` with LTTB.
   */
  const downsampledHistory = (query: MetricHistoryQuery, maxPoints: number) =>
    Effect.gen(function* () {
      const { runId, key } = query
      const bounds = yield* history.bounds(query)
      if (bounds === undefined) return []
      const { first, last } = bounds
      const level = chooseLevel(first.step, last.step, maxPoints)
      if (level === 0) return lttb(yield* history.points(query), maxPoints).map(toTrustedMetric)
      const width = bucketWidth(level)
      const buckets = yield* sql<TierDbRow>`SELECT min_step, min_timestamp, min_value, max_step, max_timestamp,
          max_value, nan_step, nan_timestamp FROM metric_tiers
        WHERE run_id = ${runId} AND key = ${key} AND level = ${level}
          AND bucket BETWEEN ${Math.floor(first.step / width)} AND ${Math.floor(last.step / width)}`
      // Bucket extremes outside a time window are dropped; the window's own first and last point stay.
      const inWindow = (p: MetricRow) =>
        p.step >= first.step &&
        p.step <= last.step &&
        (query.startTime === undefined || p.timestamp >= query.startTime) &&
        (query.endTime === undefined || p.timestamp <= query.endTime)
      const candidates = buckets.flatMap((row) => bucketPoints(fromTierRow(key, row)).filter(inWindow))
      return downsampleCandidates([first, ...candidates, last], maxPoints).map(toTrustedMetric)
    })

  const setRunLifecycle = (runId: RunId, stage: LifecycleStage) =>
    write(
      Effect.gen(function* () {
        yield* findRunRow(runId)
        const deletedTime = stage === "deleted" ? yield* Clock.currentTimeMillis : null
        yield* sql`UPDATE runs SET lifecycle_stage = ${stage}, deleted_time = ${deletedTime} WHERE run_id = ${runId}`
      })
    )

  const setExperimentLifecycle = (experimentId: ExperimentId, stage: LifecycleStage) =>
    write(
      Effect.gen(function* () {
        yield* findExperimentRow(experimentId)
        const now = yield* Clock.currentTimeMillis
        const id = Number(experimentId)
        yield* sql`UPDATE experiments SET lifecycle_stage = ${stage}, last_update_time = ${now} WHERE experiment_id = ${id}`
        yield* sql`UPDATE runs SET lifecycle_stage = ${stage}, deleted_time = ${stage === "deleted" ? now : null}
          WHERE experiment_id = ${id}`
      })
    )

  const shape: ExperimentTrackerShape = {
    createExperiment: method("ExperimentTracker.createExperiment")(function* (input) {
      const invalid = validateExperimentName(input.name) ?? validateTags(input.tags)
      if (invalid) return yield* invalid
      const now = yield* Clock.currentTimeMillis
      const tenant = yield* CurrentTenant
      const row = yield* write(
        Effect.gen(function* () {
          const taken =
            yield* sql`SELECT 1 AS taken FROM experiments WHERE tenant_id = ${tenant} AND name = ${input.name}`
          if (taken.length > 0) return yield* new ExperimentAlreadyExists({ name: input.name })
          const [inserted] = yield* sql<{ readonly experimentId: number }>`INSERT INTO experiments ${sql.insert({
            tenantId: tenant,
            name: input.name,
            artifactLocation: input.artifactLocation ?? "",
            lifecycleStage: "active",
            creationTime: now,
            lastUpdateTime: now
          })} RETURNING experiment_id`
          const id = Number(inserted!.experimentId)
          if (input.artifactLocation === undefined) {
            yield* sql`UPDATE experiments SET artifact_location = ${defaultArtifactLocation(String(id))}
                WHERE experiment_id = ${id}`
          }
          if (input.tags && input.tags.length > 0) yield* upsertTags("experiment_tags", "experiment_id", id, input.tags)
          const row: ExperimentRow = {
            experimentId: id,
            name: input.name,
            artifactLocation: input.artifactLocation ?? defaultArtifactLocation(String(id)),
            lifecycleStage: "active",
            creationTime: now,
            lastUpdateTime: now
          }
          return row
        })
      )
      const [experiment] = yield* toExperiments([row])
      return experiment!
    }, Effect.catchTags(die)),

    getExperiment: method("ExperimentTracker.getExperiment")(function* (experimentId) {
      const [experiment] = yield* toExperiments([yield* findExperimentRow(experimentId)])
      return experiment!
    }, Effect.catchTags(die)),

    getExperimentByName: method("ExperimentTracker.getExperimentByName")(function* (name) {
      const tenant = yield* CurrentTenant
      const rows = yield* sql<ExperimentRow>`SELECT ${experimentColumns} FROM experiments
        WHERE tenant_id = ${tenant} AND name = ${name}`
      if (rows.length === 0) return yield* new ExperimentNotFound({ experiment: name })
      const [experiment] = yield* toExperiments(rows)
      return experiment!
    }, Effect.catchTags(die)),

    searchExperiments: method("ExperimentTracker.searchExperiments")(function* (query = {}) {
      const { filter, orderBy, page } = yield* planExperimentSearch(query)
      const rows = yield* sql<ExperimentRow>`SELECT ${experimentColumns} FROM experiments e
          WHERE ${sql.in("e.lifecycle_stage", stagesOf(query.viewType))} AND ${compileExperimentFilter(sql, filter)}
          ORDER BY ${compileExperimentOrderBy(sql, orderBy)}
          LIMIT ${page.size + 1} OFFSET ${page.offset}`
      const found = pageFromRows(page, rows)
      return { items: yield* toExperiments(found.items), nextPageToken: found.nextPageToken }
    }, Effect.catchTags(die)),

    renameExperiment: method("ExperimentTracker.renameExperiment")(function* (experimentId, newName) {
      const invalid = validateExperimentName(newName)
      if (invalid) return yield* invalid
      const tenant = yield* CurrentTenant
      yield* write(
        Effect.gen(function* () {
          const row = yield* findExperimentRow(experimentId)
          if (row.name === newName) return
          const taken = yield* sql`SELECT 1 AS taken FROM experiments WHERE tenant_id = ${tenant} AND name = ${newName}`
          if (taken.length > 0) return yield* new ExperimentAlreadyExists({ name: newName })
          yield* sql`UPDATE experiments SET name = ${newName}, last_update_time = ${yield* Clock.currentTimeMillis}
              WHERE experiment_id = ${Number(experimentId)}`
        })
      )
    }, Effect.catchTags(die)),

    setExperimentTag: method("ExperimentTracker.setExperimentTag")(function* (experimentId, key, value) {
      const invalid = validateKeyValue(key, value)
      if (invalid) return yield* invalid
      yield* write(
        Effect.zipRight(
          findExperimentRow(experimentId),
          upsertTags("experiment_tags", "experiment_id", Number(experimentId), [{ key, value }])
        )
      )
    }, Effect.catchTags(die)),

    deleteExperimentTag: method("ExperimentTracker.deleteExperimentTag")(function* (experimentId, key) {
      yield* write(
        Effect.zipRight(
          findExperimentRow(experimentId),
          sql`DELETE FROM experiment_tags WHERE experiment_id = ${Number(experimentId)} AND key = ${key}`
        )
      )
    }, Effect.catchTags(die)),

    deleteExperiment: method("ExperimentTracker.deleteExperiment")(function* (experimentId) {
      if (experimentId === DefaultExperimentId) {
        return yield* new InvalidArgument({ field: "experimentId", reason: "the Default experiment cannot be deleted" })
      }
      yield* setExperimentLifecycle(experimentId, "deleted")
    }, Effect.catchTags(die)),

    restoreExperiment: method("ExperimentTracker.restoreExperiment")(function* (experimentId) {
      yield* setExperimentLifecycle(experimentId, "active")
    }, Effect.catchTags(die)),

    createRun: method("ExperimentTracker.createRun")(function* (input) {
      const invalid = validateNewRun(input)
      if (invalid) return yield* invalid
      const principal = yield* CurrentPrincipal
      const startTime = input.startTime ?? (yield* Clock.currentTimeMillis)
      const runId = newRunId()
      const runName = input.runName || generateRunName()
      const row = yield* write(
        Effect.gen(function* () {
          const [experiment] = (yield* direct.execute(experimentOfNewRunText, [
            Number(input.experimentId)
          ])) as ReadonlyArray<{
            readonly lifecycle_stage: LifecycleStage
            readonly artifact_location: string
          }>
          if (experiment === undefined) return yield* new ExperimentNotFound({ experiment: input.experimentId })
          if (experiment.lifecycle_stage !== "active") {
            return yield* new ExperimentNotActive({ experimentId: input.experimentId })
          }
          const row: RunRow = {
            runId,
            experimentId: Number(input.experimentId),
            name: runName,
            userId: input.userId ?? principal.id,
            status: "RUNNING",
            startTime,
            endTime: null,
            lifecycleStage: "active",
            artifactUri: runArtifactUri(experiment.artifact_location, runId)
          }
          yield* direct.execute(insertRunText, [
            row.runId,
            row.experimentId,
            row.name,
            row.userId,
            row.status,
            row.startTime,
            row.lifecycleStage,
            row.artifactUri
          ])
          yield* upsertTags("tags", "run_id", runId, [
            ...(input.tags ?? []),
            { key: SystemTags.runName, value: runName }
          ])
          return row
        })
      )
      // A new run has no params, metrics or inputs yet: built here rather than read back.
      const tags = new Map<string, string>()
      for (const tag of [...(input.tags ?? []), { key: SystemTags.runName, value: runName }])
        tags.set(tag.key, tag.value)
      return new Run(
        {
          info: toRunInfo(row),
          data: new RunData(
            {
              metrics: [],
              params: [],
              tags: Array.from(tags.keys())
                .sort()
                .map((key) => new Tag({ key, value: tags.get(key)! }, trusted))
            },
            trusted
          ),
          inputs: []
        },
        trusted
      )
    }, Effect.catchTags(die)),

    getRun: method("ExperimentTracker.getRun")(function* (runId) {
      const [run] = yield* toRuns([yield* findRunRow(runId)])
      return run!
    }, Effect.catchTags(die)),

    updateRun: method("ExperimentTracker.updateRun")(function* (runId, update) {
      const invalid = validateRunUpdate(update)
      if (invalid) return yield* invalid
      const row = yield* write(
        Effect.gen(function* () {
          const current = yield* activeRunRow(runId)
          const next: RunRow = {
            ...current,
            name: update.runName || current.name,
            status: update.status ?? current.status,
            endTime: update.endTime === undefined ? current.endTime : update.endTime
          }
          yield* sql`UPDATE runs SET name = ${next.name}, status = ${next.status}, end_time = ${next.endTime}
              WHERE run_id = ${runId}`
          if (update.runName)
            yield* upsertTags("tags", "run_id", runId, [{ key: SystemTags.runName, value: next.name }])
          return next
        })
      )
      return toRunInfo(row)
    }, Effect.catchTags(die)),

    deleteRun: method("ExperimentTracker.deleteRun")(function* (runId) {
      yield* setRunLifecycle(runId, "deleted")
    }, Effect.catchTags(die)),

    restoreRun: method("ExperimentTracker.restoreRun")(function* (runId) {
      yield* setRunLifecycle(runId, "active")
    }, Effect.catchTags(die)),

    logParam: method("ExperimentTracker.logParam")(function* (runId, key, value) {
      const invalid = validateKeyValue(key, value)
      if (invalid) return yield* invalid
      yield* logValidBatch(runId, { metrics: [], params: [{ key, value }], tags: [] }, undefined)
    }, Effect.catchTags(die)),

    logMetric: method("ExperimentTracker.logMetric")(
      function* (runId, metric) {
        const row = yield* validateMetric(metric, yield* Clock.currentTimeMillis)
        yield* write(Effect.zipRight(activeRunRow(runId), applyBatch(runId, { metrics: [row], params: [], tags: [] })))
      },
      // A batch without params cannot conflict.
      Effect.catchTags({ ...die, ParamAlreadyLogged: Effect.die })
    ),

    setTag: method("ExperimentTracker.setTag")(function* (runId, key, value) {
      const invalid = validateKeyValue(key, value)
      if (invalid) return yield* invalid
      yield* write(
        Effect.gen(function* () {
          yield* activeRunRow(runId)
          yield* upsertTags("tags", "run_id", runId, [{ key, value }])
          if (key === SystemTags.runName) yield* sql`UPDATE runs SET name = ${value} WHERE run_id = ${runId}`
        })
      )
    }, Effect.catchTags(die)),

    deleteTag: method("ExperimentTracker.deleteTag")(function* (runId, key) {
      yield* write(
        Effect.gen(function* () {
          yield* activeRunRow(runId)
          const found = yield* sql`SELECT 1 AS found FROM tags WHERE run_id = ${runId} AND key = ${key}`
          if (found.length === 0) return yield* new TagNotFound({ runId, key })
          yield* sql`DELETE FROM tags WHERE run_id = ${runId} AND key = ${key}`
        })
      )
    }, Effect.catchTags(die)),

    logBatch: method("ExperimentTracker.logBatch")(function* (runId, batch) {
      const valid = yield* validateBatch(batch, yield* Clock.currentTimeMillis)
      yield* logValidBatch(runId, valid, batch.idempotencyKey)
    }, Effect.catchTags(die)),

    logInputs: method("ExperimentTracker.logInputs")(function* (runId, datasets) {
      const invalid = validateInputs(datasets)
      if (invalid) return yield* invalid
      yield* write(
        Effect.gen(function* () {
          const run = yield* activeRunRow(runId)
          const [{ count } = { count: 0 }] = yield* sql<{ readonly count: number }>`SELECT COUNT(*) AS count
              FROM run_inputs WHERE run_id = ${runId}`
          let position = Number(count)
          for (const { dataset, tags } of datasets) {
            const existing = yield* sql<{ readonly datasetId: string }>`SELECT dataset_id FROM datasets
                WHERE experiment_id = ${run.experimentId} AND name = ${dataset.name} AND digest = ${dataset.digest}`
            const datasetId = existing[0]?.datasetId ?? newRunId()
            if (existing.length === 0) {
              yield* sql`INSERT INTO datasets ${sql.insert({
                datasetId,
                experimentId: run.experimentId,
                name: dataset.name,
                digest: dataset.digest,
                sourceType: dataset.sourceType,
                source: dataset.source,
                schema: dataset.schema ?? null,
                profile: dataset.profile ?? null
              })}`
            }
            yield* sql`INSERT INTO run_inputs ${sql.insert({
              runId,
              datasetId,
              context: tags.find((t) => t.key === DatasetContextTag)?.value ?? null,
              tags: JSON.stringify(tags.map((t) => ({ key: t.key, value: t.value }))),
              position: position++
            })} ON CONFLICT (run_id, dataset_id) DO NOTHING`
          }
        })
      )
    }, Effect.catchTags(die)),

    getMetricHistory: method("ExperimentTracker.getMetricHistory")(function* (query) {
      yield* findRunRow(query.runId)
      const plan = yield* planHistory(query)
      if (plan._tag === "Downsample") {
        return { items: yield* downsampledHistory(query, plan.maxPoints), nextPageToken: null }
      }
      const page = pageOf(yield* history.points(query), plan.page)
      return { items: page.items.map(toTrustedMetric), nextPageToken: page.nextPageToken }
    }, Effect.catchTags(die)),

    getExperimentSummaries: method("ExperimentTracker.getExperimentSummaries")(function* (experimentIds) {
      if (experimentIds.length === 0) return []
      const ids = experimentIds.map(Number)
      const rows = yield* sql<SummaryRow>`SELECT e.experiment_id,
          COUNT(r.run_id) AS run_count,
          COUNT(CASE WHEN r.lifecycle_stage = 'active' THEN 1 END) AS active_run_count,
          MAX(r.start_time) AS last_start, MAX(r.end_time) AS last_end
        FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.experiment_id
        WHERE ${sql.in("e.experiment_id", ids)}
        GROUP BY e.experiment_id`
      const byId = new Map(rows.map((row) => [String(row.experimentId), row]))
      return experimentIds.flatMap((experimentId) => {
        const row = byId.get(experimentId)
        if (row === undefined) return []
        const ends = [row.lastStart, row.lastEnd].filter((t): t is number | string => t !== null).map(Number)
        return [
          new ExperimentSummary(
            {
              experimentId,
              runCount: Number(row.runCount),
              activeRunCount: Number(row.activeRunCount),
              lastActivity: ends.length === 0 ? null : Math.max(...ends)
            },
            trusted
          )
        ]
      })
    }, Effect.catchTags(die)),

    getExperimentKeys: method("ExperimentTracker.getExperimentKeys")(function* (experimentId) {
      yield* findExperimentRow(experimentId)
      const id = Number(experimentId)
      const keysOf = (table: "latest_metrics" | "params" | "tags") =>
        Effect.map(
          sql<{ readonly key: string }>`SELECT DISTINCT t.key FROM ${sql(table)} t
            JOIN runs r ON r.run_id = t.run_id
            WHERE r.experiment_id = ${id} AND r.lifecycle_stage = 'active'
            ORDER BY t.key`,
          (rows) => rows.map((row) => row.key)
        )
      const [metrics, params, tags] = yield* Effect.all([keysOf("latest_metrics"), keysOf("params"), keysOf("tags")])
      return new ExperimentKeys({ metrics, params, tags }, trusted)
    }, Effect.catchTags(die)),

    searchRuns: method("ExperimentTracker.searchRuns")(function* (query) {
      const { filter, orderBy, page } = yield* planRunSearch(query)
      if (query.experimentIds.length === 0) return { items: [], nextPageToken: null }
      const rows = yield* sql<RunRow>`SELECT r.* FROM runs r
          WHERE ${sql.in("r.experiment_id", query.experimentIds.map(Number))}
            AND ${sql.in("r.lifecycle_stage", stagesOf(query.viewType))}
            AND ${compileRunFilter(sql, filter)}
          ORDER BY ${compileRunOrderBy(sql, orderBy)}
          LIMIT ${page.size + 1} OFFSET ${page.offset}`
      const found = pageFromRows(page, rows)
      return { items: yield* toRuns(found.items, query.select), nextPageToken: found.nextPageToken }
    }, Effect.catchTags(die))
  }
  return shape
})
