import { compareHistory, type MetricRow } from "./validate.js"

/**
 * The stored form of metric history: one row per (run, key, ingested batch)
 * holding that batch's points of the key as a block of IEEE doubles, instead
 * of one row per point. A 1000-point batch of five keys writes five rows, so
 * the B-tree work and the write-ahead log per batch shrink about tenfold (the
 * row-per-point table spent 2.1 ms of every 1000-point `log-batch` in its
 * INSERT and another 1 ms committing its pages; bench/ingest.ts).
 *
 * Layout, `count` points: every step, then every timestamp, then every value,
 * each an 8-byte big-endian double (network order, which PostgreSQL's
 * `float8send` also writes, so the migration converts old rows in SQL).
 * NaN and ±Infinity are stored as themselves. Steps and timestamps are safe
 * integers and round-trip exactly. Points are sorted by step, then
 * timestamp, ties in the order they were logged.
 */
export interface Chunk {
  readonly points: Uint8Array
  readonly count: number
  readonly minStep: number
  readonly maxStep: number
  readonly minTimestamp: number
  readonly maxTimestamp: number
}

const bytesPerPoint = 24

/** Encodes one key's points; `points` must be non-empty and in history order (see {@link inHistoryOrder}). */
export const encodeChunk = (points: ReadonlyArray<MetricRow>): Chunk => {
  const count = points.length
  const bytes = new Uint8Array(count * bytesPerPoint)
  const view = new DataView(bytes.buffer)
  let minTimestamp = Number.POSITIVE_INFINITY
  let maxTimestamp = Number.NEGATIVE_INFINITY
  for (let i = 0; i < count; i++) {
    const p = points[i]!
    view.setFloat64(i * 8, p.step)
    view.setFloat64((count + i) * 8, p.timestamp)
    view.setFloat64((2 * count + i) * 8, p.value)
    if (p.timestamp < minTimestamp) minTimestamp = p.timestamp
    if (p.timestamp > maxTimestamp) maxTimestamp = p.timestamp
  }
  return {
    points: bytes,
    count,
    minStep: points[0]!.step,
    maxStep: points[count - 1]!.step,
    minTimestamp,
    maxTimestamp
  }
}

/** Decodes a stored block of `key`'s points, keeping those `keep` accepts. */
export const decodeChunk = (
  key: string,
  bytes: Uint8Array,
  keep: (step: number, timestamp: number) => boolean = () => true
): Array<MetricRow> => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = bytes.byteLength / bytesPerPoint
  const out: Array<MetricRow> = []
  for (let i = 0; i < count; i++) {
    const step = view.getFloat64(i * 8)
    const timestamp = view.getFloat64((count + i) * 8)
    if (keep(step, timestamp)) out.push({ key, step, timestamp, value: view.getFloat64((2 * count + i) * 8) })
  }
  return out
}

/** Whether `points` are already in history order (the usual case: steps logged in order). */
const isSorted = (points: ReadonlyArray<MetricRow>): boolean => {
  for (let i = 1; i < points.length; i++) if (compareHistory(points[i - 1]!, points[i]!) > 0) return false
  return true
}

/**
 * `points` in history order: by step, then timestamp, ties in the given
 * order (the sort is stable). Sorted input is returned as is, without the
 * O(n log n) sort.
 */
export const inHistoryOrder = (points: ReadonlyArray<MetricRow>): ReadonlyArray<MetricRow> =>
  isSorted(points) ? points : [...points].sort(compareHistory)

/** A batch's points grouped by key, in order of first appearance, each group in history order. */
export const seriesOf = (
  points: ReadonlyArray<MetricRow>
): Array<{ readonly key: string; readonly points: ReadonlyArray<MetricRow> }> => {
  const byKey = new Map<string, Array<MetricRow>>()
  for (const point of points) {
    const group = byKey.get(point.key)
    if (group === undefined) byKey.set(point.key, [point])
    else group.push(point)
  }
  return Array.from(byKey, ([key, group]) => ({ key, points: inHistoryOrder(group) }))
}
