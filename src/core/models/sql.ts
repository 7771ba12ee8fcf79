import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { Fragment } from "@effect/sql/Statement"
import { Array as Arr, Clock, Effect } from "effect"
import { withWriteTransaction } from "../../storage/transaction.js"
import { CurrentTenant } from "../context.js"
import { checkKey, checkValue, Limits } from "../limits.js"
import { pageFromRows } from "../paging.js"
import { compareList, compareNumber, compareText, numberParameter, textOrder } from "../search/sql.js"
import { method } from "../spans.js"
import { ExperimentNotActive, RunNotActive } from "../tracking/errors.js"
import { ExperimentTracker } from "../tracking/ExperimentTracker.js"
import { ExperimentId, RunId } from "../tracking/model.js"
import { generateRunName } from "../tracking/naming.js"
import { LoggedModelNotFound } from "./errors.js"
import { effectiveOrder, type LoggedModelComparison, type LoggedModelOrder, type StringAttribute } from "./filter.js"
import type { LoggedModelsShape } from "./LoggedModels.js"
import {
  type CreateLoggedModel,
  LoggedModel,
  LoggedModelId,
  LoggedModelMetric,
  type LoggedModelMetricInput,
  type LoggedModelOutputInput,
  type LoggedModelStatus,
  ModelOutput,
  RunOutputs,
  type SearchLoggedModels
} from "./model.js"
import {
  appendModelVersion,
  modelArtifactLocation,
  ModelVersionsTag,
  newLoggedModelId,
  toParams,
  toTags
} from "./records.js"
import {
  check,
  checkCreateLoggedModel,
  checkFinalStatus,
  checkMetrics,
  checkOutputs,
  checkPairs,
  newParams,
  prepareSearch,
  uniquePairs
} from "./validation.js"

// PostgreSQL returns BIGINT columns as strings, SQLite as numbers: every integer goes through Number().
type DbInt = number | string

interface ModelRow {
  readonly modelId: string
  readonly experimentId: DbInt
  readonly name: string
  readonly artifactLocation: string
  readonly creationTime: DbInt
  readonly lastUpdatedTime: DbInt
  readonly status: LoggedModelStatus
  readonly statusMessage: string
  readonly modelType: string
  readonly sourceRunId: string | null
}

interface KeyValueRow {
  readonly modelId: string
  readonly key: string
  readonly value: string
}

interface MetricRow {
  readonly modelId: string
  readonly key: string
  readonly step: DbInt
  readonly timestamp: DbInt
  readonly value: number | string
  readonly isNan: DbInt
  readonly runId: string | null
  readonly datasetName: string | null
  readonly datasetDigest: string | null
}

interface OutputRow {
  readonly modelId: string
  readonly step: DbInt
}

// Keeps `IN (...)` lists and multi-row INSERTs well below SQLite's bound-parameter limit.
const chunkSize = 500

const trusted = { disableValidation: true } as const

const stringColumns: Record<StringAttribute, string> = {
  model_id: "lm.model_id",
  name: "lm.name",
  model_type: "lm.model_type",
  status: "lm.status",
  source_run_id: "lm.source_run_id"
}

const timestampColumns = { creation_timestamp: "lm.creation_time", last_updated_timestamp: "lm.last_updated_time" }

/**
 * LoggedModels over `@effect/sql` (SQLite and PostgreSQL). A search is one
 * statement over `logged_models lm`: params and tags are EXISTS probes on
 * their `(model_id, key)` keys, and a metric is its latest point, read by a
 * correlated `ORDER BY ... LIMIT 1` over the `(model_id, key, step, timestamp)`
 * index.
 */
export const make: Effect.Effect<LoggedModelsShape, never, SqlClient.SqlClient | ExperimentTracker> = Effect.gen(
  function* () {
    const sql = yield* SqlClient.SqlClient
    const tracker = yield* ExperimentTracker
    const inWriteTransaction = withWriteTransaction(sql)

    const modelColumns = sql.literal(
      `lm.model_id, lm.experiment_id, lm.name, lm.artifact_location, lm.creation_time, lm.last_updated_time,
       lm.status, lm.status_message, lm.model_type, lm.source_run_id`
    )

    // The latest point of a metric: the tracker's rule (largest step, then timestamp, a number over NaN, then value).
    const latestMetric = (column: "value" | "is_nan", key: string): Fragment =>
      sql`(SELECT mm.${sql.literal(column)} FROM logged_model_metrics mm WHERE mm.model_id = lm.model_id AND mm.key = ${key}
        ORDER BY mm.step DESC, mm.timestamp DESC, mm.is_nan ASC, mm.value DESC LIMIT 1)`

    const condition = (c: LoggedModelComparison): Fragment => {
      switch (c.kind) {
        case "attribute":
          return compareText(sql, stringColumns[c.key], c.comparator, c.value)
        case "attributeList":
          return compareList(sql, stringColumns[c.key], c.comparator, c.value)
        case "timestamp":
          return compareNumber(sql, timestampColumns[c.key], c.comparator, c.value)
        case "metric": {
          // NaN is stored as 0 with is_nan = 1: it satisfies only `!=`; a missing metric (NULL) nothing.
          const value = latestMetric("value", c.key)
          const nan = latestMetric("is_nan", c.key)
          return c.comparator === "!="
            ? sql`(${nan} = 1 OR ${value} <> ${numberParameter(sql, c.value)})`
            : sql`(${nan} = 0 AND ${value} ${sql.literal(c.comparator)} ${numberParameter(sql, c.value)})`
        }
        case "param":
        case "tag": {
          const table = sql.literal(c.kind === "param" ? "logged_model_params" : "logged_model_tags")
          return sql`EXISTS (SELECT 1 FROM ${table} x WHERE x.model_id = lm.model_id AND x.key = ${c.key} AND ${compareText(sql, "x.value", c.comparator, c.value)})`
        }
      }
    }

    const direction = (ascending: boolean) => sql.literal(ascending ? "ASC" : "DESC")

    // Per term: values first, then NaN, then missing, in both directions (as the run search orders).
    const orderTerms = (order: LoggedModelOrder): ReadonlyArray<Fragment> => {
      if (order.kind === "metric") {
        return [
          sql`COALESCE(${latestMetric("is_nan", order.key)}, 2) ASC`,
          sql`${latestMetric("value", order.key)} ${direction(order.ascending)}`
        ]
      }
      if (order.key === "creation_timestamp" || order.key === "last_updated_timestamp") {
        return [sql`${sql.literal(timestampColumns[order.key])} ${direction(order.ascending)}`]
      }
      const column = sql.literal(stringColumns[order.key])
      return order.key === "source_run_id"
        ? [
            sql`CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END ASC`,
            sql`${textOrder(sql, column)} ${direction(order.ascending)}`
          ]
        : [sql`${textOrder(sql, column)} ${direction(order.ascending)}`]
    }

    const byModel = <R extends { readonly modelId: string }>(
      query: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<R>, SqlError>,
      ids: ReadonlyArray<string>
    ) =>
      Effect.forEach(Arr.chunksOf(ids, chunkSize), query).pipe(
        Effect.map((chunks) => Arr.groupBy(Arr.flatten(chunks), (row) => row.modelId))
      )

    /** Logged models with their tags, params and metrics, in the order of `rows`. */
    const hydrate = (rows: ReadonlyArray<ModelRow>) =>
      Effect.gen(function* () {
        if (rows.length === 0) return []
        const ids = rows.map((row) => row.modelId)
        const tags = yield* byModel(
          (chunk) =>
            sql<KeyValueRow>`SELECT model_id, key, value FROM logged_model_tags WHERE ${sql.in("model_id", chunk)}`,
          ids
        )
        const params = yield* byModel(
          (chunk) =>
            sql<KeyValueRow>`SELECT model_id, key, value FROM logged_model_params WHERE ${sql.in("model_id", chunk)}`,
          ids
        )
        const metrics = yield* byModel(
          (
            chunk
          ) => sql<MetricRow>`SELECT model_id, key, step, timestamp, value, is_nan, run_id, dataset_name, dataset_digest
            FROM logged_model_metrics WHERE ${sql.in("model_id", chunk)}
            ORDER BY ${textOrder(sql, sql.literal("key"))}, step, timestamp, metric_id`,
          ids
        )
        return rows.map((row) => toLoggedModel(row, tags[row.modelId], params[row.modelId], metrics[row.modelId]))
      })

    const findRow = (modelId: string) =>
      Effect.flatMap(CurrentTenant, (tenant) =>
        sql<ModelRow>`SELECT ${modelColumns} FROM logged_models lm
          WHERE lm.model_id = ${modelId} AND lm.tenant_id = ${tenant} AND lm.lifecycle_stage = 'active'`.pipe(
          Effect.flatMap((rows) =>
            rows[0] === undefined ? Effect.fail(new LoggedModelNotFound({ modelId })) : Effect.succeed(rows[0])
          )
        )
      )

    const requireModel = (modelId: string) => Effect.asVoid(findRow(modelId))

    const load = (modelId: string) =>
      Effect.flatMap(findRow(modelId), (row) => Effect.map(hydrate([row]), (models) => models[0] as LoggedModel))

    const upsertTags = (
      modelId: string,
      tenant: string,
      tags: ReadonlyArray<{ readonly key: string; readonly value: string }>
    ) =>
      Effect.forEach(
        Arr.chunksOf(tags, chunkSize),
        (chunk) =>
          sql`INSERT INTO logged_model_tags ${sql.insert(chunk.map((t) => ({ modelId, key: t.key, value: t.value, tenantId: tenant })))}
            ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`,
        { discard: true }
      )

    const insertParams = (
      modelId: string,
      tenant: string,
      params: ReadonlyArray<{ readonly key: string; readonly value: string }>
    ) =>
      Effect.forEach(
        Arr.chunksOf(params, chunkSize),
        (chunk) =>
          sql`INSERT INTO logged_model_params ${sql.insert(chunk.map((p) => ({ modelId, key: p.key, value: p.value, tenantId: tenant })))}`,
        { discard: true }
      )

    const loggedParams = (modelId: string) =>
      sql<KeyValueRow>`SELECT model_id, key, value FROM logged_model_params WHERE model_id = ${modelId}`.pipe(
        Effect.map((rows) => new Map(rows.map((row) => [row.key, row.value])))
      )

    const createLoggedModel = method("LoggedModels.createLoggedModel")(
      function* (input: CreateLoggedModel) {
        yield* checkCreateLoggedModel(input)
        const params = yield* newParams(new Map(), input.params ?? [])
        const experiment = yield* tracker.getExperiment(input.experimentId)
        if (experiment.lifecycleStage !== "active") {
          return yield* new ExperimentNotActive({ experimentId: experiment.experimentId })
        }
        if (input.sourceRunId !== undefined) yield* tracker.getRun(input.sourceRunId)
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        const modelId = newLoggedModelId()
        const row: ModelRow = {
          modelId,
          experimentId: Number(experiment.experimentId),
          name: input.name === undefined || input.name === "" ? generateRunName() : input.name,
          artifactLocation: modelArtifactLocation(experiment.artifactLocation, modelId),
          creationTime: now,
          lastUpdatedTime: now,
          status: "LOGGED_MODEL_PENDING",
          statusMessage: "",
          modelType: input.modelType ?? "",
          sourceRunId: input.sourceRunId ?? null
        }
        yield* inWriteTransaction(
          Effect.gen(function* () {
            yield* sql`INSERT INTO logged_models ${sql.insert({ ...row, tenantId: tenant, lifecycleStage: "active" })}`
            yield* upsertTags(modelId, tenant, uniquePairs(input.tags))
            yield* insertParams(modelId, tenant, params)
          })
        )
        return yield* hydrate([row]).pipe(Effect.map((models) => models[0] as LoggedModel))
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const getLoggedModel = method("LoggedModels.getLoggedModel")(
      function* (modelId: LoggedModelId) {
        return yield* load(modelId)
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const finalizeLoggedModel = method("LoggedModels.finalizeLoggedModel")(
      function* (modelId: LoggedModelId, status: LoggedModelStatus, statusMessage?: string) {
        yield* checkFinalStatus(status, statusMessage)
        const now = yield* Clock.currentTimeMillis
        yield* inWriteTransaction(
          Effect.gen(function* () {
            yield* requireModel(modelId)
            const message = statusMessage === undefined ? sql`status_message` : sql`${statusMessage}`
            yield* sql`UPDATE logged_models SET status = ${status}, status_message = ${message}, last_updated_time = ${now}
              WHERE model_id = ${modelId}`
          })
        )
        return yield* load(modelId)
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const deleteLoggedModel = method("LoggedModels.deleteLoggedModel")(
      function* (modelId: LoggedModelId) {
        yield* requireModel(modelId)
        yield* sql`UPDATE logged_models SET lifecycle_stage = 'deleted' WHERE model_id = ${modelId}`
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die })
    )

    const searchLoggedModels = method("LoggedModels.searchLoggedModels")(
      function* (query: SearchLoggedModels) {
        const search = yield* prepareSearch(query)
        const tenant = yield* CurrentTenant
        const where = sql.and([
          sql`lm.tenant_id = ${tenant}`,
          sql`lm.lifecycle_stage = 'active'`,
          sql.in("lm.experiment_id", search.experimentIds.map(Number)),
          ...search.filter.map(condition)
        ])
        const orderBy = sql.csv(effectiveOrder(search.orderBy).flatMap(orderTerms))
        const rows = yield* sql<ModelRow>`SELECT ${modelColumns} FROM logged_models lm WHERE ${where}
          ORDER BY ${orderBy} LIMIT ${search.page.size + 1} OFFSET ${search.page.offset}`
        return pageFromRows(search.page, yield* hydrate(rows))
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const setLoggedModelTags = method("LoggedModels.setLoggedModelTags")(
      function* (modelId: LoggedModelId, tags: ReadonlyArray<{ readonly key: string; readonly value: string }>) {
        yield* check(checkPairs("tags", tags, Limits.maxTagsPerBatch))
        const tenant = yield* CurrentTenant
        yield* requireModel(modelId)
        yield* upsertTags(modelId, tenant, uniquePairs(tags))
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die })
    )

    const deleteLoggedModelTag = method("LoggedModels.deleteLoggedModelTag")(
      function* (modelId: LoggedModelId, key: string) {
        yield* check(checkKey("key", key))
        yield* requireModel(modelId)
        yield* sql`DELETE FROM logged_model_tags WHERE model_id = ${modelId} AND key = ${key}`
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die })
    )

    const logLoggedModelParams = method("LoggedModels.logLoggedModelParams")(
      function* (modelId: LoggedModelId, params: ReadonlyArray<{ readonly key: string; readonly value: string }>) {
        yield* check(checkPairs("params", params, Limits.maxParamsPerBatch))
        const tenant = yield* CurrentTenant
        yield* requireModel(modelId)
        const added = yield* newParams(yield* loggedParams(modelId), params)
        yield* insertParams(modelId, tenant, added)
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die })
    )

    const logLoggedModelMetrics = method("LoggedModels.logLoggedModelMetrics")(
      function* (modelId: LoggedModelId, metrics: ReadonlyArray<LoggedModelMetricInput>) {
        yield* checkMetrics(metrics)
        const tenant = yield* CurrentTenant
        yield* requireModel(modelId)
        const rows = metrics.map((m) => ({
          modelId,
          key: m.key,
          step: m.step ?? 0,
          timestamp: m.timestamp,
          value: Number.isNaN(m.value) ? 0 : m.value,
          isNan: Number.isNaN(m.value) ? 1 : 0,
          runId: m.runId ?? null,
          datasetName: m.datasetName ?? null,
          datasetDigest: m.datasetDigest ?? null,
          tenantId: tenant
        }))
        yield* Effect.forEach(
          Arr.chunksOf(rows, chunkSize / 10),
          (chunk) => sql`INSERT INTO logged_model_metrics ${sql.insert(chunk)}`,
          { discard: true }
        )
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die })
    )

    const recordModelVersion = method("LoggedModels.recordModelVersion")(
      function* (modelId: LoggedModelId, registeredModelName: string, version: number) {
        const tenant = yield* CurrentTenant
        yield* requireModel(modelId)
        const rows = yield* sql<KeyValueRow>`SELECT model_id, key, value FROM logged_model_tags
          WHERE model_id = ${modelId} AND key = ${ModelVersionsTag}`
        const value = appendModelVersion(rows[0]?.value, registeredModelName, version)
        yield* check(checkValue(`tags.${ModelVersionsTag}`, value))
        yield* upsertTags(modelId, tenant, [{ key: ModelVersionsTag, value }])
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die })
    )

    const logOutputs = method("LoggedModels.logOutputs")(
      function* (runId: RunId, models: ReadonlyArray<LoggedModelOutputInput>) {
        yield* checkOutputs(models)
        const run = yield* tracker.getRun(runId)
        if (run.info.lifecycleStage !== "active") return yield* new RunNotActive({ runId })
        const tenant = yield* CurrentTenant
        yield* inWriteTransaction(
          Effect.gen(function* () {
            for (const model of models) yield* requireModel(model.modelId)
            const rows = Array.from(
              new Map(models.map((m) => [m.modelId, m.step] as const).reverse()),
              ([modelId, step]) => ({ runId, modelId, step, tenantId: tenant })
            )
            yield* Effect.forEach(
              Arr.chunksOf(rows, chunkSize),
              (chunk) => sql`INSERT INTO run_outputs ${sql.insert(chunk)} ON CONFLICT (run_id, model_id) DO NOTHING`,
              { discard: true }
            )
          })
        )
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const getRunOutputs = method("LoggedModels.getRunOutputs")(
      function* (runId: RunId) {
        yield* tracker.getRun(runId)
        const tenant = yield* CurrentTenant
        const rows = yield* sql<OutputRow>`SELECT model_id, step FROM run_outputs
          WHERE run_id = ${runId} AND tenant_id = ${tenant} ORDER BY step, model_id`
        return rows.map(
          (row) =>
            new ModelOutput({ modelId: LoggedModelId.make(row.modelId, trusted), step: Number(row.step) }, trusted)
        )
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    const getOutputsOfRuns = method("LoggedModels.getOutputsOfRuns")(
      function* (runIds: ReadonlyArray<RunId>) {
        if (runIds.length === 0) return []
        const tenant = yield* CurrentTenant
        const rows = yield* sql<OutputRow & { readonly runId: string }>`SELECT run_id, model_id, step FROM run_outputs
          WHERE ${sql.in("run_id", runIds)} AND tenant_id = ${tenant} ORDER BY step, model_id`
        const byRun = new Map<string, Array<ModelOutput>>()
        for (const row of rows) {
          const output = new ModelOutput(
            { modelId: LoggedModelId.make(row.modelId, trusted), step: Number(row.step) },
            trusted
          )
          const outputs = byRun.get(row.runId)
          if (outputs === undefined) byRun.set(row.runId, [output])
          else outputs.push(output)
        }
        return runIds.map((runId) => new RunOutputs({ runId, outputs: byRun.get(runId) ?? [] }, trusted))
      },
      Effect.catchTags({ SqlError: Effect.die })
    )

    return {
      getOutputsOfRuns,
      createLoggedModel,
      getLoggedModel,
      finalizeLoggedModel,
      deleteLoggedModel,
      searchLoggedModels,
      setLoggedModelTags,
      deleteLoggedModelTag,
      logLoggedModelParams,
      logLoggedModelMetrics,
      recordModelVersion,
      logOutputs,
      getRunOutputs
    }
  }
)

const toLoggedModel = (
  row: ModelRow,
  tags: ReadonlyArray<KeyValueRow> = [],
  params: ReadonlyArray<KeyValueRow> = [],
  metrics: ReadonlyArray<MetricRow> = []
): LoggedModel =>
  new LoggedModel(
    {
      modelId: LoggedModelId.make(row.modelId, trusted),
      experimentId: ExperimentId.make(String(row.experimentId), trusted),
      name: row.name,
      artifactLocation: row.artifactLocation,
      creationTimestamp: Number(row.creationTime),
      lastUpdatedTimestamp: Number(row.lastUpdatedTime),
      status: row.status,
      statusMessage: row.statusMessage,
      modelType: row.modelType,
      sourceRunId: row.sourceRunId === null ? null : RunId.make(row.sourceRunId, trusted),
      tags: toTags(tags.map((t) => [t.key, t.value] as const)),
      params: toParams(params.map((p) => [p.key, p.value] as const)),
      metrics: metrics.map(
        (m) =>
          new LoggedModelMetric(
            {
              key: m.key,
              value: Number(m.isNan) === 1 ? Number.NaN : Number(m.value),
              timestamp: Number(m.timestamp),
              step: Number(m.step),
              runId: m.runId === null ? null : RunId.make(m.runId, trusted),
              datasetName: m.datasetName,
              datasetDigest: m.datasetDigest
            },
            trusted
          )
      )
    },
    trusted
  )
