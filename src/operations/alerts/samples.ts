import { Array as Arr, Duration, type MetricPair, MetricState, Option } from "effect"
import type { MetricSelector } from "./model.js"

/** One metric series at one instant: a counter's count, a gauge's value, or a histogram's cumulative buckets. */
export interface SeriesPoint {
  readonly name: string
  readonly tags: Readonly<Record<string, string>>
  readonly value: number
  /** Cumulative counts per finite upper bound, for histograms; the +Inf bucket is `value`. */
  readonly buckets: ReadonlyArray<readonly [number, number]>
}

/** One replica's snapshot, at one tick, of the metrics some rule reads. */
export interface Sample {
  readonly instance: string
  readonly at: number
  readonly points: ReadonlyArray<SeriesPoint>
}

interface IndexedSample {
  readonly at: number
  readonly points: ReadonlyMap<string, SeriesPoint>
}

const seriesId = (name: string, tags: Readonly<Record<string, string>>) =>
  `${name}{${Object.keys(tags)
    .sort()
    .map((key) => `${key}=${tags[key]}`)
    .join(",")}}`

const toPoint = (pair: MetricPair.MetricPair.Untyped): SeriesPoint | undefined => {
  const name = pair.metricKey.name
  const tags = Object.fromEntries(pair.metricKey.tags.map((tag) => [tag.key, tag.value]))
  const state = pair.metricState
  if (MetricState.isCounterState(state)) return { name, tags, value: Number(state.count), buckets: [] }
  if (MetricState.isGaugeState(state)) return { name, tags, value: Number(state.value), buckets: [] }
  if (MetricState.isHistogramState(state))
    return { name, tags, value: state.count, buckets: state.buckets.filter(([bound]) => Number.isFinite(bound)) }
  return undefined
}

/**
 * The sample of `pairs` (a metric registry snapshot) keeping only the
 * metrics named. Non-finite values (a gauge set to NaN) are left out: they
 * have no place in a sum and no JSON form for the other replicas.
 */
export const sampleOf = (
  instance: string,
  at: number,
  pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>,
  names: ReadonlySet<string>
): Sample => ({
  instance,
  at,
  points: pairs.flatMap((pair) => {
    const point = names.has(pair.metricKey.name) ? toPoint(pair) : undefined
    return point === undefined || !Number.isFinite(point.value) ? [] : [point]
  })
})

const matches = (point: SeriesPoint, selector: MetricSelector) =>
  point.name === selector.name && Object.entries(selector.tags).every(([key, value]) => point.tags[key] === value)

/** The alert series a point belongs to: its values of the `by` tags (`""` without grouping). */
const groupKey = (tags: Readonly<Record<string, string>>, by: ReadonlyArray<string>): string =>
  by.map((key) => `${key}=${tags[key] ?? ""}`).join(",")

/** Increase of a monotonic series over consecutive values, counting a drop as a reset to zero (as Prometheus does). */
const increaseOf = (values: ReadonlyArray<number>): number => {
  let total = 0
  for (let i = 1; i < values.length; i++) {
    const previous = values[i - 1] ?? 0
    const current = values[i] ?? 0
    total += current >= previous ? current - previous : current
  }
  return total
}

/**
 * Prometheus' `histogram_quantile` over cumulative bucket counts: linear
 * interpolation inside the bucket holding the rank; a rank in the +Inf bucket
 * yields the highest finite bound. `undefined` without observations.
 */
export const bucketQuantile = (
  quantile: number,
  buckets: ReadonlyArray<readonly [number, number]>,
  total: number
): number | undefined => {
  if (total <= 0) return undefined
  const rank = quantile * total
  let lowerBound = 0
  let lowerCount = 0
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return lowerBound
      if (count === lowerCount) return bound
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount)
    }
    lowerBound = bound
    lowerCount = count
  }
  return lowerBound
}

/**
 * The metric samples of every replica over the last `retention`
 * milliseconds, one per replica and evaluation tick. A window's increase is
 * computed per replica from its newest sample at or before `now - window` on,
 * then summed, so replicas need not tick in step. A series absent from a
 * sample counts as zero there: an Effect counter or histogram appears in the
 * registry with its first update, so before that it was zero.
 */
export class MetricHistory {
  private readonly replicas = new Map<string, Array<IndexedSample>>()

  constructor(
    /** How far back samples are kept: the longest window a rule reads, plus a margin. */
    private readonly retention: number,
    /** How old a replica's latest sample may be for its gauges to count in `current`. */
    private readonly staleAfter: number
  ) {}

  /** Adds a sample (a replica's sample already held is ignored) and forgets samples older than the retention. */
  add(sample: Sample): void {
    const samples = this.replicas.get(sample.instance) ?? []
    if (samples.some((held) => held.at === sample.at)) return
    samples.push({
      at: sample.at,
      points: new Map(sample.points.map((point) => [seriesId(point.name, point.tags), point]))
    })
    samples.sort((a, b) => a.at - b.at)
    const newest = samples.at(-1)?.at ?? sample.at
    this.replicas.set(
      sample.instance,
      samples.filter((held) => held.at >= newest - this.retention)
    )
  }

  /**
   * Each replica's samples over `[now - window, now]`, starting from its
   * newest sample at or before `now - window`: ticks drift and replicas tick
   * out of step, so without that baseline a window would miss the increase
   * between its start and its first sample (all of it when the window is no
   * longer than an interval).
   */
  private windowed(now: number, window: Duration.Duration): ReadonlyArray<ReadonlyArray<IndexedSample>> {
    const from = now - Duration.toMillis(window)
    return [...this.replicas.values()].map((samples) => {
      const upToNow = samples.filter((sample) => sample.at <= now)
      const baseline = Arr.findLastIndex(upToNow, (sample) => sample.at <= from)
      return upToNow.slice(Option.getOrElse(baseline, () => 0))
    })
  }

  /** Matching series of one replica's samples, grouped by alert series. */
  private grouped(samples: ReadonlyArray<IndexedSample>, selector: MetricSelector, by: ReadonlyArray<string>) {
    const ids = new Map<string, SeriesPoint>()
    for (const sample of samples)
      for (const [id, point] of sample.points) if (matches(point, selector) && !ids.has(id)) ids.set(id, point)
    const groups = new Map<string, Array<string>>()
    for (const [id, point] of ids) {
      const key = groupKey(point.tags, by)
      groups.set(key, [...(groups.get(key) ?? []), id])
    }
    return groups
  }

  /** The increase of the matching counters over `window`, summed over replicas, per alert series. */
  increase(
    selector: MetricSelector,
    window: Duration.Duration,
    now: number,
    by: ReadonlyArray<string> = []
  ): Map<string, number> {
    const result = new Map<string, number>()
    for (const samples of this.windowed(now, window))
      for (const [key, ids] of this.grouped(samples, selector, by)) {
        let total = result.get(key) ?? 0
        for (const id of ids) total += increaseOf(samples.map((sample) => sample.points.get(id)?.value ?? 0))
        result.set(key, total)
      }
    return result
  }

  /**
   * The latest value of the matching series (counter count or gauge value),
   * summed over the replicas whose latest sample is not stale, per alert series.
   */
  current(selector: MetricSelector, now: number, by: ReadonlyArray<string> = []): Map<string, number> {
    const result = new Map<string, number>()
    for (const samples of this.replicas.values()) {
      const last = samples.at(-1)
      if (last === undefined || last.at < now - this.staleAfter) continue
      for (const [key, ids] of this.grouped([last], selector, by))
        result.set(
          key,
          ids.reduce((total, id) => total + (last.points.get(id)?.value ?? 0), result.get(key) ?? 0)
        )
    }
    return result
  }

  /** The `quantile` of the observations the matching histograms of every replica received within `window`, per alert series. */
  quantile(
    selector: MetricSelector,
    quantile: number,
    window: Duration.Duration,
    now: number,
    by: ReadonlyArray<string> = []
  ): Map<string, number> {
    const merged = new Map<string, { total: number; buckets: Map<number, number> }>()
    for (const samples of this.windowed(now, window)) {
      const first = samples[0]
      const last = samples.at(-1)
      if (first === undefined || last === undefined) continue
      for (const [key, ids] of this.grouped(samples, selector, by)) {
        const group = merged.get(key) ?? { total: 0, buckets: new Map<number, number>() }
        for (const id of ids) {
          const end = last.points.get(id)
          if (end === undefined) continue
          const start = first === last ? undefined : first.points.get(id)
          // A histogram recreated inside the window restarts from zero: count all it holds.
          const base = start !== undefined && start.value <= end.value ? start : undefined
          group.total += end.value - (base?.value ?? 0)
          end.buckets.forEach(([bound, count], index) => {
            group.buckets.set(bound, (group.buckets.get(bound) ?? 0) + count - (base?.buckets[index]?.[1] ?? 0))
          })
        }
        merged.set(key, group)
      }
    }
    const result = new Map<string, number>()
    for (const [key, group] of merged) {
      const value = bucketQuantile(
        quantile,
        [...group.buckets].sort(([a], [b]) => a - b),
        group.total
      )
      if (value !== undefined) result.set(key, value)
    }
    return result
  }
}
