import { PgClient } from "@effect/sql-pg"
import type { SqlClient } from "@effect/sql"
import { Layer, type Redacted, String as Str } from "effect"
import pg from "pg"
import { migrate } from "../src/storage/migrate.js"
import type { SqlStoreError } from "./Sql.js"

/** Options of {@link makePostgresLayer}. */
export interface PostgresOptions {
  /** Connection URL, e.g. `postgres://mlops:secret@db:5432/mlops`. */
  readonly url: Redacted.Redacted
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

/**
 * A PostgreSQL store, migrated and ready: the same repositories as the
 * embedded SQLite store, so several server processes can share one database.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * const SqlLive = makePostgresLayer({ url: Redacted.make("postgres://mlops@localhost/mlops") })
 * ```
 */
export const makePostgresLayer = (
  options: PostgresOptions
): Layer.Layer<SqlClient.SqlClient | PgClient.PgClient, SqlStoreError> =>
  Layer.effectDiscard(migrate).pipe(
    Layer.provideMerge(
      PgClient.layer({
        url: options.url,
        maxConnections: options.maxConnections ?? 10,
        transformQueryNames: Str.camelToSnake,
        transformResultNames: Str.snakeToCamel,
        types
      })
    )
  )
