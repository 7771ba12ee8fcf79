import { lttb } from "./downsample.js"
import type { MetricRow } from "./validate.js"

/**
 * Downsampling tiers for metric charts (MinMax-LTTB: Van Der Donckt et al.,
 * 2023). Level L groups steps into buckets of 32^L steps and keeps, per
 * bucket, the point with the smallest value, the point with the largest value
 * and the first NaN. A chart of N points over a step range reads the coarsest
 * level that still has N/2 buckets there (each gives two candidates) and runs
 * LTTB on those candidates — a million-point series costs about a thousand
 * rows, not a million. Base 32 keeps the rows written per ingested batch low
 * (about 9 per key for 200 consecutive steps), which counts in the ingest
 * rate. The SQL store maintains the tiers at ingest; the memory store
 * computes the same candidates from its points, so both answer alike.
 */
export const tierLevels = [1, 2, 3] as const

export const bucketWidth = (level: number): number => 32 ** level

/** One bucket of one level: its min and max points and its first NaN. */
export interface TierBucket {
  readonly key: string
  readonly level: number
  readonly bucket: number
  count: number
  min: MetricRow | undefined
  max: MetricRow | undefined
  nan: MetricRow | undefined
}

const earlier = (a: MetricRow, b: MetricRow) => a.step < b.step || (a.step === b.step && a.timestamp < b.timestamp)

/** Folds a point into a bucket (min/max ignore NaN; the first NaN is kept on its own). */
const addToBucket = (bucket: TierBucket, point: MetricRow): void => {
  bucket.count++
  if (Number.isNaN(point.value)) {
    if (bucket.nan === undefined || earlier(point, bucket.nan)) bucket.nan = point
    return
  }
  if (bucket.min === undefined || point.value < bucket.min.value) bucket.min = point
  if (bucket.max === undefined || point.value > bucket.max.value) bucket.max = point
}

/**
 * The buckets of `levels` touched by `points`, aggregated (one ingest batch,
 * or a window in memory). Runs on every `logBatch`, so it allocates little:
 * points of one key usually arrive in step order, so each (level, key) keeps
 * its current bucket and only a change of bucket costs a map lookup.
 */
export const aggregateTiers = (
  points: ReadonlyArray<MetricRow>,
  levels: ReadonlyArray<number> = tierLevels
): Array<TierBucket> => {
  const out: Array<TierBucket> = []
  for (const level of levels) {
    const width = bucketWidth(level)
    const current = new Map<string, TierBucket>()
    // Every bucket of this level so far: out-of-order points may return to an earlier one.
    const seen = new Map<string, TierBucket>()
    for (const point of points) {
      const bucket = Math.floor(point.step / width)
      let entry = current.get(point.key)
      if (entry === undefined || entry.bucket !== bucket) {
        const id = `${point.key}\u0000${bucket}`
        entry = seen.get(id)
        if (entry === undefined) {
          entry = { key: point.key, level, bucket, count: 0, min: undefined, max: undefined, nan: undefined }
          seen.set(id, entry)
          out.push(entry)
        }
        current.set(point.key, entry)
      }
      addToBucket(entry, point)
    }
  }
  return out
}

/**
 * The coarsest level with at least `maxPoints / 2` buckets over the step
 * range, or 0 when the range is small enough to read raw points (fewer than
 * 16 steps per requested point).
 */
export const chooseLevel = (firstStep: number, lastStep: number, maxPoints: number): number => {
  const range = lastStep - firstStep + 1
  let chosen = 0
  for (const level of tierLevels) {
    if (range / bucketWidth(level) >= maxPoints / 2) chosen = level
  }
  return chosen
}

const byStep = (a: MetricRow, b: MetricRow) => a.step - b.step || a.timestamp - b.timestamp

/**
 * Downsamples candidates (bucket extremes plus the window's first and last
 * point) to at most `maxPoints` with LTTB, keeping the first and last point.
 */
export const downsampleCandidates = (
  candidates: ReadonlyArray<MetricRow>,
  maxPoints: number
): ReadonlyArray<MetricRow> => {
  const sorted = [...candidates].sort(byStep)
  const unique = sorted.filter(
    (p, i) =>
      i === 0 ||
      p.step !== sorted[i - 1]!.step ||
      p.timestamp !== sorted[i - 1]!.timestamp ||
      !Object.is(p.value, sorted[i - 1]!.value)
  )
  return lttb(unique, maxPoints)
}

/** The points a bucket contributes as candidates. */
export const bucketPoints = (bucket: Pick<TierBucket, "min" | "max" | "nan">): Array<MetricRow> =>
  [bucket.min, bucket.max, bucket.nan].filter((p): p is MetricRow => p !== undefined)

/** The in-memory equivalent of a tiered read: a window of raw points (sorted by step) to at most `maxPoints`. */
export const downsampleWindow = (window: ReadonlyArray<MetricRow>, maxPoints: number): ReadonlyArray<MetricRow> => {
  const first = window[0]
  const last = window[window.length - 1]
  if (first === undefined || last === undefined) return []
  const level = chooseLevel(first.step, last.step, maxPoints)
  if (level === 0) return lttb(window, maxPoints)
  const candidates = aggregateTiers(window, [level]).flatMap(bucketPoints)
  return downsampleCandidates([first, ...candidates, last], maxPoints)
}
