import * as fs from "node:fs/promises"
import * as path from "node:path"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect } from "effect"
import { TransferFailed } from "../errors.js"
import { attempt, walk } from "./files.js"

/**
 * Copies the SQLite store at `database` into the new file `target` with
 * `VACUUM INTO`: one read transaction, so the copy is a consistent snapshot
 * even while servers keep writing (WAL readers never block writers), and
 * compact. The connection is read-only and never changes the source.
 * Returns the store's schema version.
 */
export const snapshotDatabase = (database: string, target: string) =>
  Effect.gen(function* () {
    const sql = yield* SqliteClient.SqliteClient
    yield* sql`PRAGMA busy_timeout = 30000`
    const [row] = yield* sql<{ readonly version: number | null }>`SELECT MAX(migration_id) AS version
      FROM effect_sql_migrations`
    yield* sql`VACUUM INTO ${target}`
    return Number(row?.version ?? 0)
  }).pipe(
    Effect.provide(SqliteClient.layer({ filename: database, readonly: true, disableWAL: true })),
    Effect.mapError((cause) => new TransferFailed({ operation: "snapshot", path: database, cause }))
  )

/**
 * Mirrors the regular files under `from` into `to` as hard links, or copies
 * where linking is impossible (another file system). A link is a stable view
 * of the file: the artifact store replaces files by renaming new ones into
 * place, so the linked inode never changes while it is archived.
 */
export const linkTree = (from: string, to: string) =>
  Effect.gen(function* () {
    const { files } = yield* walk(from)
    yield* Effect.forEach(
      files,
      (file) => {
        const source = path.join(from, ...file.path.split("/"))
        const target = path.join(to, ...file.path.split("/"))
        return attempt("link", source, async () => {
          await fs.mkdir(path.dirname(target), { recursive: true })
          try {
            await fs.link(source, target)
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code
            // Deleted since the listing: it is simply not part of the snapshot.
            if (code === "ENOENT") return
            if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw error
            await fs.copyFile(source, target)
          }
        })
      },
      { concurrency: 16, discard: true }
    )
  })
