import { SqlClient } from "@effect/sql"
import type { Fragment } from "@effect/sql/Statement"
import { Effect, Option, Schema } from "effect"
import { withWriteTransaction } from "../../storage/transaction.js"
import { ArtifactStore } from "../artifacts/ArtifactStore.js"
import { CurrentTenant } from "../context.js"
import { textOrder } from "../search/sql.js"
import type { DatasetsShape } from "./Datasets.js"
import {
  DatasetContent,
  DatasetFormat,
  DatasetProfile,
  DatasetSchema,
  DatasetVersion,
  DatasetVersionRef,
  TransformStep
} from "./model.js"
import type { DatasetRepository } from "./repository.js"
import { makeDatasets } from "./service.js"

// PostgreSQL returns BIGINT columns as strings, SQLite as numbers.
const DbInt = Schema.Union(Schema.Number, Schema.NumberFromString)

const SchemaJson = Schema.parseJson(DatasetSchema)
const ProfileJson = Schema.parseJson(DatasetProfile)
const TransformJson = Schema.parseJson(Schema.Array(TransformStep))

const VersionRow = Schema.Struct({
  name: Schema.String,
  version: DbInt,
  digest: Schema.String,
  source: Schema.String,
  sourceType: Schema.String,
  context: Schema.NullOr(Schema.String),
  format: Schema.NullOr(DatasetFormat),
  artifactPath: Schema.NullOr(Schema.String),
  sizeBytes: Schema.NullOr(DbInt),
  schema: Schema.NullOr(SchemaJson),
  profile: Schema.NullOr(ProfileJson),
  rawSchema: Schema.NullOr(Schema.String),
  rawProfile: Schema.NullOr(Schema.String),
  transform: TransformJson,
  createdAt: DbInt,
  createdBy: Schema.String
})
type VersionRow = typeof VersionRow.Type

const ParentRow = Schema.Struct({ version: DbInt, parentName: Schema.String, parentVersion: DbInt })

const decodeVersionRows = Schema.decodeUnknown(Schema.Array(VersionRow))
const decodeParentRows = Schema.decodeUnknown(Schema.Array(ParentRow))
const decodeReserved = Schema.decodeUnknown(Schema.Tuple(Schema.Struct({ version: DbInt })))
const encodeSchema = Schema.encodeSync(Schema.NullOr(SchemaJson))
const encodeProfile = Schema.encodeSync(Schema.NullOr(ProfileJson))
const encodeTransform = Schema.encodeSync(TransformJson)

const toVersion = (row: VersionRow, parents: ReadonlyArray<DatasetVersionRef>): DatasetVersion =>
  new DatasetVersion({
    name: row.name,
    version: row.version,
    digest: row.digest,
    source: row.source,
    sourceType: row.sourceType,
    context: row.context,
    content:
      row.format === null || row.artifactPath === null || row.sizeBytes === null
        ? null
        : new DatasetContent({ path: row.artifactPath, format: row.format, sizeBytes: row.sizeBytes }),
    schema: row.schema,
    profile: row.profile,
    rawSchema: row.rawSchema,
    rawProfile: row.rawProfile,
    parents,
    transform: row.transform,
    createdAt: row.createdAt,
    createdBy: row.createdBy
  })

/**
 * Datasets with metadata in the SQL store (`dataset_versions`,
 * `dataset_version_parents`) and bytes in the ArtifactStore.
 */
export const make: Effect.Effect<DatasetsShape, never, SqlClient.SqlClient | ArtifactStore> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const artifacts = yield* ArtifactStore
  const inWriteTransaction = withWriteTransaction(sql)

  const columns = sql.literal(
    `name, version, digest, source, source_type, context, format, artifact_path, size_bytes,
     schema, profile, raw_schema, raw_profile, transform, created_at, created_by`
  )

  /** Published versions of `name` matching `where`, with their parents. */
  const select = (name: string, where: Fragment, suffix: Fragment) =>
    Effect.gen(function* () {
      const tenant = yield* CurrentTenant
      const rows = yield* decodeVersionRows(
        yield* sql`SELECT ${columns} FROM dataset_versions
          WHERE tenant_id = ${tenant} AND name = ${name} AND state = 'ready' AND ${where} ${suffix}`
      )
      if (rows.length === 0) return []
      const parents = yield* decodeParentRows(
        yield* sql`SELECT version, parent_name, parent_version FROM dataset_version_parents
          WHERE tenant_id = ${tenant} AND name = ${name} AND ${sql.in(
            "version",
            rows.map((row) => row.version)
          )} ORDER BY version, position`
      )
      return rows.map((row) =>
        toVersion(
          row,
          parents
            .filter((parent) => parent.version === row.version)
            .map((parent) => new DatasetVersionRef({ name: parent.parentName, version: parent.parentVersion }))
        )
      )
    })

  const one = <E, R>(versions: Effect.Effect<ReadonlyArray<DatasetVersion>, E, R>) =>
    Effect.map(versions, (found) => Option.fromNullable(found[0]))

  const repo: DatasetRepository = {
    reserve: (name) =>
      Effect.gen(function* () {
        const tenant = yield* CurrentTenant
        const [{ version }] = yield* decodeReserved(
          yield* inWriteTransaction(
            sql`INSERT INTO dataset_versions
                (tenant_id, name, version, state, digest, source, source_type, transform, created_at, created_by)
              SELECT ${tenant}, ${name}, COALESCE(MAX(version), 0) + 1, 'pending', '', '', '', '[]', 0, ''
              FROM dataset_versions WHERE tenant_id = ${tenant} AND name = ${name}
              RETURNING version`
          )
        )
        return version
      }).pipe(Effect.orDie),

    commit: (candidate) =>
      Effect.gen(function* () {
        const tenant = yield* CurrentTenant
        const key = sql`tenant_id = ${tenant} AND name = ${candidate.name} AND version = ${candidate.version}`
        const duplicate = yield* one(
          select(candidate.name, sql`digest = ${candidate.digest}`, sql`ORDER BY version LIMIT 1`)
        )
        if (Option.isSome(duplicate)) {
          yield* sql`DELETE FROM dataset_versions WHERE ${key} AND state = 'pending'`
          return duplicate.value
        }
        yield* sql`UPDATE dataset_versions SET ${sql.update({
          state: "ready",
          digest: candidate.digest,
          source: candidate.source,
          sourceType: candidate.sourceType,
          context: candidate.context,
          format: candidate.content?.format ?? null,
          artifactPath: candidate.content?.path ?? null,
          sizeBytes: candidate.content?.sizeBytes ?? null,
          schema: encodeSchema(candidate.schema),
          profile: encodeProfile(candidate.profile),
          rawSchema: candidate.rawSchema,
          rawProfile: candidate.rawProfile,
          transform: encodeTransform(candidate.transform),
          createdAt: candidate.createdAt,
          createdBy: candidate.createdBy
        })} WHERE ${key} AND state = 'pending'`
        if (candidate.parents.length > 0) {
          yield* sql`INSERT INTO dataset_version_parents ${sql.insert(
            candidate.parents.map((parent, position) => ({
              tenantId: tenant,
              name: candidate.name,
              version: candidate.version,
              position,
              parentName: parent.name,
              parentVersion: parent.version
            }))
          )}`
        }
        return candidate
      }).pipe(inWriteTransaction, Effect.orDie),

    release: (name, version) =>
      Effect.flatMap(CurrentTenant, (tenant) =>
        inWriteTransaction(
          sql`DELETE FROM dataset_versions
            WHERE tenant_id = ${tenant} AND name = ${name} AND version = ${version} AND state = 'pending'`
        )
      ).pipe(Effect.asVoid, Effect.orDie),

    find: (name, version) => one(select(name, sql`version = ${version}`, sql``)).pipe(Effect.orDie),
    latest: (name) => one(select(name, sql`1 = 1`, sql`ORDER BY version DESC LIMIT 1`)).pipe(Effect.orDie),
    versions: (name) => select(name, sql`1 = 1`, sql`ORDER BY version`).pipe(Effect.orDie),
    names: Effect.gen(function* () {
      const tenant = yield* CurrentTenant
      const rows = yield* sql<{ readonly name: string }>`SELECT name FROM dataset_versions
        WHERE tenant_id = ${tenant} AND state = 'ready' GROUP BY name ORDER BY ${textOrder(sql, sql.literal("name"))}`
      return rows.map((row) => row.name)
    }).pipe(Effect.orDie)
  }

  return makeDatasets(repo, artifacts)
})
