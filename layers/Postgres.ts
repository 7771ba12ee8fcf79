import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted, String as Str } from "effect"
import pg from "pg"
import { layerTenantScopedSql } from "../src/enterprise/tenancy/tenantScopedSql.js"
import { migrate } from "../src/storage/migrate.js"
import type { SqlStoreError } from "./Sql.js"

/** Options of {@link makePostgresLayer}. */
export interface PostgresOptions {
  /**
   * The application's connection URL. Under tenant isolation its role must
   * neither own the tables nor bypass row-level security (a plain
   * `CREATE ROLE mlops_app LOGIN PASSWORD '…'`).
   */
  readonly url: Redacted.Redacted
  /**
   * A URL of the tables' owner, used once at start to migrate the schema
   * and grant the application's role what it needs. Without it the
   * application's own role migrates, and then owns the tables.
   */
  readonly adminUrl?: Redacted.Redacted
  /** Pool size per process (default 10). */
  readonly maxConnections?: number
}

// BIGINT columns hold epoch milliseconds, steps and counts, all well inside
// 2^53; pg answers them as strings unless told otherwise.
const int8 = 20
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === int8 && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"]
}

const client = (url: Redacted.Redacted, maxConnections: number) =>
  PgClient.layer({
    url,
    maxConnections,
    transformQueryNames: Str.camelToSnake,
    transformResultNames: Str.snakeToCamel,
    types
  })

const roleOf = (url: Redacted.Redacted): string => decodeURIComponent(new URL(Redacted.value(url)).username)

/**
 * Migrates as the owner, then grants the application's role the rows it may
 * touch (row-level security still decides which). It may read the migrations
 * table, to refuse a store newer than it knows, but not change it, and may
 * only append to the audit trail.
 */
const migrateAsOwner = (adminUrl: Redacted.Redacted, appRole: string) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      yield* migrate
      const sql = yield* PgClient.PgClient
      const role = pg.escapeIdentifier(appRole)
      yield* sql.unsafe(`GRANT USAGE ON SCHEMA public TO ${role}`)
      yield* sql.unsafe(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`)
      yield* sql.unsafe(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`)
      yield* sql.unsafe(`REVOKE INSERT, UPDATE, DELETE ON effect_sql_migrations FROM ${role}`)
      // The audit trail is append-only for the application.
      yield* sql.unsafe(`REVOKE UPDATE, DELETE ON audit_log FROM ${role}`)
    })
  ).pipe(Layer.provide(client(adminUrl, 1)))

/**
 * A PostgreSQL store, migrated and ready: the same repositories as the
 * embedded SQLite store, so several server processes can share one
 * database. Every table is isolated per tenant by row-level security: each
 * statement runs with `app.tenant_id` set from `CurrentTenant` (the default
 * tenant unless a request sets another).
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * const SqlLive = makePostgresLayer({
 *   url: Redacted.make("postgres://mlops_app:secret@db/mlops"),
 *   adminUrl: Redacted.make("postgres://mlops_owner:secret@db/mlops")
 * })
 * ```
 */
export const makePostgresLayer = (options: PostgresOptions): Layer.Layer<SqlClient.SqlClient, SqlStoreError> => {
  const pool = client(options.url, options.maxConnections ?? 10)
  const app = layerTenantScopedSql({ transformNames: true }).pipe(Layer.provide(pool))
  return options.adminUrl === undefined
    ? Layer.effectDiscard(migrate).pipe(Layer.provideMerge(app))
    : app.pipe(Layer.provide(migrateAsOwner(options.adminUrl, roleOf(options.url))))
}
