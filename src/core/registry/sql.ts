import { SqlClient } from "@effect/sql"
import type { Fragment } from "@effect/sql/Statement"
import { Array as Arr, Clock, Effect, Option, Schema } from "effect"
import { CurrentPrincipal, CurrentTenant, type TenantId } from "../context.js"
import { checkAlias, checkKey } from "../limits.js"
import { pageFromRows } from "../paging.js"
import { compareList, compareNumber, compareText, textOrder } from "../search/sql.js"
import { method } from "../spans.js"
import { ExperimentTracker } from "../tracking/ExperimentTracker.js"
import { RunId } from "../tracking/model.js"
import { withWriteTransaction } from "../../storage/transaction.js"
import { AliasNotFound, ModelVersionNotFound, RegisteredModelAlreadyExists, RegisteredModelNotFound } from "./errors.js"
import type { FilterClause, StringField } from "./filter.js"
import {
  AliasChange,
  type CreateModelVersion,
  type CreateRegisteredModel,
  ModelVersion,
  type ModelVersionNumber,
  ModelVersionStatus,
  RegisteredModel,
  type SearchModelVersions,
  type SearchRegisteredModels,
  Stage
} from "./model.js"
import type { ModelRegistryShape } from "./ModelRegistry.js"
import { aliasesOf, resolveLineage, toModelAliases, toTags, versionNumber } from "./records.js"
import { prepareModelSearch, prepareVersionSearch } from "./search.js"
import {
  check,
  checkCreateModelVersion,
  checkCreateRegisteredModel,
  checkDescription,
  checkModelName,
  checkStageTransition,
  checkTag,
  checkUpdateModelVersion,
  uniqueTags
} from "./validation.js"

// PostgreSQL returns BIGINT columns as strings, SQLite as numbers.
const DbInt = Schema.Union(Schema.Number, Schema.NumberFromString)

const ModelRow = Schema.Struct({
  modelId: DbInt,
  name: Schema.String,
  description: Schema.String,
  creationTime: DbInt,
  lastUpdatedTime: DbInt
})
type ModelRow = typeof ModelRow.Type

const VersionRow = Schema.Struct({
  modelId: DbInt,
  name: Schema.String,
  version: DbInt,
  creationTime: DbInt,
  lastUpdatedTime: DbInt,
  description: Schema.String,
  userId: Schema.String,
  currentStage: Stage,
  source: Schema.String,
  runId: Schema.NullOr(RunId),
  runLink: Schema.String,
  status: ModelVersionStatus,
  statusMessage: Schema.String
})
type VersionRow = typeof VersionRow.Type

const TagRow = Schema.Struct({ modelId: DbInt, key: Schema.String, value: Schema.String })
const VersionTagRow = Schema.Struct({ modelId: DbInt, version: DbInt, key: Schema.String, value: Schema.String })
const AliasRow = Schema.Struct({ modelId: DbInt, alias: Schema.String, version: DbInt })
const HistoryRow = Schema.Struct({
  alias: Schema.String,
  fromVersion: Schema.NullOr(DbInt),
  toVersion: Schema.NullOr(DbInt),
  changedBy: Schema.String,
  changedAt: DbInt
})

const decodeModelRows = Schema.decodeUnknown(Schema.Array(ModelRow))
const decodeVersionRows = Schema.decodeUnknown(Schema.Array(VersionRow))
const decodeTagRows = Schema.decodeUnknown(Schema.Array(TagRow))
const decodeVersionTagRows = Schema.decodeUnknown(Schema.Array(VersionTagRow))
const decodeAliasRows = Schema.decodeUnknown(Schema.Array(AliasRow))
const decodeHistoryRows = Schema.decodeUnknown(Schema.Array(HistoryRow))
const decodeNextVersion = Schema.decodeUnknown(Schema.Tuple(Schema.Struct({ nextVersion: DbInt })))

// Keeps `IN (...)` and `OR` lists well below SQLite's bound-parameter limit.
const chunkSize = 500

const stringColumns: Record<StringField, string> = { name: "m.name", runId: "v.run_id", source: "v.source" }

/**
 * The ModelRegistry over `@effect/sql` (SQLite and PostgreSQL). Version
 * numbers come from `registered_models.next_version`, bumped in the same
 * transaction that inserts the version, so numbers are never reused.
 */
export const make: Effect.Effect<ModelRegistryShape, never, SqlClient.SqlClient | ExperimentTracker> = Effect.gen(
  function* () {
    const sql = yield* SqlClient.SqlClient
    const tracker = yield* ExperimentTracker
    const inWriteTransaction = withWriteTransaction(sql)

    const nameOrder = textOrder(sql, sql.literal("m.name"))

    const clauseCondition = (clause: FilterClause, entity: "models" | "versions"): Fragment => {
      switch (clause._tag) {
        case "StringCompare":
          return compareText(sql, stringColumns[clause.field], clause.op, clause.value)
        case "RunIdIn":
          return compareList(sql, "v.run_id", "IN", clause.values)
        case "VersionCompare":
          return compareNumber(sql, "v.version", clause.op, clause.value)
        case "TagCompare": {
          // `!=` holds for a model without the tag, as in MLflow: its client appends
          // tags.`mlflow.prompt.is_prompt` != 'true' to every search and expects untagged models back.
          const negated = clause.op === "!="
          const test = compareText(sql, "t.value", negated ? "=" : clause.op, clause.value)
          const probe =
            entity === "models"
              ? sql`SELECT 1 FROM registered_model_tags t WHERE t.model_id = m.model_id AND t.key = ${clause.key} AND ${test}`
              : sql`SELECT 1 FROM model_version_tags t WHERE t.model_id = v.model_id AND t.version = v.version AND t.key = ${clause.key} AND ${test}`
          return negated ? sql`NOT EXISTS (${probe})` : sql`EXISTS (${probe})`
        }
      }
    }

    const modelColumns = sql.literal("m.model_id, m.name, m.description, m.creation_time, m.last_updated_time")
    const versionQuery = sql.literal(
      `SELECT v.model_id, m.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id,
         v.current_stage, v.source, v.run_id, v.run_link, v.status, v.status_message
       FROM model_versions v JOIN registered_models m ON m.model_id = v.model_id`
    )

    const findModelRow = (tenant: TenantId, name: string) =>
      sql`SELECT ${modelColumns} FROM registered_models m WHERE m.tenant_id = ${tenant} AND m.name = ${name}`.pipe(
        Effect.flatMap(decodeModelRows),
        Effect.map(Arr.head)
      )

    const requireModelRow = (tenant: TenantId, name: string) =>
      findModelRow(tenant, name).pipe(
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.fail(new RegisteredModelNotFound({ name })),
            onSome: Effect.succeed
          })
        )
      )

    const requireVersionRow = (model: ModelRow, version: ModelVersionNumber) =>
      sql`${versionQuery} WHERE v.model_id = ${model.modelId} AND v.version = ${Number(version)}`.pipe(
        Effect.flatMap(decodeVersionRows),
        Effect.flatMap((rows) =>
          rows[0] === undefined
            ? Effect.fail(new ModelVersionNotFound({ name: model.name, version }))
            : Effect.succeed(rows[0])
        )
      )

    const aliasRows = (modelIds: ReadonlyArray<number>) =>
      Effect.forEach(Arr.chunksOf(Arr.dedupe(modelIds), chunkSize), (ids) =>
        sql`SELECT model_id, alias, version FROM model_aliases WHERE model_id IN ${sql.in(ids)}`.pipe(
          Effect.flatMap(decodeAliasRows)
        )
      ).pipe(Effect.map(Arr.flatten))

    const aliasesByModel = (rows: ReadonlyArray<typeof AliasRow.Type>) =>
      Arr.groupBy(rows, (row) => String(row.modelId))

    /** Registered models with their tags and aliases, in the order of `rows`. */
    const toModels = (rows: ReadonlyArray<ModelRow>) =>
      Effect.gen(function* () {
        const ids = rows.map((row) => row.modelId)
        const tags = yield* Effect.forEach(Arr.chunksOf(ids, chunkSize), (chunk) =>
          sql`SELECT model_id, key, value FROM registered_model_tags WHERE model_id IN ${sql.in(chunk)}`.pipe(
            Effect.flatMap(decodeTagRows)
          )
        ).pipe(Effect.map((chunks) => Arr.groupBy(Arr.flatten(chunks), (row) => String(row.modelId))))
        const aliases = aliasesByModel(yield* aliasRows(ids))
        return rows.map(
          (row) =>
            new RegisteredModel({
              name: row.name,
              description: row.description,
              creationTimestamp: row.creationTime,
              lastUpdatedTimestamp: row.lastUpdatedTime,
              tags: toTags((tags[String(row.modelId)] ?? []).map((t) => [t.key, t.value] as const)),
              aliases: toModelAliases((aliases[String(row.modelId)] ?? []).map((a) => [a.alias, a.version] as const))
            })
        )
      })

    /** Model versions with their tags and aliases, in the order of `rows`. */
    const toVersions = (rows: ReadonlyArray<VersionRow>) =>
      Effect.gen(function* () {
        const tags = yield* Effect.forEach(Arr.chunksOf(rows, chunkSize), (chunk) =>
          sql`SELECT model_id, version, key, value FROM model_version_tags WHERE ${sql.or(
            chunk.map((row) => sql`(model_id = ${row.modelId} AND version = ${row.version})`)
          )}`.pipe(Effect.flatMap(decodeVersionTagRows))
        ).pipe(Effect.map((chunks) => Arr.groupBy(Arr.flatten(chunks), (row) => `${row.modelId}/${row.version}`)))
        const aliases = aliasesByModel(yield* aliasRows(rows.map((row) => row.modelId)))
        return rows.map(
          (row) =>
            new ModelVersion({
              name: row.name,
              version: versionNumber(row.version),
              creationTimestamp: row.creationTime,
              lastUpdatedTimestamp: row.lastUpdatedTime,
              description: row.description,
              userId: row.userId,
              currentStage: row.currentStage,
              source: row.source,
              runId: row.runId,
              runLink: row.runLink,
              status: row.status,
              statusMessage: row.statusMessage,
              tags: toTags((tags[`${row.modelId}/${row.version}`] ?? []).map((t) => [t.key, t.value] as const)),
              aliases: aliasesOf(
                (aliases[String(row.modelId)] ?? []).map((a) => [a.alias, a.version] as const),
                row.version
              )
            })
        )
      })

    const toModel = (row: ModelRow) => Effect.map(toModels([row]), (models) => models[0] as RegisteredModel)
    const toVersion = (row: VersionRow) => Effect.map(toVersions([row]), (versions) => versions[0] as ModelVersion)

    const insertTags = (
      table: "registered_model_tags" | "model_version_tags",
      tenant: TenantId,
      owner: { readonly modelId: number; readonly version?: number },
      tags: ReadonlyArray<{ readonly key: string; readonly value: string }>
    ) =>
      tags.length === 0
        ? Effect.void
        : sql`INSERT INTO ${sql(table)} ${sql.insert(tags.map((t) => ({ ...owner, tenantId: tenant, key: t.key, value: t.value })))}`

    const recordAliasChanges = (
      tenant: TenantId,
      changes: ReadonlyArray<{
        readonly modelId: number
        readonly alias: string
        readonly fromVersion: number | null
        readonly toVersion: number | null
      }>
    ) =>
      Effect.gen(function* () {
        if (changes.length === 0) return
        const principal = yield* CurrentPrincipal
        const changedAt = yield* Clock.currentTimeMillis
        yield* sql`INSERT INTO model_alias_history ${sql.insert(
          changes.map((change) => ({ ...change, tenantId: tenant, changedBy: principal.id, changedAt }))
        )}`
      })

    const touchModel = (modelId: number, now: number) =>
      sql`UPDATE registered_models SET last_updated_time = ${now} WHERE model_id = ${modelId}`

    const createRegisteredModel = method("ModelRegistry.createRegisteredModel")(
      function* (input: CreateRegisteredModel) {
        yield* checkCreateRegisteredModel(input)
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        if (Option.isSome(yield* findModelRow(tenant, input.name))) {
          return yield* new RegisteredModelAlreadyExists({ name: input.name })
        }
        yield* sql`INSERT INTO registered_models ${sql.insert({
          tenantId: tenant,
          name: input.name,
          description: input.description ?? "",
          creationTime: now,
          lastUpdatedTime: now,
          nextVersion: 1
        })}`
        // Inserted just above, in this transaction: not finding it is a defect.
        const row = yield* requireModelRow(tenant, input.name).pipe(Effect.orDie)
        yield* insertTags("registered_model_tags", tenant, { modelId: row.modelId }, uniqueTags(input.tags))
        return yield* toModel(row)
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const getRegisteredModel = method("ModelRegistry.getRegisteredModel")(
      function* (name: string) {
        const tenant = yield* CurrentTenant
        return yield* toModel(yield* requireModelRow(tenant, name))
      },
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const renameRegisteredModel = method("ModelRegistry.renameRegisteredModel")(
      function* (name: string, newName: string) {
        yield* check(checkModelName("newName", newName))
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        const row = yield* requireModelRow(tenant, name)
        if (newName !== name && Option.isSome(yield* findModelRow(tenant, newName))) {
          return yield* new RegisteredModelAlreadyExists({ name: newName })
        }
        yield* sql`UPDATE registered_models SET name = ${newName}, last_updated_time = ${now} WHERE model_id = ${row.modelId}`
        return yield* toModel({ ...row, name: newName, lastUpdatedTime: now })
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const updateRegisteredModel = method("ModelRegistry.updateRegisteredModel")(
      function* (name: string, update: { readonly description: string }) {
        yield* check(checkDescription(update.description))
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        const row = yield* requireModelRow(tenant, name)
        yield* sql`UPDATE registered_models SET description = ${update.description}, last_updated_time = ${now} WHERE model_id = ${row.modelId}`
        return yield* toModel({ ...row, description: update.description, lastUpdatedTime: now })
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const setRegisteredModelTag = method("ModelRegistry.setRegisteredModelTag")(
      function* (name: string, key: string, value: string) {
        yield* check(checkTag(key, value))
        const tenant = yield* CurrentTenant
        const row = yield* requireModelRow(tenant, name)
        yield* sql`INSERT INTO registered_model_tags ${sql.insert({ modelId: row.modelId, key, value, tenantId: tenant })}
          ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value`
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const deleteRegisteredModelTag = method("ModelRegistry.deleteRegisteredModelTag")(
      function* (name: string, key: string) {
        yield* check(checkKey("key", key))
        const tenant = yield* CurrentTenant
        const row = yield* requireModelRow(tenant, name)
        yield* sql`DELETE FROM registered_model_tags WHERE model_id = ${row.modelId} AND key = ${key}`
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const deleteRegisteredModel = method("ModelRegistry.deleteRegisteredModel")(
      function* (name: string) {
        const tenant = yield* CurrentTenant
        const { modelId } = yield* requireModelRow(tenant, name)
        // Children first: every table references registered_models.
        for (const table of [
          "model_version_tags",
          "model_aliases",
          "model_alias_history",
          "model_versions",
          "registered_model_tags",
          "registered_models"
        ]) {
          yield* sql`DELETE FROM ${sql(table)} WHERE model_id = ${modelId}`
        }
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const searchRegisteredModels = method("ModelRegistry.searchRegisteredModels")(
      function* (query?: SearchRegisteredModels) {
        const search = yield* prepareModelSearch(query)
        const tenant = yield* CurrentTenant
        const where = sql.and([
          sql`m.tenant_id = ${tenant}`,
          ...search.clauses.map((clause) => clauseCondition(clause, "models"))
        ])
        const rows = yield* sql`SELECT ${modelColumns} FROM registered_models m WHERE ${where}
          ORDER BY ${nameOrder} LIMIT ${search.page.size + 1} OFFSET ${search.page.offset}`.pipe(
          Effect.flatMap(decodeModelRows)
        )
        return pageFromRows(search.page, yield* toModels(rows))
      },
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const createModelVersion = method("ModelRegistry.createModelVersion")(
      function* (input: CreateModelVersion) {
        yield* checkCreateModelVersion(input)
        const tenant = yield* CurrentTenant
        const principal = yield* CurrentPrincipal
        const now = yield* Clock.currentTimeMillis
        const model = yield* requireModelRow(tenant, input.name)
        if (input.runId !== undefined) yield* tracker.getRun(input.runId)
        // The UPDATE comes first so it takes the row lock before the number is read (PostgreSQL).
        yield* sql`UPDATE registered_models SET next_version = next_version + 1, last_updated_time = ${now}
          WHERE model_id = ${model.modelId}`
        const [{ nextVersion }] =
          yield* sql`SELECT next_version FROM registered_models WHERE model_id = ${model.modelId}`.pipe(
            Effect.flatMap(decodeNextVersion)
          )
        const version = nextVersion - 1
        const columns = {
          modelId: model.modelId,
          version,
          creationTime: now,
          lastUpdatedTime: now,
          description: input.description ?? "",
          userId: principal.id,
          currentStage: "None",
          source: input.source,
          runId: input.runId ?? null,
          runLink: input.runLink ?? "",
          status: input.status ?? "READY",
          statusMessage: ""
        } satisfies Omit<VersionRow, "name">
        yield* sql`INSERT INTO model_versions ${sql.insert({ ...columns, tenantId: tenant })}`
        yield* insertTags("model_version_tags", tenant, { modelId: model.modelId, version }, uniqueTags(input.tags))
        return yield* toVersion({ ...columns, name: model.name })
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const getModelVersion = method("ModelRegistry.getModelVersion")(
      function* (name: string, version: ModelVersionNumber) {
        const tenant = yield* CurrentTenant
        const model = yield* requireModelRow(tenant, name)
        return yield* toVersion(yield* requireVersionRow(model, version))
      },
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const updateModelVersion = method("ModelRegistry.updateModelVersion")(
      function* (
        name: string,
        version: ModelVersionNumber,
        update: {
          readonly description?: string
          readonly status?: ModelVersionStatus
          readonly statusMessage?: string
        }
      ) {
        yield* checkUpdateModelVersion(update)
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        const model = yield* requireModelRow(tenant, name)
        const row = yield* requireVersionRow(model, version)
        const updated: VersionRow = {
          ...row,
          description: update.description ?? row.description,
          status: update.status ?? row.status,
          statusMessage: update.statusMessage ?? row.statusMessage,
          lastUpdatedTime: now
        }
        yield* sql`UPDATE model_versions SET ${sql.update({
          description: updated.description,
          status: updated.status,
          statusMessage: updated.statusMessage,
          lastUpdatedTime: now
        })} WHERE model_id = ${row.modelId} AND version = ${row.version}`
        return yield* toVersion(updated)
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const setModelVersionTag = method("ModelRegistry.setModelVersionTag")(
      function* (name: string, version: ModelVersionNumber, key: string, value: string) {
        yield* check(checkTag(key, value))
        const tenant = yield* CurrentTenant
        const row = yield* requireVersionRow(yield* requireModelRow(tenant, name), version)
        yield* sql`INSERT INTO model_version_tags ${sql.insert({
          modelId: row.modelId,
          version: row.version,
          key,
          value,
          tenantId: tenant
        })} ON CONFLICT (model_id, version, key) DO UPDATE SET value = excluded.value`
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const deleteModelVersionTag = method("ModelRegistry.deleteModelVersionTag")(
      function* (name: string, version: ModelVersionNumber, key: string) {
        yield* check(checkKey("key", key))
        const tenant = yield* CurrentTenant
        const row = yield* requireVersionRow(yield* requireModelRow(tenant, name), version)
        yield* sql`DELETE FROM model_version_tags WHERE model_id = ${row.modelId} AND version = ${row.version} AND key = ${key}`
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const deleteModelVersion = method("ModelRegistry.deleteModelVersion")(
      function* (name: string, version: ModelVersionNumber) {
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        const row = yield* requireVersionRow(yield* requireModelRow(tenant, name), version)
        const aliases = yield* sql`SELECT model_id, alias, version FROM model_aliases
          WHERE model_id = ${row.modelId} AND version = ${row.version}`.pipe(Effect.flatMap(decodeAliasRows))
        yield* recordAliasChanges(
          tenant,
          aliasesOf(
            aliases.map((a) => [a.alias, a.version] as const),
            row.version
          ).map((alias) => ({ modelId: row.modelId, alias, fromVersion: row.version, toVersion: null }))
        )
        for (const table of ["model_aliases", "model_version_tags", "model_versions"]) {
          yield* sql`DELETE FROM ${sql(table)} WHERE model_id = ${row.modelId} AND version = ${row.version}`
        }
        yield* touchModel(row.modelId, now)
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const searchModelVersions = method("ModelRegistry.searchModelVersions")(
      function* (query?: SearchModelVersions) {
        const search = yield* prepareVersionSearch(query)
        const tenant = yield* CurrentTenant
        const where = sql.and([
          sql`m.tenant_id = ${tenant}`,
          ...search.clauses.map((clause) => clauseCondition(clause, "versions"))
        ])
        const rows = yield* sql`${versionQuery} WHERE ${where}
          ORDER BY ${nameOrder}, v.version DESC LIMIT ${search.page.size + 1} OFFSET ${search.page.offset}`.pipe(
          Effect.flatMap(decodeVersionRows)
        )
        return pageFromRows(search.page, yield* toVersions(rows))
      },
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const transitionModelVersionStage = method("ModelRegistry.transitionModelVersionStage")(
      function* (
        name: string,
        version: ModelVersionNumber,
        stage: Stage,
        options?: { readonly archiveExistingVersions?: boolean }
      ) {
        const archive = options?.archiveExistingVersions ?? false
        yield* check(checkStageTransition(stage, archive))
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        const row = yield* requireVersionRow(yield* requireModelRow(tenant, name), version)
        if (archive) {
          yield* sql`UPDATE model_versions SET current_stage = 'Archived', last_updated_time = ${now}
            WHERE model_id = ${row.modelId} AND current_stage = ${stage} AND version <> ${row.version}`
        }
        yield* sql`UPDATE model_versions SET current_stage = ${stage}, last_updated_time = ${now}
          WHERE model_id = ${row.modelId} AND version = ${row.version}`
        yield* touchModel(row.modelId, now)
        return yield* toVersion({ ...row, currentStage: stage, lastUpdatedTime: now })
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const getLatestVersions = method("ModelRegistry.getLatestVersions")(
      function* (name: string, stages?: ReadonlyArray<Stage>) {
        const tenant = yield* CurrentTenant
        const model = yield* requireModelRow(tenant, name)
        const stageFilter =
          stages === undefined || stages.length === 0 ? sql`1=1` : sql`v.current_stage IN ${sql.in(stages)}`
        const rows = yield* sql`${versionQuery} WHERE v.model_id = ${model.modelId} AND ${stageFilter}
          AND v.version IN (SELECT MAX(version) FROM model_versions WHERE model_id = ${model.modelId} GROUP BY current_stage)
          ORDER BY v.version`.pipe(Effect.flatMap(decodeVersionRows))
        return yield* toVersions(rows)
      },
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const findAlias = (model: ModelRow, alias: string) =>
      sql`SELECT model_id, alias, version FROM model_aliases WHERE model_id = ${model.modelId} AND alias = ${alias}`.pipe(
        Effect.flatMap(decodeAliasRows),
        Effect.map(Arr.head)
      )

    const setAlias = method("ModelRegistry.setAlias")(
      function* (name: string, alias: string, version: ModelVersionNumber) {
        yield* check(checkAlias("alias", alias))
        const tenant = yield* CurrentTenant
        const model = yield* requireModelRow(tenant, name)
        const row = yield* requireVersionRow(model, version)
        const previous = yield* findAlias(model, alias)
        if (Option.isSome(previous) && previous.value.version === row.version) return
        yield* sql`INSERT INTO model_aliases ${sql.insert({
          modelId: model.modelId,
          alias,
          version: row.version,
          tenantId: tenant
        })} ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version`
        yield* recordAliasChanges(tenant, [
          {
            modelId: model.modelId,
            alias,
            fromVersion: Option.match(previous, { onNone: () => null, onSome: (a) => a.version }),
            toVersion: row.version
          }
        ])
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const deleteAlias = method("ModelRegistry.deleteAlias")(
      function* (name: string, alias: string) {
        const tenant = yield* CurrentTenant
        const model = yield* requireModelRow(tenant, name)
        const previous = yield* findAlias(model, alias)
        if (Option.isNone(previous)) return yield* new AliasNotFound({ name, alias })
        yield* sql`DELETE FROM model_aliases WHERE model_id = ${model.modelId} AND alias = ${alias}`
        yield* recordAliasChanges(tenant, [
          { modelId: model.modelId, alias, fromVersion: previous.value.version, toVersion: null }
        ])
      },
      inWriteTransaction,
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const getVersionByAlias = method("ModelRegistry.getVersionByAlias")(
      function* (name: string, alias: string) {
        const tenant = yield* CurrentTenant
        const model = yield* requireModelRow(tenant, name)
        const rows =
          yield* sql`${versionQuery} JOIN model_aliases a ON a.model_id = v.model_id AND a.version = v.version
          WHERE a.model_id = ${model.modelId} AND a.alias = ${alias}`.pipe(Effect.flatMap(decodeVersionRows))
        const row = rows[0]
        if (row === undefined) return yield* new AliasNotFound({ name, alias })
        return yield* toVersion(row)
      },
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const getAliasHistory = method("ModelRegistry.getAliasHistory")(
      function* (name: string, alias?: string) {
        const tenant = yield* CurrentTenant
        const model = yield* requireModelRow(tenant, name)
        const aliasFilter = alias === undefined ? sql`1=1` : sql`alias = ${alias}`
        const rows = yield* sql`SELECT alias, from_version, to_version, changed_by, changed_at FROM model_alias_history
          WHERE model_id = ${model.modelId} AND ${aliasFilter} ORDER BY history_id`.pipe(
          Effect.flatMap(decodeHistoryRows)
        )
        return rows.map(
          (row) =>
            new AliasChange({
              name: model.name,
              alias: row.alias,
              fromVersion: row.fromVersion === null ? null : versionNumber(row.fromVersion),
              toVersion: row.toVersion === null ? null : versionNumber(row.toVersion),
              changedBy: row.changedBy,
              changedAt: row.changedAt
            })
        )
      },
      Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die })
    )

    const getLineage = method("ModelRegistry.getLineage")(function* (name: string, version: ModelVersionNumber) {
      return yield* resolveLineage(tracker, yield* getModelVersion(name, version))
    })

    return {
      createRegisteredModel,
      getRegisteredModel,
      renameRegisteredModel,
      updateRegisteredModel,
      setRegisteredModelTag,
      deleteRegisteredModelTag,
      deleteRegisteredModel,
      searchRegisteredModels,
      createModelVersion,
      getModelVersion,
      updateModelVersion,
      setModelVersionTag,
      deleteModelVersionTag,
      deleteModelVersion,
      searchModelVersions,
      transitionModelVersionStage,
      getLatestVersions,
      setAlias,
      deleteAlias,
      getVersionByAlias,
      getAliasHistory,
      getLineage
    }
  }
)
