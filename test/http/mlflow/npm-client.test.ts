import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import mlflowPackage from "mlflow"
import { LifecycleStage, RunStatus, ViewType } from "mlflow/enum.js"
import { vi } from "vitest"
import { MlflowServer, ServerUrl } from "./harness.js"

/*
 * `mlflow` 2.0.7 from npm, a third-party JavaScript client written against
 * MLflow 1.x, unmodified against our server. It covers experiments, runs,
 * metric history and run-relative artifact listing. Two of its calls fail
 * against any MLflow 2+ server, ours included: `experiments.list` (removed
 * in MLflow 2.0; `experiments/search` replaces it) and `setExperimentTag`
 * (it requests `/experimentsset-experiment-tag`, a missing slash).
 */

/**
 * The package's entry point exports the client class itself, but its types
 * describe `lib/mlflow.js`, whose class is the ES default export.
 */
const MLflow = mlflowPackage as unknown as typeof mlflowPackage.default

/** The client's error: `Error: {"status":...,"data":{...}}`. */
const failure = (promise: Promise<unknown>) =>
  Effect.promise(() =>
    promise.then(
      () => undefined,
      (error: Error) => {
        const { data, status } = JSON.parse(error.message.replace(/^Error: /, "")) as { status: number; data: unknown }
        return { status, data }
      }
    )
  )

const client = Effect.map(ServerUrl, (endpoint) => new MLflow({ endpoint }))

layer(MlflowServer, { excludeTestServices: true })("the mlflow npm client", (it) => {
  // The client prints every request body.
  vi.spyOn(console, "log").mockImplementation(() => undefined)

  it.effect("experiments: create, get, update, delete, restore; list and set-tag fail as on MLflow 2+", () =>
    Effect.gen(function* () {
      const mlflow = yield* client
      const { experiment_id } = yield* Effect.promise(() =>
        mlflow.Experiments.create({ name: "npm-exp", artifact_location: "" })
      )
      const got = yield* Effect.promise(() => mlflow.Experiments.get({ experiment_id }))
      assert.strictEqual(got.experiment.name, "npm-exp")
      assert.strictEqual(got.experiment.artifact_location, `mlflow-artifacts:/${experiment_id}`)
      yield* Effect.promise(() => mlflow.Experiments.update({ experiment_id, new_name: "npm-exp-2" }))
      yield* Effect.promise(() => mlflow.Experiments.delete({ experiment_id }))
      const deleted = yield* Effect.promise(() => mlflow.Experiments.get({ experiment_id }))
      assert.strictEqual(deleted.experiment.lifecycle_stage, LifecycleStage.deleted)
      yield* Effect.promise(() => mlflow.Experiments.restore({ experiment_id }))
      const restored = yield* Effect.promise(() => mlflow.Experiments.get({ experiment_id }))
      assert.strictEqual(restored.experiment.name, "npm-exp-2")
      assert.strictEqual(restored.experiment.lifecycle_stage, LifecycleStage.active)

      const missing = yield* failure(mlflow.Experiments.get({ experiment_id: "999" }))
      assert.deepStrictEqual(missing, {
        status: 404,
        data: { error_code: "RESOURCE_DOES_NOT_EXIST", message: "No Experiment with id=999 exists" }
      })
      // Both answer Flask's HTML 404 page, which the client reports with `data: null`.
      const list = yield* failure(mlflow.Experiments.list({ view_type: ViewType.ALL }))
      assert.deepStrictEqual(list, { status: 404, data: null })
      const tag = yield* failure(mlflow.Experiments.setExperimentTag({ experiment_id, key: "k", value: "v" }))
      assert.deepStrictEqual(tag, { status: 404, data: null })
    })
  )

  it.effect("runs: create, log, get, search, update, delete and restore; metric history; artifact listing", () =>
    Effect.gen(function* () {
      const mlflow = yield* client
      const { experiment_id } = yield* Effect.promise(() =>
        mlflow.Experiments.create({ name: "npm-runs", artifact_location: "" })
      )
      const created = yield* Effect.promise(() =>
        mlflow.Runs.create({
          experiment_id,
          user_id: "npm",
          start_time: 1_700_000_000_000,
          tags: [{ key: "team", value: "js" }]
        })
      )
      const run_id = created.run.info.run_id
      assert.strictEqual(created.run.info.user_id, "npm")
      yield* Effect.promise(() => mlflow.Runs.logMetric({ run_id, key: "loss", value: 0.5, timestamp: 1, step: 0 }))
      yield* Effect.promise(() => mlflow.Runs.logMetric({ run_id, key: "loss", value: 0.25, timestamp: 2, step: 1 }))
      yield* Effect.promise(() => mlflow.Runs.logParameter({ run_id, key: "lr", value: "0.1" }))
      yield* Effect.promise(() => mlflow.Runs.setTag({ run_id, key: "temp", value: "x" }))
      yield* Effect.promise(() => mlflow.Runs.deleteTag({ run_id, key: "temp" }))
      yield* Effect.promise(() =>
        mlflow.Runs.logBatch({
          run_id,
          metrics: [{ key: "acc", value: 0.9, timestamp: 3, step: 1 }],
          params: [{ key: "epochs", value: "3" }],
          tags: [{ key: "stage", value: "dev" }]
        })
      )
      const { run } = yield* Effect.promise(() => mlflow.Runs.get({ run_id }))
      assert.deepStrictEqual(run.data.metrics.map((m) => [m.key, m.value]).sort(), [
        ["acc", 0.9],
        ["loss", 0.25]
      ])
      assert.deepStrictEqual(run.data.params.map((p) => p.key).sort(), ["epochs", "lr"])
      assert.notInclude(
        run.data.tags.map((t) => t.key),
        "temp"
      )

      const history = yield* Effect.promise(() => mlflow.Metrics.getHistory({ run_id, metric_key: "loss" }))
      assert.deepStrictEqual(
        history.metrics.map((m: { value: number }) => m.value),
        [0.5, 0.25]
      )

      const found = yield* Effect.promise(() =>
        mlflow.Runs.search({
          experiment_ids: [experiment_id],
          filter: "metrics.acc > 0.5 and params.lr = '0.1'",
          run_view_type: ViewType.ACTIVE_ONLY,
          max_results: 10,
          order_by: ["attributes.start_time DESC"]
        })
      )
      assert.deepStrictEqual(
        found.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
        [run_id]
      )

      const updated = yield* Effect.promise(() =>
        mlflow.Runs.update({ run_id, status: RunStatus.FINISHED, end_time: 1_700_000_001_000 })
      )
      assert.strictEqual(updated.run_info.status, RunStatus.FINISHED)
      assert.strictEqual(updated.run_info.end_time, 1_700_000_001_000)
      yield* Effect.promise(() => mlflow.Runs.delete({ run_id }))
      yield* Effect.promise(() => mlflow.Runs.restore({ run_id }))

      const listing = yield* Effect.promise(() => mlflow.Artifacts.list({ run_id, path: "" }))
      // An empty listing omits `files`, as MLflow does (the client's types say otherwise).
      assert.deepStrictEqual(listing as unknown, { root_uri: created.run.info.artifact_uri })
    })
  )
})
