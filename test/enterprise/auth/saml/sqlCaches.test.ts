import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { makeSqlSamlCaches } from "../../../../src/enterprise/auth/saml/sqlCaches.js"
import { PostgresTest } from "../../../support/postgres.js"

const requestTtlMs = 60_000
/** Two replicas' caches over one database: they share nothing but its table. */
const replicas = Effect.all([makeSqlSamlCaches({ requestTtlMs }), makeSqlSamlCaches({ requestTtlMs })])

let counter = 0
const uniqueId = (prefix: string) => `${prefix}-${counter++}-${Date.now()}`

// it.effect starts the TestClock at 0, so expiry times below are plain offsets.
layer(PostgresTest)("SAML caches in PostgreSQL, shared by replicas", (it) => {
  it.effect("an assertion accepted by one replica is a replay on the other until it expires", () =>
    Effect.gen(function* () {
      const [one, two] = yield* replicas
      const id = uniqueId("_assertion")
      assert.isFalse(yield* one.replayCache.seen(id, 1_000))
      assert.isTrue(yield* two.replayCache.seen(id, 1_000))
      assert.isTrue(yield* one.replayCache.seen(id, 1_000))
      yield* TestClock.adjust(1_000)
      assert.isFalse(yield* two.replayCache.seen(id, 2_000))
    })
  )

  it.effect("concurrent first sightings of one assertion: exactly one replica accepts it", () =>
    Effect.gen(function* () {
      const [one, two] = yield* replicas
      const id = uniqueId("_race")
      const answers = yield* Effect.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).replayCache.seen(id, 5_000)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(answers.filter((seen) => !seen).length, 1)
    })
  )

  it.effect("a login begun on one replica is redeemed once on the other", () =>
    Effect.gen(function* () {
      const [one, two] = yield* replicas
      const id = uniqueId("_request")
      const saved = yield* Effect.promise(() => one.requestCache.saveAsync(id, "2026-11-26T00:00:00Z"))
      assert.strictEqual(saved?.value, "2026-11-26T00:00:00Z")
      assert.isNull(yield* Effect.promise(() => two.requestCache.saveAsync(id, "again")))
      assert.strictEqual(yield* Effect.promise(() => two.requestCache.getAsync(id)), "2026-11-26T00:00:00Z")
      assert.strictEqual(yield* Effect.promise(() => two.requestCache.removeAsync(id)), id)
      assert.isNull(yield* Effect.promise(() => one.requestCache.getAsync(id)))
      assert.isNull(yield* Effect.promise(() => one.requestCache.removeAsync(id)))
    })
  )

  it.effect("a request id expires after its time to live, and can then be issued again", () =>
    Effect.gen(function* () {
      const [one, two] = yield* replicas
      const id = uniqueId("_stale")
      yield* Effect.promise(() => one.requestCache.saveAsync(id, "first"))
      yield* TestClock.adjust(requestTtlMs)
      assert.isNull(yield* Effect.promise(() => two.requestCache.getAsync(id)))
      assert.isNotNull(yield* Effect.promise(() => two.requestCache.saveAsync(id, "second")))
      assert.strictEqual(yield* Effect.promise(() => one.requestCache.getAsync(id)), "second")
    })
  )

  it.effect("expired ids are deleted from the table as time passes", () =>
    Effect.gen(function* () {
      const [one] = yield* replicas
      const sql = yield* SqlClient.SqlClient
      const id = uniqueId("_old")
      yield* one.replayCache.seen(id, 1_000)
      yield* TestClock.adjust(61_000)
      yield* one.replayCache.seen(uniqueId("_new"), 100_000)
      const rows = yield* sql`SELECT id FROM sso_nonces WHERE id = ${id}`
      assert.strictEqual(rows.length, 0)
    })
  )
})
