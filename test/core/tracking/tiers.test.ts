import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import fc from "fast-check"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import type { RunId } from "../../../src/core/tracking/model.js"
import { aggregateTiers, bucketWidth, type TierBucket, tierLevels } from "../../../src/core/tracking/tiers.js"
import type { MetricRow } from "../../../src/core/tracking/validate.js"
import { SqliteTest } from "../../support/sqlite.js"

/**
 * The definition of a tier bucket, folded point by point and level by level:
 * the first point with the smallest value, the first with the largest (NaN
 * ignored), the NaN with the smallest (step, timestamp), in input order.
 * `aggregateTiers` walks all levels in one pass and stops comparing early, so
 * it must agree with this on every input, ties and out-of-order steps included.
 */
const referenceTiers = (points: ReadonlyArray<MetricRow>, levels: ReadonlyArray<number>): Array<TierBucket> => {
  const out: Array<TierBucket> = []
  for (const level of levels) {
    const buckets = new Map<string, TierBucket>()
    for (const point of points) {
      const bucket = Math.floor(point.step / bucketWidth(level))
      const id = `${point.key}\u0000${bucket}`
      let entry = buckets.get(id)
      if (entry === undefined) {
        entry = { key: point.key, level, bucket, count: 0, min: undefined, max: undefined, nan: undefined }
        buckets.set(id, entry)
        out.push(entry)
      }
      entry.count++
      if (Number.isNaN(point.value)) {
        const nan = entry.nan
        if (
          nan === undefined ||
          point.step < nan.step ||
          (point.step === nan.step && point.timestamp < nan.timestamp)
        ) {
          entry.nan = point
        }
      } else {
        if (entry.min === undefined || point.value < entry.min.value) entry.min = point
        if (entry.max === undefined || point.value > entry.max.value) entry.max = point
      }
    }
  }
  return out
}

// Few keys, few distinct values (so ties are common), NaN and infinities, steps
// spanning several buckets of every level, in any order.
const point = fc.record({
  key: fc.constantFrom("a", "b", "c"),
  value: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -3, max: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) }
  ),
  step: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 3 * 32 ** 3 })),
  timestamp: fc.integer({ min: 0, max: 5 })
})

describe("aggregateTiers", () => {
  it("equals the point-by-point definition of a bucket on any batch", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 300 }), (points) => {
        assert.deepStrictEqual(aggregateTiers(points), referenceTiers(points, tierLevels))
      }),
      { numRuns: 300 }
    )
  })

  it("equals the definition for a single level, as the memory store asks", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 200 }), fc.constantFrom(1, 2, 3), (points, level) => {
        assert.deepStrictEqual(aggregateTiers(points, [level]), referenceTiers(points, [level]))
      }),
      { numRuns: 200 }
    )
  })

  it("keeps the point object itself, so the store writes the logged values", () => {
    const points: Array<MetricRow> = [
      { key: "a", value: 2, step: 1, timestamp: 0 },
      { key: "a", value: 1, step: 2, timestamp: 0 }
    ]
    const [level1] = aggregateTiers(points)
    assert.strictEqual(level1?.min, points[1])
    assert.strictEqual(level1?.max, points[0])
  })
})

const SqlTracker = ExperimentTracker.layer.pipe(Layer.provide(SqliteTest))

const newRun = Effect.gen(function* () {
  const tracker = yield* ExperimentTracker
  const { experimentId } = yield* tracker.createExperiment({ name: `tiers-${Math.random()}` })
  return (yield* tracker.createRun({ experimentId })).info.runId
})

const downsampled = (runId: RunId, window: { readonly startStep?: number; readonly endStep?: number }) =>
  Effect.flatMap(ExperimentTracker, (tracker) =>
    Effect.forEach([8, 40, 200], (maxPoints) =>
      Effect.map(tracker.getMetricHistory({ runId, key: "m", maxPoints, ...window }), (page) =>
        page.items.map((m) => [m.step, m.timestamp, m.value])
      )
    )
  )

describe("tiers kept at ingest (SQLite)", () => {
  // Each step once (a step logged twice with different timestamps may keep a
  // different NaN when its points arrive in different batches); values from a
  // small set so that min and max ties cross batch boundaries.
  const series = fc
    .uniqueArray(fc.integer({ min: 0, max: 40_000 }), { minLength: 2, maxLength: 600 })
    .chain((steps) =>
      fc.tuple(
        fc.constant(steps),
        fc.array(
          fc.oneof(
            { weight: 8, arbitrary: fc.integer({ min: -4, max: 4 }) },
            { weight: 1, arbitrary: fc.constant(Number.NaN) }
          ),
          { minLength: steps.length, maxLength: steps.length }
        ),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 })
      )
    )

  it.effect("batches merged into stored tiers answer downsampled history as one batch does", () =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const samples = fc.sample(series, { numRuns: 12, seed: 20261126 })
      for (const [steps, values, cuts] of samples) {
        const metrics = steps.map((step, i) => ({ key: "m", value: values[i]!, step, timestamp: i }))
        const once = yield* newRun
        yield* tracker.logBatch(once, { metrics })
        const chunked = yield* newRun
        let from = 0
        for (let c = 0; from < metrics.length; c++) {
          const size = cuts[c % cuts.length]!
          yield* tracker.logBatch(chunked, { metrics: metrics.slice(from, from + size) })
          from += size
        }
        const sorted = [...steps].sort((a, b) => a - b)
        const windows = [{}, { startStep: sorted[Math.floor(sorted.length / 3)]!, endStep: sorted[sorted.length - 1]! }]
        for (const window of windows) {
          assert.deepStrictEqual(yield* downsampled(chunked, window), yield* downsampled(once, window))
        }
      }
    }).pipe(Effect.provide(SqlTracker))
  )
})
