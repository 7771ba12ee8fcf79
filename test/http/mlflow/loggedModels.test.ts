import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, MlflowServer, type Reply } from "./harness.js"
import { wire as body } from "./wireTypes.js"

/*
 * MLflow 3's logged-model endpoints beyond what the recorded client traffic
 * exercises: their errors, and the calls the client made only in passing.
 * Every test makes its own experiment, so tests do not depend on each other.
 */

const api = (path: string) => `/api/2.0/mlflow${path}`
const send = (method: string, path: string, json?: unknown) =>
  call(method, api(path), json === undefined ? {} : { json })

const unknownId = "m-0123456789abcdef0123456789abcdef"

/** A run in a new experiment, and a logged model it produced. */
const newModel = (experimentName: string, fields: Record<string, unknown> = {}) =>
  Effect.gen(function* () {
    const experimentId = body(yield* send("POST", "/experiments/create", { name: experimentName })).experiment_id
    const runId = body(yield* send("POST", "/runs/create", { experiment_id: experimentId })).run.info.run_id
    const created = yield* send("POST", "/logged-models", {
      experiment_id: experimentId,
      name: "model",
      source_run_id: runId,
      ...fields
    })
    assert.strictEqual(created.status, 200)
    return { experimentId, runId, modelId: body(created).model.info.model_id }
  })

const assertError = (reply: Reply, status: number, errorCode: string, mentions?: string) => {
  assert.strictEqual(reply.status, status, reply.text)
  assert.strictEqual(body(reply).error_code, errorCode)
  if (mentions !== undefined) assert.include(body(reply).message, mentions)
}

layer(MlflowServer, { excludeTestServices: true })("MLflow logged-model endpoints", (it) => {
  describe("an unknown model id is 404 RESOURCE_DOES_NOT_EXIST", () => {
    it.effect("on every logged-model endpoint, malformed ids included", () =>
      Effect.gen(function* () {
        for (const id of [unknownId, "not-a-model-id"]) {
          const requests: ReadonlyArray<readonly [string, string, unknown?]> = [
            ["GET", `/logged-models/${id}`],
            ["DELETE", `/logged-models/${id}`],
            ["PATCH", `/logged-models/${id}`, { status: "LOGGED_MODEL_READY" }],
            ["PATCH", `/logged-models/${id}/tags`, { tags: [{ key: "k", value: "v" }] }],
            ["DELETE", `/logged-models/${id}/tags/k`],
            ["POST", `/logged-models/${id}/params`, { params: [{ key: "k", value: "v" }] }],
            ["GET", `/logged-models/${id}/artifacts/directories`]
          ]
          for (const [method, path, json] of requests) {
            assertError(yield* send(method, path, json), 404, "RESOURCE_DOES_NOT_EXIST", id)
          }
        }
      })
    )

    it.effect("in runs/outputs, model-versions/create and metrics naming it, and nothing is written", () =>
      Effect.gen(function* () {
        const { runId } = yield* newModel("unknown-model-refs")
        const outputs = yield* send("POST", "/runs/outputs", {
          run_id: runId,
          models: [{ model_id: unknownId, step: 0 }]
        })
        assertError(outputs, 404, "RESOURCE_DOES_NOT_EXIST", unknownId)
        yield* send("POST", "/registered-models/create", { name: "unknown-model-refs" })
        const version = yield* send("POST", "/model-versions/create", {
          name: "unknown-model-refs",
          source: `models:/${unknownId}`,
          model_id: unknownId
        })
        assertError(version, 404, "RESOURCE_DOES_NOT_EXIST", unknownId)
        const metric = { key: "acc", value: 0.9, timestamp: 1, step: 0, model_id: unknownId }
        assertError(
          yield* send("POST", "/runs/log-metric", { run_id: runId, ...metric }),
          404,
          "RESOURCE_DOES_NOT_EXIST"
        )
        assertError(
          yield* send("POST", "/runs/log-batch", { run_id: runId, metrics: [metric] }),
          404,
          "RESOURCE_DOES_NOT_EXIST"
        )
        const run = body(yield* send("GET", `/runs/get?run_id=${runId}`)).run
        assert.isUndefined(run.data.metrics)
        assert.deepStrictEqual(run.outputs, {} as typeof run.outputs)
        const versions = body(yield* send("GET", "/model-versions/search?filter=name%3D%27unknown-model-refs%27"))
        assert.isUndefined(versions.model_versions)
      })
    )

    it.effect("a deleted model is not found any more, and not searched", () =>
      Effect.gen(function* () {
        const { experimentId, modelId } = yield* newModel("deleted-model")
        assert.strictEqual((yield* send("DELETE", `/logged-models/${modelId}`)).status, 200)
        assertError(yield* send("GET", `/logged-models/${modelId}`), 404, "RESOURCE_DOES_NOT_EXIST")
        const search = yield* send("POST", "/logged-models/search", { experiment_ids: [experimentId] })
        assert.deepStrictEqual(search.json, {})
      })
    )
  })

  describe("finalize", () => {
    it.effect("a status other than READY or UPLOAD_FAILED is 400 naming 'status', and the model stays pending", () =>
      Effect.gen(function* () {
        const { modelId } = yield* newModel("finalize-bad-status")
        for (const status of ["LOGGED_MODEL_DONE", "LOGGED_MODEL_PENDING", 2]) {
          const reply = yield* send("PATCH", `/logged-models/${modelId}`, { status })
          assertError(reply, 400, "INVALID_PARAMETER_VALUE", "'status'")
        }
        assertError(yield* send("PATCH", `/logged-models/${modelId}`, {}), 400, "INVALID_PARAMETER_VALUE", "'status'")
        const model = body(yield* send("GET", `/logged-models/${modelId}`)).model
        assert.strictEqual(model.info.status, "LOGGED_MODEL_PENDING")
      })
    )

    it.effect("UPLOAD_FAILED is a final status too", () =>
      Effect.gen(function* () {
        const { modelId } = yield* newModel("finalize-failed")
        const reply = yield* send("PATCH", `/logged-models/${modelId}`, { status: "LOGGED_MODEL_UPLOAD_FAILED" })
        assert.strictEqual(body(reply).model.info.status, "LOGGED_MODEL_UPLOAD_FAILED")
      })
    )
  })

  describe("search", () => {
    it.effect("a malformed filter, an unknown field or order, and no experiment are 400", () =>
      Effect.gen(function* () {
        const { experimentId } = yield* newModel("search-errors")
        const search = (fields: Record<string, unknown>) =>
          send("POST", "/logged-models/search", { experiment_ids: [experimentId], ...fields })
        assertError(yield* search({ filter: "metrics.acc >>> 0.9" }), 400, "INVALID_PARAMETER_VALUE")
        assertError(yield* search({ filter: "name = 'a' OR name = 'b'" }), 400, "INVALID_PARAMETER_VALUE")
        assertError(yield* search({ filter: "colour = 'red'" }), 400, "INVALID_PARAMETER_VALUE")
        assertError(yield* search({ order_by: [{ field_name: "colour" }] }), 400, "INVALID_PARAMETER_VALUE")
        assertError(
          yield* search({ order_by: [{ field_name: "metrics.acc", dataset_name: "test" }] }),
          400,
          "INVALID_PARAMETER_VALUE",
          "order_by[0].dataset_name"
        )
        assertError(yield* search({ datasets: [{ dataset_name: "test" }] }), 400, "INVALID_PARAMETER_VALUE", "datasets")
        assertError(yield* search({ max_results: 0 }), 400, "INVALID_PARAMETER_VALUE", "max_results")
        const none = yield* send("POST", "/logged-models/search", {})
        assertError(none, 400, "INVALID_PARAMETER_VALUE", "experiment_ids")
      })
    )

    it.effect("filters on attributes, params, tags and metrics, orders, and pages", () =>
      Effect.gen(function* () {
        const {
          experimentId,
          runId,
          modelId: a
        } = yield* newModel("search-models", {
          params: [{ key: "alpha", value: "0.1" }],
          tags: [{ key: "team", value: "ml" }]
        })
        const b = body(
          yield* send("POST", "/logged-models", { experiment_id: experimentId, name: "other", model_type: "LLM" })
        ).model.info.model_id
        yield* send("POST", "/runs/log-batch", {
          run_id: runId,
          metrics: [
            { key: "acc", value: 0.7, timestamp: 1, step: 0, model_id: a, dataset_name: "test", dataset_digest: "d" },
            { key: "acc", value: 0.95, timestamp: 2, step: 1, model_id: a }
          ]
        })
        const names = (reply: Reply) => (body(reply).models ?? []).map((m) => m.info.model_id)
        const search = (fields: Record<string, unknown>) =>
          send("POST", "/logged-models/search", { experiment_ids: [experimentId], ...fields })
        assert.deepStrictEqual(names(yield* search({ filter: "name = 'model'" })), [a])
        assert.deepStrictEqual(names(yield* search({ filter: "params.alpha = '0.1' AND tags.team = 'ml'" })), [a])
        assert.deepStrictEqual(names(yield* search({ filter: "metrics.acc > 0.9" })), [a])
        assert.deepStrictEqual(names(yield* search({ filter: "model_type = 'LLM'" })), [b])
        assert.deepStrictEqual(names(yield* search({ order_by: [{ field_name: "name", ascending: true }] })), [a, b])
        const first = yield* search({ max_results: 1, order_by: [{ field_name: "name", ascending: false }] })
        assert.deepStrictEqual(names(first), [b])
        const second = yield* search({
          max_results: 1,
          order_by: [{ field_name: "name", ascending: false }],
          page_token: body(first).next_page_token
        })
        assert.deepStrictEqual(names(second), [a])
        const model = body(yield* send("GET", `/logged-models/${a}`)).model
        assert.deepStrictEqual(
          model.data.metrics.map((m) => [m.key, m.value, m.step, m.model_id, m.run_id, m.dataset_name]),
          [
            ["acc", 0.7, 0, a, runId, "test"],
            ["acc", 0.95, 1, a, runId, undefined]
          ]
        )
        // The points are the run's metrics as well.
        const run = body(yield* send("GET", `/runs/get?run_id=${runId}`)).run
        assert.deepStrictEqual(
          run.data.metrics.map((m) => [m.key, m.value]),
          [["acc", 0.95]]
        )
      })
    )
  })

  describe("tags, params, outputs and artifacts", () => {
    it.effect("tags are set and deleted; params are immutable once logged", () =>
      Effect.gen(function* () {
        const { modelId } = yield* newModel("tags-and-params")
        yield* send("PATCH", `/logged-models/${modelId}/tags`, { tags: [{ key: "a/b", value: "1" }] })
        yield* send("PATCH", `/logged-models/${modelId}/tags`, { tags: [{ key: "c", value: "2" }] })
        assert.strictEqual((yield* send("DELETE", `/logged-models/${modelId}/tags/c`)).status, 200)
        assert.strictEqual((yield* send("DELETE", `/logged-models/${modelId}/tags/never-set`)).status, 200)
        const params = { params: [{ key: "lr", value: "0.01" }] }
        assert.strictEqual((yield* send("POST", `/logged-models/${modelId}/params`, params)).status, 200)
        assert.strictEqual((yield* send("POST", `/logged-models/${modelId}/params`, params)).status, 200)
        const changed = yield* send("POST", `/logged-models/${modelId}/params`, { params: [{ key: "lr", value: "1" }] })
        assertError(changed, 400, "INVALID_PARAMETER_VALUE", "params[0].value")
        const model = body(yield* call("GET", `/ajax-api/2.0/mlflow/logged-models/${modelId}`)).model
        assert.deepStrictEqual(model.info.tags, [{ key: "a/b", value: "1" }])
        assert.deepStrictEqual(model.data.params, [{ key: "lr", value: "0.01" }])
      })
    )

    it.effect("runs/outputs lists the model in the run's outputs; a repeated output keeps its step", () =>
      Effect.gen(function* () {
        const { runId, modelId } = yield* newModel("outputs")
        yield* send("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: modelId, step: 3 }] })
        yield* send("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: modelId, step: 9 }] })
        const run = body(yield* send("GET", `/runs/get?run_id=${runId}`)).run
        assert.deepStrictEqual(run.outputs, { model_outputs: [{ model_id: modelId, step: 3 }] })
        const experimentId = body(yield* send("GET", `/logged-models/${modelId}`)).model.info.experiment_id
        const found = body(yield* send("POST", "/runs/search", { experiment_ids: [experimentId] })).runs
        assert.deepStrictEqual(
          found.map((r) => r.outputs),
          [{ model_outputs: [{ model_id: modelId, step: 3 }] }]
        )
      })
    )

    it.effect("artifacts/directories lists the model's files through the artifact proxy", () =>
      Effect.gen(function* () {
        const { modelId } = yield* newModel("model-artifacts")
        const root = body(yield* send("GET", `/logged-models/${modelId}`)).model.info.artifact_uri
        const storePath = root.replace(/^mlflow-artifacts:\//, "")
        for (const file of ["MLmodel", "data/weights.bin"]) {
          const put = yield* call("PUT", `/api/2.0/mlflow-artifacts/artifacts/${storePath}/${file}`, { body: "abc" })
          assert.strictEqual(put.status, 200)
        }
        const listing = body(yield* send("GET", `/logged-models/${modelId}/artifacts/directories`))
        assert.strictEqual(listing.root_uri, root)
        assert.deepStrictEqual(listing.files, [
          { path: "MLmodel", is_dir: false, file_size: 3 },
          { path: "data", is_dir: true }
        ] as typeof listing.files)
        const sub = body(
          yield* send("GET", `/logged-models/${modelId}/artifacts/directories?artifact_directory_path=data`)
        )
        assert.deepStrictEqual(sub.files, [{ path: "data/weights.bin", is_dir: false, file_size: 3 }])
        const traversal = yield* send(
          "GET",
          `/logged-models/${modelId}/artifacts/directories?artifact_directory_path=..`
        )
        assertError(traversal, 400, "INVALID_PARAMETER_VALUE")
      })
    )

    it.effect("a version registered from a model takes its run and resolves its download URI", () =>
      Effect.gen(function* () {
        const { runId, modelId } = yield* newModel("register-from-model")
        yield* send("POST", "/registered-models/create", { name: "register-from-model" })
        const created = yield* send("POST", "/model-versions/create", {
          name: "register-from-model",
          source: `models:/${modelId}`,
          model_id: modelId
        })
        assert.strictEqual(body(created).model_version.version, "1")
        assert.strictEqual((body(created).model_version as unknown as { run_id: string }).run_id, runId)
        const model = body(yield* send("GET", `/logged-models/${modelId}`)).model
        assert.deepStrictEqual(model.info.tags, [
          { key: "mlflow.modelVersions", value: '[{"name": "register-from-model", "version": 1}]' }
        ])
        const uri = body(yield* send("GET", "/model-versions/get-download-uri?name=register-from-model&version=1"))
        assert.strictEqual(uri.artifact_uri, model.info.artifact_uri)
      })
    )
  })
})
