import { Migrator, SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { StoreVersionTooNew } from "../core/errors.js"
import { latestSchemaVersion, migrations } from "./migrations.js"

const migrationsTable = "effect_sql_migrations"

const runMigrator = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: migrationsTable })

const refuseNewerStore = Effect.flatMap(
  Effect.suspend(() => currentSchemaVersion),
  (version) =>
    version > latestSchemaVersion
      ? Effect.fail(new StoreVersionTooNew({ storeVersion: version, supportedVersion: latestSchemaVersion }))
      : Effect.void
)

/**
 * Brings the store to {@link latestSchemaVersion}, refusing a store written by
 * a newer release.
 *
 * Several processes may open one SQLite file at once. `@effect/sql`'s Migrator
 * reads the applied version in a deferred transaction, so two processes can
 * both decide to migrate; its "locked" answer then lets the loser carry on
 * before the winner has committed. We therefore take the database's write
 * lock first (a write to a lock table, which waits on `busy_timeout`), and run
 * the Migrator inside that transaction (its own transaction nests as a
 * savepoint). On PostgreSQL an advisory transaction lock does the same job.
 */
export const migrate: Effect.Effect<
  void,
  StoreVersionTooNew | SqlError | Migrator.MigrationError,
  SqlClient.SqlClient
> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  // Refuse a newer store before writing anything to it, not even the lock table.
  yield* refuseNewerStore
  const takeLock = sql.onDialectOrElse({
    // PostgreSQL: an advisory lock held to the end of the transaction, then
    // the Migrator's table made here, because its own existence probe
    // (`select 'table'::regclass`) fails and would abort our transaction.
    pg: () =>
      Effect.zipRight(
        sql`SELECT pg_advisory_xact_lock(hashtext('effect-mlops/migrate'))`,
        sql`CREATE TABLE IF NOT EXISTS ${sql(migrationsTable)} (
          migration_id integer primary key,
          created_at timestamp with time zone not null default now(),
          name text not null
        )`
      ),
    // SQLite: the transaction's first statement must be the write, so that
    // it waits on busy_timeout for the lock; a read first (such as a CREATE
    // TABLE IF NOT EXISTS that finds the table) would make the upgrade fail
    // at once with SQLITE_BUSY while another process holds the lock.
    orElse: () => sql`INSERT OR REPLACE INTO effect_mlops_lock (id) VALUES (1)`
  })
  yield* sql.onDialectOrElse({
    pg: () => Effect.void,
    orElse: () => sql`CREATE TABLE IF NOT EXISTS effect_mlops_lock (id INTEGER PRIMARY KEY)`
  })
  yield* sql.withTransaction(
    Effect.gen(function* () {
      yield* takeLock
      yield* refuseNewerStore
      yield* runMigrator
    })
  )
}).pipe(Effect.withSpan("Storage.migrate"))

/** The store's schema version: the highest applied migration, 0 for an empty store. */
export const currentSchemaVersion: Effect.Effect<number, SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const exists = yield* sql.onDialectOrElse({
    pg: () => sql<{ readonly found: unknown }>`SELECT to_regclass(${migrationsTable}) AS found`,
    orElse: () =>
      sql<{
        readonly found: unknown
      }>`SELECT name AS found FROM sqlite_master WHERE type = 'table' AND name = ${migrationsTable}`
  })
  if (exists.length === 0 || exists[0]?.found === null || exists[0]?.found === undefined) return 0
  const rows = yield* sql<{
    readonly version: number | null
  }>`SELECT MAX(migration_id) AS version FROM ${sql(migrationsTable)}`.withoutTransform
  return Number(rows[0]?.version ?? 0)
})
