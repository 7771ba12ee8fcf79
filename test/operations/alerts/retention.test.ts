import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, MetricKey, MetricPair, MetricState, Ref, Scope, TestClock } from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { AlertEvaluator, type AlertEvaluatorOptions } from "../../../src/operations/alerts/AlertEvaluator.js"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import { everyMinute, recordingNotifier, ticked, unique } from "./harness.js"

const minute = 60_000

const Tracking = ModelRegistry.layerMemory.pipe(Layer.provideMerge(ExperimentTracker.layerMemory))

/** An evaluator over the store in context (shared by the test's evaluators), stopped with `scope`. */
const startEvaluator = (options: AlertEvaluatorOptions, scope: Scope.Scope) =>
  Layer.buildWithScope(
    AlertEvaluator.layer(options).pipe(Layer.provide(Tracking), Layer.provide(Layer.effect(AlertStore, AlertStore))),
    scope
  ).pipe(Effect.map(Context.get(AlertEvaluator)))

/** Queue depth gauges, one series per queue, that a test sets and removes as a registry would hold them. */
const queueGauges = (name: string) =>
  Effect.map(Ref.make<Readonly<Record<string, number>>>({}), (depths) => ({
    set: (depths_: Readonly<Record<string, number>>) => Ref.set(depths, depths_),
    metrics: Effect.map(Ref.get(depths), (current) =>
      Object.entries(current).map(([queue, depth]) =>
        MetricPair.unsafeMake(MetricKey.tagged(MetricKey.gauge(name), "queue", queue), MetricState.gauge(depth))
      )
    )
  }))

/** A rule, as written in a file, alerting on every queue with a backlog. */
const backlog = (name: string, ruleName = "backlog") => ({
  kind: "operational",
  name: ruleName,
  metric: { name },
  aggregation: { kind: "value" },
  by: ["queue"],
  op: ">",
  threshold: 0
})

const statuses = (evaluator: AlertEvaluator["Type"]) =>
  Effect.map(evaluator.states, (states) =>
    states.map((state) => [state.rule, state.series, state.status]).sort((x, y) => String(x).localeCompare(String(y)))
  )

const tickAt = (evaluator: AlertEvaluator["Type"], minutes: number) =>
  Effect.zipRight(TestClock.setTime(minutes * minute), ticked(evaluator, minutes * minute))

describe("AlertEvaluator state retention", () => {
  it.scoped("a series that disappeared is forgotten an hour after its resolution; one still evaluated is kept", () =>
    Effect.gen(function* () {
      const name = unique("queue_depth")
      const gauges = yield* queueGauges(name)
      const rules = yield* everyMinute(backlog(name))
      const { notifier } = yield* recordingNotifier
      yield* gauges.set({ a: 5, b: 5 })
      const evaluator = yield* startEvaluator(
        { rules, notifiers: [notifier], metrics: gauges.metrics },
        yield* Effect.scope
      )
      yield* ticked(evaluator, 0)
      // Queue a is deleted (its series disappears); queue b drains but is still reported.
      yield* gauges.set({ b: 0 })
      yield* tickAt(evaluator, 1)
      yield* tickAt(evaluator, 30)
      assert.deepStrictEqual(yield* statuses(evaluator), [
        ["backlog", "queue=a", "resolved"],
        ["backlog", "queue=b", "resolved"]
      ])
      yield* tickAt(evaluator, 62)
      assert.deepStrictEqual(yield* statuses(evaluator), [["backlog", "queue=b", "resolved"]])
    }).pipe(Effect.provide(AlertStore.layerMemory))
  )

  it.scoped("the states of a rule removed from the rule set are forgotten; another rule set's are not", () =>
    Effect.gen(function* () {
      const name = unique("queue_depth")
      const gauges = yield* queueGauges(name)
      yield* gauges.set({ a: 5 })
      const { notifier } = yield* recordingNotifier
      const before = yield* everyMinute(backlog(name), backlog(name, "renamed-away"))
      const old = yield* Scope.make()
      const first = yield* startEvaluator({ rules: before, notifiers: [notifier], metrics: gauges.metrics }, old)
      const other = yield* startEvaluator(
        {
          rules: yield* everyMinute(backlog(name, "renamed-away")),
          notifiers: [notifier],
          metrics: gauges.metrics,
          leaseName: "other"
        },
        yield* Effect.scope
      )
      yield* ticked(first, 0)
      yield* ticked(other, 0)
      yield* Scope.close(old, Exit.void)
      const after = yield* startEvaluator(
        { rules: yield* everyMinute(backlog(name)), notifiers: [notifier], metrics: gauges.metrics },
        yield* Effect.scope
      )
      yield* ticked(after, 0)
      assert.deepStrictEqual(yield* statuses(after), [["backlog", "queue=a", "firing"]])
      assert.deepStrictEqual(yield* statuses(other), [["renamed-away", "queue=a", "firing"]])
    }).pipe(Effect.provide(AlertStore.layerMemory))
  )
})
