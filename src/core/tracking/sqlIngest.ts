import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { Connection } from "@effect/sql/SqlConnection"
import { Effect } from "effect"
import type { DirectStatements } from "../../storage/direct.js"
import { type Chunk, decodeChunk, encodeChunk, seriesOf } from "./chunks.js"
import { aggregateTiers, type TierBucket } from "./tiers.js"
import { compareHistory, isNewerMetric, type MetricRow } from "./validate.js"

/** Points a chunk may reach by absorbing small appends (about 6 KB). */
const appendCap = 256
/** A series' points in one batch below this count try to join its newest chunk; larger groups are chunks already. */
const smallAppend = 32

/**
 * The SQL write path of metric points: the append-only `metric_chunks` rows
 * (one per key of a batch, see chunks.ts), the chart tiers and
 * `latest_metrics`, run inside the caller's transaction.
 *
 * This is the ingest hot path (bench/ingest.ts). Compiling `sql.insert(rows)`
 * for a thousand row objects ran at about half the driver's rate, so each
 * statement here is a constant text per row count, built once, with a flat
 * parameter array: the driver's prepared-statement cache stays hot and the
 * statement compiler is skipped. A whole batch (at most 1000 keys × 8
 * columns) is one INSERT, well below SQLite's 32,766 bound parameters.
 *
 * The statements go to the transaction's connection itself
 * (storage/direct.ts), not through `sql.unsafe`, which cost 3–8% of the
 * one-run ingest rate (bench/ingest.ts).
 */
export const makeIngest = (sql: SqlClient.SqlClient, direct: DirectStatements) => {
  const { placeholder, valuesText, withConnection } = direct

  const chunkInsert = (rows: number) =>
    valuesText(
      "INSERT INTO metric_chunks (run_id, key, count, min_step, max_step, min_timestamp, max_timestamp, points)",
      8,
      rows
    )

  // Keep the newer point: larger step, then timestamp, then value (a NaN never replaces a number).
  const latestUpsert = (rows: number) =>
    valuesText(
      "INSERT INTO latest_metrics AS l (run_id, key, step, timestamp, value, is_nan)",
      6,
      rows,
      `ON CONFLICT (run_id, key) DO UPDATE SET
        step = excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan = excluded.is_nan
      WHERE excluded.step > l.step OR (excluded.step = l.step AND (excluded.timestamp > l.timestamp
        OR (excluded.timestamp = l.timestamp AND excluded.is_nan = 0 AND (l.is_nan = 1 OR excluded.value > l.value))))`
    )

  // Merging a batch's buckets into stored ones: keep the smaller min, the larger max, the earlier NaN.
  const takeMin = "excluded.min_value IS NOT NULL AND (t.min_value IS NULL OR excluded.min_value < t.min_value)"
  const takeMax = "excluded.max_value IS NOT NULL AND (t.max_value IS NULL OR excluded.max_value > t.max_value)"
  const takeNan = "excluded.nan_step IS NOT NULL AND (t.nan_step IS NULL OR excluded.nan_step < t.nan_step)"
  const pick = (condition: string, columns: ReadonlyArray<string>) =>
    columns.map((c) => `${c} = CASE WHEN ${condition} THEN excluded.${c} ELSE t.${c} END`).join(", ")
  const tierUpsert = (rows: number) =>
    valuesText(
      `INSERT INTO metric_tiers AS t (run_id, key, level, bucket, count, min_step, min_timestamp, min_value,
        max_step, max_timestamp, max_value, nan_step, nan_timestamp)`,
      13,
      rows,
      `ON CONFLICT (run_id, key, level, bucket) DO UPDATE SET count = t.count + excluded.count,
        ${pick(takeMin, ["min_step", "min_timestamp", "min_value"])},
        ${pick(takeMax, ["max_step", "max_timestamp", "max_value"])},
        ${pick(takeNan, ["nan_step", "nan_timestamp"])}`
    )

  // Both drivers bind a Buffer as a BLOB (bytea); a bare Uint8Array is refused by better-sqlite3.
  const blob = (chunk: Chunk) => Buffer.from(chunk.points.buffer, chunk.points.byteOffset, chunk.points.byteLength)

  const chunkParams = (runId: string, chunks: ReadonlyArray<{ readonly key: string; readonly chunk: Chunk }>) => {
    const params: Array<string | number | Buffer> = new Array(chunks.length * 8)
    let i = 0
    for (const { chunk, key } of chunks) {
      params[i++] = runId
      params[i++] = key
      params[i++] = chunk.count
      params[i++] = chunk.minStep
      params[i++] = chunk.maxStep
      params[i++] = chunk.minTimestamp
      params[i++] = chunk.maxTimestamp
      params[i++] = blob(chunk)
    }
    return params
  }

  // The series' newest chunk, locked on PostgreSQL so that concurrent appends to it serialise.
  const newestText = `SELECT chunk_id, count, points FROM metric_chunks WHERE run_id = ${placeholder(1)}
    AND key = ${placeholder(2)} ORDER BY chunk_id DESC LIMIT 1${sql.onDialectOrElse({ pg: () => " FOR UPDATE", orElse: () => "" })}`
  const rewriteText = `UPDATE metric_chunks SET count = ${placeholder(1)}, max_step = ${placeholder(2)},
    min_timestamp = ${placeholder(3)}, max_timestamp = ${placeholder(4)}, points = ${placeholder(5)}
    WHERE chunk_id = ${placeholder(6)}`

  /**
   * Appends a few points of one series to its newest chunk when they follow
   * its last point and it stays under {@link appendCap} points; answers
   * whether it did. Only appends of fewer than {@link smallAppend} points
   * try, so large batches pay no lookup. Clients that log one point per
   * request (MLflow's `log-metric`) would otherwise leave one chunk per point,
   * and a history read of 20,000 such points took 6–10 times as long as of
   * batched ones.
   * The newest chunk is the one logged last, so points equal in step and
   * timestamp keep their logging order.
   */
  const appendToNewest = (connection: Connection, runId: string, key: string, points: ReadonlyArray<MetricRow>) =>
    Effect.gen(function* () {
      if (points.length >= smallAppend) return false
      const [newest] = (yield* connection.execute(newestText, [runId, key], undefined)) as ReadonlyArray<{
        readonly chunk_id: number | string
        readonly count: number | string
        readonly points: Uint8Array
      }>
      if (newest === undefined || Number(newest.count) + points.length > appendCap) return false
      const stored = decodeChunk(key, newest.points)
      if (compareHistory(stored[stored.length - 1]!, points[0]!) > 0) return false
      const merged = encodeChunk([...stored, ...points])
      yield* connection.execute(
        rewriteText,
        [merged.count, merged.maxStep, merged.minTimestamp, merged.maxTimestamp, blob(merged), newest.chunk_id],
        undefined
      )
      return true
    })

  /** Stores a batch's points: small in-order appends join their series' newest chunk, the rest become new chunks. */
  const writeChunks = (connection: Connection, runId: string, points: ReadonlyArray<MetricRow>) =>
    Effect.gen(function* () {
      const fresh: Array<{ readonly key: string; readonly chunk: Chunk }> = []
      for (const series of seriesOf(points)) {
        if (!(yield* appendToNewest(connection, runId, series.key, series.points))) {
          fresh.push({ key: series.key, chunk: encodeChunk(series.points) })
        }
      }
      if (fresh.length > 0) yield* connection.execute(chunkInsert(fresh.length), chunkParams(runId, fresh), undefined)
    })

  // NaN is stored as 0 with is_nan = 1 (SQLite turns NaN into NULL).
  const pointParams = (runId: string, points: ReadonlyArray<MetricRow>) => {
    const params: Array<string | number> = new Array(points.length * 6)
    let i = 0
    for (const p of points) {
      const nan = Number.isNaN(p.value)
      params[i++] = runId
      params[i++] = p.key
      params[i++] = p.step
      params[i++] = p.timestamp
      params[i++] = nan ? 0 : p.value
      params[i++] = nan ? 1 : 0
    }
    return params
  }

  const tierParams = (runId: string, buckets: ReadonlyArray<TierBucket>) => {
    const params: Array<string | number | null> = new Array(buckets.length * 13)
    let i = 0
    for (const b of buckets) {
      params[i++] = runId
      params[i++] = b.key
      params[i++] = b.level
      params[i++] = b.bucket
      params[i++] = b.count
      params[i++] = b.min?.step ?? null
      params[i++] = b.min?.timestamp ?? null
      params[i++] = b.min?.value ?? null
      params[i++] = b.max?.step ?? null
      params[i++] = b.max?.timestamp ?? null
      params[i++] = b.max?.value ?? null
      params[i++] = b.nan?.step ?? null
      params[i++] = b.nan?.timestamp ?? null
    }
    return params
  }

  const lifecycleText = `SELECT lifecycle_stage FROM runs WHERE run_id = ${placeholder(1)}`

  /** The run's lifecycle stage, or undefined when there is no such run. */
  const lifecycleStage = (runId: string): Effect.Effect<string | undefined, SqlError> =>
    Effect.map(
      direct.execute(lifecycleText, [runId]),
      (rows) => (rows[0] as { readonly lifecycle_stage: string } | undefined)?.lifecycle_stage
    )

  /** Appends a validated batch of at most 1000 points and updates tiers and latest values. */
  const writePoints = (runId: string, points: ReadonlyArray<MetricRow>): Effect.Effect<void, SqlError> =>
    withConnection((connection) =>
      Effect.gen(function* () {
        const latest = new Map<string, MetricRow>()
        for (const point of points) {
          const current = latest.get(point.key)
          if (current === undefined || isNewerMetric(point, current)) latest.set(point.key, point)
        }
        yield* writeChunks(connection, runId, points)
        const buckets = aggregateTiers(points)
        // A bucket row has 13 parameters: 1000 rows stay below SQLite's bound.
        for (let start = 0; start < buckets.length; start += 1000) {
          const chunk = buckets.slice(start, start + 1000)
          yield* connection.execute(tierUpsert(chunk.length), tierParams(runId, chunk), undefined)
        }
        yield* connection.execute(latestUpsert(latest.size), pointParams(runId, Array.from(latest.values())), undefined)
      })
    )

  return { lifecycleStage, writePoints } as const
}
