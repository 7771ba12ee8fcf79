import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, Ref, TestClock } from "effect"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import type { Notifier } from "../../../src/operations/alerts/Notifier.js"
import { asIs, everyMinute, recordingNotifier, startReplica, ticked, unique } from "./harness.js"

const minute = 60_000

/** The store seen by a replica that stalls for `minutes` (a pause, a slow database) right after its first read of the states. */
const stallingAfterFirstLoad = (minutes: number) =>
  Layer.effect(
    AlertStore,
    Effect.gen(function* () {
      const store = yield* AlertStore
      const stalled = yield* Ref.make(false)
      return {
        ...store,
        loadStates: (ruleSet: string) =>
          Effect.tap(store.loadStates(ruleSet), () =>
            Effect.flatMap(Ref.getAndSet(stalled, true), (done) =>
              done ? Effect.void : Effect.sleep(`${minutes} minutes`)
            )
          )
      }
    })
  )

/** A gauge rule (held from the start) evaluated every minute: the lease lasts 3 minutes. */
const upRule = (forDuration: string) =>
  Effect.gen(function* () {
    const name = unique("lease_up")
    yield* Metric.set(Metric.gauge(name), 1)
    return yield* everyMinute({
      kind: "operational",
      name: "up",
      metric: { name },
      aggregation: { kind: "value" },
      op: ">",
      threshold: 0,
      for: forDuration
    })
  })

/**
 * Replica `a` leads from time 0 but stalls for 4 minutes after reading the
 * states; `b` takes the expired lease over at minute 3. Returns both once
 * each has finished its tick at minute 4, with what each notified.
 */
const takeoverDuringStall = (forDuration: string) =>
  Effect.gen(function* () {
    const rules = yield* upRule(forDuration)
    const scope = yield* Effect.scope
    const [fromA, fromB] = [yield* recordingNotifier, yield* recordingNotifier]
    const a = yield* startReplica(rules, fromA.notifier, "a", stallingAfterFirstLoad(4), scope)
    const b = yield* startReplica(rules, fromB.notifier, "b", asIs, scope)
    yield* ticked(b, 0)
    for (const at of [1, 2, 3, 4]) {
      yield* TestClock.setTime(at * minute)
      yield* ticked(b, at * minute)
    }
    yield* ticked(a, 4 * minute)
    return { a, b, fromA: yield* fromA.received, fromB: yield* fromB.received }
  })

describe("AlertEvaluator lease", () => {
  it.scoped("a notification that hangs is given up after a third of the lease, and the tick saves its states", () =>
    Effect.gen(function* () {
      const rules = yield* upRule("0s")
      const hanging: Notifier = { name: "hanging", notify: () => Effect.never }
      const a = yield* startReplica(rules, hanging, "a", asIs, yield* Effect.scope)
      yield* TestClock.adjust("1 minute")
      yield* ticked(a, minute)
      assert.deepStrictEqual(
        (yield* a.states).map((state) => [state.rule, state.status]),
        [["up", "firing"]]
      )
      assert.isTrue(yield* a.isLeader)
    }).pipe(Effect.provide(AlertStore.layerMemory))
  )

  it.scoped("a leader that lost its lease while stalled does not notify a transition again", () =>
    Effect.gen(function* () {
      const { a, fromA, fromB } = yield* takeoverDuringStall("0s")
      assert.deepStrictEqual(
        fromB.map((n) => [n.status, n.at / minute]),
        [["firing", 3]]
      )
      assert.deepStrictEqual(fromA, [])
      assert.isFalse(yield* a.isLeader)
    }).pipe(Effect.provide(AlertStore.layerMemory))
  )

  it.scoped("a leader that lost its lease while stalled does not overwrite its successor's states", () =>
    Effect.gen(function* () {
      const { b } = yield* takeoverDuringStall("5m")
      assert.deepStrictEqual(
        (yield* b.states).map((state) => [state.status, state.activeSince]),
        [["pending", 3 * minute]]
      )
    }).pipe(Effect.provide(AlertStore.layerMemory))
  )
})
