import * as fs from "node:fs"
import * as path from "node:path"
import { SqlClient } from "@effect/sql"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schedule } from "effect"
import { makeSqliteLayer } from "../../layers/Sql.js"
import { backgroundWalCheckpoints, pendingWalFrames } from "../../layers/walCheckpoints.js"
import { tempDir } from "../support/sqlite.js"

const pageSize = 4096

/** The WAL's frame count, from its size: a 32-byte header, then frames of a 24-byte header and a page each. */
const framesInWal = (file: string) => (fs.statSync(`${file}-wal`).size - 32) / (pageSize + 24)

/**
 * Opens `file`'s `-shm` for reading once `open` is called, and closes it
 * only when the test's scope ends, after the stores (acquired later) have
 * closed: closing a descriptor drops every POSIX lock the process holds on
 * the file, SQLite's among them.
 */
const shmReader = Effect.gen(function* () {
  const descriptors: Array<number> = []
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      for (const fd of descriptors) fs.closeSync(fd)
    })
  )
  return (file: string) =>
    Effect.sync(() => {
      const fd = fs.openSync(`${file}-shm`, "r")
      descriptors.push(fd)
      return () => pendingWalFrames(fd)
    })
})

/** A client on `file` whose connection never checkpoints, so only a worker can. */
const neverCheckpointing = (file: string) =>
  Layer.effectDiscard(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`PRAGMA wal_autocheckpoint = 0`)).pipe(
    Layer.provideMerge(SqliteClient.layer({ filename: file }))
  )

/** `pages` rows of almost a page each, in one transaction: at least `pages` WAL frames. */
const writePages = (pages: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`CREATE TABLE IF NOT EXISTS pages (body BLOB)`
        for (let i = 0; i < pages; i++) yield* sql`INSERT INTO pages VALUES (${Buffer.alloc(pageSize - 100, i)})`
      })
    )
  )

/** Polls `pending` until it reads 0, for at most five seconds. */
const untilCheckpointed = (pending: () => number) =>
  Effect.sync(pending).pipe(
    Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (frames) => frames === 0 }),
    Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("the WAL was never checkpointed") })
  )

/** `pages` pages written to a fresh store that only a checkpointer of `pendingFrames` may checkpoint. */
const written = (pages: number, { pendingFrames }: { readonly pendingFrames: number }) =>
  Effect.gen(function* () {
    const open = yield* shmReader
    const file = path.join(yield* tempDir("wal-worker"), "store.db")
    const store = yield* Layer.build(neverCheckpointing(file))
    yield* backgroundWalCheckpoints({ filename: file, synchronous: "NORMAL", pendingFrames, interval: "10 millis" })
    yield* writePages(pages).pipe(Effect.provide(store))
    return { file, pending: yield* open(file) }
  })

describe("background WAL checkpoints", () => {
  it.scopedLive("the wal-index header counts the frames not yet in the database file", () =>
    Effect.gen(function* () {
      const open = yield* shmReader
      const file = path.join(yield* tempDir("wal-header"), "store.db")
      const store = yield* Layer.build(neverCheckpointing(file))
      yield* writePages(300).pipe(Effect.provide(store))
      const pending = yield* open(file)
      assert.isAtLeast(pending(), 300)
      assert.strictEqual(pending(), framesInWal(file))
    })
  )

  it.scopedLive("a worker thread checkpoints once the threshold is passed", () =>
    Effect.gen(function* () {
      const { file, pending } = yield* written(300, { pendingFrames: 100 })
      assert.isAtLeast(pending(), 100)
      yield* untilCheckpointed(pending)
      assert.isAtLeast(framesInWal(file), 300, "the frames stay in the WAL until the writer restarts it")
    })
  )

  it.scopedLive("below the threshold the WAL is left to grow", () =>
    Effect.gen(function* () {
      const { file, pending } = yield* written(300, { pendingFrames: 1000 })
      yield* Effect.sleep("200 millis")
      assert.strictEqual(pending(), framesInWal(file))
    })
  )

  it.scopedLive("the SQLite store closes its worker's connection before its own, which then removes the WAL", () =>
    Effect.gen(function* () {
      const open = yield* shmReader
      const file = path.join(yield* tempDir("wal-close"), "mlops.db")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const store = yield* Layer.build(makeSqliteLayer({ filename: file }))
          // Past the default threshold of 4,000 pages, below the writer's own auto-checkpoint.
          yield* writePages(4500).pipe(Effect.provide(store))
          yield* untilCheckpointed(yield* open(file))
        })
      )
      assert.isFalse(fs.existsSync(`${file}-wal`), "a connection left open would keep the WAL")
      assert.isFalse(fs.existsSync(`${file}-shm`))
    })
  )
})
