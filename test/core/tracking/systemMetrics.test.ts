import { assert, describe, it } from "@effect/vitest"
import { Data, Deferred, type Duration, Effect, Fiber, Layer, Logger, Ref, TestClock, TestServices } from "effect"
import { TestLayer } from "../../../layers/Test.js"
import { ExperimentTracker, type ExperimentTrackerShape } from "../../../src/core/tracking/ExperimentTracker.js"
import type { RunId } from "../../../src/core/tracking/model.js"
import {
  finalFlushTimeout,
  makeSystemSampler,
  type SystemMetricsOptions,
  SystemMetricsError,
  type SystemSample
} from "../../../src/core/tracking/systemMetrics.js"
import * as Tracking from "../../../src/core/tracking/Tracking.js"

class Boom extends Data.TaggedError("Boom") {}

/** A sampler whose n-th reading (from 1) is `{ cpu_utilization_percentage: 10n, process_memory_rss_megabytes: 100 + n }`. */
const countingSampler = Effect.map(Ref.make(0), (calls) => ({
  calls,
  sampler: Effect.succeed({
    sample: Effect.map(
      Ref.updateAndGet(calls, (n) => n + 1),
      (n): SystemSample => ({ cpu_utilization_percentage: 10 * n, process_memory_rss_megabytes: 100 + n })
    )
  })
}))

const history = (runId: RunId, key: string) =>
  Effect.flatMap(ExperimentTracker, (tracker) =>
    Effect.map(tracker.getMetricHistory({ runId, key }), (page) =>
      page.items.map((m) => ({ step: m.step, value: m.value, timestamp: m.timestamp }))
    )
  )

/** The test store, except that its `logBatch` is `logBatch`: provide it inside `TestLayer`. */
const trackerWithLogBatch = (logBatch: ExperimentTrackerShape["logBatch"]) =>
  Layer.effect(
    ExperimentTracker,
    Effect.map(ExperimentTracker, (tracker) => ({ ...tracker, logBatch }))
  )

/** Collects the messages logged by the effect it is provided to. */
const captureLogs = Effect.map(Ref.make<ReadonlyArray<unknown>>([]), (messages) => ({
  messages,
  logger: Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ message }) => Effect.runSync(Ref.update(messages, (all) => [...all, message])))
  )
}))

/** A run that records system metrics with `options` while its body waits `duration` of test time. */
const runFor = (duration: Duration.DurationInput, options: SystemMetricsOptions) =>
  Tracking.withRun({ experiment: "system-metrics" }, (run) => Effect.as(TestClock.adjust(duration), run.info.runId), {
    systemMetrics: options
  })

describe("withRun's system metrics", () => {
  it.effect("records one sample per interval, step = sample index, timestamp = sampling time", () =>
    Effect.gen(function* () {
      const { sampler } = yield* countingSampler
      const runId = yield* runFor("30 seconds", { interval: "10 seconds", sampler })
      assert.deepStrictEqual(yield* history(runId, "system/cpu_utilization_percentage"), [
        { step: 0, value: 10, timestamp: 10_000 },
        { step: 1, value: 20, timestamp: 20_000 },
        { step: 2, value: 30, timestamp: 30_000 }
      ])
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("logs every name of the sampler's reading under system/", () =>
    Effect.gen(function* () {
      const { sampler } = yield* countingSampler
      const runId = yield* runFor("10 seconds", { interval: "10 seconds", sampler })
      const tracker = yield* ExperimentTracker
      const run = yield* tracker.getRun(runId)
      assert.deepStrictEqual(run.data.metrics.map((m) => [m.key, m.value]).sort(), [
        ["system/cpu_utilization_percentage", 10],
        ["system/process_memory_rss_megabytes", 101]
      ])
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("stops sampling when the run ends", () =>
    Effect.gen(function* () {
      const { calls, sampler } = yield* countingSampler
      const runId = yield* runFor("20 seconds", { interval: "10 seconds", sampler })
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* Ref.get(calls), 2)
      assert.lengthOf(yield* history(runId, "system/cpu_utilization_percentage"), 2)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("keeps samples until a batch is full and writes the rest before the run ends", () =>
    Effect.gen(function* () {
      const { sampler } = yield* countingSampler
      const [runId, whileRunning] = yield* Tracking.withRun(
        { experiment: "system-metrics" },
        (run) =>
          Effect.gen(function* () {
            yield* TestClock.adjust("20 seconds")
            return [run.info.runId, yield* history(run.info.runId, "system/cpu_utilization_percentage")] as const
          }),
        { systemMetrics: { interval: "10 seconds", samplesPerBatch: 5, sampler } }
      )
      assert.deepStrictEqual(whileRunning, [])
      assert.deepStrictEqual(
        (yield* history(runId, "system/cpu_utilization_percentage")).map((m) => m.value),
        [10, 20]
      )
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("ends the run FAILED when the body fails, with the samples taken until then", () =>
    Effect.gen(function* () {
      const { sampler } = yield* countingSampler
      const runId = yield* Ref.make<RunId | undefined>(undefined)
      const error = yield* Effect.flip(
        Tracking.withRun(
          { experiment: "system-metrics" },
          (run) =>
            Effect.zipRight(
              Effect.zipRight(Ref.set(runId, run.info.runId), TestClock.adjust("10 seconds")),
              Effect.fail(new Boom())
            ),
          { systemMetrics: { interval: "10 seconds", sampler } }
        )
      )
      assert.strictEqual(error._tag, "Boom")
      const id = yield* Effect.flatMap(Ref.get(runId), Effect.fromNullable)
      const tracker = yield* ExperimentTracker
      assert.strictEqual((yield* tracker.getRun(id)).info.status, "FAILED")
      assert.lengthOf(yield* history(id, "system/cpu_utilization_percentage"), 1)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("logs a failed sample and goes on, without failing the body", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const warnings = yield* Ref.make<ReadonlyArray<unknown>>([])
      const sampler = Effect.succeed({
        sample: Effect.flatMap(
          Ref.updateAndGet(calls, (n) => n + 1),
          (n) =>
            n === 2
              ? Effect.fail(new SystemMetricsError({ cause: new Error("statfs failed") }))
              : Effect.succeed({ cpu_utilization_percentage: n })
        )
      })
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message }) => Effect.runSync(Ref.update(warnings, (all) => [...all, message])))
      )
      const runId = yield* runFor("30 seconds", { interval: "10 seconds", sampler }).pipe(Effect.provide(capture))
      const tracker = yield* ExperimentTracker
      assert.strictEqual((yield* tracker.getRun(runId)).info.status, "FINISHED")
      assert.deepStrictEqual(
        (yield* history(runId, "system/cpu_utilization_percentage")).map((m) => [m.step, m.value]),
        [
          [0, 1],
          [1, 3]
        ]
      )
      assert.include(JSON.stringify(yield* Ref.get(warnings)), "could not sample system metrics")
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("ends the run FINISHED when writing the last system metrics dies", () =>
    Effect.gen(function* () {
      const { sampler } = yield* countingSampler
      const { logger, messages } = yield* captureLogs
      const runId = yield* runFor("10 seconds", { interval: "10 seconds", samplesPerBatch: 5, sampler }).pipe(
        Effect.provide(logger)
      )
      const tracker = yield* ExperimentTracker
      assert.strictEqual((yield* tracker.getRun(runId)).info.status, "FINISHED")
      assert.include(JSON.stringify(yield* Ref.get(messages)), "could not log system metrics")
    }).pipe(
      Effect.provide(trackerWithLogBatch(() => Effect.die(new Error("database is locked")))),
      Effect.provide(TestLayer)
    )
  )

  it.effect("goes on sampling after a write dies", () =>
    Effect.gen(function* () {
      const { calls, sampler } = yield* countingSampler
      const runId = yield* runFor("30 seconds", { interval: "10 seconds", sampler })
      const tracker = yield* ExperimentTracker
      assert.strictEqual((yield* tracker.getRun(runId)).info.status, "FINISHED")
      assert.strictEqual(yield* Ref.get(calls), 3)
    }).pipe(
      Effect.provide(trackerWithLogBatch(() => Effect.die(new Error("database is locked")))),
      Effect.provide(TestLayer)
    )
  )

  it.effect("goes on sampling after a sample dies", () =>
    Effect.gen(function* () {
      const calls = yield* Ref.make(0)
      const sampler = Effect.succeed({
        sample: Effect.flatMap(
          Ref.updateAndGet(calls, (n) => n + 1),
          (n) => (n === 2 ? Effect.die(new Error("statfs crashed")) : Effect.succeed({ cpu_utilization_percentage: n }))
        )
      })
      const runId = yield* runFor("30 seconds", { interval: "10 seconds", sampler })
      assert.deepStrictEqual(
        (yield* history(runId, "system/cpu_utilization_percentage")).map((m) => m.value),
        [1, 3]
      )
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("ends the run without the last system metrics when the tracker hangs longer than finalFlushTimeout", () =>
    Effect.gen(function* () {
      const { sampler } = yield* countingSampler
      const { logger, messages } = yield* captureLogs
      const bodyMayEnd = yield* Deferred.make<void>()
      // A daemon: a run that never ends must not keep the test from ending.
      const run = yield* Effect.forkDaemon(
        Tracking.withRun(
          { experiment: "system-metrics" },
          (run) => Effect.as(Deferred.await(bodyMayEnd), run.info.runId),
          { systemMetrics: { interval: "10 seconds", sampler } }
        ).pipe(Effect.provide(logger))
      )
      // The first sample's write hangs while the body still runs.
      yield* TestClock.adjust("10 seconds")
      yield* Deferred.succeed(bodyMayEnd, undefined)
      yield* TestClock.adjust(finalFlushTimeout)
      // Live time only bounds the wait, so a run that never ends fails the test rather than hanging it.
      const runId = yield* Fiber.join(run).pipe(
        Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => new Boom() }),
        TestServices.provideLive
      )
      const tracker = yield* ExperimentTracker
      assert.strictEqual((yield* tracker.getRun(runId)).info.status, "FINISHED")
      assert.include(JSON.stringify(yield* Ref.get(messages)), "gave up writing the last system metrics")
    }).pipe(Effect.provide(trackerWithLogBatch(() => Effect.never)), Effect.provide(TestLayer))
  )

  it.effect("refuses a non-positive interval before opening a run", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Tracking.withRun({ experiment: "never-opened" }, () => Effect.void, {
          systemMetrics: { interval: "0 seconds" }
        })
      )
      assert.strictEqual(error._tag, "InvalidArgument")
      const tracker = yield* ExperimentTracker
      assert.strictEqual((yield* Effect.flip(tracker.getExperimentByName("never-opened")))._tag, "ExperimentNotFound")
    }).pipe(Effect.provide(TestLayer))
  )
})

describe("makeSystemSampler", () => {
  it.effect("reads plausible values of this machine and process", () =>
    Effect.gen(function* () {
      const sampler = yield* makeSystemSampler()
      const sample = yield* sampler.sample
      for (const [name, value] of Object.entries(sample)) {
        assert.isTrue(Number.isFinite(value) && value >= 0, `${name} = ${value}`)
      }
      for (const name of [
        "cpu_utilization_percentage",
        "system_memory_usage_percentage",
        "disk_usage_percentage",
        "process_memory_percentage"
      ]) {
        assert.isAtMost(sample[name] ?? Number.NaN, 100, name)
      }
      assert.isAbove(sample.system_memory_usage_megabytes ?? 0, 0)
      assert.isAbove(sample.process_memory_rss_megabytes ?? 0, 0)
      assert.isAbove((sample.disk_usage_megabytes ?? 0) + (sample.disk_available_megabytes ?? 0), 0)
      if (process.platform === "linux") {
        assert.isDefined(sample.network_receive_megabytes)
        assert.isDefined(sample.network_transmit_megabytes)
      }
    })
  )
})
