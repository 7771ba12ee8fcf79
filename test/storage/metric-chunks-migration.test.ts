import { Migrator, SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as path from "node:path"
import { decodeChunk } from "../../src/core/tracking/chunks.js"
import { migrate } from "../../src/storage/migrate.js"
import { migrations } from "../../src/storage/migrations.js"
import { databaseUrl, freshDatabase } from "../support/postgres.js"
import { tempDir } from "../support/sqlite.js"

/*
 * Migration 11 turns the row-per-point `metrics` table into `metric_chunks`:
 * in TypeScript on SQLite, in SQL (`float8send`) on PostgreSQL. Both must
 * produce blocks that decode to every old row, per tenant, run and key, in
 * history order, NaN included.
 */

const beforeChunks = Object.fromEntries(Object.entries(migrations).filter(([id]) => Number.parseInt(id, 10) < 11))

interface Point {
  readonly tenant: string
  readonly runId: string
  readonly key: string
  readonly step: number
  readonly timestamp: number
  readonly value: number
}

const runA = "a".repeat(32)
const runB = "b".repeat(32)

// 2,500 points of one series (three chunks), logged backwards, one NaN; a second key; another tenant's run.
const oldRows: ReadonlyArray<Point> = [
  ...Array.from({ length: 2500 }, (_, i) => {
    const step = 2499 - i
    return {
      tenant: "default",
      runId: runA,
      key: "loss",
      step,
      timestamp: 1000 + step,
      value: step === 7 ? NaN : step / 2
    }
  }),
  { tenant: "default", runId: runA, key: "acc", step: 0, timestamp: 5, value: Number.POSITIVE_INFINITY },
  { tenant: "acme", runId: runB, key: "loss", step: 3, timestamp: 9, value: -1.5 }
]

const seedOldRows = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* Migrator.make({})({ loader: Migrator.fromRecord(beforeChunks) })
  for (let start = 0; start < oldRows.length; start += 500) {
    yield* sql`INSERT INTO metrics ${sql.insert(
      oldRows.slice(start, start + 500).map((p) => ({
        tenant_id: p.tenant,
        run_id: p.runId,
        key: p.key,
        step: p.step,
        timestamp: p.timestamp,
        value: Number.isNaN(p.value) ? 0 : p.value,
        is_nan: Number.isNaN(p.value) ? 1 : 0
      }))
    )}`
  }
})

interface ChunkRow {
  readonly tenant_id: string
  readonly run_id: string
  readonly key: string
  readonly count: number | string
  readonly points: Uint8Array
}

/** Every stored point, decoded, per series in chunk order; and each chunk's size. */
const storedChunks = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<ChunkRow>`SELECT tenant_id, run_id, key, count, points FROM metric_chunks
    ORDER BY tenant_id, run_id, key, min_step`
  return {
    sizes: rows.map((row) => Number(row.count)),
    points: rows.flatMap((row) =>
      decodeChunk(row.key, row.points).map((p) => ({ tenant: row.tenant_id, runId: row.run_id, ...p }))
    )
  }
})

const expectedPoints = [...oldRows].sort(
  (a, b) =>
    a.tenant.localeCompare(b.tenant) || a.runId.localeCompare(b.runId) || a.key.localeCompare(b.key) || a.step - b.step
)

const checkConverted = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const { points, sizes } = yield* storedChunks
  assert.deepStrictEqual(points, expectedPoints)
  assert.deepStrictEqual(
    [...sizes].sort((a, b) => a - b),
    [1, 1, 500, 1000, 1000]
  )
  const oldTable = yield* sql.onDialectOrElse({
    pg: () => sql`SELECT table_name FROM information_schema.tables WHERE table_name = 'metrics'`,
    orElse: () => sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'metrics'`
  })
  assert.deepStrictEqual(oldTable, [], "the old table is gone")
})

describe("migration 11 (metric_chunks)", () => {
  it.scoped("on SQLite, converts every old metric row into chunks in history order", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("effect-mlops-chunks-migration")
      const Sqlite = SqliteClient.layer({ filename: path.join(dir, "mlops.db") })
      yield* seedOldRows.pipe(Effect.provide(Sqlite))
      yield* Effect.zipRight(migrate, checkConverted).pipe(Effect.provide(Layer.fresh(Sqlite)))
    })
  )

  it.scoped("on PostgreSQL, converts every tenant's old metric rows in SQL", () =>
    Effect.gen(function* () {
      const name = yield* freshDatabase
      const Pg = PgClient.layer({ url: Redacted.make(databaseUrl(name, "admin")) })
      yield* seedOldRows.pipe(Effect.provide(Pg))
      yield* Effect.zipRight(migrate, checkConverted).pipe(Effect.provide(Layer.fresh(Pg)))
    })
  )
})
