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

/**
 * The buckets of `levels` touched by `points`, aggregated (one ingest batch,
 * or a window in memory), level by level in order of first touch. Runs on
 * every `logBatch`, so it allocates and looks up little: one map lookup per
 * point finds its key's current bucket at every level, and only a change of
 * bucket (points of one key usually arrive in step order) costs another.
 *
 * Levels come in increasing order and nest (a bucket of one level lies
 * inside one bucket of the next), so a point that is not a new min (max,
 * first NaN) of its bucket at one level cannot be one at the coarser levels
 * either: the comparisons stop there.
 */
export const aggregateTiers = (
  points: ReadonlyArray<MetricRow>,
  levels: ReadonlyArray<number> = tierLevels
): Array<TierBucket> => {
  const depth = levels.length
  const widths = levels.map(bucketWidth)
  const perLevel: Array<Array<TierBucket>> = levels.map(() => [])
  // Per key, its current bucket at each level.
  const current = new Map<string, Array<TierBucket | undefined>>()
  // Every bucket so far, by level, key and bucket: out-of-order points may return to an earlier one.
  const seen = new Map<string, TierBucket>()
  for (const point of points) {
    let entries = current.get(point.key)
    if (entries === undefined) {
      entries = new Array<TierBucket | undefined>(depth)
      current.set(point.key, entries)
    }
    const nan = Number.isNaN(point.value)
    let minCandidate = !nan
    let maxCandidate = !nan
    let nanCandidate = nan
    for (let l = 0; l < depth; l++) {
      const bucket = Math.floor(point.step / widths[l]!)
      let entry = entries[l]
      if (entry === undefined || entry.bucket !== bucket) {
        const level = levels[l]!
        const id = `${level}\u0000${point.key}\u0000${bucket}`
        entry = seen.get(id)
        if (entry === undefined) {
          entry = { key: point.key, level, bucket, count: 0, min: undefined, max: undefined, nan: undefined }
          seen.set(id, entry)
          perLevel[l]!.push(entry)
        }
        entries[l] = entry
      }
      entry.count++
      if (minCandidate) {
        if (entry.min === undefined || point.value < entry.min.value) entry.min = point
        else minCandidate = false
      }
      if (maxCandidate) {
        if (entry.max === undefined || point.value > entry.max.value) entry.max = point
        else maxCandidate = false
      }
      if (nanCandidate) {
        if (entry.nan === undefined || earlier(point, entry.nan)) entry.nan = point
        else nanCandidate = false
      }
    }
  }
  return depth === 1 ? perLevel[0]! : perLevel.flat()
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
