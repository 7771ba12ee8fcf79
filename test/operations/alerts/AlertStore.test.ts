import { randomUUID } from "node:crypto"
import { assert, describe, layer } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import type { AlertState } from "../../../src/operations/alerts/model.js"
import { PostgresTest } from "../../support/postgres.js"
import { SqliteTest } from "../../support/sqlite.js"

const ttl = Duration.minutes(3)

/** Moves the (shared) test clock forward: tests in one `layer` block share it, so times are relative. */
const advance = (duration: Duration.DurationInput) => TestClock.adjust(duration)

const alertStoreContract = (name: string, store: Layer.Layer<AlertStore, unknown>) =>
  layer(store)(`AlertStore (${name})`, (it) => {
    it.effect("a free lease is taken; while unexpired another holder is refused and the holder renews it", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const lease = randomUUID()
        assert.isTrue(yield* store.acquireLease(lease, "a", ttl))
        assert.isFalse(yield* store.acquireLease(lease, "b", ttl))
        yield* advance("2 minutes")
        assert.isTrue(yield* store.acquireLease(lease, "a", ttl), "renewed 2 minutes in")
        yield* advance("2 minutes")
        assert.isFalse(yield* store.acquireLease(lease, "b", ttl), "the renewal moved the expiry")
      })
    )

    it.effect("an expired lease is taken over by another holder", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const lease = randomUUID()
        assert.isTrue(yield* store.acquireLease(lease, "a", ttl))
        yield* advance(ttl)
        assert.isTrue(yield* store.acquireLease(lease, "b", ttl))
        assert.isFalse(yield* store.acquireLease(lease, "a", ttl))
      })
    )

    it.effect("a released lease is free at once; a holder cannot release another's lease", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const lease = randomUUID()
        assert.isTrue(yield* store.acquireLease(lease, "a", ttl))
        yield* store.releaseLease(lease, "b")
        assert.isFalse(yield* store.acquireLease(lease, "b", ttl))
        yield* store.releaseLease(lease, "a")
        assert.isTrue(yield* store.acquireLease(lease, "b", ttl))
      })
    )

    it.effect("a lease is renewed only while nobody took it over or released it, even once expired", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const lease = randomUUID()
        assert.isFalse(yield* store.renewLease(lease, "a", ttl), "a lease never taken is not renewed")
        assert.isTrue(yield* store.acquireLease(lease, "a", ttl))
        yield* advance(ttl)
        assert.isTrue(yield* store.renewLease(lease, "a", ttl), "expired but not taken over")
        assert.isFalse(yield* store.acquireLease(lease, "b", ttl), "the renewal moved the expiry")
        yield* advance(ttl)
        assert.isTrue(yield* store.acquireLease(lease, "b", ttl))
        assert.isFalse(yield* store.renewLease(lease, "a", ttl), "taken over by another holder")
        yield* store.releaseLease(lease, "b")
        assert.isFalse(yield* store.renewLease(lease, "b", ttl), "released")
      })
    )

    it.effect("states are saved per rule and series, a later save replacing an earlier one", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const rule = randomUUID()
        const pending: AlertState = {
          rule,
          series: "route=/a",
          status: "pending",
          activeSince: 1000,
          lastValue: 12.5,
          lastEvaluation: 1000
        }
        const other: AlertState = {
          ...pending,
          series: "route=/b",
          status: "inactive",
          activeSince: null,
          lastValue: Number.NaN
        }
        const ruleSet = randomUUID()
        yield* store.saveStates(ruleSet, [pending, other])
        yield* store.saveStates(ruleSet, [{ ...pending, status: "firing", lastEvaluation: 2000 }])
        const saved = [...(yield* store.loadStates(ruleSet))]
        assert.deepStrictEqual(
          saved.sort((x, y) => x.series.localeCompare(y.series)),
          [
            { ...pending, status: "firing", lastEvaluation: 2000 },
            // NaN is stored as "no value" (SQLite cannot keep it).
            { ...other, lastValue: null }
          ]
        )
      })
    )

    it.effect("each rule set keeps its own states, and deleting forgets only the series named", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const [first, second] = [randomUUID(), randomUUID()]
        const state = (series: string, status: AlertState["status"]): AlertState => ({
          rule: "errors",
          series,
          status,
          activeSince: null,
          lastValue: 1,
          lastEvaluation: 1000
        })
        yield* store.saveStates(first, [state("a", "firing"), state("b", "resolved")])
        yield* store.saveStates(second, [state("a", "inactive")])
        yield* store.deleteStates(first, [{ rule: "errors", series: "b" }])
        assert.deepStrictEqual(yield* store.loadStates(first), [state("a", "firing")])
        assert.deepStrictEqual(yield* store.loadStates(second), [state("a", "inactive")])
      })
    )

    it.effect("metric samples are shared between replicas, kept once, and pruned by age", () =>
      Effect.gen(function* () {
        const store = yield* AlertStore
        const instance = randomUUID()
        const at = 10 * 365 * 86_400_000 + Math.floor(Math.random() * 1_000_000)
        const sample = {
          instance,
          at,
          points: [
            {
              name: "latency",
              tags: { route: "/a" },
              value: 3,
              buckets: [
                [0.5, 1],
                [1, 3]
              ] as const
            },
            { name: "requests_total", tags: {}, value: 12, buckets: [] }
          ]
        }
        yield* store.writeSample(sample)
        yield* store.writeSample({ ...sample, points: [] })
        yield* store.writeSample({ ...sample, at: at + 60_000 })
        const mine = (yield* store.readSamples(at)).filter((held) => held.instance === instance)
        assert.deepStrictEqual(mine.map((held) => [held.at, held.points.length]).sort(), [
          [at, 2],
          [at + 60_000, 2]
        ])
        assert.deepStrictEqual(mine.find((held) => held.at === at)?.points, sample.points)
        yield* store.pruneSamples(at + 1)
        assert.deepStrictEqual(
          (yield* store.readSamples(0)).filter((held) => held.instance === instance).map((held) => held.at),
          [at + 60_000]
        )
      })
    )
  })

describe("AlertStore", () => {
  alertStoreContract("memory", AlertStore.layerMemory)
  alertStoreContract("sqlite", AlertStore.layer.pipe(Layer.provide(SqliteTest)))
  alertStoreContract("postgres", AlertStore.layer.pipe(Layer.provide(PostgresTest)))
})
