import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { decodeChunk } from "./chunks.js"
import type { MetricHistoryQuery } from "./model.js"
import { compareHistory, type MetricRow } from "./validate.js"

interface ChunkMeta {
  readonly chunkId: number | string
  readonly minStep: number | string
  readonly maxStep: number | string
}

/** A point and the chunk it was read from (its logging order among equal points). */
interface Located {
  readonly point: MetricRow
  readonly chunkId: number
}

type Window = Pick<MetricHistoryQuery, "runId" | "key" | "startStep" | "endStep" | "startTime" | "endTime">

interface DecodedChunk {
  readonly id: number
  readonly points: ReadonlyArray<MetricRow>
}

/** Whether concatenating the chunks (each already in history order) is in history order. */
const inChunkOrder = (chunks: ReadonlyArray<DecodedChunk>): boolean => {
  let previous: Located | undefined
  for (const chunk of chunks) {
    const first = chunk.points[0]
    if (first === undefined) continue
    if (previous !== undefined) {
      const order = compareHistory(previous.point, first)
      if (order > 0 || (order === 0 && previous.chunkId > chunk.id)) return false
    }
    previous = { point: chunk.points[chunk.points.length - 1]!, chunkId: chunk.id }
  }
  return true
}

/** History order across chunks; equal points keep the order they were logged in. */
const sortAcrossChunks = (chunks: ReadonlyArray<DecodedChunk>): Array<MetricRow> =>
  chunks
    .flatMap((chunk) => chunk.points.map((point, index) => ({ point, id: chunk.id, index })))
    .sort((a, b) => compareHistory(a.point, b.point) || a.id - b.id || a.index - b.index)
    .map((located) => located.point)

/**
 * Reads of one metric's history from `metric_chunks` (see chunks.ts): the
 * points of a step and time window in history order, as the row-per-point
 * table's `ORDER BY step, timestamp` returned them (ties in the order they
 * were logged), and the window's first and last point without decoding the
 * rest, for the downsampled charts that read tiers in between.
 */
export const makeHistoryReads = (sql: SqlClient.SqlClient) => {
  // A chunk overlaps the window when its step and time ranges do.
  const overlaps = (w: Window) =>
    sql.and([
      sql`run_id = ${w.runId}`,
      sql`key = ${w.key}`,
      ...(w.startStep === undefined ? [] : [sql`max_step >= ${w.startStep}`]),
      ...(w.endStep === undefined ? [] : [sql`min_step <= ${w.endStep}`]),
      ...(w.startTime === undefined ? [] : [sql`max_timestamp >= ${w.startTime}`]),
      ...(w.endTime === undefined ? [] : [sql`min_timestamp <= ${w.endTime}`])
    ])

  const inWindow =
    (w: Window) =>
    (step: number, timestamp: number): boolean =>
      (w.startStep === undefined || step >= w.startStep) &&
      (w.endStep === undefined || step <= w.endStep) &&
      (w.startTime === undefined || timestamp >= w.startTime) &&
      (w.endTime === undefined || timestamp <= w.endTime)

  /**
   * Every point of the window, in history order. Chunks come in index order
   * (by step range), which is history order whenever steps were logged in
   * order; otherwise the points are sorted, ties by the chunk logged first.
   */
  const points = (w: Window): Effect.Effect<ReadonlyArray<MetricRow>, SqlError> =>
    Effect.map(
      sql<{ readonly chunkId: number | string; readonly points: Uint8Array }>`SELECT chunk_id, points
        FROM metric_chunks WHERE ${overlaps(w)} ORDER BY min_step, max_step, chunk_id`,
      (rows) => {
        const keep = inWindow(w)
        const chunks = rows.map((row) => ({ id: Number(row.chunkId), points: decodeChunk(w.key, row.points, keep) }))
        return inChunkOrder(chunks) ? chunks.flatMap((c) => c.points) : sortAcrossChunks(chunks)
      }
    )

  const chunkPoints = (w: Window, chunkId: number) =>
    Effect.map(
      sql<{ readonly points: Uint8Array }>`SELECT points FROM metric_chunks WHERE chunk_id = ${chunkId}`,
      (rows) => (rows[0] === undefined ? [] : decodeChunk(w.key, rows[0].points, inWindow(w)))
    )

  /**
   * The window's extreme point in one direction: chunks are visited by how
   * far their step range reaches that way and decoded until no unvisited
   * chunk can hold a better point. Ties go to the chunk logged first (for
   * the first point) or last (for the last), as a stable sort would order them.
   */
  const extreme = (w: Window, chunks: ReadonlyArray<ChunkMeta>, direction: 1 | -1) =>
    Effect.gen(function* () {
      const reach = (c: ChunkMeta) => Number(direction === 1 ? c.minStep : c.maxStep)
      const ordered = [...chunks].sort(
        (a, b) => direction * (reach(a) - reach(b)) || direction * (Number(a.chunkId) - Number(b.chunkId))
      )
      let best: Located | undefined
      for (const chunk of ordered) {
        if (best !== undefined && direction * (reach(chunk) - best.point.step) > 0) break
        const found = yield* chunkPoints(w, Number(chunk.chunkId))
        const candidate = direction === 1 ? found[0] : found[found.length - 1]
        if (candidate === undefined) continue
        const located = { point: candidate, chunkId: Number(chunk.chunkId) }
        if (best === undefined) {
          best = located
          continue
        }
        const order = direction * compareHistory(candidate, best.point)
        if (order < 0 || (order === 0 && direction * (located.chunkId - best.chunkId) < 0)) best = located
      }
      return best?.point
    })

  /** The window's first and last point in history order, or undefined when it is empty. */
  const bounds = (
    w: Window
  ): Effect.Effect<{ readonly first: MetricRow; readonly last: MetricRow } | undefined, SqlError> =>
    Effect.gen(function* () {
      const chunks = yield* sql<ChunkMeta>`SELECT chunk_id, min_step, max_step FROM metric_chunks
        WHERE ${overlaps(w)}`
      const first = yield* extreme(w, chunks, 1)
      const last = yield* extreme(w, chunks, -1)
      return first === undefined || last === undefined ? undefined : { first, last }
    })

  return { points, bounds } as const
}
