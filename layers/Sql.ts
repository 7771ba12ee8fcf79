import * as fs from "node:fs"
import * as path from "node:path"
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { MigrationError } from "@effect/sql/Migrator"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer, Schedule, String as Str } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { StoreVersionTooNew } from "../src/core/errors.js"
import { migrate } from "../src/storage/migrate.js"
import { backgroundWalCheckpoints } from "./walCheckpoints.js"

/** Why a SQL store could not be opened. */
export type SqlStoreError = StoreVersionTooNew | SqlError | MigrationError | ConfigError

/**
 * An SQLite store in one file, migrated and ready: WAL (set by the client),
 * a 30 s busy timeout so several processes can share the file, and
 * `synchronous = NORMAL`, which in WAL mode never corrupts the database and
 * loses at most the last transactions on power loss. WAL checkpoints run on
 * a worker thread once 4,000 pages wait ({@link backgroundWalCheckpoints}),
 * or with `checkpoint: "inline"` on the writing connection, every 4,000
 * pages.
 *
 * @example
 * ```ts
 * const SqlLive = makeSqliteLayer({ filename: "./mlops-data/mlops.db" })
 * ```
 */
export const makeSqliteLayer = (options: {
  readonly filename: string
  readonly synchronous?: "NORMAL" | "FULL"
  /**
   * Where WAL checkpoints run: `background` (default), on a worker thread
   * started when the first one is due, so writes never wait for one; or
   * `inline`, SQLite's own, by the connection that commits.
   */
  readonly checkpoint?: "background" | "inline"
}): Layer.Layer<SqlClient.SqlClient, SqlStoreError> => {
  const client = SqliteClient.layer({
    filename: options.filename,
    transformQueryNames: Str.camelToSnake,
    transformResultNames: Str.snakeToCamel
  })
  const prepared = Layer.scopedDiscard(
    Effect.gen(function* () {
      const sql = yield* SqliteClient.SqliteClient
      yield* sql`PRAGMA busy_timeout = 30000`
      const synchronous = options.synchronous ?? "NORMAL"
      const background = options.checkpoint !== "inline" && options.filename !== ":memory:"
      yield* sql.unsafe(`PRAGMA synchronous = ${synchronous}`)
      yield* sql`PRAGMA foreign_keys = ON`
      // Inline, a checkpoint every 4,000 WAL pages (16 MB) instead of SQLite's 1,000: with the default,
      // one in ~90 commits of a run creation paid a 5–11 ms checkpoint, 0.2 ms per run on average.
      // In the background, the writer's own checkpoint is the backstop that restarts the WAL.
      yield* sql.unsafe(`PRAGMA wal_autocheckpoint = ${background ? 16000 : 4000}`)
      yield* migrate
      // Planner statistics, as SQLite recommends for long-lived connections:
      // at open, hourly, and at close. Without them a search filtered on
      // `params.x = 'a'` scans the experiment's runs instead of starting from
      // the matching params (half the time over 10,000 runs, bench/search.ts).
      const optimize = (mask = "") => sql.unsafe(`PRAGMA optimize${mask}`).pipe(Effect.ignore)
      yield* optimize("=0x10002")
      yield* Effect.forkScoped(Effect.repeat(optimize(), Schedule.spaced("1 hour")).pipe(Effect.delay("1 hour")))
      yield* Effect.addFinalizer(() => optimize())
      // Started last, so its worker's connection closes before this one.
      if (background) yield* backgroundWalCheckpoints({ filename: options.filename, synchronous })
    })
  )
  // better-sqlite3 does not create missing parent directories.
  const directory = Layer.effectDiscard(
    Effect.sync(() => {
      if (options.filename !== ":memory:")
        fs.mkdirSync(path.dirname(path.resolve(options.filename)), { recursive: true })
    })
  )
  return prepared.pipe(Layer.provideMerge(client), Layer.provide(directory))
}
