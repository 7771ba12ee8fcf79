import { randomUUID } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Metric, MetricBoundaries } from "effect"
import { burnRate } from "../../../src/operations/alerts/evaluate.js"
import { BurnRateRule } from "../../../src/operations/alerts/model.js"
import { bucketQuantile, MetricHistory, sampleOf } from "../../../src/operations/alerts/samples.js"

/** A metric name no other test uses: Effect's metric registry is global to the process. */
const unique = (base: string) => `${base}_${randomUUID().slice(0, 8)}`

const minute = 60_000

const hour = 60 * minute

/** Records the whole metric registry as replica `instance`'s sample at minute `at`. */
const sampleAt = (history: MetricHistory, at: number, instance = "local") =>
  Effect.map(Metric.snapshot, (pairs) =>
    history.add(sampleOf(instance, at * minute, pairs, new Set(pairs.map((pair) => pair.metricKey.name))))
  )

describe("MetricHistory", () => {
  it.effect("the increase over a window sums the matching series, a series that appears later starting at zero", () =>
    Effect.gen(function* () {
      const name = unique("requests_total")
      const requests = Metric.counter(name)
      const history = new MetricHistory(hour, hour)
      yield* Metric.incrementBy(Metric.tagged(requests, "status", "200"), 10)
      yield* sampleAt(history, 0)
      yield* Metric.incrementBy(Metric.tagged(requests, "status", "200"), 5)
      yield* Metric.incrementBy(Metric.tagged(requests, "status", "500"), 3)
      yield* sampleAt(history, 1)
      assert.strictEqual(history.increase({ name, tags: {} }, Duration.minutes(1), minute).get(""), 8)
      assert.strictEqual(history.increase({ name, tags: { status: "500" } }, Duration.minutes(1), minute).get(""), 3)
    })
  )

  it.effect("only samples inside the window count, from the newest sample at or before its start", () =>
    Effect.gen(function* () {
      const name = unique("jobs_total")
      const jobs = Metric.counter(name)
      const history = new MetricHistory(hour, hour)
      for (const [minuteAt, added] of [
        [0, 0],
        [1, 100],
        [2, 1],
        [3, 2]
      ] as const) {
        yield* Metric.incrementBy(jobs, added)
        yield* sampleAt(history, minuteAt)
      }
      assert.strictEqual(history.increase({ name, tags: {} }, Duration.minutes(2), 3 * minute).get(""), 3)
      assert.strictEqual(history.increase({ name, tags: {} }, Duration.minutes(3), 3 * minute).get(""), 103)
    })
  )

  it.effect("a window whose start falls between drifting ticks counts from the sample before it", () =>
    Effect.gen(function* () {
      const name = unique("drift_jobs_total")
      const jobs = Metric.counter(name)
      const history = new MetricHistory(hour, hour)
      // Spaced ticks drift by the time each tick takes: here 0.01 minute.
      for (const [minuteAt, added] of [
        [0, 0],
        [1.01, 100],
        [2.02, 1],
        [3.03, 2]
      ] as const) {
        yield* Metric.incrementBy(jobs, added)
        yield* sampleAt(history, minuteAt)
      }
      assert.strictEqual(history.increase({ name, tags: {} }, Duration.minutes(2), 3.03 * minute).get(""), 3)
      assert.strictEqual(history.increase({ name, tags: {} }, Duration.minutes(1), 3.03 * minute).get(""), 2)
    })
  )

  it.effect("a counter that drops is taken as reset to zero, as Prometheus does", () =>
    Effect.gen(function* () {
      const name = unique("restarts_total")
      const counter = Metric.counter(name)
      const history = new MetricHistory(hour, hour)
      yield* Metric.incrementBy(counter, 50)
      yield* sampleAt(history, 0)
      yield* Metric.incrementBy(counter, -46)
      yield* sampleAt(history, 1)
      // 50 -> 4 is a reset followed by 4 new events.
      assert.strictEqual(history.increase({ name, tags: {} }, Duration.minutes(1), minute).get(""), 4)
    })
  )

  it.effect("`by` tags split the matching series into one alert series per value", () =>
    Effect.gen(function* () {
      const name = unique("errors_total")
      const errors = Metric.counter(name)
      const history = new MetricHistory(hour, hour)
      yield* sampleAt(history, 0)
      yield* Metric.incrementBy(errors.pipe(Metric.tagged("route", "/a"), Metric.tagged("status", "500")), 2)
      yield* Metric.incrementBy(errors.pipe(Metric.tagged("route", "/a"), Metric.tagged("status", "503")), 1)
      yield* Metric.incrementBy(errors.pipe(Metric.tagged("route", "/b"), Metric.tagged("status", "500")), 7)
      yield* sampleAt(history, 1)
      assert.deepStrictEqual([...history.increase({ name, tags: {} }, Duration.minutes(1), minute, ["route"])].sort(), [
        ["route=/a", 3],
        ["route=/b", 7]
      ])
    })
  )

  it.effect("increases are summed over replicas, each from its own samples", () =>
    Effect.gen(function* () {
      const name = unique("replica_requests_total")
      const requests = Metric.counter(name)
      const history = new MetricHistory(hour, hour)
      // One registry stands in for two processes: each replica's samples are taken at its own times.
      yield* Metric.incrementBy(requests, 100)
      yield* sampleAt(history, 0, "a")
      yield* Metric.incrementBy(requests, 5)
      yield* sampleAt(history, 1, "a")
      yield* sampleAt(history, 0.5, "b")
      yield* Metric.incrementBy(requests, 2)
      yield* sampleAt(history, 1.5, "b")
      assert.strictEqual(history.increase({ name, tags: {} }, Duration.minutes(2), 1.5 * minute).get(""), 5 + 2)
    })
  )

  it.effect("a replica whose latest sample is stale no longer counts towards the current value", () =>
    Effect.gen(function* () {
      const name = unique("replica_gauge")
      yield* Metric.set(Metric.gauge(name), 3)
      const history = new MetricHistory(hour, 2 * minute)
      yield* sampleAt(history, 0, "gone")
      yield* sampleAt(history, 4, "alive")
      assert.strictEqual(history.current({ name, tags: {} }, 4 * minute).get(""), 3)
    })
  )

  it.effect("a gauge without a finite value is left out of samples", () =>
    Effect.gen(function* () {
      const name = unique("ratio")
      yield* Metric.set(Metric.tagged(Metric.gauge(name), "part", "a"), Number.NaN)
      yield* Metric.set(Metric.tagged(Metric.gauge(name), "part", "b"), 0.5)
      const sample = sampleOf("local", 0, yield* Metric.snapshot, new Set([name]))
      assert.deepStrictEqual(
        sample.points.map((point) => point.tags),
        [{ part: "b" }]
      )
    })
  )

  it.effect("the current value sums the latest gauges", () =>
    Effect.gen(function* () {
      const name = unique("queue_depth")
      const depth = Metric.gauge(name)
      const history = new MetricHistory(hour, hour)
      yield* Metric.set(Metric.tagged(depth, "queue", "a"), 4)
      yield* Metric.set(Metric.tagged(depth, "queue", "b"), 6)
      yield* sampleAt(history, 0)
      assert.strictEqual(history.current({ name, tags: {} }, 0).get(""), 10)
    })
  )

  it.effect("a histogram quantile covers only the observations made within the window", () =>
    Effect.gen(function* () {
      const name = unique("latency_seconds")
      const latency = Metric.histogram(name, MetricBoundaries.fromIterable([0.1, 0.5, 1, 5]))
      const history = new MetricHistory(hour, hour)
      for (let i = 0; i < 100; i++) yield* Metric.update(latency, 4)
      yield* sampleAt(history, 0)
      for (let i = 0; i < 100; i++) yield* Metric.update(latency, 0.05)
      yield* sampleAt(history, 1)
      // All 100 recent observations fall in the first bucket (0, 0.1]: the median interpolates to 0.05.
      const median = history.quantile({ name, tags: {} }, 0.5, Duration.minutes(1), minute).get("")
      assert.closeTo(median ?? Number.NaN, 0.05, 1e-9)
    })
  )
})

describe("bucketQuantile", () => {
  it("interpolates linearly inside the bucket holding the rank", () => {
    // 10 observations <= 1, 30 in (1, 2]: the 0.5 rank (20) lies a third into the second bucket.
    assert.closeTo(
      bucketQuantile(
        0.5,
        [
          [1, 10],
          [2, 40],
          [Number.POSITIVE_INFINITY, 40]
        ],
        40
      ) ?? Number.NaN,
      1 + 1 / 3,
      1e-9
    )
  })

  it("a rank in the +Inf bucket yields the highest finite bound", () => {
    assert.strictEqual(
      bucketQuantile(
        0.99,
        [
          [1, 10],
          [2, 20],
          [Number.POSITIVE_INFINITY, 100]
        ],
        100
      ),
      2
    )
  })

  it("has no value without observations", () => {
    assert.isUndefined(bucketQuantile(0.5, [[1, 0]], 0))
  })
})

describe("burnRate", () => {
  it.effect("is the error ratio over the window divided by the error budget", () =>
    Effect.gen(function* () {
      const errorsName = unique("slo_errors_total")
      const totalName = unique("slo_requests_total")
      const history = new MetricHistory(hour, hour)
      const rule = BurnRateRule.make({
        kind: "burnRate",
        name: "availability",
        for: Duration.zero,
        labels: {},
        annotations: {},
        objective: 0.99,
        errors: { name: errorsName, tags: {} },
        total: { name: totalName, tags: {} },
        windows: [{ long: Duration.minutes(10), short: Duration.minutes(1), factor: 1 }]
      })
      yield* sampleAt(history, 0)
      assert.strictEqual(burnRate(rule, history, Duration.minutes(1), 0), 0, "no traffic burns nothing")
      yield* Metric.incrementBy(Metric.counter(totalName), 100)
      yield* Metric.incrementBy(Metric.counter(errorsName), 2)
      yield* sampleAt(history, 1)
      // 2% errors against a 1% budget: burning twice as fast as allowed.
      assert.closeTo(burnRate(rule, history, Duration.minutes(1), minute), 2, 1e-9)
    })
  )
})
