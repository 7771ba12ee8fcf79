import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Metric, MetricKey, MetricPair, MetricState, Ref, Scope, TestClock } from "effect"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import { PostgresTest } from "../../support/postgres.js"
import { asIs, everyMinute, recordingNotifier, startReplica, ticked, unique } from "./harness.js"

const minute = 60_000

/** One fresh PostgreSQL database per test; replicas are closed (scoped) before it is dropped. */
const SharedStore = AlertStore.layer.pipe(Layer.provide(PostgresTest))

/** The shared store seen by a replica that crashes: its lease is never given back, only left to expire. */
const crashing = Layer.effect(
  AlertStore,
  Effect.map(AlertStore, (store) => ({ ...store, releaseLease: () => Effect.void }))
)

/** A replica's own counter, as a separate process's registry would hold it. */
const counterSource = (name: string) =>
  Effect.map(Ref.make(0), (count) => ({
    add: (amount: number) => Ref.update(count, (n) => n + amount),
    metrics: Effect.map(Ref.get(count), (n) => [MetricPair.unsafeMake(MetricKey.counter(name), MetricState.counter(n))])
  }))

const gaugeRule = (name: string) =>
  everyMinute({
    kind: "operational",
    name: "up",
    metric: { name },
    aggregation: { kind: "value" },
    op: ">",
    threshold: 0
  })

describe("AlertEvaluator replicas on one PostgreSQL database", () => {
  it.effect("only the replica holding the lease evaluates and notifies", () =>
    Effect.gen(function* () {
      const name = unique("replicated_gauge")
      yield* Metric.set(Metric.gauge(name), 1)
      const rules = yield* gaugeRule(name)
      const first = yield* recordingNotifier
      const second = yield* recordingNotifier
      const scope = yield* Effect.scope
      const a = yield* startReplica(rules, first.notifier, "a", asIs, scope)
      const b = yield* startReplica(rules, second.notifier, "b", asIs, scope)
      for (const at of [0, 1, 2]) {
        yield* TestClock.setTime(at * minute)
        yield* ticked(a, at * minute)
        yield* ticked(b, at * minute)
      }
      const leaders = [yield* a.isLeader, yield* b.isLeader]
      assert.deepStrictEqual(leaders.filter(Boolean), [true], "exactly one leader")
      const notified = [...(yield* first.received), ...(yield* second.received)]
      assert.deepStrictEqual(
        notified.map((n) => [n.rule, n.status]),
        [["up", "firing"]]
      )
    }).pipe(Effect.scoped, Effect.provide(SharedStore))
  )

  it.effect("the leader sums the counters of every replica", () =>
    Effect.gen(function* () {
      const name = unique("replica_errors_total")
      const rules = yield* everyMinute({
        kind: "operational",
        name: "errors",
        metric: { name },
        aggregation: { kind: "increase", window: "2m" },
        op: ">",
        threshold: 5
      })
      const notes = yield* recordingNotifier
      const [first, second] = [yield* counterSource(name), yield* counterSource(name)]
      const scope = yield* Effect.scope
      const a = yield* startReplica(rules, notes.notifier, "a", asIs, scope, first.metrics)
      const b = yield* startReplica(rules, notes.notifier, "b", asIs, scope, second.metrics)
      yield* ticked(a, 0)
      yield* ticked(b, 0)
      // 4 errors on one replica and 3 on the other: only their sum passes the threshold.
      yield* first.add(4)
      yield* second.add(3)
      yield* TestClock.setTime(minute)
      yield* ticked(a, minute)
      yield* ticked(b, minute)
      // Whichever replica led may have read before the other wrote its sample; the next tick sees both.
      yield* TestClock.setTime(2 * minute)
      yield* ticked(a, 2 * minute)
      yield* ticked(b, 2 * minute)
      assert.deepStrictEqual(
        (yield* notes.received).map((n) => [n.status, n.value]),
        [["firing", 7]]
      )
    }).pipe(Effect.scoped, Effect.provide(SharedStore))
  )

  it.effect(
    "after the leader crashes, another replica takes over once the lease expires, without notifying again",
    () =>
      Effect.gen(function* () {
        const name = unique("takeover_gauge")
        const gauge = Metric.gauge(name)
        yield* Metric.set(gauge, 1)
        const rules = yield* gaugeRule(name)
        const first = yield* recordingNotifier
        const second = yield* recordingNotifier

        const crashed = yield* Scope.make()
        const a = yield* startReplica(rules, first.notifier, "a", crashing, crashed)
        yield* ticked(a, 0)
        const b = yield* startReplica(rules, second.notifier, "b", asIs, yield* Effect.scope)
        yield* ticked(b, 0)
        yield* Scope.close(crashed, Exit.void)

        // The lease lasts three evaluation intervals from a's last renewal at 0.
        for (const at of [1, 2]) {
          yield* TestClock.setTime(at * minute)
          yield* ticked(b, at * minute)
          assert.isFalse(yield* b.isLeader, `the crashed leader's lease still holds at minute ${at}`)
        }
        yield* TestClock.setTime(3 * minute)
        yield* ticked(b, 3 * minute)
        assert.isTrue(yield* b.isLeader)
        yield* Metric.set(gauge, 0)
        yield* TestClock.setTime(4 * minute)
        yield* ticked(b, 4 * minute)

        assert.deepStrictEqual(
          (yield* first.received).map((n) => [n.status, n.at / minute]),
          [["firing", 0]]
        )
        assert.deepStrictEqual(
          (yield* second.received).map((n) => [n.status, n.at / minute]),
          [["resolved", 4]],
          "the firing alert was carried over, not announced again"
        )
      }).pipe(Effect.scoped, Effect.provide(SharedStore))
  )
})
