import { execFileSync } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { Data, Deferred, Effect, Equal, Fiber, Ref, TestClock } from "effect"
import { TestLayer } from "../../../layers/Test.js"
import { CurrentPrincipal, Principal } from "../../../src/core/context.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { DatasetInput, DatasetRef, ExperimentId, RunId, Tag } from "../../../src/core/tracking/model.js"
import { SystemTags } from "../../../src/core/tracking/naming.js"
import * as Tracking from "../../../src/core/tracking/Tracking.js"
import { CurrentRun } from "../../../src/core/tracking/Tracking.js"

class Boom extends Data.TaggedError("Boom")<{ readonly reason: string }> {}

const getRun = (runId: RunId) => Effect.flatMap(ExperimentTracker, (tracker) => tracker.getRun(runId))

const tagsOf = (run: { readonly data: { readonly tags: ReadonlyArray<Tag> } }): Record<string, string> =>
  Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]))

/** A run that has finished: the id of a `withRun` whose body did nothing. */
const finishedRun = (experiment: string) => Tracking.withRun({ experiment }, (run) => Effect.succeed(run.info.runId))

/**
 * HEAD of the git checkout holding the working directory, `undefined` outside
 * a checkout. A missing `git` binary is an error: it says nothing about the checkout.
 */
const headCommit = (): string | undefined => {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
  } catch (error) {
    if (typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT") throw error
    return undefined
  }
}

describe("Tracking.withRun", () => {
  it.effect("ends the run FINISHED, with its end time, when the body succeeds", () =>
    Effect.gen(function* () {
      const runId = yield* Tracking.withRun({ experiment: "finish" }, (run) =>
        Effect.as(TestClock.adjust("5 seconds"), run.info.runId)
      )
      const run = yield* getRun(runId)
      assert.strictEqual(run.info.status, "FINISHED")
      assert.strictEqual(run.info.startTime, 0)
      assert.strictEqual(run.info.endTime, 5000)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("ends the run FAILED when the body fails, and fails with the body's error unchanged", () =>
    Effect.gen(function* () {
      const opened = yield* Deferred.make<RunId>()
      const boom = new Boom({ reason: "diverged" })
      const error = yield* Effect.flip(
        Tracking.withRun({ experiment: "fail" }, (run) =>
          Effect.zipRight(Deferred.succeed(opened, run.info.runId), Effect.fail(boom))
        )
      )
      // Effect's spans hand back the error behind a proxy that adds the span to its stack: equal, not identical.
      assert.instanceOf(error, Boom)
      assert.isTrue(Equal.equals(error, boom))
      const run = yield* getRun(yield* Deferred.await(opened))
      assert.strictEqual(run.info.status, "FAILED")
      assert.isNotNull(run.info.endTime)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("ends the run KILLED when it is interrupted", () =>
    Effect.gen(function* () {
      const opened = yield* Deferred.make<RunId>()
      const fiber = yield* Effect.fork(
        Tracking.withRun({ experiment: "interrupt" }, (run) =>
          Effect.zipRight(Deferred.succeed(opened, run.info.runId), Effect.never)
        )
      )
      const runId = yield* Deferred.await(opened)
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.interrupt(fiber)
      const run = yield* getRun(runId)
      assert.strictEqual(run.info.status, "KILLED")
      assert.strictEqual(run.info.endTime, 2000)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("provides the run as CurrentRun inside the body", () =>
    Effect.gen(function* () {
      const [run, current] = yield* Tracking.withRun({ experiment: "current" }, (run) =>
        Effect.map(CurrentRun, (current) => [run, current] as const)
      )
      assert.deepStrictEqual(current, { runId: run.info.runId, experimentId: run.info.experimentId })
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("sets mlflow.source.name, mlflow.source.type and mlflow.user on a new run", () =>
    Effect.gen(function* () {
      const runId = yield* finishedRun("source").pipe(
        Effect.provideService(CurrentPrincipal, new Principal({ id: "alice" }))
      )
      const tags = tagsOf(yield* getRun(runId))
      assert.strictEqual(tags[SystemTags.sourceType], "LOCAL")
      assert.strictEqual(tags[SystemTags.sourceName], process.argv[1])
      assert.strictEqual(tags[SystemTags.user], "alice")
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("sets mlflow.source.git.commit to HEAD of the git checkout, and leaves it out elsewhere", () =>
    Effect.gen(function* () {
      const tags = tagsOf(yield* getRun(yield* finishedRun("git")))
      assert.strictEqual(tags[SystemTags.gitCommit], headCommit())
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("sets mlflow.parentRunId on a run opened inside another", () =>
    Effect.gen(function* () {
      const [parentId, childId] = yield* Tracking.withRun({ experiment: "nested" }, (parent) =>
        Effect.map(finishedRun("nested"), (childId) => [parent.info.runId, childId] as const)
      )
      assert.strictEqual(tagsOf(yield* getRun(childId))[SystemTags.parentRunId], parentId)
      assert.notProperty(tagsOf(yield* getRun(parentId)), SystemTags.parentRunId)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("creates a missing experiment by name once and reuses it", () =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const first = yield* getRun(yield* finishedRun("reused"))
      const second = yield* getRun(yield* finishedRun("reused"))
      assert.strictEqual(second.info.experimentId, first.info.experimentId)
      const named = yield* tracker.searchExperiments({ filter: "name = 'reused'" })
      assert.deepStrictEqual(
        named.items.map((e) => e.experimentId),
        [first.info.experimentId]
      )
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("opens a new run in an existing experiment by id, with the given name and tags", () =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const experiment = yield* tracker.createExperiment({ name: "by-id" })
      const run = yield* Tracking.withRun(
        { experimentId: experiment.experimentId, runName: "baseline", tags: { team: "vision" } },
        () => Tracking.currentRun
      )
      assert.strictEqual(run.info.experimentId, experiment.experimentId)
      assert.strictEqual(run.info.runName, "baseline")
      assert.strictEqual(tagsOf(run).team, "vision")
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("resumes an existing run by id: RUNNING inside the body, FINISHED again afterwards", () =>
    Effect.gen(function* () {
      const runId = yield* finishedRun("resume")
      yield* TestClock.adjust("1 minute")
      const statusInside = yield* Tracking.withRun({ runId }, () => Effect.map(Tracking.currentRun, (r) => r.info))
      assert.strictEqual(statusInside.runId, runId)
      assert.strictEqual(statusInside.status, "RUNNING")
      const run = yield* getRun(runId)
      assert.strictEqual(run.info.status, "FINISHED")
      assert.strictEqual(run.info.endTime, 60_000)
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("hands a resumed run to the body as it is after resuming (RUNNING)", () =>
    Effect.gen(function* () {
      const runId = yield* finishedRun("resume-argument")
      const handed = yield* Tracking.withRun({ runId }, (run) => Effect.succeed(run.info.status))
      assert.strictEqual(handed, "RUNNING")
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("fails with ExperimentNotFound for an unknown experiment id, without running the body", () =>
    Effect.gen(function* () {
      const ran = yield* Ref.make(false)
      const error = yield* Effect.flip(
        Tracking.withRun({ experimentId: ExperimentId.make("424242") }, () => Ref.set(ran, true))
      )
      assert.strictEqual(error._tag, "ExperimentNotFound")
      assert.isFalse(yield* Ref.get(ran))
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("fails with RunNotFound for an unknown run id, without running the body", () =>
    Effect.gen(function* () {
      const ran = yield* Ref.make(false)
      const error = yield* Effect.flip(
        Tracking.withRun({ runId: RunId.make("0000000000000000000000000000dead") }, () => Ref.set(ran, true))
      )
      assert.strictEqual(error._tag, "RunNotFound")
      assert.isFalse(yield* Ref.get(ran))
    }).pipe(Effect.provide(TestLayer))
  )
})

describe("Tracking helpers", () => {
  it.effect("logMetric and logMetrics log points to the current run", () =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const run = yield* Tracking.withRun({ experiment: "metrics" }, (run) =>
        Effect.gen(function* () {
          yield* Tracking.logMetric("loss", 0.9, { step: 0 })
          yield* Tracking.logMetric("loss", 0.4, { step: 1, timestamp: 1234 })
          yield* Tracking.logMetrics({ accuracy: 0.8, f1: 0.7 }, { step: 1 })
          return run
        })
      )
      const history = yield* tracker.getMetricHistory({ runId: run.info.runId, key: "loss" })
      assert.deepStrictEqual(
        history.items.map((m) => [m.step, m.timestamp, m.value]),
        [
          [0, 0, 0.9],
          [1, 1234, 0.4]
        ]
      )
      const latest = [...(yield* getRun(run.info.runId)).data.metrics].sort((a, b) => a.key.localeCompare(b.key))
      assert.deepStrictEqual(
        latest.map((m) => [m.key, m.step, m.value]),
        [
          ["accuracy", 1, 0.8],
          ["f1", 1, 0.7],
          ["loss", 1, 0.4]
        ]
      )
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("logParam and logParams log params, as strings, to the current run", () =>
    Effect.gen(function* () {
      const runId = yield* Tracking.withRun({ experiment: "params" }, (run) =>
        Effect.gen(function* () {
          yield* Tracking.logParam("lr", 0.01)
          yield* Tracking.logParams({ epochs: 10, shuffle: true, optimizer: "adam" })
          return run.info.runId
        })
      )
      const params = (yield* getRun(runId)).data.params
      assert.deepStrictEqual(Object.fromEntries(params.map((p) => [p.key, p.value])), {
        lr: "0.01",
        epochs: "10",
        shuffle: "true",
        optimizer: "adam"
      })
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("setTag and setTags set tags on the current run", () =>
    Effect.gen(function* () {
      const runId = yield* Tracking.withRun({ experiment: "tags" }, (run) =>
        Effect.gen(function* () {
          yield* Tracking.setTag("team", "vision")
          yield* Tracking.setTags({ stage: "dev", owner: "bob" })
          return run.info.runId
        })
      )
      const tags = tagsOf(yield* getRun(runId))
      assert.deepInclude(tags, { team: "vision", stage: "dev", owner: "bob" })
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("logInputs records datasets on the current run", () =>
    Effect.gen(function* () {
      const input = new DatasetInput({
        dataset: new DatasetRef({ name: "iris", digest: "abc123", sourceType: "local", source: "data/iris.csv" }),
        tags: [new Tag({ key: "mlflow.data.context", value: "training" })]
      })
      const runId = yield* Tracking.withRun({ experiment: "inputs" }, (run) =>
        Effect.as(Tracking.logInputs([input]), run.info.runId)
      )
      const inputs = (yield* getRun(runId)).inputs
      assert.deepStrictEqual(
        inputs.map((i) => [i.dataset.name, i.dataset.digest, i.tags.map((t) => t.value)]),
        [["iris", "abc123", ["training"]]]
      )
    }).pipe(Effect.provide(TestLayer))
  )

  it.effect("currentRun returns the current run as stored now", () =>
    Effect.gen(function* () {
      const [runId, current] = yield* Tracking.withRun({ experiment: "current-run" }, (run) =>
        Effect.gen(function* () {
          yield* Tracking.logParam("seed", 7)
          return [run.info.runId, yield* Tracking.currentRun] as const
        })
      )
      assert.strictEqual(current.info.runId, runId)
      assert.strictEqual(current.info.status, "RUNNING")
      assert.deepStrictEqual(
        current.data.params.map((p) => [p.key, p.value]),
        [["seed", "7"]]
      )
    }).pipe(Effect.provide(TestLayer))
  )
})
