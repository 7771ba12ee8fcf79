import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { call, MlflowServer, type Send } from "./harness.js"
import { wire } from "./wireTypes.js"

/*
 * A client mistake is always a 4xx in MLflow's error shape, naming the
 * field, never a 500: malformed JSON, wrong types, missing fields, bad ids.
 */

const runId = "0123456789abcdef0123456789abcdef"

/** `[method, path, request, error_code, text the message must contain]` */
const mistakes: ReadonlyArray<readonly [string, string, Send, string, string]> = [
  [
    "POST",
    "/experiments/create",
    { body: "{not json", headers: { "content-type": "application/json" } },
    "MALFORMED_REQUEST",
    "JSON"
  ],
  ["POST", "/experiments/create", { json: [1, 2] }, "MALFORMED_REQUEST", "object"],
  ["POST", "/experiments/create", { json: {} }, "INVALID_PARAMETER_VALUE", "'name'"],
  ["POST", "/experiments/create", { json: { name: 5 } }, "INVALID_PARAMETER_VALUE", "'name'"],
  [
    "POST",
    "/experiments/create",
    { json: { name: "x", tags: [{ key: "k" }] } },
    "INVALID_PARAMETER_VALUE",
    "'tags[0].value'"
  ],
  ["GET", "/experiments/get?experiment_id=abc", {}, "INVALID_PARAMETER_VALUE", "'experiment_id'"],
  ["GET", "/experiments/get", {}, "INVALID_PARAMETER_VALUE", "'experiment_id'"],
  ["POST", "/experiments/search", { json: { max_results: "ten" } }, "INVALID_PARAMETER_VALUE", "'max_results'"],
  ["POST", "/experiments/search", { json: { view_type: "SOME" } }, "INVALID_PARAMETER_VALUE", "'view_type'"],
  ["GET", "/runs/get?run_id=XYZ", {}, "INVALID_PARAMETER_VALUE", "'run_id'"],
  ["GET", "/runs/get", {}, "INVALID_PARAMETER_VALUE", "'run_id'"],
  ["POST", "/runs/create", { json: { experiment_id: 1 } }, "INVALID_PARAMETER_VALUE", "'experiment_id'"],
  [
    "POST",
    "/runs/create",
    { json: { experiment_id: "0", start_time: 1.5 } },
    "INVALID_PARAMETER_VALUE",
    "'start_time'"
  ],
  ["POST", "/runs/update", { json: { run_id: runId, status: "DONE" } }, "INVALID_PARAMETER_VALUE", "'status'"],
  [
    "POST",
    "/runs/log-batch",
    { json: { run_id: runId, metrics: [{ key: "m", value: "high", timestamp: 1 }] } },
    "INVALID_PARAMETER_VALUE",
    "'metrics[0].value'"
  ],
  [
    "POST",
    "/runs/log-batch",
    { json: { run_id: runId, metrics: [{ key: "m", value: 1 }] } },
    "INVALID_PARAMETER_VALUE",
    "'metrics[0].timestamp'"
  ],
  [
    "POST",
    "/runs/log-metric",
    { json: { run_id: runId, key: "m", timestamp: 1 } },
    "INVALID_PARAMETER_VALUE",
    "'value'"
  ],
  [
    "POST",
    "/runs/log-parameter",
    { json: { run_id: runId, key: "k", value: 3 } },
    "INVALID_PARAMETER_VALUE",
    "'value'"
  ],
  [
    "POST",
    "/runs/search",
    { json: { experiment_ids: "0", max_results: -1 } },
    "INVALID_PARAMETER_VALUE",
    "max_results"
  ],
  [
    "POST",
    "/runs/search",
    { json: { experiment_ids: ["0"], page_token: "garbage" } },
    "INVALID_PARAMETER_VALUE",
    "page token"
  ],
  ["GET", `/metrics/get-history?run_id=${runId}`, {}, "INVALID_PARAMETER_VALUE", "'metric_key'"],
  ["POST", "/registered-models/create", { json: { name: "" } }, "INVALID_PARAMETER_VALUE", "'name'"],
  ["GET", "/model-versions/get?name=m&version=one", {}, "INVALID_PARAMETER_VALUE", "'version'"],
  [
    "POST",
    "/model-versions/transition-stage",
    { json: { name: "m", version: "1", stage: "Live" } },
    "INVALID_PARAMETER_VALUE",
    "'stage'"
  ],
  [
    "POST",
    "/registered-models/alias",
    { json: { name: "m", alias: "latest", version: "1" } },
    "INVALID_PARAMETER_VALUE",
    "'alias'"
  ]
]

layer(MlflowServer, { excludeTestServices: true })("MLflow request decoding", (it) => {
  for (const [method, path, send, errorCode, named] of mistakes) {
    it.effect(`${method} ${path} ${JSON.stringify(send.json ?? send.body ?? "")} -> ${errorCode}`, () =>
      Effect.gen(function* () {
        const reply = yield* call(method, `/api/2.0/mlflow${path}`, send)
        assert.strictEqual(reply.status, 400)
        assert.deepStrictEqual(Object.keys(wire(reply)).sort(), ["error_code", "message"])
        assert.strictEqual(wire(reply).error_code, errorCode)
        assert.include(wire(reply).message, named)
      })
    )
  }

  it.effect("unknown fields are ignored, as MLflow's parser does (clients send run_uuid next to run_id)", () =>
    Effect.gen(function* () {
      const reply = yield* call("POST", "/api/2.0/mlflow/experiments/create", {
        json: { name: "extra-fields", something_new: { nested: true } }
      })
      assert.strictEqual(reply.status, 200)
    })
  )

  it.effect("null means unset, as in protobuf JSON", () =>
    Effect.gen(function* () {
      const reply = yield* call("POST", "/api/2.0/mlflow/experiments/create", {
        json: { name: "null-fields", artifact_location: null, tags: null }
      })
      assert.strictEqual(reply.status, 200)
    })
  )
})
