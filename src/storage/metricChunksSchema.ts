import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { encodeChunk } from "../core/tracking/chunks.js"
import { isolateTenant, run, tenant } from "./schema.js"

/** Points per chunk when existing rows are converted (an ingested batch holds at most 1000). */
const pointsPerChunk = 1000

// Metric history as one row per (run, key, ingested batch) with the points
// packed (src/core/tracking/chunks.ts). The first index covers what the first
// and last point of a window need, so those never read a block they skip; the
// second finds a series' newest chunk, which small appends join.
const createChunks = run((t) => [
  `CREATE TABLE metric_chunks (
    chunk_id ${t.serial},
    run_id TEXT NOT NULL,
    key TEXT NOT NULL,
    count ${t.int} NOT NULL,
    min_step ${t.int} NOT NULL,
    max_step ${t.int} NOT NULL,
    min_timestamp ${t.int} NOT NULL,
    max_timestamp ${t.int} NOT NULL,
    points ${t.dialect === "pg" ? "BYTEA" : "BLOB"} NOT NULL,
    ${tenant}
  )`,
  "CREATE INDEX metric_chunks_by_series ON metric_chunks (run_id, key, min_step, max_step)",
  "CREATE INDEX metric_chunks_newest ON metric_chunks (run_id, key, chunk_id)"
])

// SQLite has no function that packs doubles, so the rows are converted here,
// a chunk at a time in the order the old history read them (keyset over its
// index, so memory stays bounded whatever a series' length). Rows are read as
// value arrays and written with snake_case names, so the conversion does not
// depend on the client's name transforms.
type OldPoint = readonly [step: number, timestamp: number, value: number, isNan: number, rowid: number]

const convertSqlite = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const series = yield* sql`SELECT DISTINCT tenant_id, run_id, key FROM metrics`.values
  for (const [tenantId, runId, key] of series as ReadonlyArray<readonly [string, string, string]>) {
    let after: OldPoint | undefined
    do {
      const rows = (yield* sql`SELECT step, timestamp, value, is_nan, rowid FROM metrics
        WHERE run_id = ${runId} AND key = ${key}
          ${after === undefined ? sql`` : sql`AND (step, timestamp, rowid) > (${after[0]}, ${after[1]}, ${after[4]})`}
        ORDER BY step, timestamp, rowid LIMIT ${pointsPerChunk}`.values) as ReadonlyArray<OldPoint>
      after = rows.length === pointsPerChunk ? rows[rows.length - 1] : undefined
      if (rows.length === 0) break
      const chunk = encodeChunk(
        rows.map(([step, timestamp, value, isNan]) => ({
          key,
          step: Number(step),
          timestamp: Number(timestamp),
          value: isNan ? Number.NaN : Number(value)
        }))
      )
      yield* sql`INSERT INTO metric_chunks ${sql.insert({
        tenant_id: tenantId,
        run_id: runId,
        key,
        count: chunk.count,
        min_step: chunk.minStep,
        max_step: chunk.maxStep,
        min_timestamp: chunk.minTimestamp,
        max_timestamp: chunk.maxTimestamp,
        points: Buffer.from(chunk.points)
      })}`
    } while (after !== undefined)
  }
})

// PostgreSQL packs in SQL: `float8send` writes the big-endian doubles the
// layout uses. The migration role owns the tables, so lifting FORCE on the
// table being dropped lets it read every tenant's rows.
const convertPg = [
  "ALTER TABLE metrics NO FORCE ROW LEVEL SECURITY",
  `INSERT INTO metric_chunks (tenant_id, run_id, key, count, min_step, max_step, min_timestamp, max_timestamp, points)
  SELECT tenant_id, run_id, key, COUNT(*), MIN(step), MAX(step), MIN(timestamp), MAX(timestamp),
    string_agg(float8send(step::float8), ''::bytea ORDER BY step, timestamp)
      || string_agg(float8send(timestamp::float8), ''::bytea ORDER BY step, timestamp)
      || string_agg(float8send(CASE WHEN is_nan = 1 THEN 'NaN'::float8 ELSE value END), ''::bytea
        ORDER BY step, timestamp)
  FROM (SELECT m.*, (ROW_NUMBER() OVER (PARTITION BY tenant_id, run_id, key ORDER BY step, timestamp) - 1)
      / ${pointsPerChunk} AS chunk FROM metrics m) numbered
  GROUP BY tenant_id, run_id, key, chunk
  ORDER BY tenant_id, run_id, key, chunk`
]

/** Migration 11: the row-per-point `metrics` table becomes `metric_chunks`. */
export const metricChunks = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* createChunks
  yield* sql.onDialectOrElse({
    pg: () => run(() => [...convertPg, ...isolateTenant("metric_chunks")]),
    orElse: () => convertSqlite
  })
  yield* sql`DROP TABLE metrics`
})
