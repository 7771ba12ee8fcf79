import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer, TestClock } from "effect"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { LoggedModels } from "../../../src/core/models/LoggedModels.js"
import type { CreateLoggedModel, LoggedModel, LoggedModelId } from "../../../src/core/models/model.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { DefaultExperimentId, Param, RunId, Tag } from "../../../src/core/tracking/model.js"

const unknownRunId = RunId.make("0000000000000000000000000000dead")
const unknownModelId = "m-0000000000000000000000000000dead" as LoggedModelId

/** A fresh experiment and a run in it. */
const setup = (name = "exp") =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const experiment = yield* tracker.createExperiment({ name })
    const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
    return { experiment, run }
  })

const create = (input: CreateLoggedModel) => Effect.flatMap(LoggedModels, (models) => models.createLoggedModel(input))

/** Runs `failing`, checks its error tag (and field when given), and that the model is unchanged. */
const failsUnchanged = <A, E extends { readonly _tag: string }, R>(
  modelId: LoggedModelId,
  failing: Effect.Effect<A, E, R>,
  expected: { readonly _tag: string; readonly field?: string }
) =>
  Effect.gen(function* () {
    const models = yield* LoggedModels
    const before = yield* models.getLoggedModel(modelId)
    const error = yield* Effect.flip(failing)
    assert.strictEqual(error._tag, expected._tag)
    if (expected.field !== undefined) assert.strictEqual((error as unknown as { field: string }).field, expected.field)
    assert.deepStrictEqual(yield* models.getLoggedModel(modelId), before)
  })

const names = (page: { readonly items: ReadonlyArray<LoggedModel> }) => page.items.map((m) => m.name)

/**
 * The behaviour every LoggedModels implementation must have. Each test gets a
 * fresh `layer` (with the ExperimentTracker it uses), so stores never leak
 * between tests.
 */
export const loggedModelsContract = <E>(name: string, layer: Layer.Layer<LoggedModels | ExperimentTracker, E>) => {
  const test = (title: string, body: Effect.Effect<void, unknown, LoggedModels | ExperimentTracker>) =>
    it.effect(title, () => body.pipe(Effect.provide(layer)))

  describe(`LoggedModels (${name})`, () => {
    describe("logged models", () => {
      test(
        "create returns a pending model under the experiment's artifact location, and get returns it",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { experiment, run } = yield* setup()
          yield* TestClock.adjust(1000)
          const created = yield* models.createLoggedModel({
            experimentId: experiment.experimentId,
            name: "model",
            modelType: "classifier",
            sourceRunId: run.info.runId,
            tags: [
              { key: "mlflow.user", value: "root" },
              { key: "mlflow.source.name", value: "flows.py" }
            ],
            params: [{ key: "alpha", value: "0.5" }]
          })
          assert.match(created.modelId, /^m-[0-9a-f]{32}$/)
          assert.strictEqual(created.experimentId, experiment.experimentId)
          assert.strictEqual(
            created.artifactLocation,
            `${experiment.artifactLocation}/models/${created.modelId}/artifacts`
          )
          assert.strictEqual(created.status, "LOGGED_MODEL_PENDING")
          assert.strictEqual(created.statusMessage, "")
          assert.strictEqual(created.modelType, "classifier")
          assert.strictEqual(created.sourceRunId, run.info.runId)
          assert.strictEqual(created.creationTimestamp, 1000)
          assert.strictEqual(created.lastUpdatedTimestamp, 1000)
          // Sorted by key, as MLflow answers.
          assert.deepStrictEqual(created.tags, [
            new Tag({ key: "mlflow.source.name", value: "flows.py" }),
            new Tag({ key: "mlflow.user", value: "root" })
          ])
          assert.deepStrictEqual(created.params, [new Param({ key: "alpha", value: "0.5" })])
          assert.deepStrictEqual(created.metrics, [])
          assert.deepStrictEqual(yield* models.getLoggedModel(created.modelId), created)
        })
      )

      test(
        "a model created without a name gets a generated one and no source run",
        Effect.gen(function* () {
          const created = yield* create({ experimentId: DefaultExperimentId })
          assert.match(created.name, /^[a-z]+-[a-z]+-\d+$/)
          assert.strictEqual(created.sourceRunId, null)
          assert.strictEqual(created.artifactLocation, `mlflow-artifacts:/0/models/${created.modelId}/artifacts`)
        })
      )

      test(
        "finalize sets the status and the update time; tags and params leave the update time alone",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { modelId } = yield* create({ experimentId: DefaultExperimentId, name: "m" })
          yield* TestClock.adjust(500)
          yield* models.setLoggedModelTags(modelId, [{ key: "k", value: "v" }])
          yield* models.logLoggedModelParams(modelId, [{ key: "p", value: "1" }])
          assert.strictEqual((yield* models.getLoggedModel(modelId)).lastUpdatedTimestamp, 0)
          const ready = yield* models.finalizeLoggedModel(modelId, "LOGGED_MODEL_READY")
          assert.strictEqual(ready.status, "LOGGED_MODEL_READY")
          assert.strictEqual(ready.lastUpdatedTimestamp, 500)
          assert.strictEqual(ready.creationTimestamp, 0)
          assert.deepStrictEqual(yield* models.getLoggedModel(modelId), ready)
          const failed = yield* models.finalizeLoggedModel(modelId, "LOGGED_MODEL_UPLOAD_FAILED", "disk full")
          assert.strictEqual(failed.status, "LOGGED_MODEL_UPLOAD_FAILED")
          assert.strictEqual(failed.statusMessage, "disk full")
        })
      )

      test(
        "finalize refuses PENDING and unknown statuses",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { modelId } = yield* create({ experimentId: DefaultExperimentId, name: "m" })
          yield* failsUnchanged(modelId, models.finalizeLoggedModel(modelId, "LOGGED_MODEL_PENDING"), {
            _tag: "InvalidArgument",
            field: "status"
          })
          yield* failsUnchanged(modelId, models.finalizeLoggedModel(modelId, "READY" as never), {
            _tag: "InvalidArgument",
            field: "status"
          })
          const missing = yield* Effect.flip(models.finalizeLoggedModel(unknownModelId, "LOGGED_MODEL_READY"))
          assert.strictEqual(missing._tag, "LoggedModelNotFound")
        })
      )

      test(
        "create checks the experiment, the source run, the name, tags and params before storing anything",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const tracker = yield* ExperimentTracker
          const { experiment } = yield* setup()
          const experimentId = experiment.experimentId
          const fails = (input: CreateLoggedModel) => Effect.flip(models.createLoggedModel(input))

          assert.strictEqual((yield* fails({ experimentId: "999" as never }))._tag, "ExperimentNotFound")
          assert.strictEqual((yield* fails({ experimentId, sourceRunId: unknownRunId }))._tag, "RunNotFound")
          assert.deepInclude(yield* fails({ experimentId, name: "a/b" }), { _tag: "InvalidArgument", field: "name" })
          assert.deepInclude(yield* fails({ experimentId, name: "v1.0" }), { _tag: "InvalidArgument", field: "name" })
          assert.deepInclude(yield* fails({ experimentId, tags: [{ key: "../x", value: "v" }] }), {
            _tag: "InvalidArgument",
            field: "tags[0].key"
          })
          assert.deepInclude(yield* fails({ experimentId, params: [{ key: "p", value: "x".repeat(70_000) }] }), {
            _tag: "LimitExceeded",
            field: "params[0].value"
          })
          assert.deepInclude(
            yield* fails({
              experimentId,
              params: [
                { key: "p", value: "1" },
                { key: "p", value: "2" }
              ]
            }),
            { _tag: "InvalidArgument", field: "params[1].value" }
          )
          yield* tracker.deleteExperiment(experimentId)
          assert.strictEqual((yield* fails({ experimentId, name: "m" }))._tag, "ExperimentNotActive")

          yield* tracker.restoreExperiment(experimentId)
          const page = yield* models.searchLoggedModels({ experimentIds: [experimentId] })
          assert.deepStrictEqual(page.items, [])
        })
      )

      test(
        "tags are set, overwritten and deleted; deleting a missing tag is no error",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { modelId } = yield* create({
            experimentId: DefaultExperimentId,
            tags: [{ key: "stage", value: "dev" }]
          })
          yield* models.setLoggedModelTags(modelId, [
            { key: "stage", value: "prod" },
            { key: "owner", value: "ana" }
          ])
          assert.deepStrictEqual((yield* models.getLoggedModel(modelId)).tags, [
            new Tag({ key: "owner", value: "ana" }),
            new Tag({ key: "stage", value: "prod" })
          ])
          yield* models.deleteLoggedModelTag(modelId, "owner")
          yield* models.deleteLoggedModelTag(modelId, "never-set")
          assert.deepStrictEqual((yield* models.getLoggedModel(modelId)).tags, [
            new Tag({ key: "stage", value: "prod" })
          ])
          yield* failsUnchanged(
            modelId,
            models.setLoggedModelTags(modelId, [
              { key: "ok", value: "1" },
              { key: "/abs", value: "2" }
            ]),
            {
              _tag: "InvalidArgument",
              field: "tags[1].key"
            }
          )
          const missing = yield* Effect.flip(models.setLoggedModelTags(unknownModelId, [{ key: "k", value: "v" }]))
          assert.strictEqual(missing._tag, "LoggedModelNotFound")
        })
      )

      test(
        "params are immutable: the same value again is accepted, another value is refused",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { modelId } = yield* create({
            experimentId: DefaultExperimentId,
            params: [{ key: "lr", value: "0.1" }]
          })
          yield* models.logLoggedModelParams(modelId, [
            { key: "lr", value: "0.1" },
            { key: "depth", value: "3" }
          ])
          assert.deepStrictEqual((yield* models.getLoggedModel(modelId)).params, [
            new Param({ key: "depth", value: "3" }),
            new Param({ key: "lr", value: "0.1" })
          ])
          yield* failsUnchanged(
            modelId,
            models.logLoggedModelParams(modelId, [
              { key: "new", value: "x" },
              { key: "lr", value: "0.2" }
            ]),
            { _tag: "InvalidArgument", field: "params[1].value" }
          )
        })
      )

      test(
        "metric points are kept whole, NaN and infinities included, by key then step",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { run } = yield* setup()
          const { modelId } = yield* create({ experimentId: DefaultExperimentId })
          yield* models.logLoggedModelMetrics(modelId, [
            { key: "loss", value: 0.5, timestamp: 20, step: 2 },
            { key: "acc", value: Number.NaN, timestamp: 10 },
            { key: "loss", value: Number.POSITIVE_INFINITY, timestamp: 10, step: 1, runId: run.info.runId },
            {
              key: "loss",
              value: Number.NEGATIVE_INFINITY,
              timestamp: 30,
              step: 3,
              datasetName: "d",
              datasetDigest: "x1"
            }
          ])
          const metrics = (yield* models.getLoggedModel(modelId)).metrics
          assert.deepStrictEqual(
            metrics.map((m) => [m.key, m.step, m.timestamp, m.value]),
            [
              ["acc", 0, 10, Number.NaN],
              ["loss", 1, 10, Number.POSITIVE_INFINITY],
              ["loss", 2, 20, 0.5],
              ["loss", 3, 30, Number.NEGATIVE_INFINITY]
            ]
          )
          assert.strictEqual(metrics[1]?.runId, run.info.runId)
          assert.deepInclude(metrics[3], { runId: null, datasetName: "d", datasetDigest: "x1" })
          yield* failsUnchanged(
            modelId,
            models.logLoggedModelMetrics(modelId, [{ key: "k", value: 1, timestamp: 1.5 }]),
            {
              _tag: "InvalidArgument",
              field: "metrics[0].timestamp"
            }
          )
        })
      )

      test(
        "a deleted model is no longer found, searched or written",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { modelId } = yield* create({ experimentId: DefaultExperimentId, name: "gone" })
          yield* models.deleteLoggedModel(modelId)
          assert.strictEqual((yield* Effect.flip(models.getLoggedModel(modelId)))._tag, "LoggedModelNotFound")
          assert.strictEqual((yield* Effect.flip(models.deleteLoggedModel(modelId)))._tag, "LoggedModelNotFound")
          assert.strictEqual(
            (yield* Effect.flip(models.setLoggedModelTags(modelId, [{ key: "k", value: "v" }])))._tag,
            "LoggedModelNotFound"
          )
          const page = yield* models.searchLoggedModels({ experimentIds: [DefaultExperimentId] })
          assert.deepStrictEqual(page.items, [])
        })
      )

      test(
        "a model belongs to the tenant that created it",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { modelId } = yield* create({ experimentId: DefaultExperimentId, name: "mine" })
          const other = Effect.provideService(CurrentTenant, TenantId.make("other"))
          assert.strictEqual((yield* Effect.flip(other(models.getLoggedModel(modelId))))._tag, "LoggedModelNotFound")
          const page = yield* other(models.searchLoggedModels({ experimentIds: [DefaultExperimentId] }))
          assert.deepStrictEqual(page.items, [])
          assert.deepStrictEqual(names(yield* models.searchLoggedModels({ experimentIds: [DefaultExperimentId] })), [
            "mine"
          ])
        })
      )

      test(
        "recordModelVersion appends to mlflow.modelVersions as MLflow's server writes it",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { modelId } = yield* create({ experimentId: DefaultExperimentId })
          const tag = Effect.map(
            models.getLoggedModel(modelId),
            (m) => m.tags.find((t) => t.key === "mlflow.modelVersions")?.value
          )
          yield* models.recordModelVersion(modelId, "flow-c-model", 1)
          assert.strictEqual(yield* tag, '[{"name": "flow-c-model", "version": 1}]')
          // The MLflow client appends its own entry (a string version); it is kept as written.
          const clientValue = '[{"name": "flow-c-model", "version": 1}, {"name": "flow-c-model", "version": "1"}]'
          yield* models.setLoggedModelTags(modelId, [{ key: "mlflow.modelVersions", value: clientValue }])
          yield* models.recordModelVersion(modelId, "flow-c-model", 2)
          assert.strictEqual(
            yield* tag,
            '[{"name": "flow-c-model", "version": 1}, {"name": "flow-c-model", "version": "1"}, {"name": "flow-c-model", "version": 2}]'
          )
          yield* models.recordModelVersion(modelId, "é", 3)
          assert.isTrue((yield* tag)?.endsWith('{"name": "\\u00e9", "version": 3}]'))
        })
      )
    })

    describe("search", () => {
      /** Three models in one experiment, one in another; creation times 1, 2, 3 and 4 seconds. */
      const seed = Effect.gen(function* () {
        const models = yield* LoggedModels
        const { experiment, run } = yield* setup("search")
        const other = yield* setup("other")
        const ids: Array<LoggedModelId> = []
        const add = (input: CreateLoggedModel) =>
          Effect.gen(function* () {
            yield* TestClock.adjust(1000)
            const model = yield* models.createLoggedModel(input)
            ids.push(model.modelId)
            return model
          })
        const experimentId = experiment.experimentId
        const a = yield* add({
          experimentId,
          name: "alpha",
          modelType: "LLM",
          sourceRunId: run.info.runId,
          tags: [{ key: "team", value: "nlp" }],
          params: [{ key: "lr", value: "0.1" }]
        })
        const b = yield* add({ experimentId, name: "beta", tags: [{ key: "team", value: "vision" }] })
        const c = yield* add({ experimentId, name: "Gamma", params: [{ key: "lr", value: "0.2" }] })
        yield* add({ experimentId: other.experiment.experimentId, name: "alpha" })
        yield* models.finalizeLoggedModel(b.modelId, "LOGGED_MODEL_READY")
        return { experimentId, run, a, b, c }
      })

      test(
        "filters on attributes, tags and params within the given experiments",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { a, experimentId, run } = yield* seed
          const search = (filter: string) =>
            models.searchLoggedModels({ experimentIds: [experimentId], filter }).pipe(Effect.map(names))
          // MLflow 3 clients probe artifact paths this way; no match is an empty page.
          assert.deepStrictEqual(yield* search("name = 'docs'"), [])
          assert.deepStrictEqual(yield* search("name = 'alpha'"), ["alpha"])
          assert.deepStrictEqual(yield* search("name != 'alpha'"), ["Gamma", "beta"])
          assert.deepStrictEqual(yield* search("name LIKE '%a'"), ["Gamma", "beta", "alpha"])
          assert.deepStrictEqual(yield* search("name ILIKE 'g%'"), ["Gamma"])
          assert.deepStrictEqual(yield* search("attributes.status = 'LOGGED_MODEL_READY'"), ["beta"])
          assert.deepStrictEqual(yield* search("model_type = 'LLM'"), ["alpha"])
          assert.deepStrictEqual(yield* search(`source_run_id = '${run.info.runId}'`), ["alpha"])
          assert.deepStrictEqual(yield* search(`source_run_id != '${run.info.runId}'`), [])
          assert.deepStrictEqual(yield* search(`model_id IN ('${a.modelId}', 'm-x')`), ["alpha"])
          assert.deepStrictEqual(yield* search(`model_id NOT IN ('${a.modelId}')`), ["Gamma", "beta"])
          assert.deepStrictEqual(yield* search("creation_timestamp >= 2000"), ["Gamma", "beta"])
          assert.deepStrictEqual(yield* search("last_updated_timestamp >= 4000"), ["beta"])
          assert.deepStrictEqual(yield* search("tags.team = 'vision'"), ["beta"])
          assert.deepStrictEqual(yield* search("tags.`team` LIKE '%i%' and params.lr = '0.1'"), [])
          assert.deepStrictEqual(yield* search("params.lr != '0.1'"), ["Gamma"])
          assert.deepStrictEqual(yield* search("params.missing = 'x'"), [])
        })
      )

      test(
        "a metric filter reads the latest point; NaN satisfies only != and a missing metric nothing",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { a, b, c, experimentId } = yield* seed
          yield* models.logLoggedModelMetrics(a.modelId, [
            { key: "acc", value: 0.99, timestamp: 1, step: 0 },
            { key: "acc", value: 0.7, timestamp: 2, step: 1 }
          ])
          yield* models.logLoggedModelMetrics(b.modelId, [
            { key: "acc", value: 0.9, timestamp: 5, step: 1 },
            { key: "acc", value: 0.1, timestamp: 4, step: 1 }
          ])
          yield* models.logLoggedModelMetrics(c.modelId, [{ key: "acc", value: Number.NaN, timestamp: 1 }])
          const search = (filter: string) =>
            models.searchLoggedModels({ experimentIds: [experimentId], filter }).pipe(Effect.map(names))
          assert.deepStrictEqual(yield* search("metrics.acc > 0.8"), ["beta"])
          assert.deepStrictEqual(yield* search("metrics.acc < 0.8"), ["alpha"])
          assert.deepStrictEqual(yield* search("metrics.acc != 0.7"), ["Gamma", "beta"])
          assert.deepStrictEqual(yield* search("metrics.acc = 0.7"), ["alpha"])
          assert.deepStrictEqual(yield* search("metrics.loss != 1"), [])
        })
      )

      test(
        "orders by creation time (newest first) by default, or by attributes and metrics",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { a, b, c, experimentId } = yield* seed
          yield* models.logLoggedModelMetrics(a.modelId, [{ key: "acc", value: 0.5, timestamp: 1 }])
          yield* models.logLoggedModelMetrics(b.modelId, [{ key: "acc", value: Number.NaN, timestamp: 1 }])
          const search = (orderBy: ReadonlyArray<{ fieldName: string; ascending?: boolean }>) =>
            models.searchLoggedModels({ experimentIds: [experimentId], orderBy }).pipe(Effect.map(names))
          assert.deepStrictEqual(yield* search([]), ["Gamma", "beta", "alpha"])
          assert.deepStrictEqual(yield* search([{ fieldName: "creation_timestamp" }]), ["alpha", "beta", "Gamma"])
          assert.deepStrictEqual(yield* search([{ fieldName: "name" }]), ["Gamma", "alpha", "beta"])
          assert.deepStrictEqual(yield* search([{ fieldName: "name", ascending: false }]), ["beta", "alpha", "Gamma"])
          // Values first, then NaN, then models without the metric, in both directions.
          yield* models.logLoggedModelMetrics(c.modelId, [{ key: "acc", value: 0.9, timestamp: 1 }])
          assert.deepStrictEqual(yield* search([{ fieldName: "metrics.acc", ascending: false }]), [
            "Gamma",
            "alpha",
            "beta"
          ])
          assert.deepStrictEqual(yield* search([{ fieldName: "metrics.acc" }]), ["alpha", "Gamma", "beta"])
          const ties = yield* models.searchLoggedModels({
            experimentIds: [experimentId],
            orderBy: [{ fieldName: "status" }]
          })
          // Equal statuses are ordered by model id.
          const pending = ties.items.filter((m) => m.status === "LOGGED_MODEL_PENDING").map((m) => m.modelId)
          assert.deepStrictEqual(pending, [...pending].sort())
        })
      )

      test(
        "pages with tokens bound to the query",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { experimentId } = yield* seed
          const first = yield* models.searchLoggedModels({ experimentIds: [experimentId], maxResults: 2 })
          assert.deepStrictEqual(names(first), ["Gamma", "beta"])
          assert.isNotNull(first.nextPageToken)
          const second = yield* models.searchLoggedModels({
            experimentIds: [experimentId],
            maxResults: 2,
            pageToken: first.nextPageToken ?? ""
          })
          assert.deepStrictEqual(names(second), ["alpha"])
          assert.isNull(second.nextPageToken)
          const replayed = yield* Effect.flip(
            models.searchLoggedModels({
              experimentIds: [experimentId],
              filter: "name = 'alpha'",
              maxResults: 2,
              pageToken: first.nextPageToken ?? ""
            })
          )
          assert.strictEqual(replayed._tag, "InvalidPageToken")
        })
      )

      test(
        "searches across several experiments",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const tracker = yield* ExperimentTracker
          const { experimentId } = yield* seed
          const other = yield* tracker.getExperimentByName("other")
          const page = yield* models.searchLoggedModels({
            experimentIds: [experimentId, other.experimentId],
            filter: "name = 'alpha'"
          })
          assert.sameMembers(
            page.items.map((m) => m.experimentId),
            [experimentId, other.experimentId]
          )
        })
      )

      test(
        "refuses malformed filters, orders, experiment ids and page sizes",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const fails = (query: Parameters<typeof models.searchLoggedModels>[0]) =>
            Effect.flip(models.searchLoggedModels(query))
          const experimentIds = [DefaultExperimentId]
          assert.deepInclude(yield* fails({ experimentIds, filter: "name = 'a' OR name = 'b'" }), {
            _tag: "InvalidFilter",
            position: 11
          })
          assert.strictEqual((yield* fails({ experimentIds, filter: "metrics.acc > 'high'" }))._tag, "InvalidFilter")
          assert.strictEqual((yield* fails({ experimentIds, filter: "run_name = 'x'" }))._tag, "InvalidFilter")
          assert.strictEqual(
            (yield* fails({ experimentIds, orderBy: [{ fieldName: "params.lr" }] }))._tag,
            "InvalidOrderBy"
          )
          assert.deepInclude(yield* fails({ experimentIds: [] }), { _tag: "InvalidArgument", field: "experimentIds" })
          assert.deepInclude(yield* fails({ experimentIds: ["0", "one"] }), {
            _tag: "InvalidArgument",
            field: "experimentIds[1]"
          })
          assert.deepInclude(yield* fails({ experimentIds, maxResults: 0 }), {
            _tag: "InvalidArgument",
            field: "maxResults"
          })
        })
      )
    })

    describe("run outputs", () => {
      test(
        "logOutputs links models to a run, by step then model id; a model already linked keeps its step",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const { experiment, run } = yield* setup()
          const experimentId = experiment.experimentId
          const m1 = yield* create({ experimentId, sourceRunId: run.info.runId })
          const m2 = yield* create({ experimentId })
          assert.deepStrictEqual(yield* models.getRunOutputs(run.info.runId), [])
          yield* models.logOutputs(run.info.runId, [{ modelId: m1.modelId, step: 5 }])
          yield* models.logOutputs(run.info.runId, [
            { modelId: m2.modelId, step: 0 },
            { modelId: m1.modelId, step: 9 }
          ])
          assert.deepStrictEqual(
            (yield* models.getRunOutputs(run.info.runId)).map((o) => [o.modelId, o.step]),
            [
              [m2.modelId, 0],
              [m1.modelId, 5]
            ]
          )
        })
      )

      test(
        "logOutputs checks the run and every model before recording anything",
        Effect.gen(function* () {
          const models = yield* LoggedModels
          const tracker = yield* ExperimentTracker
          const { run } = yield* setup()
          const model = yield* create({ experimentId: DefaultExperimentId })
          const fails = (runId: RunId, modelIds: ReadonlyArray<LoggedModelId>) =>
            Effect.flip(
              models.logOutputs(
                runId,
                modelIds.map((modelId) => ({ modelId, step: 0 }))
              )
            )
          assert.strictEqual((yield* fails(unknownRunId, [model.modelId]))._tag, "RunNotFound")
          assert.strictEqual(
            (yield* fails(run.info.runId, [model.modelId, unknownModelId]))._tag,
            "LoggedModelNotFound"
          )
          assert.deepStrictEqual(yield* models.getRunOutputs(run.info.runId), [])
          assert.deepInclude(
            yield* Effect.flip(models.logOutputs(run.info.runId, [{ modelId: model.modelId, step: 0.5 }])),
            {
              _tag: "InvalidArgument",
              field: "models[0].step"
            }
          )
          yield* tracker.deleteRun(run.info.runId)
          assert.strictEqual((yield* fails(run.info.runId, [model.modelId]))._tag, "RunNotActive")
          assert.strictEqual((yield* Effect.flip(models.getRunOutputs(unknownRunId)))._tag, "RunNotFound")
        })
      )
    })
  })
}
