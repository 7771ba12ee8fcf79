import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, TestClock } from "effect"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import type { ModelVersionNumber } from "../../../src/core/registry/model.js"
import { AlertEvaluator } from "../../../src/operations/alerts/AlertEvaluator.js"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import type { AlertRuleSet } from "../../../src/operations/alerts/model.js"
import type { Notifier } from "../../../src/operations/alerts/Notifier.js"
import { everyMinute, recordingNotifier, ticked, unique } from "./harness.js"

const minute = 60_000

const Stores = Layer.mergeAll(AlertStore.layerMemory, ModelRegistry.layerMemory).pipe(
  Layer.provideMerge(ExperimentTracker.layerMemory)
)

/**
 * Runs `body` with an evaluator of `rules` over in-memory stores (which the
 * body may seed), once the evaluator's first tick (at time 0) is done.
 */
const withEvaluator = <A, E>(
  rules: AlertRuleSet,
  notifiers: ReadonlyArray<Notifier>,
  body: Effect.Effect<A, E, AlertEvaluator | ExperimentTracker | ModelRegistry>
) =>
  Effect.flatMap(AlertEvaluator, (evaluator) => ticked(evaluator, 0)).pipe(
    Effect.zipRight(body),
    Effect.provide(AlertEvaluator.layer({ rules, notifiers }).pipe(Layer.provideMerge(Stores)))
  )

/** Moves the test clock to `minutes` and waits for the evaluator's tick there; returns the rule's status. */
const tickAt = (minutes: number, rule: string) =>
  Effect.gen(function* () {
    const evaluator = yield* AlertEvaluator
    yield* TestClock.setTime(minutes * minute)
    yield* ticked(evaluator, minutes * minute)
    const states = yield* evaluator.states
    return states.find((state) => state.rule === rule)?.status ?? "absent"
  })

describe("AlertEvaluator", () => {
  it.effect("an alert fires and resolves exactly once on a scripted metric series", () =>
    Effect.gen(function* () {
      const name = unique("queue_depth")
      const depth = Metric.gauge(name)
      const rules = yield* everyMinute({
        kind: "operational",
        name: "queue-backlog",
        metric: { name },
        aggregation: { kind: "value" },
        op: ">",
        threshold: 10,
        for: "2m",
        labels: { severity: "page" }
      })
      const { notifier, received } = yield* recordingNotifier
      const script = [5, 12, 12, 12, 12, 3, 3, 4]
      const statuses = yield* withEvaluator(
        rules,
        [notifier],
        Effect.forEach(script, (value, index) =>
          Effect.zipRight(Metric.set(depth, value), tickAt(index + 1, "queue-backlog"))
        )
      )
      assert.deepStrictEqual(statuses, [
        "inactive",
        "pending",
        "pending",
        "firing",
        "firing",
        "resolved",
        "resolved",
        "resolved"
      ])
      const notifications = yield* received
      assert.deepStrictEqual(
        notifications.map((n) => [n.status, n.at / minute, n.value]),
        [
          ["firing", 4, 12],
          ["resolved", 6, 3]
        ]
      )
      assert.deepStrictEqual(notifications[0]?.labels, { severity: "page" })
      assert.strictEqual(notifications[0]?.activeSince, 2 * minute)
    })
  )

  it.effect("with `for: 0s` an alert fires at the first evaluation that meets the condition", () =>
    Effect.gen(function* () {
      const name = unique("in_flight")
      const gauge = Metric.gauge(name)
      const rules = yield* everyMinute({
        kind: "operational",
        name: "saturated",
        metric: { name },
        aggregation: { kind: "value" },
        op: ">=",
        threshold: 100
      })
      const { notifier, received } = yield* recordingNotifier
      yield* withEvaluator(rules, [notifier], Effect.zipRight(Metric.set(gauge, 100), tickAt(1, "saturated")))
      assert.deepStrictEqual(
        (yield* received).map((n) => [n.status, n.at / minute]),
        [["firing", 1]]
      )
    })
  )

  it.effect("a pending alert whose condition ends returns to inactive without a notification", () =>
    Effect.gen(function* () {
      const name = unique("temperature")
      const gauge = Metric.gauge(name)
      const rules = yield* everyMinute({
        kind: "operational",
        name: "hot",
        metric: { name },
        aggregation: { kind: "value" },
        op: ">",
        threshold: 80,
        for: "5m"
      })
      const { notifier, received } = yield* recordingNotifier
      const statuses = yield* withEvaluator(
        rules,
        [notifier],
        Effect.forEach([90, 90, 70], (value, index) =>
          Effect.zipRight(Metric.set(gauge, value), tickAt(index + 1, "hot"))
        )
      )
      assert.deepStrictEqual(statuses, ["pending", "pending", "inactive"])
      assert.deepStrictEqual(yield* received, [])
    })
  )

  it.effect("`by` tags give each tag value its own alert", () =>
    Effect.gen(function* () {
      const name = unique("route_errors_total")
      const errors = Metric.counter(name)
      const rules = yield* everyMinute({
        kind: "operational",
        name: "route-errors",
        metric: { name },
        aggregation: { kind: "increase", window: "2m" },
        by: ["route"],
        op: ">",
        threshold: 5
      })
      const { notifier, received } = yield* recordingNotifier
      yield* withEvaluator(
        rules,
        [notifier],
        Effect.gen(function* () {
          yield* Metric.incrementBy(Metric.tagged(errors, "route", "/a"), 1)
          yield* Metric.incrementBy(Metric.tagged(errors, "route", "/b"), 1)
          yield* tickAt(1, "route-errors")
          yield* Metric.incrementBy(Metric.tagged(errors, "route", "/a"), 9)
          yield* Metric.incrementBy(Metric.tagged(errors, "route", "/b"), 1)
          yield* tickAt(2, "route-errors")
        })
      )
      assert.deepStrictEqual(
        (yield* received).map((n) => [n.status, n.series, n.value]),
        [["firing", "route=/a", 10]]
      )
    })
  )

  it.effect("a burn-rate rule fires only once both windows of a pair burn faster than its factor", () =>
    Effect.gen(function* () {
      const errorsName = unique("slo_errors_total")
      const totalName = unique("slo_requests_total")
      const rules = yield* everyMinute({
        kind: "burnRate",
        name: "availability",
        objective: 0.9,
        errors: { name: errorsName },
        total: { name: totalName },
        windows: [{ long: "10m", short: "2m", factor: 2 }]
      })
      const { notifier, received } = yield* recordingNotifier
      // Errors per minute out of 100 requests (budget: 10%). Minute 10 is a burst: the short
      // window burns 5.25x but the long one 1.45x, so no alert. From minute 13 the errors stay
      // at 40%: the short window burns 4x at once, the long one passes 2x at minute 14.
      const errorsPerMinute = [5, 5, 5, 5, 5, 5, 5, 5, 5, 100, 5, 5, 40, 40, 40]
      yield* withEvaluator(
        rules,
        [notifier],
        Effect.forEach(errorsPerMinute, (errors, index) =>
          Effect.gen(function* () {
            yield* Metric.incrementBy(Metric.counter(totalName), 100)
            yield* Metric.incrementBy(Metric.counter(errorsName), errors)
            yield* tickAt(index + 1, "availability")
          })
        )
      )
      const notifications = yield* received
      assert.deepStrictEqual(
        notifications.map((n) => [n.status, n.at / minute]),
        [["firing", 14]]
      )
      assert.closeTo(notifications[0]?.value ?? 0, 2.15, 1e-9)
      assert.strictEqual(notifications[0]?.annotations.burn_rate_2m, "4.00")
    })
  )
})

describe("AlertEvaluator on tracked metrics", () => {
  const logRun = (experimentName: string, metrics: Record<string, number>, tags: Record<string, string> = {}) =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const experiment = yield* tracker
        .getExperimentByName(experimentName)
        .pipe(Effect.orElse(() => tracker.createExperiment({ name: experimentName })))
      const run = yield* tracker.createRun({
        experimentId: experiment.experimentId,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value }))
      })
      yield* tracker.logBatch(run.info.runId, {
        metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0 }))
      })
      return run.info.runId
    }).pipe(Effect.orDie)

  const register = (model: string, metrics: Record<string, number>) =>
    Effect.gen(function* () {
      const registry = yield* ModelRegistry
      const runId = yield* logRun("training", metrics)
      yield* registry
        .getRegisteredModel(model)
        .pipe(Effect.orElse(() => registry.createRegisteredModel({ name: model })))
      return yield* registry.createModelVersion({ name: model, source: `runs:/${runId}/model`, runId })
    }).pipe(Effect.orDie)

  const setAlias = (model: string, alias: string, version: ModelVersionNumber) =>
    Effect.flatMap(ModelRegistry, (registry) => registry.setAlias(model, alias, version)).pipe(Effect.orDie)

  it.effect("the latest metric of the version behind an alias follows the alias when it moves", () =>
    Effect.gen(function* () {
      const rules = yield* everyMinute({
        kind: "tracked",
        name: "champion-accuracy",
        select: { model: "churn", alias: "champion" },
        metric: "val_accuracy",
        op: "<",
        threshold: 0.9
      })
      const { notifier, received } = yield* recordingNotifier
      yield* withEvaluator(
        rules,
        [notifier],
        Effect.gen(function* () {
          const good = yield* register("churn", { val_accuracy: 0.95 })
          const weak = yield* register("churn", { val_accuracy: 0.85 })
          yield* setAlias("churn", "champion", good.version)
          assert.strictEqual(yield* tickAt(1, "champion-accuracy"), "inactive")
          yield* setAlias("churn", "champion", weak.version)
          assert.strictEqual(yield* tickAt(2, "champion-accuracy"), "firing")
        })
      )
      const [firing] = yield* received
      assert.strictEqual(firing?.value, 0.85)
      assert.include(firing?.summary ?? "", "0.85")
    })
  )

  // Drift results as a drift monitor logs them: metrics `drift/<feature>/…` on a monitoring run in
  // experiment `monitoring/<model>`, tagged with the model, whose id the model version carries in a tag.
  const modelTag = "mlops.monitoring.model"
  const runTag = "mlops.monitoring.run_id"

  it.effect("a drift metric logged to the latest monitoring run of a model fires a rule", () =>
    Effect.gen(function* () {
      const rules = yield* everyMinute({
        kind: "tracked",
        name: "churn-drift",
        select: { experiment: "monitoring/churn", filter: `tags.\`${modelTag}\` = 'churn'` },
        metric: "drift/overall/drifted_features",
        op: ">=",
        threshold: 3
      })
      const { notifier, received } = yield* recordingNotifier
      const drifted = yield* withEvaluator(
        rules,
        [notifier],
        Effect.gen(function* () {
          yield* logRun("monitoring/churn", { "drift/overall/drifted_features": 1 }, { [modelTag]: "churn" })
          assert.strictEqual(yield* tickAt(1, "churn-drift"), "inactive")
          yield* logRun("monitoring/churn", { "drift/overall/drifted_features": 9 }, { [modelTag]: "fraud" })
          assert.strictEqual(yield* tickAt(2, "churn-drift"), "inactive", "a run of another model does not count")
          const latest = yield* logRun(
            "monitoring/churn",
            { "drift/overall/drifted_features": 4 },
            { [modelTag]: "churn" }
          )
          assert.strictEqual(yield* tickAt(3, "churn-drift"), "firing")
          return latest
        })
      )
      const [firing] = yield* received
      assert.strictEqual(firing?.value, 4)
      assert.strictEqual(firing?.annotations.run_id, drifted)
    })
  )

  it.effect("a drift metric on the monitoring run of the champion version fires a rule", () =>
    Effect.gen(function* () {
      const rules = yield* everyMinute({
        kind: "tracked",
        name: "champion-age-drift",
        select: { model: "churn", alias: "champion", runTag },
        metric: "drift/age/psi",
        op: ">",
        threshold: 0.2
      })
      const { notifier, received } = yield* recordingNotifier
      const monitoring = yield* withEvaluator(
        rules,
        [notifier],
        Effect.gen(function* () {
          const registry = yield* ModelRegistry
          const champion = yield* register("churn", { val_accuracy: 0.95 })
          yield* setAlias("churn", "champion", champion.version)
          assert.strictEqual(yield* tickAt(1, "champion-age-drift"), "inactive", "no monitoring run yet: no data")
          const runId = yield* logRun("monitoring/churn", { "drift/age/psi": 0.31 }, { [modelTag]: "churn" })
          yield* registry.setModelVersionTag("churn", champion.version, runTag, runId).pipe(Effect.orDie)
          assert.strictEqual(yield* tickAt(2, "champion-age-drift"), "firing")
          return runId
        })
      )
      const [firing] = yield* received
      assert.strictEqual(firing?.value, 0.31)
      assert.strictEqual(firing?.annotations.run_id, monitoring)
    })
  )

  it.effect("a firing alert whose rule cannot be read keeps firing instead of resolving", () =>
    Effect.gen(function* () {
      const rules = yield* everyMinute({
        kind: "tracked",
        name: "champion-accuracy",
        select: { model: "churn", alias: "champion" },
        metric: "val_accuracy",
        op: "<",
        threshold: 0.9
      })
      const { notifier, received } = yield* recordingNotifier
      const statuses = yield* withEvaluator(
        rules,
        [notifier],
        Effect.gen(function* () {
          const weak = yield* register("churn", { val_accuracy: 0.5 })
          yield* setAlias("churn", "champion", weak.version)
          const before = yield* tickAt(1, "champion-accuracy")
          yield* Effect.flatMap(ModelRegistry, (registry) => registry.deleteAlias("churn", "champion")).pipe(
            Effect.orDie
          )
          return [before, yield* tickAt(2, "champion-accuracy")]
        })
      )
      assert.deepStrictEqual(statuses, ["firing", "firing"])
      assert.deepStrictEqual(
        (yield* received).map((n) => n.status),
        ["firing"]
      )
    })
  )

  it.effect("a tracked rule reads in its own tenant", () =>
    Effect.gen(function* () {
      const rules = yield* everyMinute({
        kind: "tracked",
        name: "acme-loss",
        tenant: "acme",
        select: { experiment: "training" },
        metric: "loss",
        op: ">",
        threshold: 1
      })
      const { notifier, received } = yield* recordingNotifier
      yield* withEvaluator(
        rules,
        [notifier],
        Effect.gen(function* () {
          yield* logRun("training", { loss: 5 })
          assert.strictEqual(yield* tickAt(1, "acme-loss"), "absent", "the default tenant's experiment is not acme's")
          yield* logRun("training", { loss: 5 }).pipe(Effect.provideService(CurrentTenant, TenantId.make("acme")))
          assert.strictEqual(yield* tickAt(2, "acme-loss"), "firing")
        })
      )
      assert.lengthOf(yield* received, 1)
    })
  )
})
