import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { withWriteTransaction } from "../../src/storage/transaction.js"
import { SqliteTest } from "../support/sqlite.js"

const table = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`CREATE TABLE IF NOT EXISTS notes (body TEXT)`)
const note = (body: string) => Effect.flatMap(SqlClient.SqlClient, (sql) => sql`INSERT INTO notes VALUES (${body})`)
const notes = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ body: string }>`SELECT body FROM notes ORDER BY body`)

/** The statements the driver prepares while `effect` runs. */
const preparedDuring = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const prepare = Database.prototype.prepare
      const texts: Array<string> = []
      Database.prototype.prepare = function (this: Database.Database, source: string) {
        texts.push(source)
        return prepare.call(this, source)
      } as typeof prepare
      return { prepare, texts }
    }),
    ({ texts }) => Effect.as(effect, texts),
    ({ prepare }) =>
      Effect.sync(() => {
        Database.prototype.prepare = prepare
      })
  )

describe("withWriteTransaction", () => {
  it.scoped("commits what the effect wrote", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* table
      yield* withWriteTransaction(sql)(Effect.zipRight(note("a"), note("b")))
      assert.deepStrictEqual(
        (yield* notes).map((row) => row.body),
        ["a", "b"]
      )
    }).pipe(Effect.provide(SqliteTest))
  )

  it.scoped("rolls back everything the effect wrote when it fails", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* table
      const failed = yield* withWriteTransaction(sql)(Effect.zipRight(note("a"), Effect.fail("refused" as const))).pipe(
        Effect.flip
      )
      assert.strictEqual(failed, "refused")
      assert.deepStrictEqual(yield* notes, [])
    }).pipe(Effect.provide(SqliteTest))
  )

  it.scoped("joins a transaction the client started: the outer failure rolls back its writes too", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* table
      const inner = withWriteTransaction(sql)(note("inner"))
      yield* sql.withTransaction(Effect.zipRight(inner, Effect.fail("outer failed" as const))).pipe(Effect.flip)
      assert.deepStrictEqual(yield* notes, [])
    }).pipe(Effect.provide(SqliteTest))
  )

  it.scoped("prepares BEGIN and COMMIT once, not once per transaction", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* table
      const write = withWriteTransaction(sql)
      const prepared = yield* preparedDuring(
        Effect.forEach(["a", "b", "c", "d"], (body) => write(note(body)), { discard: true })
      )
      assert.deepStrictEqual(prepared.filter((text) => text === "BEGIN" || text === "COMMIT").sort(), [
        "BEGIN",
        "COMMIT"
      ])
      assert.strictEqual((yield* notes).length, 4)
    }).pipe(Effect.provide(SqliteTest))
  )
})
