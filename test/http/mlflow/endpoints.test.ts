import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Datasets } from "../../../src/core/data/Datasets.js"
import { call, MlflowServer } from "./harness.js"
import { wire as body, type WireMetric } from "./wireTypes.js"

/*
 * Endpoints and behaviours the recorded traffic does not exercise, and the
 * MLflow bugs we answer correctly. One server per file; every test makes its
 * own experiment, so tests do not depend on each other.
 */

const api = (path: string) => `/api/2.0/mlflow${path}`
const post = (path: string, json: unknown, headers?: Record<string, string>) =>
  call("POST", api(path), { json, ...(headers ? { headers } : {}) })
const get = (path: string) => call("GET", api(path))
const send = (method: string, path: string, json: unknown) => call(method, api(path), { json })

const newRun = (experimentName: string) =>
  Effect.gen(function* () {
    const created = yield* post("/experiments/create", { name: experimentName })
    const experimentId = body(created).experiment_id as string
    const run = yield* post("/runs/create", { experiment_id: experimentId, run_name: "r" })
    return { experimentId, runId: body(run).run.info.run_id as string }
  })

const kib64 = 64 * 1024

layer(MlflowServer, { excludeTestServices: true })("MLflow endpoints", (it) => {
  describe("values up to 64 KiB are stored whole, longer ones refused (MLflow bugs #39–#41)", () => {
    it.effect("a 64 KiB param, run tag and batch param come back byte for byte", () =>
      Effect.gen(function* () {
        const { runId } = yield* newRun("values-64k")
        const big = "p".repeat(kib64)
        assert.strictEqual((yield* post("/runs/log-parameter", { run_id: runId, key: "big", value: big })).status, 200)
        assert.strictEqual((yield* post("/runs/set-tag", { run_id: runId, key: "big", value: big })).status, 200)
        const batch = yield* post("/runs/log-batch", { run_id: runId, params: [{ key: "big2", value: big }] })
        assert.strictEqual(batch.status, 200)
        const run = body(yield* get(`/runs/get?run_id=${runId}`)).run
        const values = [...run.data.params, ...run.data.tags].filter((p) => p.key.startsWith("big"))
        assert.deepStrictEqual(
          values.map((p) => p.value.length),
          [kib64, kib64, kib64]
        )
      })
    )

    it.effect("one byte more is INVALID_PARAMETER_VALUE naming the field, and nothing is stored", () =>
      Effect.gen(function* () {
        const { runId } = yield* newRun("values-over-64k")
        const tooBig = "q".repeat(kib64 + 1)
        for (const [path, field] of [
          ["/runs/log-parameter", "value"],
          ["/runs/set-tag", "value"]
        ] as const) {
          const reply = yield* post(path, { run_id: runId, key: "big", value: tooBig })
          assert.strictEqual(reply.status, 400)
          assert.strictEqual(body(reply).error_code, "INVALID_PARAMETER_VALUE")
          assert.include(body(reply).message, `'${field}'`)
        }
        const batch = yield* post("/runs/log-batch", { run_id: runId, tags: [{ key: "big", value: tooBig }] })
        assert.strictEqual(batch.status, 400)
        assert.include(body(batch).message, "tags[0].value")
        const run = body(yield* get(`/runs/get?run_id=${runId}`)).run
        assert.isUndefined(run.data.params)
        assert.notInclude(JSON.stringify(run.data.tags), "qqqq")
      })
    )
  })

  it.effect("a dataset filter combined with a param filter finds the run (MLflow bug #21)", () =>
    Effect.gen(function* () {
      const { experimentId, runId } = yield* newRun("datasets-and-params")
      yield* post("/runs/log-parameter", { run_id: runId, key: "optimizer", value: "adam" })
      yield* post("/runs/log-inputs", {
        run_id: runId,
        datasets: [{ dataset: { name: "iris", digest: "d1", source_type: "local", source: "{}" } }]
      })
      const reply = yield* post("/runs/search", {
        experiment_ids: [experimentId],
        filter: "params.optimizer = 'adam' and datasets.name = 'iris' and tags.`mlflow.runName` = 'r'"
      })
      assert.strictEqual(reply.status, 200)
      assert.deepStrictEqual(
        body(reply).runs.map((r) => r.info.run_id),
        [runId]
      )
    })
  )

  it.effect("the duplicate-name message names the experiment without SQL (MLflow bug #2)", () =>
    Effect.gen(function* () {
      yield* post("/experiments/create", { name: "twice" })
      const reply = yield* post("/experiments/create", { name: "twice" })
      assert.deepStrictEqual(reply.json, {
        error_code: "RESOURCE_ALREADY_EXISTS",
        message: "Experiment(name=twice) already exists."
      })
    })
  )

  it.effect("metric history is returned without max_results (MLflow bug #13) and pages with it", () =>
    Effect.gen(function* () {
      const { runId } = yield* newRun("history-pages")
      const metrics = [0, 1, 2, 3, 4].map((step) => ({
        key: "loss",
        value: 1 / (step + 1),
        timestamp: 1000 + step,
        step
      }))
      yield* post("/runs/log-batch", { run_id: runId, metrics })
      const all = body(yield* get(`/metrics/get-history?run_id=${runId}&metric_key=loss`))
      assert.deepStrictEqual(
        all.metrics.map((m) => m.step),
        [0, 1, 2, 3, 4]
      )
      assert.isUndefined(all.next_page_token)
      const first = body(yield* get(`/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=2`))
      assert.deepStrictEqual(
        first.metrics.map((m) => m.step),
        [0, 1]
      )
      const token = encodeURIComponent(first.next_page_token)
      const second = body(
        yield* get(`/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=2&page_token=${token}`)
      )
      assert.deepStrictEqual(
        second.metrics.map((m) => m.step),
        [2, 3]
      )
    })
  )

  it.effect("NaN and infinities travel as protobuf-JSON strings, both ways", () =>
    Effect.gen(function* () {
      const { runId } = yield* newRun("special-doubles")
      const metrics = ["NaN", "Infinity", "-Infinity"].map((value, step) => ({ key: "m", value, timestamp: 1, step }))
      assert.strictEqual((yield* post("/runs/log-batch", { run_id: runId, metrics })).status, 200)
      const history = body(yield* get(`/metrics/get-history?run_id=${runId}&metric_key=m`))
      assert.deepStrictEqual(
        history.metrics.map((m) => m.value),
        ["NaN", "Infinity", "-Infinity"]
      )
    })
  )

  it.effect("int64 fields are accepted as decimal strings, as protobuf JSON allows", () =>
    Effect.gen(function* () {
      const { runId } = yield* newRun("int64-strings")
      const reply = yield* post("/runs/log-metric", {
        run_id: runId,
        key: "k",
        value: "0.5",
        timestamp: "17",
        step: "3"
      })
      assert.strictEqual(reply.status, 200)
      const history = body(yield* get(`/metrics/get-history?run_id=${runId}&metric_key=k`))
      const expected: ReadonlyArray<Partial<WireMetric>> = [{ key: "k", value: 0.5, timestamp: 17, step: 3 }]
      assert.deepStrictEqual(history.metrics, expected)
    })
  )

  it.effect("a log-batch retried with the same Idempotency-Key is stored once", () =>
    Effect.gen(function* () {
      const { runId } = yield* newRun("idempotent-batch")
      const batch = { run_id: runId, metrics: [{ key: "m", value: 1, timestamp: 1, step: 0 }] }
      for (let i = 0; i < 2; i++) {
        assert.strictEqual((yield* post("/runs/log-batch", batch, { "Idempotency-Key": "batch-1" })).status, 200)
      }
      yield* post("/runs/log-batch", batch)
      const history = body(yield* get(`/metrics/get-history?run_id=${runId}&metric_key=m`))
      assert.strictEqual(history.metrics.length, 2)
    })
  )

  it.effect("log-inputs catalogues metadata-only datasets in Datasets, with their context", () =>
    Effect.gen(function* () {
      const { runId } = yield* newRun("inputs-catalogue")
      const reply = yield* post("/runs/log-inputs", {
        run_id: runId,
        datasets: [
          {
            tags: [{ key: "mlflow.data.context", value: "training" }],
            dataset: { name: "train-ds", digest: "90307e28", source_type: "http", source: '{"url": "x"}', schema: "" }
          },
          // MLflow accepts any name; one the catalogue cannot hold is still recorded on the run.
          { dataset: { name: "my data (v2)", digest: "abc", source_type: "local", source: "{}" } }
        ]
      })
      assert.strictEqual(reply.status, 200)
      const version = yield* Effect.flatMap(Datasets, (d) => d.getLatestVersion("train-ds"))
      assert.strictEqual(version.digest, "90307e28")
      assert.strictEqual(version.context, "training")
      assert.isNull(version.content)
      const inputs = body(yield* get(`/runs/get?run_id=${runId}`)).run.inputs.dataset_inputs
      assert.deepStrictEqual(inputs.map((i) => i.dataset.name).sort(), ["my data (v2)", "train-ds"])
      assert.notProperty(inputs.find((i) => i.dataset.name === "train-ds")?.dataset, "schema")
    })
  )

  it.effect("experiments: search by GET lists the Default experiment 0; update, tags, delete and restore", () =>
    Effect.gen(function* () {
      const search = body(yield* get("/experiments/search?max_results=1000&filter=name%20%3D%20'Default'"))
      assert.deepStrictEqual(
        search.experiments.map((e) => e.experiment_id),
        ["0"]
      )
      const id = body(yield* post("/experiments/create", { name: "lifecycle" })).experiment_id
      assert.strictEqual((yield* post("/experiments/update", { experiment_id: id, new_name: "renamed" })).status, 200)
      yield* post("/experiments/set-experiment-tag", { experiment_id: id, key: "team", value: "ml" })
      yield* post("/experiments/set-experiment-tag", { experiment_id: id, key: "gone", value: "x" })
      yield* post("/experiments/delete-experiment-tag", { experiment_id: id, key: "gone" })
      const experiment = body(yield* get(`/experiments/get?experiment_id=${id}`)).experiment
      assert.strictEqual(experiment.name, "renamed")
      assert.deepStrictEqual(experiment.tags, [{ key: "team", value: "ml" }])
      yield* post("/experiments/delete", { experiment_id: id })
      const deleted = body(yield* get("/experiments/search?view_type=DELETED_ONLY"))
      assert.deepStrictEqual(
        deleted.experiments.map((e) => e.name),
        ["renamed"]
      )
      yield* post("/experiments/restore", { experiment_id: id })
      assert.strictEqual(body(yield* get(`/experiments/get?experiment_id=${id}`)).experiment.lifecycle_stage, "active")
      const missing = yield* get("/experiments/get-by-name?experiment_name=nope")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(body(missing).error_code, "RESOURCE_DOES_NOT_EXIST")
    })
  )

  it.effect("runs: delete-tag, rename by update, and a write to a deleted run is refused", () =>
    Effect.gen(function* () {
      const { runId } = yield* newRun("run-writes")
      yield* post("/runs/set-tag", { run_id: runId, key: "t", value: "v" })
      assert.strictEqual((yield* post("/runs/delete-tag", { run_id: runId, key: "t" })).status, 200)
      const again = yield* post("/runs/delete-tag", { run_id: runId, key: "t" })
      assert.strictEqual(again.status, 404)
      const updated = body(yield* post("/runs/update", { run_id: runId, run_name: "renamed" })).run_info
      assert.strictEqual(updated.run_name, "renamed")
      yield* post("/runs/delete", { run_id: runId })
      const refused = yield* post("/runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1 })
      assert.strictEqual(refused.status, 400)
      assert.strictEqual(body(refused).error_code, "INVALID_PARAMETER_VALUE")
    })
  )

  it.effect("get-history-bulk-interval samples each run and checks MLflow's limits", () =>
    Effect.gen(function* () {
      const a = yield* newRun("bulk-a")
      const b = yield* newRun("bulk-b")
      for (const { runId } of [a, b]) {
        const metrics = Array.from({ length: 50 }, (_, step) => ({ key: "m", value: step, timestamp: step, step }))
        yield* post("/runs/log-batch", { run_id: runId, metrics })
      }
      const reply = body(
        yield* get(
          `/metrics/get-history-bulk-interval?run_ids=${a.runId}&run_ids=${b.runId}&metric_key=m&max_results=10&start_step=10&end_step=40`
        )
      )
      for (const { runId } of [a, b]) {
        const steps = reply.metrics.filter((m) => m.run_id === runId).map((m) => m.step)
        assert.isAtMost(steps.length, 10)
        assert.strictEqual(steps[0], 10)
        assert.strictEqual(steps.at(-1), 40)
      }
      const tooMany = yield* get(`/metrics/get-history-bulk-interval?run_ids=${a.runId}&metric_key=m&max_results=2501`)
      assert.strictEqual(tooMany.status, 400)
    })
  )

  it.effect("registry: update, rename, tags, versions, download URI of a runs:/ source, delete", () =>
    Effect.gen(function* () {
      const { runId } = yield* newRun("registry-writes")
      yield* post("/registered-models/create", { name: "reg" })
      const updated = body(yield* send("PATCH", "/registered-models/update", { name: "reg", description: "d" }))
      assert.strictEqual(updated.registered_model.description, "d")
      yield* post("/registered-models/set-tag", { name: "reg", key: "k", value: "v" })
      yield* send("DELETE", "/registered-models/delete-tag", { name: "reg", key: "k" })
      const renamed = body(yield* post("/registered-models/rename", { name: "reg", new_name: "reg2" }))
      assert.strictEqual(renamed.registered_model.name, "reg2")
      assert.notProperty(renamed.registered_model, "tags")
      yield* post("/model-versions/create", { name: "reg2", source: `runs:/${runId}/model`, run_id: runId })
      yield* post("/model-versions/set-tag", { name: "reg2", version: "1", key: "k", value: "v" })
      const version = body(
        yield* send("PATCH", "/model-versions/update", { name: "reg2", version: "1", description: "x" })
      )
      assert.strictEqual(version.model_version.description, "x")
      assert.deepStrictEqual(version.model_version.tags, [{ key: "k", value: "v" }])
      yield* send("DELETE", "/model-versions/delete-tag", { name: "reg2", version: "1", key: "k" })
      assert.notProperty(body(yield* get("/model-versions/get?name=reg2&version=1")).model_version, "tags")
      const uri = body(yield* get("/model-versions/get-download-uri?name=reg2&version=1")).artifact_uri
      assert.match(uri, new RegExp(`^mlflow-artifacts:/\\d+/${runId}/artifacts/model$`))
      const staged = yield* post("/model-versions/transition-stage", { name: "reg2", version: 1, stage: "production" })
      assert.strictEqual(body(staged).model_version.current_stage, "Production")
      const latest = body(yield* get("/registered-models/get-latest-versions?name=reg2&stages=Production"))
      assert.deepStrictEqual(
        latest.model_versions.map((v) => v.version),
        ["1"]
      )
      const searched = body(yield* post("/model-versions/search", { filter: "name = 'reg2'" }))
      assert.strictEqual(searched.model_versions.length, 1)
      const refused = yield* post("/model-versions/search", { order_by: ["last_updated_timestamp DESC"] })
      assert.strictEqual(refused.status, 400)
      assert.strictEqual((yield* send("DELETE", "/model-versions/delete", { name: "reg2", version: "1" })).status, 200)
      assert.strictEqual((yield* get("/model-versions/get?name=reg2&version=1")).status, 404)
      assert.strictEqual((yield* send("DELETE", "/registered-models/delete", { name: "reg2" })).status, 200)
      assert.strictEqual((yield* get("/registered-models/get?name=reg2")).status, 404)
    })
  )

  it.effect("a missing alias is 404 RESOURCE_DOES_NOT_EXIST (MLflow bug #37)", () =>
    Effect.gen(function* () {
      yield* post("/registered-models/create", { name: "aliasless" })
      const reply = yield* get("/registered-models/alias?name=aliasless&alias=champion")
      assert.strictEqual(reply.status, 404)
      assert.strictEqual(body(reply).error_code, "RESOURCE_DOES_NOT_EXIST")
    })
  )

  it.effect("the Python client's prompt clause keeps models without the prompt tag and hides prompts", () =>
    Effect.gen(function* () {
      yield* post("/registered-models/create", { name: "prompt-check-model" })
      yield* post("/registered-models/create", {
        name: "prompt-check-prompt",
        tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }]
      })
      const filter = encodeURIComponent("name LIKE 'prompt-check%' AND tag.`mlflow.prompt.is_prompt` != 'true'")
      const reply = body(yield* get(`/registered-models/search?filter=${filter}&max_results=100`))
      assert.deepStrictEqual(
        reply.registered_models.map((m) => m.name),
        ["prompt-check-model"]
      )
    })
  )

  it.effect("every endpoint also answers under /ajax-api/2.0/mlflow", () =>
    Effect.gen(function* () {
      const reply = yield* call("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")
      assert.strictEqual(body(reply).experiment.name, "Default")
    })
  )

  it.effect("an unknown endpoint is Flask's 404 page (A115)", () =>
    Effect.gen(function* () {
      for (const [method, path] of [
        ["GET", "/api/2.0/mlflow/does-not-exist"],
        ["POST", "/api/2.0/mlflow/logged-models/m-0123456789abcdef0123456789abcdef/does-not-exist"],
        ["POST", "/ajax-api/2.0/mlflow/runs/get"]
      ] as const) {
        const reply = yield* call(method, path)
        assert.strictEqual(reply.status, 404)
        assert.include(reply.text, "<title>404 Not Found</title>")
        assert.include(reply.headers.get("content-type") ?? "", "text/html")
      }
    })
  )
})
