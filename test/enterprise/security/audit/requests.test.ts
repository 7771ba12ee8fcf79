import { assert, describe, it } from "@effect/vitest"
import {
  describeRequest,
  findNested,
  idFieldsOfPrefix,
  isAuditedWrite,
  type RequestFacts
} from "../../../../src/enterprise/security/audit/requests.js"

const runId = "0123456789abcdef0123456789abcdef"
const modelId = `m-${"a".repeat(32)}`

const facts = (method: string, url: string, body: Record<string, string> = {}, response?: unknown): RequestFacts => {
  const [path = "", query = ""] = url.split("?")
  return { method, path, query: new URLSearchParams(query), body, response: () => response }
}

const describe_ = (...args: Parameters<typeof facts>) => {
  const d = describeRequest(facts(...args))
  return [d.action, d.resourceKind, d.resourceId]
}

describe("which requests are audited", () => {
  it("writes under /api/ and /ajax-api/, not reads that use POST", () => {
    for (const [method, path] of [
      ["POST", "/api/2.0/mlflow/runs/create"],
      ["POST", "/ajax-api/2.0/mlflow/runs/log-batch"],
      ["PATCH", "/api/2.0/mlflow/registered-models/update"],
      ["DELETE", "/api/2.0/mlflow/registered-models/alias"],
      ["PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.pkl"],
      ["POST", "/api/2.0/mlflow/runs/outputs"],
      ["POST", "/api/v1/experiments"],
      ["DELETE", "/api/v1/runs/abc"],
      ["POST", "/api/v1/webhooks/abc/test"],
      ["POST", "/api/v1/webhooks/deliveries/abc/redeliver"],
      ["PATCH", "/api/2.0/mlflow/webhooks/abc"]
    ] as const) {
      assert.isTrue(isAuditedWrite(method, path), `${method} ${path}`)
    }
    for (const [method, path] of [
      ["GET", "/api/2.0/mlflow/runs/get"],
      ["POST", "/api/2.0/mlflow/runs/search"],
      ["POST", "/ajax-api/2.0/mlflow/experiments/search"],
      ["POST", "/api/2.0/mlflow/registered-models/get-latest-versions"],
      ["POST", "/api/2.0/mlflow/model-versions/search"],
      ["POST", "/api/2.0/mlflow/logged-models/search"],
      ["POST", "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"],
      ["POST", "/api/v1/runs/search"],
      ["POST", "/api/v1/runs/outputs"],
      ["POST", "/api/v1/models/latest-versions"],
      ["POST", "/auth/oidc/callback"],
      ["POST", "/somewhere-else"],
      ["OPTIONS", "/api/v1/experiments"]
    ] as const) {
      assert.isFalse(isAuditedWrite(method, path), `${method} ${path}`)
    }
  })
})

describe("how an entry names a request", () => {
  it("MLflow actions are mlflow.<path>, with ids out of the action", () => {
    assert.deepStrictEqual(describe_("POST", "/api/2.0/mlflow/runs/log-batch", { run_id: runId }), [
      "mlflow.runs.log-batch",
      "run",
      runId
    ])
    assert.deepStrictEqual(
      describe_("POST", "/ajax-api/2.0/mlflow/runs/create", {}, { run: { info: { run_id: runId } } }),
      ["mlflow.runs.create", "run", runId]
    )
    assert.deepStrictEqual(
      describe_("POST", "/api/2.0/mlflow/experiments/create", { name: "x" }, { experiment_id: "7" }),
      ["mlflow.experiments.create", "experiment", "7"]
    )
    assert.deepStrictEqual(describe_("DELETE", `/api/2.0/mlflow/logged-models/${modelId}/tags/team`), [
      "mlflow.logged-models.delete-tag",
      "logged_model",
      modelId
    ])
    assert.deepStrictEqual(describe_("PATCH", `/api/2.0/mlflow/logged-models/${modelId}`), [
      "mlflow.logged-models.finalize",
      "logged_model",
      modelId
    ])
    assert.deepStrictEqual(describe_("DELETE", "/api/2.0/mlflow/registered-models/alias?name=churn&alias=prod"), [
      "mlflow.registered-models.delete-alias",
      "registered_model",
      "churn"
    ])
    assert.deepStrictEqual(
      describe_(
        "POST",
        "/api/2.0/mlflow/model-versions/create",
        { name: "churn" },
        {
          model_version: { name: "churn", version: "3" }
        }
      ),
      ["mlflow.model-versions.create", "model_version", "churn/3"]
    )
    assert.deepStrictEqual(describe_("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/my%20model.pkl"), [
      "mlflow-artifacts.upload",
      "artifact",
      "1/abc/artifacts/my model.pkl"
    ])
  })

  it("other APIs are METHOD /path with ids as :id", () => {
    assert.deepStrictEqual(describe_("POST", `/api/v1/runs/${runId}/batch`), [
      "POST /api/v1/runs/:id/batch",
      "run",
      runId
    ])
    assert.deepStrictEqual(describe_("DELETE", "/api/v1/experiments/12/tags?key=team"), [
      "DELETE /api/v1/experiments/:id/tags",
      "experiment",
      "12"
    ])
    assert.deepStrictEqual(describe_("PUT", "/api/v1/artifacts/file?path=a%2Fb.txt"), [
      "PUT /api/v1/artifacts/file",
      "artifact",
      "a/b.txt"
    ])
    assert.deepStrictEqual(describe_("PATCH", "/api/v1/models/versions", { name: "churn", version: "2" }), [
      "PATCH /api/v1/models/versions",
      "model_version",
      "churn/2"
    ])
  })

  it("admin API writes name their collection's resource by position; a new key by its id, never its secret", () => {
    const principal = `p-${"a".repeat(32)}`
    assert.deepStrictEqual(describe_("POST", `/api/v1/admin/users/${principal}/disable`), [
      "POST /api/v1/admin/users/:id/disable",
      "principal",
      principal
    ])
    assert.deepStrictEqual(describe_("DELETE", "/api/v1/admin/groups/ml%20platform/members/alice"), [
      "DELETE /api/v1/admin/groups/:id/members/:member",
      "group",
      "ml platform"
    ])
    assert.deepStrictEqual(
      describe_(
        "POST",
        "/api/v1/admin/keys",
        { principal: "trainer", name: "nightly" },
        { apiKey: { keyId: "0123456789abcdef" }, key: "mlk_0123456789abcdef_secret" }
      ),
      ["POST /api/v1/admin/keys", "api_key", "0123456789abcdef"]
    )
    assert.deepStrictEqual(describe_("DELETE", "/api/v1/me/keys/0123456789abcdef"), [
      "DELETE /api/v1/me/keys/:id",
      "api_key",
      "0123456789abcdef"
    ])
    assert.deepStrictEqual(describe_("POST", "/api/v1/admin/tenants", { tenantId: "acme" }), [
      "POST /api/v1/admin/tenants",
      "tenant",
      "acme"
    ])
    assert.deepStrictEqual(
      describe_("PUT", "/api/v1/admin/grants", { group: "ml", resourceKind: "experiment", resourceId: "7" }),
      ["PUT /api/v1/admin/grants", "grant", "experiment:7"]
    )
  })

  it("webhook writes name the webhook: from the path, or from the answer for a creation and a redelivery", () => {
    const webhookId = "f".repeat(32)
    const deliveryId = "0f1e2d3c-4b5a-4697-8877-665544332211"
    for (const mount of ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"]) {
      assert.deepStrictEqual(
        describe_("POST", `${mount}/webhooks`, { name: "deploy" }, { webhook: { webhook_id: webhookId } }),
        ["mlflow.webhooks.create", "webhook", webhookId]
      )
      assert.deepStrictEqual(describe_("PATCH", `${mount}/webhooks/${webhookId}`, { status: "DISABLED" }), [
        "mlflow.webhooks.update",
        "webhook",
        webhookId
      ])
      assert.deepStrictEqual(describe_("DELETE", `${mount}/webhooks/${webhookId}`), [
        "mlflow.webhooks.delete",
        "webhook",
        webhookId
      ])
      assert.deepStrictEqual(describe_("POST", `${mount}/webhooks/${webhookId}/test`), [
        "mlflow.webhooks.test",
        "webhook",
        webhookId
      ])
    }
    assert.deepStrictEqual(
      describe_("POST", "/api/v1/webhooks", { name: "deploy" }, { webhook: { webhookId }, secret: "s3cret" }),
      ["POST /api/v1/webhooks", "webhook", webhookId]
    )
    assert.deepStrictEqual(describe_("PATCH", `/api/v1/webhooks/${webhookId}`), [
      "PATCH /api/v1/webhooks/:id",
      "webhook",
      webhookId
    ])
    assert.deepStrictEqual(describe_("DELETE", `/api/v1/webhooks/${webhookId}`), [
      "DELETE /api/v1/webhooks/:id",
      "webhook",
      webhookId
    ])
    assert.deepStrictEqual(describe_("POST", `/api/v1/webhooks/${webhookId}/test`), [
      "POST /api/v1/webhooks/:id/test",
      "webhook",
      webhookId
    ])
    assert.deepStrictEqual(
      describe_("POST", `/api/v1/webhooks/deliveries/${deliveryId}/redeliver`, {}, { deliveryId: "new", webhookId }),
      ["POST /api/v1/webhooks/deliveries/:id/redeliver", "webhook", webhookId]
    )
    // Refused (the delivery is not the caller's): no webhook to name.
    assert.deepStrictEqual(
      describe_("POST", `/api/v1/webhooks/deliveries/${deliveryId}/redeliver`, {}, { _tag: "WebhookDeliveryNotFound" }),
      ["POST /api/v1/webhooks/deliveries/:id/redeliver", "webhook", ""]
    )
  })

  it("only ids are taken from a large body's start", () => {
    const prefix = `{"run_id": "${runId}", "metrics": [{"key": "loss", "value": 1, "experiment_id": "9"}`
    assert.deepStrictEqual(idFieldsOfPrefix(prefix), { run_id: runId, experiment_id: "9" })
    assert.strictEqual(
      findNested({ a: [{ run_id: "in-array" }], b: { c: { run_id: "nested" } } }, ["run_id"]),
      "nested"
    )
  })
})
