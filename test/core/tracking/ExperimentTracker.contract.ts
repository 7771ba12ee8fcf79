import { randomUUID } from "node:crypto"
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Either, type Layer } from "effect"
import { CurrentPrincipal, Principal } from "../../../src/core/context.js"
import { InvalidArgument, InvalidPageToken, LimitExceeded } from "../../../src/core/errors.js"
import { Limits } from "../../../src/core/limits.js"
import {
  ExperimentAlreadyExists,
  ExperimentNotActive,
  ExperimentNotFound,
  InvalidFilter,
  InvalidOrderBy,
  ParamAlreadyLogged,
  RunNotActive,
  RunNotFound,
  TagNotFound
} from "../../../src/core/tracking/errors.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import {
  type CreateExperiment,
  type CreateRun,
  DatasetContextTag,
  DatasetInput,
  DatasetRef,
  DefaultExperimentId,
  ExperimentId,
  type MetricInput,
  type Page,
  type Run,
  RunId,
  type SearchRuns,
  Tag
} from "../../../src/core/tracking/model.js"

// The layer is shared by every test of the block, so each test works in its own experiment(s).
const unique = (label: string): string => `${label}-${randomUUID()}`

const unknownRunId = RunId.make("0000000000000000000000000000dead")
const unknownExperimentId = ExperimentId.make("987654321987654321")

/**
 * Runs `self`, expects it to fail with `errorClass`, and returns the error
 * narrowed to that class. The constraint `C extends E` makes the compiler
 * check that the service declares the error at all.
 */
const failsWith = <A, E, R, C extends E & { readonly _tag: string }>(
  self: Effect.Effect<A, E, R>,
  errorClass: { readonly _tag: string } & (abstract new (...args: never) => C)
): Effect.Effect<C, never, R> =>
  Effect.flatMap(Effect.either(self), (result) => {
    if (Either.isRight(result)) return Effect.dieMessage(`expected ${errorClass._tag}, but the effect succeeded`)
    const error = result.left
    if (!(error instanceof errorClass)) {
      return Effect.dieMessage(`expected ${errorClass._tag}, got ${String(error)}`)
    }
    assert.strictEqual(error._tag, errorClass._tag)
    return Effect.succeed(error)
  })

const assertLimit = (
  error: LimitExceeded,
  expected: Pick<LimitExceeded, "field" | "limit" | "actual" | "unit">
): void => {
  assert.deepStrictEqual(
    { field: error.field, limit: error.limit, actual: error.actual, unit: error.unit },
    { ...expected }
  )
}

/** Tags or params as a record, so assertions do not depend on the order a store returns them in. */
const asRecord = (pairs: ReadonlyArray<{ readonly key: string; readonly value: string }>) =>
  Object.fromEntries(pairs.map((pair) => [pair.key, pair.value]))

/** The value of each metric key, from a run's latest metrics. */
const latestValues = (metrics: ReadonlyArray<{ readonly key: string; readonly value: number }>) =>
  Object.fromEntries(metrics.map((metric) => [metric.key, metric.value]))

const runIds = (page: Page<Run>): ReadonlyArray<string> => page.items.map((run) => run.info.runId)

const newExperiment = (input: Partial<CreateExperiment> = {}) =>
  Effect.flatMap(ExperimentTracker, (tracker) => tracker.createExperiment({ name: unique("exp"), ...input }))

const newRun = (input: Partial<CreateRun> = {}) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const experimentId = input.experimentId ?? (yield* newExperiment()).experimentId
    return yield* tracker.createRun({ ...input, experimentId })
  })

const historyOf = (runId: RunId, key: string) =>
  Effect.flatMap(ExperimentTracker, (tracker) => tracker.getMetricHistory({ runId, key })).pipe(
    Effect.map((page) => page.items)
  )

const points = (key: string, count: number, firstStep = 0): ReadonlyArray<MetricInput> =>
  Array.from({ length: count }, (_, i) => ({ key, value: i / 10, step: firstStep + i, timestamp: 1_000 + i }))

const keyValues = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i}`, value: `v${i}` }))

/** Follows `nextPageToken` until the last page; fails the test on a loop. */
const allPages = <A, E, R>(fetch: (pageToken: string | undefined) => Effect.Effect<Page<A>, E, R>) =>
  Effect.gen(function* () {
    const pages: Array<ReadonlyArray<A>> = []
    let token: string | undefined
    do {
      const page = yield* fetch(token)
      pages.push(page.items)
      token = page.nextPageToken ?? undefined
      assert.isBelow(pages.length, 1_000, "page tokens never ended")
    } while (token !== undefined)
    return pages
  })

const T0 = 1_795_691_837_342

const irisInput = new DatasetInput({
  dataset: new DatasetRef({
    name: "iris",
    digest: "abc123",
    sourceType: "local",
    source: '{"uri": "/data/iris.csv"}',
    profile: '{"num_rows": 150}'
  }),
  tags: [new Tag({ key: DatasetContextTag, value: "training" })]
})

/** The data of MLflow transcript entries 6–17: run-1 (finished, loss 0.25, lr 0.01, iris) and run-2 (loss 1.5, lr 0.1). */
const seedTranscriptRuns = Effect.gen(function* () {
  const tracker = yield* ExperimentTracker
  const { experimentId } = yield* newExperiment({ tags: [{ key: "team", value: "mlops" }] })
  const run1 = yield* tracker.createRun({
    experimentId,
    runName: "run-1",
    startTime: T0,
    tags: [{ key: "stage", value: "dev" }]
  })
  const id1 = run1.info.runId
  yield* tracker.logBatch(id1, {
    metrics: [
      { key: "loss", value: 0.9, timestamp: T0, step: 0 },
      { key: "loss", value: 0.5, timestamp: T0 + 1, step: 1 },
      { key: "loss", value: 0.25, timestamp: T0 + 2, step: 2 },
      { key: "acc", value: 0.8, timestamp: T0, step: 2 }
    ],
    params: [
      { key: "lr", value: "0.01" },
      { key: "optimizer", value: "adam" }
    ],
    tags: [{ key: "owner", value: "alice" }]
  })
  yield* tracker.logMetric(id1, { key: "acc", value: 0.85, timestamp: T0 + 3, step: 3 })
  yield* tracker.logInputs(id1, [irisInput])
  yield* tracker.updateRun(id1, { status: "FINISHED", endTime: T0 + 1_000 })
  const run2 = yield* tracker.createRun({ experimentId, runName: "run-2", startTime: T0 + 5 })
  const id2 = run2.info.runId
  yield* tracker.logBatch(id2, {
    metrics: [{ key: "loss", value: 1.5, timestamp: T0, step: 0 }],
    params: [{ key: "lr", value: "0.1" }]
  })
  return { experimentId, id1, id2 }
})

/**
 * The behaviour every `ExperimentTracker` implementation must share, checked
 * against MLflow 3.6 (see the REST transcript) and DESIGN.md.
 */
export const experimentTrackerContract = (name: string, impl: Layer.Layer<ExperimentTracker, unknown>): void => {
  // Live clock: "now" defaults (start times, metric timestamps) must be real times.
  layer(impl, { excludeTestServices: true })(`ExperimentTracker (${name})`, (it) => {
    describe("experiments", () => {
      it.effect("create, get and getByName return the same experiment with its tags", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const name = unique("contract-exp")
          const before = Date.now()
          const created = yield* tracker.createExperiment({ name, tags: [{ key: "team", value: "mlops" }] })
          const after = Date.now()
          assert.match(created.experimentId, /^[1-9]\d*$/)
          assert.strictEqual(created.name, name)
          assert.strictEqual(created.lifecycleStage, "active")
          assert.deepStrictEqual(asRecord(created.tags), { team: "mlops" })
          assert.include(created.artifactLocation, created.experimentId)
          assert.isAtLeast(created.creationTime, before)
          assert.isAtMost(created.creationTime, after)
          const byId = yield* tracker.getExperiment(created.experimentId)
          const byName = yield* tracker.getExperimentByName(name)
          for (const fetched of [byId, byName]) {
            assert.strictEqual(fetched.experimentId, created.experimentId)
            assert.strictEqual(fetched.name, name)
            assert.strictEqual(fetched.artifactLocation, created.artifactLocation)
            assert.strictEqual(fetched.lifecycleStage, "active")
            assert.strictEqual(fetched.creationTime, created.creationTime)
            assert.deepStrictEqual(asRecord(fetched.tags), { team: "mlops" })
          }
        })
      )

      it.effect("an explicit artifact location is kept", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const created = yield* newExperiment({ artifactLocation: "s3://bucket/somewhere" })
          const fetched = yield* tracker.getExperiment(created.experimentId)
          assert.strictEqual(fetched.artifactLocation, "s3://bucket/somewhere")
        })
      )

      it.effect('the Default experiment "0" exists and is active', () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const experiment = yield* tracker.getExperiment(DefaultExperimentId)
          assert.strictEqual(experiment.experimentId, "0")
          assert.strictEqual(experiment.name, "Default")
          assert.strictEqual(experiment.lifecycleStage, "active")
          const byName = yield* tracker.getExperimentByName("Default")
          assert.strictEqual(byName.experimentId, "0")
        })
      )

      it.effect("the Default experiment cannot be deleted", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          yield* failsWith(tracker.deleteExperiment(DefaultExperimentId), InvalidArgument)
          const experiment = yield* tracker.getExperiment(DefaultExperimentId)
          assert.strictEqual(experiment.lifecycleStage, "active")
        })
      )

      it.effect("each experiment gets its own id", () =>
        Effect.gen(function* () {
          const a = yield* newExperiment()
          const b = yield* newExperiment()
          assert.notStrictEqual(a.experimentId, b.experimentId)
        })
      )

      it.effect("a duplicate name fails with ExperimentAlreadyExists", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { name } = yield* newExperiment()
          const error = yield* failsWith(tracker.createExperiment({ name }), ExperimentAlreadyExists)
          assert.strictEqual(error.name, name)
        })
      )

      it.effect("unknown ids and names fail with ExperimentNotFound naming what was looked up", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const byId = yield* failsWith(tracker.getExperiment(unknownExperimentId), ExperimentNotFound)
          assert.strictEqual(byId.experiment, unknownExperimentId)
          const name = unique("missing")
          const byName = yield* failsWith(tracker.getExperimentByName(name), ExperimentNotFound)
          assert.strictEqual(byName.experiment, name)
        })
      )

      it.effect("writes to an unknown experiment fail with ExperimentNotFound", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          yield* failsWith(tracker.renameExperiment(unknownExperimentId, unique("x")), ExperimentNotFound)
          yield* failsWith(tracker.setExperimentTag(unknownExperimentId, "k", "v"), ExperimentNotFound)
          yield* failsWith(tracker.deleteExperiment(unknownExperimentId), ExperimentNotFound)
          yield* failsWith(tracker.restoreExperiment(unknownExperimentId), ExperimentNotFound)
        })
      )

      it.effect("a name of 500 characters is accepted, 501 fails with LimitExceeded on name", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const name500 = unique("long").padEnd(Limits.maxExperimentNameLength, "x")
          const created = yield* tracker.createExperiment({ name: name500 })
          assert.strictEqual((yield* tracker.getExperiment(created.experimentId)).name.length, 500)
          const error = yield* failsWith(tracker.createExperiment({ name: `${name500}y` }), LimitExceeded)
          assertLimit(error, { field: "name", limit: 500, actual: 501, unit: "characters" })
        })
      )

      it.effect("an empty name fails with InvalidArgument on name", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const error = yield* failsWith(tracker.createExperiment({ name: "" }), InvalidArgument)
          assert.strictEqual(error.field, "name")
        })
      )

      it.effect("an invalid tag key at creation names the tag", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const name = unique("badtag")
          const error = yield* failsWith(
            tracker.createExperiment({
              name,
              tags: [
                { key: "ok", value: "1" },
                { key: "bad key!", value: "2" }
              ]
            }),
            InvalidArgument
          )
          assert.strictEqual(error.field, "tags[1].key")
          yield* failsWith(tracker.getExperimentByName(name), ExperimentNotFound)
        })
      )

      it.effect("rename changes the name that getByName finds", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const experiment = yield* newExperiment()
          const newName = unique("renamed")
          yield* tracker.renameExperiment(experiment.experimentId, newName)
          assert.strictEqual((yield* tracker.getExperiment(experiment.experimentId)).name, newName)
          assert.strictEqual((yield* tracker.getExperimentByName(newName)).experimentId, experiment.experimentId)
          yield* failsWith(tracker.getExperimentByName(experiment.name), ExperimentNotFound)
        })
      )

      it.effect("renaming onto an existing name fails with ExperimentAlreadyExists and changes nothing", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const a = yield* newExperiment()
          const b = yield* newExperiment()
          const error = yield* failsWith(tracker.renameExperiment(a.experimentId, b.name), ExperimentAlreadyExists)
          assert.strictEqual(error.name, b.name)
          assert.strictEqual((yield* tracker.getExperiment(a.experimentId)).name, a.name)
        })
      )

      it.effect("setExperimentTag adds and overwrites, deleteExperimentTag removes", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment({ tags: [{ key: "keep", value: "1" }] })
          yield* tracker.setExperimentTag(experimentId, "team", "mlops")
          yield* tracker.setExperimentTag(experimentId, "team", "vision")
          assert.deepStrictEqual(asRecord((yield* tracker.getExperiment(experimentId)).tags), {
            keep: "1",
            team: "vision"
          })
          yield* tracker.deleteExperimentTag(experimentId, "team")
          assert.deepStrictEqual(asRecord((yield* tracker.getExperiment(experimentId)).tags), { keep: "1" })
        })
      )

      it.effect("setExperimentTag validates key and value", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const badKey = yield* failsWith(tracker.setExperimentTag(experimentId, "bad key!", "v"), InvalidArgument)
          assert.strictEqual(badKey.field, "key")
          const tooLong = yield* failsWith(
            tracker.setExperimentTag(experimentId, "big", "x".repeat(Limits.maxValueBytes + 1)),
            LimitExceeded
          )
          assertLimit(tooLong, { field: "value", limit: 65536, actual: 65537, unit: "bytes" })
        })
      )

      it.effect("delete moves the experiment and its runs to deleted, restore brings them back", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const run = yield* newRun({ experimentId })
          yield* tracker.deleteExperiment(experimentId)
          assert.strictEqual((yield* tracker.getExperiment(experimentId)).lifecycleStage, "deleted")
          assert.strictEqual((yield* tracker.getRun(run.info.runId)).info.lifecycleStage, "deleted")
          yield* tracker.restoreExperiment(experimentId)
          assert.strictEqual((yield* tracker.getExperiment(experimentId)).lifecycleStage, "active")
          assert.strictEqual((yield* tracker.getRun(run.info.runId)).info.lifecycleStage, "active")
        })
      )

      it.effect("searchExperiments honours viewType", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const prefix = unique("view")
          const kept = yield* newExperiment({ name: `${prefix}-kept` })
          const gone = yield* newExperiment({ name: `${prefix}-gone` })
          yield* tracker.deleteExperiment(gone.experimentId)
          const ids = (viewType?: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL") =>
            tracker
              .searchExperiments({
                filter: `name LIKE '${prefix}%'`,
                orderBy: ["name ASC"],
                ...(viewType === undefined ? {} : { viewType })
              })
              .pipe(Effect.map((page) => page.items.map((e) => e.experimentId)))
          assert.deepStrictEqual(yield* ids(), [kept.experimentId])
          assert.deepStrictEqual(yield* ids("ACTIVE_ONLY"), [kept.experimentId])
          assert.deepStrictEqual(yield* ids("DELETED_ONLY"), [gone.experimentId])
          assert.deepStrictEqual(yield* ids("ALL"), [gone.experimentId, kept.experimentId])
        })
      )

      it.effect("searchExperiments filters by name LIKE and tag and orders by name", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const prefix = unique("search")
          const b = yield* newExperiment({ name: `${prefix}-b`, tags: [{ key: "team", value: "vision" }] })
          yield* newExperiment({ name: `${prefix}-c`, tags: [{ key: "team", value: "nlp" }] })
          const a = yield* newExperiment({ name: `${prefix}-a`, tags: [{ key: "team", value: "vision" }] })
          const page = yield* tracker.searchExperiments({
            filter: `name LIKE '${prefix}%' AND tags.team = 'vision'`,
            orderBy: ["name ASC"]
          })
          assert.deepStrictEqual(
            page.items.map((e) => e.name),
            [a.name, b.name]
          )
          assert.isNull(page.nextPageToken)
          assert.deepStrictEqual(asRecord(page.items[0]?.tags ?? []), { team: "vision" })
          const descending = yield* tracker.searchExperiments({
            filter: `name LIKE '${prefix}%'`,
            orderBy: ["name DESC"]
          })
          assert.deepStrictEqual(
            descending.items.map((e) => e.name),
            [`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]
          )
        })
      )

      it.effect("searchExperiments pages with maxResults and pageToken", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const prefix = unique("paged")
          const names = ["a", "b", "c", "d", "e"].map((suffix) => `${prefix}-${suffix}`)
          for (const name of names) yield* newExperiment({ name })
          const pages = yield* allPages((pageToken) =>
            tracker.searchExperiments({
              filter: `name LIKE '${prefix}%'`,
              orderBy: ["name ASC"],
              maxResults: 2,
              ...(pageToken === undefined ? {} : { pageToken })
            })
          )
          assert.deepStrictEqual(
            pages.map((page) => page.map((e) => e.name)),
            [names.slice(0, 2), names.slice(2, 4), names.slice(4)]
          )
        })
      )

      it.effect("searchExperiments rejects a malformed filter and a foreign page token", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          yield* failsWith(tracker.searchExperiments({ filter: "name LIKE" }), InvalidFilter)
          const error = yield* failsWith(tracker.searchExperiments({ pageToken: "not-a-token" }), InvalidPageToken)
          assert.strictEqual(error.pageToken, "not-a-token")
        })
      )
    })

    describe("experiment summaries and keys", () => {
      it.effect("summaries count runs, active runs and the latest activity, in the order asked", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId: busy } = yield* newExperiment()
          const { experimentId: empty } = yield* newExperiment()
          const first = yield* tracker.createRun({ experimentId: busy, startTime: T0 })
          yield* tracker.createRun({ experimentId: busy, startTime: T0 + 10 })
          const gone = yield* tracker.createRun({ experimentId: busy, startTime: T0 + 20 })
          yield* tracker.updateRun(first.info.runId, { status: "FINISHED", endTime: T0 + 500 })
          yield* tracker.deleteRun(gone.info.runId)
          const summaries = yield* tracker.getExperimentSummaries([empty, busy, unknownExperimentId])
          assert.deepStrictEqual(
            summaries.map((s) => [s.experimentId, s.runCount, s.activeRunCount, s.lastActivity]),
            [
              [empty, 0, 0, null],
              [busy, 3, 2, T0 + 500]
            ]
          )
        })
      )

      it.effect("keys are the distinct metric, param and tag keys of active runs, sorted", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const a = yield* tracker.createRun({ experimentId })
          const b = yield* tracker.createRun({ experimentId })
          const deleted = yield* tracker.createRun({ experimentId })
          yield* tracker.logBatch(a.info.runId, {
            metrics: [{ key: "loss", value: 1 }],
            params: [{ key: "lr", value: "0.1" }],
            tags: [{ key: "team", value: "a" }]
          })
          yield* tracker.logBatch(b.info.runId, {
            metrics: [
              { key: "acc", value: 1 },
              { key: "loss", value: 2 }
            ],
            params: [{ key: "depth", value: "3" }]
          })
          yield* tracker.logBatch(deleted.info.runId, { metrics: [{ key: "secret", value: 1 }] })
          yield* tracker.deleteRun(deleted.info.runId)
          const keys = yield* tracker.getExperimentKeys(experimentId)
          assert.deepStrictEqual(keys.metrics, ["acc", "loss"])
          assert.deepStrictEqual(keys.params, ["depth", "lr"])
          assert.include(keys.tags, "team")
          assert.notInclude(keys.metrics, "secret")
        })
      )

      it.effect("keys of an unknown experiment fail with ExperimentNotFound", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          yield* failsWith(tracker.getExperimentKeys(unknownExperimentId), ExperimentNotFound)
        })
      )
    })

    describe("runs", () => {
      it.effect("createRun generates a name, tags it as mlflow.runName and starts RUNNING now", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const experiment = yield* newExperiment()
          const before = Date.now()
          const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
          const after = Date.now()
          const { info } = run
          assert.match(info.runId, /^[0-9a-f]{32}$/)
          assert.strictEqual(info.experimentId, experiment.experimentId)
          assert.isAbove(info.runName.trim().length, 0)
          assert.strictEqual(asRecord(run.data.tags)["mlflow.runName"], info.runName)
          assert.strictEqual(info.status, "RUNNING")
          assert.isAtLeast(info.startTime, before)
          assert.isAtMost(info.startTime, after)
          assert.isNull(info.endTime)
          assert.strictEqual(info.lifecycleStage, "active")
          assert.isTrue(info.artifactUri.startsWith(experiment.artifactLocation), info.artifactUri)
          assert.include(info.artifactUri, info.runId)
          assert.deepStrictEqual(run.data.metrics, [])
          assert.deepStrictEqual(run.data.params, [])
          assert.deepStrictEqual(run.inputs, [])
        })
      )

      it.effect("createRun keeps the given name, start time and tags, and getRun returns the same run", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const created = yield* newRun({ runName: "run-1", startTime: T0, tags: [{ key: "stage", value: "dev" }] })
          assert.strictEqual(created.info.runName, "run-1")
          assert.strictEqual(created.info.startTime, T0)
          assert.deepStrictEqual(asRecord(created.data.tags), { stage: "dev", "mlflow.runName": "run-1" })
          const fetched = yield* tracker.getRun(created.info.runId)
          assert.deepStrictEqual(fetched, created)
        })
      )

      it.effect("two runs get different ids", () =>
        Effect.gen(function* () {
          const { experimentId } = yield* newExperiment()
          const a = yield* newRun({ experimentId })
          const b = yield* newRun({ experimentId })
          assert.notStrictEqual(a.info.runId, b.info.runId)
        })
      )

      it.effect("the run's user is the current principal", () =>
        Effect.gen(function* () {
          const byDefault = yield* newRun()
          assert.strictEqual(byDefault.info.userId, "local")
          const byAlice = yield* newRun().pipe(Effect.provideService(CurrentPrincipal, new Principal({ id: "alice" })))
          assert.strictEqual(byAlice.info.userId, "alice")
        })
      )

      it.effect("a run name over 250 characters fails with LimitExceeded on runName", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const ok = yield* tracker.createRun({ experimentId, runName: "r".repeat(250) })
          assert.strictEqual(ok.info.runName.length, 250)
          const error = yield* failsWith(tracker.createRun({ experimentId, runName: "r".repeat(251) }), LimitExceeded)
          assertLimit(error, { field: "runName", limit: 250, actual: 251, unit: "characters" })
        })
      )

      it.effect("createRun in a missing experiment fails with ExperimentNotFound", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const error = yield* failsWith(tracker.createRun({ experimentId: unknownExperimentId }), ExperimentNotFound)
          assert.strictEqual(error.experiment, unknownExperimentId)
        })
      )

      it.effect("createRun in a deleted experiment fails with ExperimentNotActive", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          yield* tracker.deleteExperiment(experimentId)
          const error = yield* failsWith(tracker.createRun({ experimentId }), ExperimentNotActive)
          assert.strictEqual(error.experimentId, experimentId)
        })
      )

      it.effect("getRun of an unknown id fails with RunNotFound", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const error = yield* failsWith(tracker.getRun(unknownRunId), RunNotFound)
          assert.strictEqual(error.runId, unknownRunId)
        })
      )

      it.effect("writes to an unknown run fail with RunNotFound", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          yield* failsWith(tracker.updateRun(unknownRunId, { status: "FINISHED" }), RunNotFound)
          yield* failsWith(tracker.logParam(unknownRunId, "p", "v"), RunNotFound)
          yield* failsWith(tracker.logMetric(unknownRunId, { key: "m", value: 1 }), RunNotFound)
          yield* failsWith(tracker.setTag(unknownRunId, "t", "v"), RunNotFound)
          yield* failsWith(tracker.logBatch(unknownRunId, { metrics: points("m", 1) }), RunNotFound)
          yield* failsWith(tracker.logInputs(unknownRunId, [irisInput]), RunNotFound)
          yield* failsWith(tracker.deleteRun(unknownRunId), RunNotFound)
          yield* failsWith(tracker.restoreRun(unknownRunId), RunNotFound)
        })
      )

      it.effect("updateRun sets status and end time and returns the new info", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const run = yield* newRun({ startTime: T0 })
          const info = yield* tracker.updateRun(run.info.runId, { status: "FINISHED", endTime: T0 + 1_000 })
          assert.strictEqual(info.status, "FINISHED")
          assert.strictEqual(info.endTime, T0 + 1_000)
          assert.strictEqual(info.startTime, T0)
          assert.strictEqual(info.runName, run.info.runName)
          const fetched = yield* tracker.getRun(run.info.runId)
          assert.strictEqual(fetched.info.status, "FINISHED")
          assert.strictEqual(fetched.info.endTime, T0 + 1_000)
        })
      )

      it.effect("updateRun renames the run and its mlflow.runName tag", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const run = yield* newRun({ runName: "before" })
          const info = yield* tracker.updateRun(run.info.runId, { runName: "after" })
          assert.strictEqual(info.runName, "after")
          assert.strictEqual(info.status, "RUNNING")
          const fetched = yield* tracker.getRun(run.info.runId)
          assert.strictEqual(fetched.info.runName, "after")
          assert.strictEqual(asRecord(fetched.data.tags)["mlflow.runName"], "after")
        })
      )

      it.effect("deleteRun and restoreRun switch the lifecycle stage", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const run = yield* newRun()
          yield* tracker.deleteRun(run.info.runId)
          assert.strictEqual((yield* tracker.getRun(run.info.runId)).info.lifecycleStage, "deleted")
          yield* tracker.restoreRun(run.info.runId)
          assert.strictEqual((yield* tracker.getRun(run.info.runId)).info.lifecycleStage, "active")
          yield* tracker.logMetric(run.info.runId, { key: "m", value: 1 })
          assert.lengthOf(yield* historyOf(run.info.runId, "m"), 1)
        })
      )

      it.effect("every write to a deleted run fails with RunNotActive", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const run = yield* newRun()
          const runId = run.info.runId
          yield* tracker.deleteRun(runId)
          const errors = [
            yield* failsWith(tracker.logMetric(runId, { key: "m", value: 1 }), RunNotActive),
            yield* failsWith(tracker.logParam(runId, "p", "v"), RunNotActive),
            yield* failsWith(tracker.setTag(runId, "t", "v"), RunNotActive),
            yield* failsWith(tracker.logBatch(runId, { metrics: points("m", 1) }), RunNotActive),
            yield* failsWith(tracker.logInputs(runId, [irisInput]), RunNotActive),
            yield* failsWith(tracker.updateRun(runId, { status: "FINISHED" }), RunNotActive)
          ]
          assert.deepStrictEqual(
            errors.map((error) => error.runId),
            errors.map(() => runId)
          )
          const fetched = yield* tracker.getRun(runId)
          assert.deepStrictEqual(fetched.data.metrics, [])
          assert.deepStrictEqual(fetched.data.params, [])
          assert.strictEqual(fetched.info.status, "RUNNING")
        })
      )
    })

    describe("params, metrics and tags", () => {
      it.effect("a param is immutable: another value fails with ParamAlreadyLogged, the same value is fine", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logParam(runId, "lr", "0.01")
          const error = yield* failsWith(tracker.logParam(runId, "lr", "0.02"), ParamAlreadyLogged)
          assert.deepStrictEqual(
            { runId: error.runId, key: error.key, loggedValue: error.loggedValue, newValue: error.newValue },
            { runId, key: "lr", loggedValue: "0.01", newValue: "0.02" }
          )
          yield* tracker.logParam(runId, "lr", "0.01")
          const run = yield* tracker.getRun(runId)
          assert.deepStrictEqual(
            run.data.params.map((p) => [p.key, p.value]),
            [["lr", "0.01"]]
          )
        })
      )

      it.effect("logParam validates key and value", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const badKey = yield* failsWith(tracker.logParam(runId, "bad key!", "v"), InvalidArgument)
          assert.strictEqual(badKey.field, "key")
          const tooLong = yield* failsWith(
            tracker.logParam(runId, "big", "x".repeat(Limits.maxValueBytes + 1)),
            LimitExceeded
          )
          assertLimit(tooLong, { field: "value", limit: 65536, actual: 65537, unit: "bytes" })
        })
      )

      it.effect("getRun shows the latest point per metric: largest step, then latest timestamp", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logMetric(runId, { key: "loss", value: 0.9, step: 0, timestamp: 100 })
          yield* tracker.logMetric(runId, { key: "loss", value: 0.25, step: 2, timestamp: 50 })
          yield* tracker.logMetric(runId, { key: "loss", value: 0.5, step: 1, timestamp: 300 })
          yield* tracker.logMetric(runId, { key: "acc", value: 0.8, step: 0, timestamp: 100 })
          const latest = (yield* tracker.getRun(runId)).data.metrics
          assert.deepStrictEqual(
            latest
              .map((m) => ({ key: m.key, value: m.value, step: m.step, timestamp: m.timestamp }))
              .sort((x, y) => x.key.localeCompare(y.key)),
            [
              { key: "acc", value: 0.8, step: 0, timestamp: 100 },
              { key: "loss", value: 0.25, step: 2, timestamp: 50 }
            ]
          )
          yield* tracker.logMetric(runId, { key: "loss", value: 0.3, step: 2, timestamp: 60 })
          const afterTie = (yield* tracker.getRun(runId)).data.metrics.find((m) => m.key === "loss")
          assert.deepStrictEqual(
            { value: afterTie?.value, step: afterTie?.step, timestamp: afterTie?.timestamp },
            { value: 0.3, step: 2, timestamp: 60 }
          )
        })
      )

      it.effect("logMetric defaults the step to 0 and the timestamp to now", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const before = Date.now()
          yield* tracker.logMetric(runId, { key: "m", value: 1.5 })
          const after = Date.now()
          const [point] = yield* historyOf(runId, "m")
          assert.strictEqual(point?.step, 0)
          assert.strictEqual(point?.value, 1.5)
          assert.isAtLeast(point?.timestamp ?? -1, before)
          assert.isAtMost(point?.timestamp ?? Number.POSITIVE_INFINITY, after)
        })
      )

      it.effect("logMetric validates key, step and timestamp", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const badKey = yield* failsWith(tracker.logMetric(runId, { key: "bad key!", value: 1 }), InvalidArgument)
          assert.strictEqual(badKey.field, "key")
          const badStep = yield* failsWith(tracker.logMetric(runId, { key: "m", value: 1, step: 1.5 }), InvalidArgument)
          assert.strictEqual(badStep.field, "step")
          const badTime = yield* failsWith(
            tracker.logMetric(runId, { key: "m", value: 1, timestamp: 1.5 }),
            InvalidArgument
          )
          assert.strictEqual(badTime.field, "timestamp")
          assert.deepStrictEqual(yield* historyOf(runId, "m"), [])
        })
      )

      it.effect("NaN, Infinity and -Infinity round-trip through getRun and getMetricHistory", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
          yield* tracker.logBatch(runId, {
            metrics: [
              ...specials.map((value, step) => ({ key: "mixed", value, step, timestamp: 1 })),
              { key: "nan", value: Number.NaN, step: 0, timestamp: 1 },
              { key: "pinf", value: Number.POSITIVE_INFINITY, step: 0, timestamp: 1 },
              { key: "ninf", value: Number.NEGATIVE_INFINITY, step: 0, timestamp: 1 }
            ]
          })
          const mixed = yield* historyOf(runId, "mixed")
          assert.strictEqual(mixed.length, 3)
          mixed.forEach((point, i) => {
            assert.isTrue(Object.is(point.value, specials[i]), `step ${i}: ${point.value}`)
          })
          const latest = latestValues((yield* tracker.getRun(runId)).data.metrics)
          assert.isTrue(Number.isNaN(latest.nan), `nan: ${latest.nan}`)
          assert.isTrue(Object.is(latest.pinf, Number.POSITIVE_INFINITY), `pinf: ${latest.pinf}`)
          assert.isTrue(Object.is(latest.ninf, Number.NEGATIVE_INFINITY), `ninf: ${latest.ninf}`)
          assert.isTrue(Object.is(latest.mixed, Number.NEGATIVE_INFINITY), `mixed: ${latest.mixed}`)
          const single = yield* newRun()
          yield* tracker.logMetric(single.info.runId, { key: "nan", value: Number.NaN })
          const [point] = yield* historyOf(single.info.runId, "nan")
          assert.isTrue(Number.isNaN(point?.value), `logMetric NaN: ${point?.value}`)
        })
      )

      it.effect("setTag adds and overwrites a tag", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const run = yield* newRun({ runName: "tagged" })
          yield* tracker.setTag(run.info.runId, "owner", "alice")
          yield* tracker.setTag(run.info.runId, "owner", "bob")
          assert.deepStrictEqual(asRecord((yield* tracker.getRun(run.info.runId)).data.tags), {
            "mlflow.runName": "tagged",
            owner: "bob"
          })
        })
      )

      it.effect("deleteTag removes a tag; a missing tag fails with TagNotFound", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const run = yield* newRun({ runName: "tagged" })
          const { runId } = run.info
          yield* tracker.setTag(runId, "owner", "alice")
          yield* tracker.deleteTag(runId, "owner")
          assert.deepStrictEqual(asRecord((yield* tracker.getRun(runId)).data.tags), { "mlflow.runName": "tagged" })
          const error = yield* failsWith(tracker.deleteTag(runId, "owner"), TagNotFound)
          assert.deepStrictEqual({ runId: error.runId, key: error.key }, { runId, key: "owner" })
        })
      )

      it.effect("setTag validates key and value", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const badKey = yield* failsWith(tracker.setTag(runId, "/abs", "v"), InvalidArgument)
          assert.strictEqual(badKey.field, "key")
          const tooLong = yield* failsWith(
            tracker.setTag(runId, "big", "y".repeat(Limits.maxValueBytes + 1)),
            LimitExceeded
          )
          assertLimit(tooLong, { field: "value", limit: 65536, actual: 65537, unit: "bytes" })
        })
      )
    })

    describe("logBatch", () => {
      it.effect("stores the points as they were logged, whatever the caller does with its objects afterwards", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const point = { key: "loss", value: 0.5, step: 1, timestamp: 10 }
          yield* tracker.logBatch(runId, { metrics: [point] })
          point.value = 99
          point.step = 7
          const history = yield* historyOf(runId, "loss")
          assert.deepStrictEqual(
            history.map((m) => [m.step, m.value]),
            [[1, 0.5]]
          )
        })
      )

      it.effect("stores metrics, params and tags together", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun({ runName: "b" })).info
          yield* tracker.logBatch(runId, {
            metrics: points("loss", 3),
            params: [{ key: "lr", value: "0.01" }],
            tags: [{ key: "owner", value: "alice" }]
          })
          const run = yield* tracker.getRun(runId)
          assert.strictEqual((yield* historyOf(runId, "loss")).length, 3)
          assert.deepStrictEqual(asRecord(run.data.params), { lr: "0.01" })
          assert.deepStrictEqual(asRecord(run.data.tags), { "mlflow.runName": "b", owner: "alice" })
        })
      )

      it.effect("is all-or-nothing: one invalid metric key stores nothing from the batch", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun({ runName: "atomic" })).info
          const error = yield* failsWith(
            tracker.logBatch(runId, {
              metrics: [
                { key: "loss", value: 1, step: 0, timestamp: 1 },
                { key: "bad key!", value: 2, step: 0, timestamp: 1 }
              ],
              params: [{ key: "lr", value: "0.01" }],
              tags: [{ key: "owner", value: "alice" }]
            }),
            InvalidArgument
          )
          assert.strictEqual(error.field, "metrics[1].key")
          const run = yield* tracker.getRun(runId)
          assert.deepStrictEqual(yield* historyOf(runId, "loss"), [])
          assert.deepStrictEqual(run.data.metrics, [])
          assert.deepStrictEqual(run.data.params, [])
          assert.deepStrictEqual(asRecord(run.data.tags), { "mlflow.runName": "atomic" })
        })
      )

      it.effect("1000 metrics are accepted, 1001 fail with LimitExceeded on metrics", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, { metrics: points("ok", 1000) })
          assert.strictEqual((yield* historyOf(runId, "ok")).length, 1000)
          const error = yield* failsWith(tracker.logBatch(runId, { metrics: points("over", 1001) }), LimitExceeded)
          assertLimit(error, { field: "metrics", limit: 1000, actual: 1001, unit: "items" })
          assert.deepStrictEqual(yield* historyOf(runId, "over"), [])
        })
      )

      it.effect("100 params are accepted, 101 fail with LimitExceeded on params", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, { params: keyValues("p", 100) })
          assert.strictEqual((yield* tracker.getRun(runId)).data.params.length, 100)
          const error = yield* failsWith(tracker.logBatch(runId, { params: keyValues("q", 101) }), LimitExceeded)
          assertLimit(error, { field: "params", limit: 100, actual: 101, unit: "items" })
          assert.strictEqual((yield* tracker.getRun(runId)).data.params.length, 100)
        })
      )

      it.effect("100 tags are accepted, 101 fail with LimitExceeded on tags", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, { tags: keyValues("t", 100) })
          // 100 batch tags plus mlflow.runName
          assert.strictEqual((yield* tracker.getRun(runId)).data.tags.length, 101)
          const error = yield* failsWith(tracker.logBatch(runId, { tags: keyValues("u", 101) }), LimitExceeded)
          assertLimit(error, { field: "tags", limit: 100, actual: 101, unit: "items" })
          assert.strictEqual((yield* tracker.getRun(runId)).data.tags.length, 101)
        })
      )

      it.effect("more than 1000 items in total fail with LimitExceeded on batch", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const error = yield* failsWith(
            tracker.logBatch(runId, { metrics: points("m", 1000), params: keyValues("p", 1) }),
            LimitExceeded
          )
          assertLimit(error, { field: "batch", limit: 1000, actual: 1001, unit: "items" })
          assert.deepStrictEqual(yield* historyOf(runId, "m"), [])
        })
      )

      it.effect("more than 1 MB in one batch fails with LimitExceeded on batch", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const params = Array.from({ length: 17 }, (_, i) => ({ key: `p${i}`, value: "x".repeat(64_000) }))
          const error = yield* failsWith(tracker.logBatch(runId, { params }), LimitExceeded)
          assert.strictEqual(error.field, "batch")
          assert.strictEqual(error.unit, "bytes")
          assert.strictEqual(error.limit, Limits.maxBatchBytes)
          assert.isAbove(error.actual, Limits.maxBatchBytes)
          assert.deepStrictEqual((yield* tracker.getRun(runId)).data.params, [])
        })
      )

      it.effect("param and tag values of exactly 65536 bytes are stored whole", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const ascii = "x".repeat(65_536)
          const twoByte = "é".repeat(32_768)
          yield* tracker.logBatch(runId, {
            params: [
              { key: "ascii", value: ascii },
              { key: "utf8", value: twoByte }
            ],
            tags: [{ key: "ascii", value: ascii }]
          })
          const run = yield* tracker.getRun(runId)
          const params = asRecord(run.data.params)
          assert.strictEqual(params.ascii?.length, 65_536)
          assert.strictEqual(params.ascii, ascii)
          assert.strictEqual(params.utf8, twoByte)
          assert.strictEqual(asRecord(run.data.tags).ascii?.length, 65_536)
        })
      )

      it.effect("a param or tag value over 65536 bytes fails with LimitExceeded naming it", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const param = yield* failsWith(
            tracker.logBatch(runId, {
              params: [
                { key: "ok", value: "v" },
                { key: "big", value: "x".repeat(65_537) }
              ]
            }),
            LimitExceeded
          )
          assertLimit(param, { field: "params[1].value", limit: 65536, actual: 65537, unit: "bytes" })
          const tag = yield* failsWith(
            tracker.logBatch(runId, { tags: [{ key: "big", value: "x".repeat(65_537) }] }),
            LimitExceeded
          )
          assertLimit(tag, { field: "tags[0].value", limit: 65536, actual: 65537, unit: "bytes" })
          // Bytes, not characters: 32769 two-byte characters are 65538 bytes.
          const utf8 = yield* failsWith(
            tracker.logBatch(runId, { params: [{ key: "utf8", value: "é".repeat(32_769) }] }),
            LimitExceeded
          )
          assertLimit(utf8, { field: "params[0].value", limit: 65536, actual: 65538, unit: "bytes" })
          assert.deepStrictEqual((yield* tracker.getRun(runId)).data.params, [])
        })
      )

      it.effect("a key of 250 characters is accepted, 251 fails with LimitExceeded naming the key", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const key250 = "k".repeat(250)
          yield* tracker.logBatch(runId, { metrics: [{ key: key250, value: 1, step: 0, timestamp: 1 }] })
          assert.strictEqual((yield* historyOf(runId, key250)).length, 1)
          const error = yield* failsWith(
            tracker.logBatch(runId, { metrics: [{ key: `${key250}k`, value: 1, step: 0, timestamp: 1 }] }),
            LimitExceeded
          )
          assertLimit(error, { field: "metrics[0].key", limit: 250, actual: 251, unit: "characters" })
          const param = yield* failsWith(
            tracker.logBatch(runId, { params: [{ key: `${key250}k`, value: "v" }] }),
            LimitExceeded
          )
          assert.strictEqual(param.field, "params[0].key")
        })
      )

      it.effect(
        "keys with a '..' segment, a leading '/', an illegal character or nothing fail with InvalidArgument",
        () =>
          Effect.gen(function* () {
            const tracker = yield* ExperimentTracker
            const { runId } = (yield* newRun()).info
            const cases = [
              { batch: { metrics: [{ key: "a/../b", value: 1 }] }, field: "metrics[0].key" },
              { batch: { params: [{ key: "/abs", value: "v" }] }, field: "params[0].key" },
              {
                batch: {
                  tags: [
                    { key: "ok", value: "v" },
                    { key: "bad key!", value: "v" }
                  ]
                },
                field: "tags[1].key"
              },
              { batch: { metrics: [{ key: "", value: 1 }] }, field: "metrics[0].key" }
            ]
            for (const { batch, field } of cases) {
              const error = yield* failsWith(tracker.logBatch(runId, batch), InvalidArgument)
              assert.strictEqual(error.field, field)
            }
            const run = yield* tracker.getRun(runId)
            assert.deepStrictEqual(run.data.metrics, [])
            assert.deepStrictEqual(run.data.params, [])
          })
      )

      it.effect("keys with slashes, dots, dashes, spaces and colons are accepted", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const key = "train/loss.v2-a b:c"
          yield* tracker.logBatch(runId, { metrics: [{ key, value: 1, step: 0, timestamp: 1 }] })
          assert.strictEqual((yield* historyOf(runId, key)).length, 1)
        })
      )

      it.effect("a non-integer step or timestamp fails with InvalidArgument naming it", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const step = yield* failsWith(
            tracker.logBatch(runId, {
              metrics: [
                { key: "m", value: 1, step: 0 },
                { key: "m", value: 1, step: 1.5 }
              ]
            }),
            InvalidArgument
          )
          assert.strictEqual(step.field, "metrics[1].step")
          const timestamp = yield* failsWith(
            tracker.logBatch(runId, { metrics: [{ key: "m", value: 1, step: 0, timestamp: 1.5 }] }),
            InvalidArgument
          )
          assert.strictEqual(timestamp.field, "metrics[0].timestamp")
          assert.deepStrictEqual(yield* historyOf(runId, "m"), [])
        })
      )

      it.effect("the same batch twice with one idempotencyKey stores its points once", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const batch = { metrics: points("loss", 5), idempotencyKey: randomUUID() }
          yield* tracker.logBatch(runId, batch)
          yield* tracker.logBatch(runId, batch)
          assert.deepStrictEqual(
            (yield* historyOf(runId, "loss")).map((m) => m.step),
            [0, 1, 2, 3, 4]
          )
        })
      )

      it.effect("the same batch twice without an idempotencyKey stores its points twice", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const batch = { metrics: points("loss", 5) }
          yield* tracker.logBatch(runId, batch)
          yield* tracker.logBatch(runId, batch)
          assert.strictEqual((yield* historyOf(runId, "loss")).length, 10)
        })
      )

      it.effect("an idempotencyKey is scoped to its run", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const a = (yield* newRun({ experimentId })).info.runId
          const b = (yield* newRun({ experimentId })).info.runId
          const batch = { metrics: points("loss", 3), idempotencyKey: randomUUID() }
          yield* tracker.logBatch(a, batch)
          yield* tracker.logBatch(b, batch)
          assert.strictEqual((yield* historyOf(a, "loss")).length, 3)
          assert.strictEqual((yield* historyOf(b, "loss")).length, 3)
        })
      )

      it.effect("a changed param fails the whole batch with ParamAlreadyLogged and stores nothing from it", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun({ runName: "immutable" })).info
          yield* tracker.logParam(runId, "lr", "0.01")
          const error = yield* failsWith(
            tracker.logBatch(runId, {
              metrics: points("loss", 3),
              params: [
                { key: "optimizer", value: "adam" },
                { key: "lr", value: "0.02" }
              ],
              tags: [{ key: "owner", value: "alice" }]
            }),
            ParamAlreadyLogged
          )
          assert.deepStrictEqual(
            { runId: error.runId, key: error.key, loggedValue: error.loggedValue, newValue: error.newValue },
            { runId, key: "lr", loggedValue: "0.01", newValue: "0.02" }
          )
          const run = yield* tracker.getRun(runId)
          assert.deepStrictEqual(yield* historyOf(runId, "loss"), [])
          assert.deepStrictEqual(asRecord(run.data.params), { lr: "0.01" })
          assert.deepStrictEqual(asRecord(run.data.tags), { "mlflow.runName": "immutable" })
        })
      )

      it.effect("a batch repeating a logged param with the same value succeeds", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logParam(runId, "lr", "0.01")
          yield* tracker.logBatch(runId, { params: [{ key: "lr", value: "0.01" }], metrics: points("loss", 2) })
          assert.strictEqual((yield* historyOf(runId, "loss")).length, 2)
          assert.deepStrictEqual(asRecord((yield* tracker.getRun(runId)).data.params), { lr: "0.01" })
        })
      )

      it.effect("20 concurrent batches of 100 points to one run store exactly 2000 points", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* Effect.all(
            Array.from({ length: 20 }, (_, fiber) =>
              tracker.logBatch(runId, { metrics: points("loss", 100, fiber * 100) })
            ),
            { concurrency: "unbounded" }
          )
          const history = yield* historyOf(runId, "loss")
          assert.strictEqual(history.length, 2000)
          assert.strictEqual(new Set(history.map((m) => m.step)).size, 2000)
          const latest = (yield* tracker.getRun(runId)).data.metrics.find((m) => m.key === "loss")
          assert.strictEqual(latest?.step, 1999)
        })
      )
    })

    describe("getMetricHistory", () => {
      it.effect("returns points ordered by step, then timestamp", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, {
            metrics: [5, 1, 3, 0, 2, 4].map((step) => ({ key: "loss", value: step * 10, step, timestamp: 100 }))
          })
          yield* tracker.logMetric(runId, { key: "loss", value: 11, step: 1, timestamp: 200 })
          yield* tracker.logMetric(runId, { key: "loss", value: 12, step: 1, timestamp: 50 })
          const history = yield* historyOf(runId, "loss")
          assert.deepStrictEqual(
            history.map((m) => [m.step, m.timestamp, m.value]),
            [
              [0, 100, 0],
              [1, 50, 12],
              [1, 100, 10],
              [1, 200, 11],
              [2, 100, 20],
              [3, 100, 30],
              [4, 100, 40],
              [5, 100, 50]
            ]
          )
          assert.isTrue(history.every((m) => m.key === "loss"))
        })
      )

      it.effect("points equal in step and timestamp keep the order they were logged in, across batches", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const at = (step: number, value: number) => ({ key: "loss", value, step, timestamp: 7 })
          yield* tracker.logBatch(runId, { metrics: [at(2, 1), at(1, 2), at(2, 3)] })
          yield* tracker.logBatch(runId, { metrics: [at(1, 4), at(0, 5), at(2, 6)] })
          const history = yield* historyOf(runId, "loss")
          assert.deepStrictEqual(
            history.map((m) => [m.step, m.value]),
            [
              [0, 5],
              [1, 2],
              [1, 4],
              [2, 1],
              [2, 3],
              [2, 6]
            ]
          )
        })
      )

      it.effect("maxPoints keeps the first and last points when a later batch logged earlier and later steps", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const batch = (steps: ReadonlyArray<number>) =>
            tracker.logBatch(runId, {
              metrics: steps.map((step) => ({ key: "loss", value: step / 1000, step, timestamp: 1 }))
            })
          yield* batch(Array.from({ length: 900 }, (_, i) => 100 + i))
          yield* batch([5, 2000, 40])
          const sampled = (yield* tracker.getMetricHistory({ runId, key: "loss", maxPoints: 20 })).items
          assert.strictEqual(sampled[0]?.step, 5)
          assert.strictEqual(sampled[sampled.length - 1]?.step, 2000)
          const windowed = (yield* tracker.getMetricHistory({ runId, key: "loss", maxPoints: 20, startStep: 30 })).items
          assert.strictEqual(windowed[0]?.step, 40)
        })
      )

      it.effect("a key the run never logged has an empty history", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const page = yield* tracker.getMetricHistory({ runId, key: "never" })
          assert.deepStrictEqual(page.items, [])
          assert.isNull(page.nextPageToken)
        })
      )

      it.effect("pages with maxResults and pageToken cover every point exactly once", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, { metrics: points("loss", 25) })
          const pages = yield* allPages((pageToken) =>
            tracker.getMetricHistory({ runId, key: "loss", maxResults: 10, ...(pageToken ? { pageToken } : {}) })
          )
          assert.deepStrictEqual(
            pages.map((page) => page.length),
            [10, 10, 5]
          )
          assert.deepStrictEqual(
            pages.flat().map((m) => m.step),
            Array.from({ length: 25 }, (_, i) => i)
          )
        })
      )

      it.effect("startTime and endTime select an inclusive window of wall-clock time", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          // points(): step i at timestamp 1000 + i
          yield* tracker.logBatch(runId, { metrics: points("loss", 20) })
          const page = yield* tracker.getMetricHistory({ runId, key: "loss", startTime: 1_005, endTime: 1_009 })
          assert.deepStrictEqual(
            page.items.map((m) => m.timestamp),
            [1_005, 1_006, 1_007, 1_008, 1_009]
          )
          const downsampled = yield* tracker.getMetricHistory({
            runId,
            key: "loss",
            startTime: 1_005,
            endTime: 1_014,
            maxPoints: 4
          })
          assert.isAtMost(downsampled.items.length, 4)
          assert.deepStrictEqual([downsampled.items[0]?.timestamp, downsampled.items.at(-1)?.timestamp], [1_005, 1_014])
        })
      )

      it.effect("startStep and endStep select an inclusive window", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, { metrics: points("loss", 20) })
          const page = yield* tracker.getMetricHistory({ runId, key: "loss", startStep: 5, endStep: 9 })
          assert.deepStrictEqual(
            page.items.map((m) => m.step),
            [5, 6, 7, 8, 9]
          )
        })
      )

      it.effect("maxPoints downsamples with LTTB, keeping the first and last points and a spike", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const value = (step: number) => (step === 500 ? 100 : Math.sin(step / 50))
          const steps = Array.from({ length: 1000 }, (_, step) => step)
          for (let from = 0; from < 1000; from += 500) {
            yield* tracker.logBatch(runId, {
              metrics: steps
                .slice(from, from + 500)
                .map((step) => ({ key: "loss", value: value(step), step, timestamp: 1 }))
            })
          }
          const page = yield* tracker.getMetricHistory({ runId, key: "loss", maxPoints: 50 })
          const sampled = page.items
          assert.isAtMost(sampled.length, 50)
          assert.isAtLeast(sampled.length, 3)
          assert.strictEqual(sampled[0]?.step, 0)
          assert.strictEqual(sampled[sampled.length - 1]?.step, 999)
          assert.isTrue(
            sampled.some((m) => m.step === 500 && m.value === 100),
            "the spike at step 500 is kept"
          )
          assert.isTrue(
            sampled.every((m, i) => i === 0 || m.step > (sampled[i - 1]?.step ?? Number.POSITIVE_INFINITY)),
            "steps strictly increase"
          )
          assert.isTrue(
            sampled.every((m) => m.value === value(m.step)),
            "every point is a logged point"
          )
          assert.isNull(page.nextPageToken)
        })
      )

      it.effect("maxPoints over a long series keeps its extremes and NaNs, and respects a step window", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const value = (step: number) =>
            step === 31_337 ? -50 : step === 77_777 ? 80 : step === 60_000 ? Number.NaN : Math.cos(step / 997)
          for (let from = 0; from < 100_000; from += 1000) {
            yield* tracker.logBatch(runId, {
              metrics: Array.from({ length: 1000 }, (_, i) => ({
                key: "loss",
                value: value(from + i),
                step: from + i,
                timestamp: from + i
              }))
            })
          }
          const whole = (yield* tracker.getMetricHistory({ runId, key: "loss", maxPoints: 200 })).items
          assert.isAtMost(whole.length, 200)
          assert.strictEqual(whole[0]?.step, 0)
          assert.strictEqual(whole[whole.length - 1]?.step, 99_999)
          assert.isTrue(
            whole.some((m) => m.step === 31_337 && m.value === -50),
            "the dip is kept"
          )
          assert.isTrue(
            whole.some((m) => m.step === 77_777 && m.value === 80),
            "the spike is kept"
          )
          assert.isTrue(
            whole.some((m) => m.step === 60_000 && Number.isNaN(m.value)),
            "the NaN is kept"
          )
          assert.isTrue(
            whole.every((m) => Object.is(m.value, value(m.step)) && m.timestamp === m.step),
            "every point is a logged point"
          )
          const window = (yield* tracker.getMetricHistory({
            runId,
            key: "loss",
            startStep: 30_000,
            endStep: 70_000,
            maxPoints: 100
          })).items
          assert.isAtMost(window.length, 100)
          assert.strictEqual(window[0]?.step, 30_000)
          assert.strictEqual(window[window.length - 1]?.step, 70_000)
          assert.isTrue(window.every((m) => m.step >= 30_000 && m.step <= 70_000))
          assert.isTrue(window.some((m) => m.step === 31_337 && m.value === -50))
        })
      )

      it.effect("maxPoints at or above the number of points returns them all", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, { metrics: points("loss", 10) })
          const page = yield* tracker.getMetricHistory({ runId, key: "loss", maxPoints: 10 })
          assert.deepStrictEqual(
            page.items.map((m) => m.step),
            Array.from({ length: 10 }, (_, i) => i)
          )
        })
      )

      it.effect("an unknown run fails with RunNotFound", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const error = yield* failsWith(tracker.getMetricHistory({ runId: unknownRunId, key: "loss" }), RunNotFound)
          assert.strictEqual(error.runId, unknownRunId)
        })
      )

      it.effect("a page token that was not issued, or issued for another query, fails with InvalidPageToken", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logBatch(runId, { metrics: [...points("a", 5), ...points("b", 5)] })
          const garbage = yield* failsWith(
            tracker.getMetricHistory({ runId, key: "a", pageToken: "garbage" }),
            InvalidPageToken
          )
          assert.strictEqual(garbage.pageToken, "garbage")
          const first = yield* tracker.getMetricHistory({ runId, key: "a", maxResults: 2 })
          const token = first.nextPageToken
          assert.isString(token)
          const foreign = yield* failsWith(
            tracker.getMetricHistory({ runId, key: "b", maxResults: 2, pageToken: token ?? "" }),
            InvalidPageToken
          )
          assert.strictEqual(foreign.pageToken, token)
        })
      )

      it.effect("maxResults and maxPoints below 1 fail with InvalidArgument naming them", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          const results = yield* failsWith(
            tracker.getMetricHistory({ runId, key: "loss", maxResults: 0 }),
            InvalidArgument
          )
          assert.strictEqual(results.field, "maxResults")
          const downsample = yield* failsWith(
            tracker.getMetricHistory({ runId, key: "loss", maxPoints: 0 }),
            InvalidArgument
          )
          assert.strictEqual(downsample.field, "maxPoints")
        })
      )
    })

    describe("logInputs", () => {
      it.effect("the run's inputs show the dataset and its context tag", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logInputs(runId, [irisInput])
          const inputs = (yield* tracker.getRun(runId)).inputs
          assert.strictEqual(inputs.length, 1)
          const [input] = inputs
          assert.deepStrictEqual(
            {
              name: input?.dataset.name,
              digest: input?.dataset.digest,
              sourceType: input?.dataset.sourceType,
              source: input?.dataset.source,
              profile: input?.dataset.profile
            },
            {
              name: "iris",
              digest: "abc123",
              sourceType: "local",
              source: '{"uri": "/data/iris.csv"}',
              profile: '{"num_rows": 150}'
            }
          )
          assert.deepStrictEqual(asRecord(input?.tags ?? []), { [DatasetContextTag]: "training" })
        })
      )

      it.effect("logging the same dataset twice keeps one input, another digest adds one", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { runId } = (yield* newRun()).info
          yield* tracker.logInputs(runId, [irisInput])
          yield* tracker.logInputs(runId, [irisInput])
          assert.strictEqual((yield* tracker.getRun(runId)).inputs.length, 1)
          const v2 = new DatasetInput({
            dataset: new DatasetRef({ ...irisInput.dataset, digest: "def456" }),
            tags: irisInput.tags
          })
          yield* tracker.logInputs(runId, [v2])
          assert.deepStrictEqual((yield* tracker.getRun(runId)).inputs.map((input) => input.dataset.digest).sort(), [
            "abc123",
            "def456"
          ])
        })
      )
    })

    describe("searchRuns", () => {
      it.effect("filter on metric, param and status, ordered by metric (transcript 18)", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1 } = yield* seedTranscriptRuns
          const page = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: "metrics.loss < 1 and params.lr = '0.01' and attributes.status = 'FINISHED'",
            orderBy: ["metrics.loss ASC"],
            maxResults: 10
          })
          assert.deepStrictEqual(runIds(page), [id1])
          assert.isNull(page.nextPageToken)
          const [run] = page.items
          assert.strictEqual(run?.info.status, "FINISHED")
          assert.strictEqual(run?.info.endTime, T0 + 1_000)
          assert.deepStrictEqual(latestValues(run?.data.metrics ?? []), { loss: 0.25, acc: 0.85 })
          assert.deepStrictEqual(asRecord(run?.data.params ?? []), { lr: "0.01", optimizer: "adam" })
          assert.deepStrictEqual(asRecord(run?.data.tags ?? []), {
            stage: "dev",
            "mlflow.runName": "run-1",
            owner: "alice"
          })
          assert.deepStrictEqual(
            run?.inputs.map((input) => input.dataset.name),
            ["iris"]
          )
        })
      )

      it.effect("select returns only the named keys, while the filter and the order still see every key", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1 } = yield* seedTranscriptRuns
          const page = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: "params.optimizer = 'adam' and tags.owner = 'alice'",
            orderBy: ["metrics.acc DESC"],
            select: { metrics: ["loss"], params: [], tags: ["stage", "no-such-tag"] }
          })
          assert.deepStrictEqual(runIds(page), [id1])
          const [run] = page.items
          assert.deepStrictEqual(latestValues(run?.data.metrics ?? []), { loss: 0.25 })
          assert.deepStrictEqual(run?.data.params, [])
          assert.deepStrictEqual(asRecord(run?.data.tags ?? []), { stage: "dev" })
          assert.deepStrictEqual(run?.inputs, [])
          const withInputs = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: `attributes.run_id = '${id1}'`,
            select: { metrics: [], inputs: true }
          })
          assert.deepStrictEqual(withInputs.items[0]?.data.metrics, [])
          assert.deepStrictEqual(asRecord(withInputs.items[0]?.data.params ?? []), { lr: "0.01", optimizer: "adam" })
          assert.deepStrictEqual(
            withInputs.items[0]?.inputs.map((input) => input.dataset.name),
            ["iris"]
          )
        })
      )

      it.effect("ILIKE, LIKE, a backticked tag key and run_id IN (transcript 19)", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1, id2 } = yield* seedTranscriptRuns
          const page = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter:
              "attributes.run_name ILIKE 'RUN-%' and params.optimizer LIKE 'ad%' and " +
              `tags.\`mlflow.runName\` != 'x' and attributes.run_id IN ('${id1}', '${id2}')`,
            maxResults: 10
          })
          assert.deepStrictEqual(runIds(page), [id1])
        })
      )

      it.effect("LIKE is case-sensitive, ILIKE is not", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* seedTranscriptRuns
          const like = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: "attributes.run_name LIKE 'RUN-%'"
          })
          assert.deepStrictEqual(runIds(like), [])
          const ilike = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: "attributes.run_name ILIKE 'RUN-%'"
          })
          assert.strictEqual(ilike.items.length, 2)
        })
      )

      it.effect("dataset name IN, context and digest (transcript 20)", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1 } = yield* seedTranscriptRuns
          const page = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter:
              "datasets.name IN ('iris', 'wine') and datasets.context = 'training' and datasets.digest = 'abc123'",
            maxResults: 10
          })
          assert.deepStrictEqual(runIds(page), [id1])
          const none = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: "datasets.context = 'validation'"
          })
          assert.deepStrictEqual(runIds(none), [])
        })
      )

      it.effect("a dataset filter combined with a param filter works (transcript 21 is an MLflow bug)", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1 } = yield* seedTranscriptRuns
          const page = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: "params.optimizer = 'adam' and datasets.name = 'iris'"
          })
          assert.deepStrictEqual(runIds(page), [id1])
        })
      )

      it.effect("params IN fails with InvalidFilter (transcript 22)", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* seedTranscriptRuns
          const filter = "params.lr IN ('0.01', '0.1')"
          const error = yield* failsWith(tracker.searchRuns({ experimentIds: [experimentId], filter }), InvalidFilter)
          assert.strictEqual(error.filter, filter)
        })
      )

      it.effect("an invalid comparator fails with InvalidFilter at its position (transcript 24)", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const filter = "metrics.loss <<< 1"
          const error = yield* failsWith(tracker.searchRuns({ experimentIds: [experimentId], filter }), InvalidFilter)
          assert.strictEqual(error.filter, filter)
          assert.strictEqual(error.position, 13)
        })
      )

      it.effect("an invalid orderBy fails with InvalidOrderBy", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const error = yield* failsWith(
            tracker.searchRuns({ experimentIds: [experimentId], orderBy: ["metrics.loss SIDEWAYS"] }),
            InvalidOrderBy
          )
          assert.strictEqual(error.orderBy, "metrics.loss SIDEWAYS")
        })
      )

      it.effect("maxResults 1 pages through every run once, in order (transcript 23)", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1, id2 } = yield* seedTranscriptRuns
          const query: SearchRuns = {
            experimentIds: [experimentId],
            maxResults: 1,
            orderBy: ["attributes.start_time DESC"]
          }
          const first = yield* tracker.searchRuns(query)
          assert.deepStrictEqual(runIds(first), [id2])
          assert.isString(first.nextPageToken)
          const second = yield* tracker.searchRuns({ ...query, pageToken: first.nextPageToken ?? "" })
          assert.deepStrictEqual(runIds(second), [id1])
          assert.isNull(second.nextPageToken)
        })
      )

      it.effect("the default order is start_time DESC, then run_id ASC", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const startTimes = [100, 300, 200, 400, 400, 400]
          const runs: Array<{ readonly id: string; readonly startTime: number }> = []
          for (const startTime of startTimes) {
            runs.push({ id: (yield* newRun({ experimentId, startTime })).info.runId, startTime })
          }
          const expected = [...runs]
            .sort((a, b) => b.startTime - a.startTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
            .map((run) => run.id)
          const page = yield* tracker.searchRuns({ experimentIds: [experimentId] })
          assert.deepStrictEqual(runIds(page), expected)
          const pages = yield* allPages((pageToken) =>
            tracker.searchRuns({ experimentIds: [experimentId], maxResults: 1, ...(pageToken ? { pageToken } : {}) })
          )
          assert.deepStrictEqual(
            pages.flat().map((run) => run.info.runId),
            expected
          )
        })
      )

      it.effect("ordering by a metric puts NaN and then missing values last, ascending and descending", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const withLoss = (value: number | undefined, startTime: number) =>
            Effect.gen(function* () {
              const { runId } = (yield* newRun({ experimentId, startTime })).info
              if (value !== undefined) yield* tracker.logMetric(runId, { key: "loss", value, step: 0, timestamp: 1 })
              return runId
            })
          const half = yield* withLoss(0.5, 1)
          const nan = yield* withLoss(Number.NaN, 2)
          const missing = yield* withLoss(undefined, 3)
          const tenth = yield* withLoss(0.1, 4)
          const ordered = (direction: "ASC" | "DESC") =>
            tracker
              .searchRuns({ experimentIds: [experimentId], orderBy: [`metrics.loss ${direction}`] })
              .pipe(Effect.map(runIds))
          assert.deepStrictEqual(yield* ordered("ASC"), [tenth, half, nan, missing])
          assert.deepStrictEqual(yield* ordered("DESC"), [half, tenth, nan, missing])
        })
      )

      it.effect("viewType selects active, deleted or all runs", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1, id2 } = yield* seedTranscriptRuns
          yield* tracker.deleteRun(id2)
          const ids = (viewType: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL") =>
            tracker.searchRuns({ experimentIds: [experimentId], viewType }).pipe(Effect.map(runIds))
          assert.deepStrictEqual(runIds(yield* tracker.searchRuns({ experimentIds: [experimentId] })), [id1])
          assert.deepStrictEqual(yield* ids("ACTIVE_ONLY"), [id1])
          assert.deepStrictEqual(yield* ids("DELETED_ONLY"), [id2])
          assert.deepStrictEqual(yield* ids("ALL"), [id2, id1])
          const deleted = yield* tracker.searchRuns({ experimentIds: [experimentId], viewType: "DELETED_ONLY" })
          assert.strictEqual(deleted.items[0]?.info.lifecycleStage, "deleted")
          assert.deepStrictEqual(latestValues(deleted.items[0]?.data.metrics ?? []), { loss: 1.5 })
        })
      )

      it.effect("searches several experiments at once, and only those", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const a = yield* newExperiment()
          const b = yield* newExperiment()
          const c = yield* newExperiment()
          const inA = (yield* newRun({ experimentId: a.experimentId, startTime: 2 })).info.runId
          const inB = (yield* newRun({ experimentId: b.experimentId, startTime: 1 })).info.runId
          yield* newRun({ experimentId: c.experimentId, startTime: 3 })
          const page = yield* tracker.searchRuns({ experimentIds: [a.experimentId, b.experimentId] })
          assert.deepStrictEqual(runIds(page), [inA, inB])
        })
      )

      it.effect("an experiment without runs yields an empty last page", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const page = yield* tracker.searchRuns({ experimentIds: [experimentId] })
          assert.deepStrictEqual(page.items, [])
          assert.isNull(page.nextPageToken)
        })
      )

      it.effect("filters on tags and on a run name attribute", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId, id1, id2 } = yield* seedTranscriptRuns
          const byTag = yield* tracker.searchRuns({ experimentIds: [experimentId], filter: "tags.owner = 'alice'" })
          assert.deepStrictEqual(runIds(byTag), [id1])
          const byName = yield* tracker.searchRuns({
            experimentIds: [experimentId],
            filter: "attributes.run_name = 'run-2'"
          })
          assert.deepStrictEqual(runIds(byName), [id2])
          const byMetric = yield* tracker.searchRuns({ experimentIds: [experimentId], filter: "metrics.loss >= 1" })
          assert.deepStrictEqual(runIds(byMetric), [id2])
        })
      )

      it.effect("maxResults outside 1..50000 and a foreign page token are rejected", () =>
        Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* newExperiment()
          const tooMany = yield* failsWith(
            tracker.searchRuns({ experimentIds: [experimentId], maxResults: Limits.maxSearchResults + 1 }),
            InvalidArgument
          )
          assert.strictEqual(tooMany.field, "maxResults")
          const zero = yield* failsWith(
            tracker.searchRuns({ experimentIds: [experimentId], maxResults: 0 }),
            InvalidArgument
          )
          assert.strictEqual(zero.field, "maxResults")
          const token = yield* failsWith(
            tracker.searchRuns({ experimentIds: [experimentId], pageToken: "garbage" }),
            InvalidPageToken
          )
          assert.strictEqual(token.pageToken, "garbage")
        })
      )
    })
  })
}
