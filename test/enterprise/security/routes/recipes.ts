import * as fc from "fast-check"
import type { Request } from "./http.js"
import type { ServedRoute } from "./inventory.js"
import type { Ids } from "./seed.js"

/*
 * One request per route of the inventory, built from a tenant's ids: with
 * globex's ids it is alice's attempt on globex's data; with alice's own it
 * is the control that proves the request is well formed and reaches the
 * handler. Parameters that name nothing (new names, page sizes, values,
 * unknown extra fields) are drawn by fast-check.
 */

/** The parameters of a request that name no resource. */
export interface Free {
  /** Makes new names, keys and aliases unique. */
  readonly suffix: string
  readonly pageSize: number
  readonly value: number
  readonly step: number
  /** Fields no endpoint knows, which every endpoint must ignore. */
  readonly extra: Readonly<Record<string, string | number | boolean>>
}

export const free: fc.Arbitrary<Free> = fc.record({
  suffix: fc.stringMatching(/^[a-z0-9]{6,12}$/),
  pageSize: fc.integer({ min: 1, max: 500 }),
  value: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  step: fc.integer({ min: 0, max: 1_000_000 }),
  extra: fc.dictionary(
    fc.stringMatching(/^zz_[a-z]{1,8}$/),
    fc.oneof(fc.string({ maxLength: 24 }), fc.integer(), fc.boolean()),
    { maxKeys: 3 }
  )
})

/**
 * What alice's request naming globex's resources must get:
 * - `denied`: a 4xx refusal (it names something only globex has);
 * - `filtered`: a search or listing, answered (2xx) or refused (4xx), with none of globex's items;
 * - `own`: a creation under a name globex also uses, which lands in alice's own tenant;
 * - `unsupported`: an endpoint that answers 501 to everyone (multipart uploads are off).
 */
export type Expectation = "denied" | "filtered" | "own" | "unsupported"

export interface Recipe {
  readonly build: (ids: Ids, free: Free) => Omit<Request, "method" | "headers">
  readonly expect: Expectation
  /** The statuses of the control; default: any 2xx. */
  readonly control?: ReadonlyArray<number>
  /** What the control consumes (deletes, renames, finalizes): later controls naming it need fresh data. */
  readonly spoils?: ReadonlyArray<keyof Ids>
  /** The answer may repeat names alice sent in earlier requests (the audit trail records them). */
  readonly recordsRequests?: boolean
  /** The endpoint refuses fields it does not know (400), so no unknown fields are sent. */
  readonly strict?: boolean
}

const denied = (build: Recipe["build"], options: Omit<Recipe, "build" | "expect"> = {}): Recipe => ({
  build,
  expect: "denied",
  ...options
})
const filtered = (build: Recipe["build"], options: Omit<Recipe, "build" | "expect"> = {}): Recipe => ({
  build,
  expect: "filtered",
  ...options
})
const own = (build: Recipe["build"], options: Omit<Recipe, "build" | "expect"> = {}): Recipe => ({
  build,
  expect: "own",
  ...options
})

/** A recipe of an endpoint that refuses unknown fields. */
const strict = (
  make: (build: Recipe["build"], options?: Omit<Recipe, "build" | "expect">) => Recipe,
  build: Recipe["build"],
  options: Omit<Recipe, "build" | "expect"> = {}
): Recipe => make(build, { ...options, strict: true })

const pair = (key: string, value: string) => [{ key, value }]

/** MLflow's tracking and registry API, relative to `/api/2.0/mlflow` (and `/ajax-api/2.0/mlflow`). */
const mlflow: Record<string, Recipe> = {
  "POST /experiments/create": own((i, f) => ({
    path: "/experiments/create",
    body: { name: `${i.experimentName}-${f.suffix}` }
  })),
  "GET /experiments/get": denied((i) => ({ path: "/experiments/get", query: { experiment_id: i.experimentId } })),
  "GET /experiments/get-by-name": denied((i) => ({
    path: "/experiments/get-by-name",
    query: { experiment_name: i.experimentName }
  })),
  "POST /experiments/search": filtered((i, f) => ({
    path: "/experiments/search",
    body: { filter: `name = '${i.experimentName}'`, max_results: f.pageSize }
  })),
  "GET /experiments/search": filtered((i, f) => ({
    path: "/experiments/search",
    query: { filter: `name LIKE '${i.experimentName}%'`, max_results: String(f.pageSize) }
  })),
  "POST /experiments/update": denied(
    (i, f) => ({
      path: "/experiments/update",
      body: { experiment_id: i.experimentId, new_name: `${i.experimentName}-renamed-${f.suffix}` }
    }),
    { spoils: ["experimentName"] }
  ),
  "POST /experiments/delete": denied(
    (i) => ({ path: "/experiments/delete", body: { experiment_id: i.experimentId } }),
    {
      spoils: ["experimentId", "runId", "loggedModelId"]
    }
  ),
  "POST /experiments/restore": denied((i) => ({
    path: "/experiments/restore",
    body: { experiment_id: i.experimentId }
  })),
  "POST /experiments/set-experiment-tag": denied((i, f) => ({
    path: "/experiments/set-experiment-tag",
    body: { experiment_id: i.experimentId, key: `k-${f.suffix}`, value: "v" }
  })),
  "POST /experiments/delete-experiment-tag": denied(
    (i) => ({
      path: "/experiments/delete-experiment-tag",
      body: { experiment_id: i.experimentId, key: i.experimentTagKey }
    }),
    { spoils: ["experimentTagKey"] }
  ),

  "POST /runs/create": denied((i, f) => ({
    path: "/runs/create",
    body: { experiment_id: i.experimentId, run_name: `run-${f.suffix}` }
  })),
  "GET /runs/get": denied((i) => ({ path: "/runs/get", query: { run_id: i.runId } })),
  "POST /runs/update": denied((i, f) => ({
    path: "/runs/update",
    body: { run_id: i.runId, run_name: `run-${f.suffix}` }
  })),
  "POST /runs/delete": denied((i) => ({ path: "/runs/delete", body: { run_id: i.runId } }), { spoils: ["runId"] }),
  "POST /runs/restore": denied((i) => ({ path: "/runs/restore", body: { run_uuid: i.runId } })),
  "POST /runs/search": filtered((i, f) => ({
    path: "/runs/search",
    body: { experiment_ids: [i.experimentId], max_results: f.pageSize }
  })),
  "POST /runs/log-batch": denied((i, f) => ({
    path: "/runs/log-batch",
    body: {
      run_id: i.runId,
      metrics: [{ key: `m-${f.suffix}`, value: f.value, timestamp: 1_700_000_000_000, step: f.step }],
      params: pair(`p-${f.suffix}`, "v"),
      tags: pair(`t-${f.suffix}`, "v")
    }
  })),
  "POST /runs/log-metric": denied((i, f) => ({
    path: "/runs/log-metric",
    body: { run_id: i.runId, key: `m-${f.suffix}`, value: f.value, timestamp: 1_700_000_000_000, step: f.step }
  })),
  "POST /runs/log-parameter": denied((i, f) => ({
    path: "/runs/log-parameter",
    body: { run_id: i.runId, key: `p1-${f.suffix}`, value: "v" }
  })),
  "POST /runs/set-tag": denied((i, f) => ({
    path: "/runs/set-tag",
    body: { run_id: i.runId, key: `t1-${f.suffix}`, value: "v" }
  })),
  "POST /runs/delete-tag": denied((i) => ({ path: "/runs/delete-tag", body: { run_id: i.runId, key: i.runTagKey } }), {
    spoils: ["runTagKey"]
  }),
  "POST /runs/log-inputs": denied((i) => ({
    path: "/runs/log-inputs",
    body: {
      run_id: i.runId,
      datasets: [{ dataset: { name: i.datasetName, digest: i.datasetDigest, source_type: "stream", source: "s" } }]
    }
  })),
  "GET /metrics/get-history": denied((i, f) => ({
    path: "/metrics/get-history",
    query: { run_id: i.runId, metric_key: i.metricKey, max_results: String(f.pageSize) }
  })),
  "GET /metrics/get-history-bulk-interval": denied((i, f) => ({
    path: "/metrics/get-history-bulk-interval",
    query: { run_ids: [i.runId], metric_key: i.metricKey, max_results: String(f.pageSize) }
  })),

  "POST /registered-models/create": own((i, f) => ({
    path: "/registered-models/create",
    body: { name: `${i.modelName}-${f.suffix}` }
  })),
  "GET /registered-models/get": denied((i) => ({ path: "/registered-models/get", query: { name: i.modelName } })),
  "PATCH /registered-models/update": denied((i, f) => ({
    path: "/registered-models/update",
    body: { name: i.modelName, description: `changed-${f.suffix}` }
  })),
  "POST /registered-models/rename": denied(
    (i, f) => ({
      path: "/registered-models/rename",
      body: { name: i.modelName, new_name: `${i.modelName}-${f.suffix}` }
    }),
    { spoils: ["modelName"] }
  ),
  "DELETE /registered-models/delete": denied(
    (i) => ({ path: "/registered-models/delete", body: { name: i.modelName } }),
    { spoils: ["modelName"] }
  ),
  "GET /registered-models/search": filtered((i, f) => ({
    path: "/registered-models/search",
    query: { filter: `name = '${i.modelName}'`, max_results: String(f.pageSize) }
  })),
  "POST /registered-models/search": filtered((i, f) => ({
    path: "/registered-models/search",
    body: { filter: `name LIKE '${i.modelName}%'`, max_results: f.pageSize }
  })),
  "POST /registered-models/set-tag": denied((i, f) => ({
    path: "/registered-models/set-tag",
    body: { name: i.modelName, key: `k-${f.suffix}`, value: "v" }
  })),
  "DELETE /registered-models/delete-tag": denied(
    (i) => ({ path: "/registered-models/delete-tag", body: { name: i.modelName, key: i.modelTagKey } }),
    { spoils: ["modelTagKey"] }
  ),
  "POST /registered-models/alias": denied((i, f) => ({
    path: "/registered-models/alias",
    body: { name: i.modelName, alias: `a-${f.suffix}`, version: i.version }
  })),
  "DELETE /registered-models/alias": denied(
    (i) => ({ path: "/registered-models/alias", body: { name: i.modelName, alias: i.alias } }),
    { spoils: ["alias"] }
  ),
  "GET /registered-models/alias": denied((i) => ({
    path: "/registered-models/alias",
    query: { name: i.modelName, alias: i.alias }
  })),
  "POST /registered-models/get-latest-versions": denied((i) => ({
    path: "/registered-models/get-latest-versions",
    body: { name: i.modelName }
  })),
  "GET /registered-models/get-latest-versions": denied((i) => ({
    path: "/registered-models/get-latest-versions",
    query: { name: i.modelName, stages: ["None", "Staging"] }
  })),

  "POST /model-versions/create": denied((i) => ({
    path: "/model-versions/create",
    body: { name: i.modelName, source: `runs:/${i.runId}/model`, run_id: i.runId }
  })),
  "GET /model-versions/get": denied((i) => ({
    path: "/model-versions/get",
    query: { name: i.modelName, version: i.version }
  })),
  "PATCH /model-versions/update": denied((i, f) => ({
    path: "/model-versions/update",
    body: { name: i.modelName, version: i.version, description: `changed-${f.suffix}` }
  })),
  "DELETE /model-versions/delete": denied(
    (i) => ({ path: "/model-versions/delete", body: { name: i.modelName, version: i.version } }),
    { spoils: ["version", "alias"] }
  ),
  "GET /model-versions/search": filtered((i, f) => ({
    path: "/model-versions/search",
    query: { filter: `name = '${i.modelName}'`, max_results: String(f.pageSize) }
  })),
  "POST /model-versions/search": filtered((i, f) => ({
    path: "/model-versions/search",
    body: { filter: `name = '${i.modelName}'`, max_results: f.pageSize }
  })),
  "POST /model-versions/set-tag": denied((i, f) => ({
    path: "/model-versions/set-tag",
    body: { name: i.modelName, version: i.version, key: `k-${f.suffix}`, value: "v" }
  })),
  "DELETE /model-versions/delete-tag": denied(
    (i) => ({
      path: "/model-versions/delete-tag",
      body: { name: i.modelName, version: i.version, key: i.versionTagKey }
    }),
    { spoils: ["versionTagKey"] }
  ),
  "POST /model-versions/transition-stage": denied((i) => ({
    path: "/model-versions/transition-stage",
    body: { name: i.modelName, version: i.version, stage: "Staging", archive_existing_versions: false }
  })),
  "GET /model-versions/get-download-uri": denied((i) => ({
    path: "/model-versions/get-download-uri",
    query: { name: i.modelName, version: i.version }
  })),

  "GET /artifacts/list": denied((i) => ({ path: "/artifacts/list", query: { run_id: i.runId, path: "notes" } })),

  "POST /logged-models": denied((i, f) => ({
    path: "/logged-models",
    body: { experiment_id: i.experimentId, name: `lm-${f.suffix}` }
  })),
  "POST /logged-models/search": filtered((i, f) => ({
    path: "/logged-models/search",
    body: { experiment_ids: [i.experimentId], max_results: f.pageSize }
  })),
  "GET /logged-models/:model_id": denied((i) => ({ path: `/logged-models/${i.loggedModelId}` })),
  "DELETE /logged-models/:model_id": denied((i) => ({ path: `/logged-models/${i.loggedModelId}` }), {
    spoils: ["loggedModelId"]
  }),
  "PATCH /logged-models/:model_id": denied(
    (i) => ({ path: `/logged-models/${i.loggedModelId}`, body: { status: "LOGGED_MODEL_READY" } }),
    { spoils: ["loggedModelId"] }
  ),
  "PATCH /logged-models/:model_id/tags": denied((i, f) => ({
    path: `/logged-models/${i.loggedModelId}/tags`,
    body: { tags: pair(`k-${f.suffix}`, "v") }
  })),
  "DELETE /logged-models/:model_id/tags/:tag_key": denied(
    (i) => ({ path: `/logged-models/${i.loggedModelId}/tags/${encodeURIComponent(i.loggedModelTagKey)}` }),
    { spoils: ["loggedModelTagKey"] }
  ),
  "POST /logged-models/:model_id/params": denied((i, f) => ({
    path: `/logged-models/${i.loggedModelId}/params`,
    body: { params: pair(`p-${f.suffix}`, "v") }
  })),
  "GET /logged-models/:model_id/artifacts/directories": denied((i) => ({
    path: `/logged-models/${i.loggedModelId}/artifacts/directories`
  })),
  "POST /runs/outputs": denied((i) => ({
    path: "/runs/outputs",
    body: { run_id: i.runId, models: [{ model_id: i.loggedModelId, step: 0 }] }
  })),

  // MLflow's permission API (RBAC).
  "POST /users/create": own((i, f) => ({ path: "/users/create", body: { username: `${i.username}-${f.suffix}` } })),
  "GET /users/get": denied((i) => ({ path: "/users/get", query: { username: i.username } })),
  // Always 400: this server keeps no passwords.
  "PATCH /users/update-password": denied(
    (i, f) => ({ path: "/users/update-password", body: { username: i.username, password: `pw-${f.suffix}` } }),
    { control: [400] }
  ),
  "PATCH /users/update-admin": denied((i) => ({
    path: "/users/update-admin",
    body: { username: i.username, is_admin: "false" }
  })),
  "DELETE /users/delete": denied((i) => ({ path: "/users/delete", body: { username: i.username } }), {
    spoils: ["username"]
  }),
  "POST /experiments/permissions/create": denied(
    (i) => ({
      path: "/experiments/permissions/create",
      body: { experiment_id: i.experimentId, username: i.otherUsername, permission: "READ" }
    }),
    { spoils: ["otherUsername"] }
  ),
  "GET /experiments/permissions/get": denied((i) => ({
    path: "/experiments/permissions/get",
    query: { experiment_id: i.experimentId, username: i.username }
  })),
  "PATCH /experiments/permissions/update": denied((i) => ({
    path: "/experiments/permissions/update",
    body: { experiment_id: i.experimentId, username: i.username, permission: "EDIT" }
  })),
  "DELETE /experiments/permissions/delete": denied(
    (i) => ({
      path: "/experiments/permissions/delete",
      body: { experiment_id: i.experimentId, username: i.username }
    }),
    { spoils: ["username"] }
  ),
  "POST /registered-models/permissions/create": denied(
    (i) => ({
      path: "/registered-models/permissions/create",
      body: { name: i.modelName, username: i.otherUsername, permission: "READ" }
    }),
    { spoils: ["otherUsername"] }
  ),
  "GET /registered-models/permissions/get": denied((i) => ({
    path: "/registered-models/permissions/get",
    query: { name: i.modelName, username: i.username }
  })),
  "PATCH /registered-models/permissions/update": denied((i) => ({
    path: "/registered-models/permissions/update",
    body: { name: i.modelName, username: i.username, permission: "EDIT" }
  })),
  "DELETE /registered-models/permissions/delete": denied(
    (i) => ({ path: "/registered-models/permissions/delete", body: { name: i.modelName, username: i.username } }),
    { spoils: ["username"] }
  ),

  // MLflow's webhook API (served by the webhook routes, which refuse unknown fields).
  "POST /webhooks": strict(own, (i, f) => ({
    path: "/webhooks",
    body: {
      name: `${i.webhookName}-${f.suffix}`,
      url: i.webhookUrl,
      events: [{ entity: "MODEL_VERSION", action: "CREATED" }]
    }
  })),
  "GET /webhooks": strict(filtered, (_, f) => ({
    path: "/webhooks",
    query: { max_results: String(Math.min(f.pageSize, 1000)) }
  })),
  "GET /webhooks/:webhookId": strict(denied, (i) => ({ path: `/webhooks/${i.webhookId}` })),
  "PATCH /webhooks/:webhookId": strict(denied, (i, f) => ({
    path: `/webhooks/${i.webhookId}`,
    body: { description: `changed-${f.suffix}` }
  })),
  "DELETE /webhooks/:webhookId": strict(denied, (i) => ({ path: `/webhooks/${i.webhookId}` }), {
    spoils: ["webhookId", "deliveryId"]
  }),
  "POST /webhooks/:webhookId/test": strict(denied, (i) => ({
    path: `/webhooks/${i.webhookId}/test`,
    body: { event: { entity: "MODEL_VERSION", action: "CREATED" } }
  })),

  // Any other path under the prefix: MLflow's 404 page.
  "* /*": denied((i) => ({ path: "/experiments/no-such-endpoint", query: { experiment_id: i.experimentId } }), {
    control: [404]
  })
}

/** MLflow's artifact proxy, relative to `/api/2.0/mlflow-artifacts` (and `/ajax-api/2.0/mlflow-artifacts`). */
const artifacts: Record<string, Recipe> = {
  // Paths are the tenant's own: an upload to globex's path lands under alice's prefix.
  "PUT /artifacts/*": own((i, f) => ({ path: `/artifacts/${i.artifactPath}.${f.suffix}`, body: `upload ${f.suffix}` })),
  "GET /artifacts/*": denied((i) => ({ path: `/artifacts/${i.artifactPath}` })),
  "DELETE /artifacts/*": denied((i) => ({ path: `/artifacts/${i.artifactPath}` }), { spoils: ["artifactPath"] }),
  "GET /artifacts": filtered((i) => ({
    path: "/artifacts",
    query: { path: `${i.experimentId}/${i.runId}/artifacts/notes` }
  })),
  "POST /mpu/create/*": {
    build: (i) => ({ path: `/mpu/create/${i.artifactPath}`, body: {} }),
    expect: "unsupported",
    control: [501]
  },
  "POST /mpu/complete/*": {
    build: (i) => ({ path: `/mpu/complete/${i.artifactPath}`, body: {} }),
    expect: "unsupported",
    control: [501]
  },
  "POST /mpu/abort/*": {
    build: (i) => ({ path: `/mpu/abort/${i.artifactPath}`, body: {} }),
    expect: "unsupported",
    control: [501]
  },
  "* /*": denied((i) => ({ path: "/no-such-endpoint", query: { path: i.artifactPath } }), { control: [404] })
}

const v1 = "/api/v1"

/** The native API and the server's other routes under `/api/v1`, by full path. */
const native: Record<string, Recipe> = {
  [`POST ${v1}/experiments`]: own((i, f) => ({
    path: `${v1}/experiments`,
    body: { name: `${i.experimentName}-${f.suffix}` }
  })),
  [`GET ${v1}/experiments/:experimentId`]: denied((i) => ({ path: `${v1}/experiments/${i.experimentId}` })),
  [`GET ${v1}/experiments/by-name`]: denied((i) => ({
    path: `${v1}/experiments/by-name`,
    query: { name: i.experimentName }
  })),
  [`POST ${v1}/experiments/search`]: filtered((i, f) => ({
    path: `${v1}/experiments/search`,
    body: { filter: `name = '${i.experimentName}'`, maxResults: f.pageSize }
  })),
  [`POST ${v1}/experiments/summaries`]: filtered((i) => ({
    path: `${v1}/experiments/summaries`,
    body: { experimentIds: [i.experimentId] }
  })),
  [`GET ${v1}/experiments/:experimentId/keys`]: denied((i) => ({ path: `${v1}/experiments/${i.experimentId}/keys` })),
  [`PATCH ${v1}/experiments/:experimentId`]: denied(
    (i, f) => ({ path: `${v1}/experiments/${i.experimentId}`, body: { name: `${i.experimentName}-${f.suffix}` } }),
    { spoils: ["experimentName"] }
  ),
  [`PUT ${v1}/experiments/:experimentId/tags`]: denied((i, f) => ({
    path: `${v1}/experiments/${i.experimentId}/tags`,
    body: { key: `k-${f.suffix}`, value: "v" }
  })),
  [`DELETE ${v1}/experiments/:experimentId/tags`]: denied(
    (i) => ({ path: `${v1}/experiments/${i.experimentId}/tags`, query: { key: i.experimentTagKey } }),
    { spoils: ["experimentTagKey"] }
  ),
  [`DELETE ${v1}/experiments/:experimentId`]: denied((i) => ({ path: `${v1}/experiments/${i.experimentId}` }), {
    spoils: ["experimentId", "runId", "loggedModelId"]
  }),
  [`POST ${v1}/experiments/:experimentId/restore`]: denied((i) => ({
    path: `${v1}/experiments/${i.experimentId}/restore`
  })),

  [`POST ${v1}/runs`]: denied((i, f) => ({
    path: `${v1}/runs`,
    body: { experimentId: i.experimentId, runName: `r-${f.suffix}` }
  })),
  [`GET ${v1}/runs/:runId`]: denied((i) => ({ path: `${v1}/runs/${i.runId}` })),
  [`PATCH ${v1}/runs/:runId`]: denied((i, f) => ({
    path: `${v1}/runs/${i.runId}`,
    body: { runName: `r-${f.suffix}` }
  })),
  [`DELETE ${v1}/runs/:runId`]: denied((i) => ({ path: `${v1}/runs/${i.runId}` }), { spoils: ["runId"] }),
  [`POST ${v1}/runs/:runId/restore`]: denied((i) => ({ path: `${v1}/runs/${i.runId}/restore` })),
  [`POST ${v1}/runs/:runId/params`]: denied((i, f) => ({
    path: `${v1}/runs/${i.runId}/params`,
    body: { key: `p-${f.suffix}`, value: "v" }
  })),
  [`POST ${v1}/runs/:runId/metrics`]: denied((i, f) => ({
    path: `${v1}/runs/${i.runId}/metrics`,
    body: { key: `m-${f.suffix}`, value: f.value, step: f.step }
  })),
  [`PUT ${v1}/runs/:runId/tags`]: denied((i, f) => ({
    path: `${v1}/runs/${i.runId}/tags`,
    body: { key: `t-${f.suffix}`, value: "v" }
  })),
  [`DELETE ${v1}/runs/:runId/tags`]: denied(
    (i) => ({ path: `${v1}/runs/${i.runId}/tags`, query: { key: i.runTagKey } }),
    { spoils: ["runTagKey"] }
  ),
  [`POST ${v1}/runs/:runId/batch`]: denied((i, f) => ({
    path: `${v1}/runs/${i.runId}/batch`,
    body: {
      metrics: [{ key: `m-${f.suffix}`, value: f.value, step: f.step }],
      params: pair(`pb-${f.suffix}`, "v"),
      tags: pair(`tb-${f.suffix}`, "v")
    }
  })),
  [`POST ${v1}/runs/:runId/inputs`]: denied((i) => ({
    path: `${v1}/runs/${i.runId}/inputs`,
    body: {
      datasets: [
        { dataset: { name: i.datasetName, digest: i.datasetDigest, sourceType: "stream", source: "s" }, tags: [] }
      ]
    }
  })),
  [`GET ${v1}/runs/:runId/metric-history`]: denied((i, f) => ({
    path: `${v1}/runs/${i.runId}/metric-history`,
    query: { key: i.metricKey, maxResults: String(f.pageSize) }
  })),
  [`POST ${v1}/runs/search`]: filtered((i, f) => ({
    path: `${v1}/runs/search`,
    body: { experimentIds: [i.experimentId], maxResults: f.pageSize }
  })),
  [`GET ${v1}/runs/:runId/events`]: denied((i) => ({ path: `${v1}/runs/${i.runId}/events` })),

  [`POST ${v1}/models`]: own((i, f) => ({ path: `${v1}/models`, body: { name: `${i.modelName}-${f.suffix}` } })),
  [`GET ${v1}/models/get`]: denied((i) => ({ path: `${v1}/models/get`, query: { name: i.modelName } })),
  [`POST ${v1}/models/rename`]: denied(
    (i, f) => ({ path: `${v1}/models/rename`, body: { name: i.modelName, newName: `${i.modelName}-${f.suffix}` } }),
    { spoils: ["modelName"] }
  ),
  [`PATCH ${v1}/models`]: denied((i, f) => ({
    path: `${v1}/models`,
    body: { name: i.modelName, description: `changed-${f.suffix}` }
  })),
  [`PUT ${v1}/models/tags`]: denied((i, f) => ({
    path: `${v1}/models/tags`,
    body: { name: i.modelName, key: `k-${f.suffix}`, value: "v" }
  })),
  [`DELETE ${v1}/models/tags`]: denied(
    (i) => ({ path: `${v1}/models/tags`, query: { name: i.modelName, key: i.modelTagKey } }),
    { spoils: ["modelTagKey"] }
  ),
  [`DELETE ${v1}/models`]: denied((i) => ({ path: `${v1}/models`, query: { name: i.modelName } }), {
    spoils: ["modelName"]
  }),
  [`POST ${v1}/models/search`]: filtered((i, f) => ({
    path: `${v1}/models/search`,
    body: { filter: `name = '${i.modelName}'`, maxResults: f.pageSize }
  })),
  [`POST ${v1}/models/versions`]: denied((i) => ({
    path: `${v1}/models/versions`,
    body: { name: i.modelName, source: `runs:/${i.runId}/model`, runId: i.runId }
  })),
  [`GET ${v1}/models/versions`]: denied((i) => ({
    path: `${v1}/models/versions`,
    query: { name: i.modelName, version: i.version }
  })),
  [`PATCH ${v1}/models/versions`]: denied((i, f) => ({
    path: `${v1}/models/versions`,
    body: { name: i.modelName, version: i.version, description: `changed-${f.suffix}` }
  })),
  [`PUT ${v1}/models/versions/tags`]: denied((i, f) => ({
    path: `${v1}/models/versions/tags`,
    body: { name: i.modelName, version: i.version, key: `k-${f.suffix}`, value: "v" }
  })),
  [`DELETE ${v1}/models/versions/tags`]: denied(
    (i) => ({
      path: `${v1}/models/versions/tags`,
      query: { name: i.modelName, version: i.version, key: i.versionTagKey }
    }),
    { spoils: ["versionTagKey"] }
  ),
  [`DELETE ${v1}/models/versions`]: denied(
    (i) => ({ path: `${v1}/models/versions`, query: { name: i.modelName, version: i.version } }),
    { spoils: ["version", "alias"] }
  ),
  [`POST ${v1}/models/versions/search`]: filtered((i, f) => ({
    path: `${v1}/models/versions/search`,
    body: { filter: `name = '${i.modelName}'`, maxResults: f.pageSize }
  })),
  [`POST ${v1}/models/versions/stage`]: denied((i) => ({
    path: `${v1}/models/versions/stage`,
    body: { name: i.modelName, version: i.version, stage: "Staging" }
  })),
  [`POST ${v1}/models/latest-versions`]: denied((i) => ({
    path: `${v1}/models/latest-versions`,
    body: { name: i.modelName }
  })),
  [`PUT ${v1}/models/aliases`]: denied((i, f) => ({
    path: `${v1}/models/aliases`,
    body: { name: i.modelName, alias: `a-${f.suffix}`, version: i.version }
  })),
  [`DELETE ${v1}/models/aliases`]: denied(
    (i) => ({ path: `${v1}/models/aliases`, query: { name: i.modelName, alias: i.alias } }),
    { spoils: ["alias"] }
  ),
  [`GET ${v1}/models/aliases`]: denied((i) => ({
    path: `${v1}/models/aliases`,
    query: { name: i.modelName, alias: i.alias }
  })),
  [`GET ${v1}/models/aliases/history`]: denied((i) => ({
    path: `${v1}/models/aliases/history`,
    query: { name: i.modelName }
  })),
  [`GET ${v1}/models/versions/lineage`]: denied((i) => ({
    path: `${v1}/models/versions/lineage`,
    query: { name: i.modelName, version: i.version }
  })),

  [`POST ${v1}/logged-models`]: denied((i, f) => ({
    path: `${v1}/logged-models`,
    body: { experimentId: i.experimentId, name: `lm-${f.suffix}` }
  })),
  [`GET ${v1}/logged-models/:modelId`]: denied((i) => ({ path: `${v1}/logged-models/${i.loggedModelId}` })),
  [`POST ${v1}/logged-models/:modelId/finalize`]: denied(
    (i) => ({ path: `${v1}/logged-models/${i.loggedModelId}/finalize`, body: { status: "LOGGED_MODEL_READY" } }),
    { spoils: ["loggedModelId"] }
  ),
  [`DELETE ${v1}/logged-models/:modelId`]: denied((i) => ({ path: `${v1}/logged-models/${i.loggedModelId}` }), {
    spoils: ["loggedModelId"]
  }),
  [`POST ${v1}/logged-models/search`]: filtered((i, f) => ({
    path: `${v1}/logged-models/search`,
    body: { experimentIds: [i.experimentId], maxResults: f.pageSize }
  })),
  [`PUT ${v1}/logged-models/:modelId/tags`]: denied((i, f) => ({
    path: `${v1}/logged-models/${i.loggedModelId}/tags`,
    body: { tags: pair(`k-${f.suffix}`, "v") }
  })),
  [`DELETE ${v1}/logged-models/:modelId/tags`]: denied(
    (i) => ({ path: `${v1}/logged-models/${i.loggedModelId}/tags`, query: { key: i.loggedModelTagKey } }),
    { spoils: ["loggedModelTagKey"] }
  ),
  [`POST ${v1}/logged-models/:modelId/params`]: denied((i, f) => ({
    path: `${v1}/logged-models/${i.loggedModelId}/params`,
    body: { params: pair(`p-${f.suffix}`, "v") }
  })),
  [`POST ${v1}/logged-models/:modelId/metrics`]: denied((i, f) => ({
    path: `${v1}/logged-models/${i.loggedModelId}/metrics`,
    body: { metrics: [{ key: `m-${f.suffix}`, value: f.value, timestamp: 1_700_000_000_000, step: f.step }] }
  })),
  [`POST ${v1}/logged-models/:modelId/model-versions`]: denied((i) => ({
    path: `${v1}/logged-models/${i.loggedModelId}/model-versions`,
    body: { registeredModelName: i.modelName, version: Number(i.version) }
  })),
  [`POST ${v1}/runs/:runId/outputs`]: denied((i) => ({
    path: `${v1}/runs/${i.runId}/outputs`,
    body: { models: [{ modelId: i.loggedModelId, step: 0 }] }
  })),
  [`GET ${v1}/runs/:runId/outputs`]: denied((i) => ({ path: `${v1}/runs/${i.runId}/outputs` })),
  [`POST ${v1}/runs/outputs`]: filtered((i) => ({ path: `${v1}/runs/outputs`, body: { runIds: [i.runId] } })),

  [`PUT ${v1}/artifacts/file`]: own((i, f) => ({
    path: `${v1}/artifacts/file`,
    query: { path: `${i.artifactPath}.${f.suffix}` },
    body: `upload ${f.suffix}`
  })),
  [`GET ${v1}/artifacts/placement`]: filtered((i) => ({
    path: `${v1}/artifacts/placement`,
    query: { path: i.artifactPath }
  })),
  [`GET ${v1}/artifacts/file`]: denied((i) => ({ path: `${v1}/artifacts/file`, query: { path: i.artifactPath } })),
  [`GET ${v1}/artifacts/stat`]: denied((i) => ({ path: `${v1}/artifacts/stat`, query: { path: i.artifactPath } })),
  [`GET ${v1}/artifacts/list`]: filtered((i) => ({
    path: `${v1}/artifacts/list`,
    query: { prefix: `${i.experimentId}/${i.runId}/artifacts/notes` }
  })),
  [`DELETE ${v1}/artifacts/file`]: denied((i) => ({ path: `${v1}/artifacts/file`, query: { path: i.artifactPath } }), {
    spoils: ["artifactPath"]
  }),

  [`GET ${v1}/datasets`]: filtered(() => ({ path: `${v1}/datasets` })),
  // A version of a dataset named as globex's is a dataset of alice's own.
  [`POST ${v1}/datasets/versions`]: own((i, f) => ({
    path: `${v1}/datasets/versions`,
    query: { name: `${i.datasetName}-${f.suffix}`, format: "csv" },
    body: `a,b\n${f.step},2\n`
  })),
  [`POST ${v1}/datasets/metadata`]: own((i, f) => ({
    path: `${v1}/datasets/metadata`,
    body: { name: `${i.datasetName}-${f.suffix}`, digest: `d${f.suffix}`, source: "s3://bucket/x", sourceType: "s3" }
  })),
  [`GET ${v1}/datasets/versions`]: denied((i) => ({ path: `${v1}/datasets/versions`, query: { name: i.datasetName } })),
  [`GET ${v1}/datasets/latest`]: denied((i) => ({ path: `${v1}/datasets/latest`, query: { name: i.datasetName } })),
  [`GET ${v1}/datasets/version`]: denied((i) => ({
    path: `${v1}/datasets/version`,
    query: { name: i.datasetName, version: String(i.datasetVersion) }
  })),
  [`GET ${v1}/datasets/lineage`]: denied((i) => ({
    path: `${v1}/datasets/lineage`,
    query: { name: i.datasetName, version: String(i.datasetVersion) }
  })),

  // The admin API, which refuses unknown fields. Tenants are the operator tenant's (default)
  // business: alice, acme's admin, is refused even for her own.
  [`GET ${v1}/admin/tenants`]: strict(denied, () => ({ path: `${v1}/admin/tenants` }), { control: [403] }),
  [`POST ${v1}/admin/tenants`]: strict(
    denied,
    (_, f) => ({ path: `${v1}/admin/tenants`, body: { tenantId: `t-${f.suffix}` } }),
    {
      control: [403]
    }
  ),
  [`GET ${v1}/admin/users`]: strict(filtered, () => ({ path: `${v1}/admin/users` })),
  [`POST ${v1}/admin/users`]: strict(own, (i, f) => ({
    path: `${v1}/admin/users`,
    body: { username: `${i.username}-${f.suffix}` }
  })),
  [`GET ${v1}/admin/users/:principal`]: strict(denied, (i) => ({
    path: `${v1}/admin/users/${encodeURIComponent(i.username)}`
  })),
  [`POST ${v1}/admin/users/:principal/disable`]: strict(
    denied,
    (i) => ({ path: `${v1}/admin/users/${encodeURIComponent(i.username)}/disable` }),
    { spoils: ["username"] }
  ),
  [`POST ${v1}/admin/users/:principal/enable`]: strict(denied, (i) => ({
    path: `${v1}/admin/users/${encodeURIComponent(i.username)}/enable`
  })),
  [`GET ${v1}/admin/groups`]: strict(filtered, () => ({ path: `${v1}/admin/groups` })),
  [`POST ${v1}/admin/groups`]: strict(own, (i, f) => ({
    path: `${v1}/admin/groups`,
    body: { name: `${i.groupName}-${f.suffix}` }
  })),
  [`POST ${v1}/admin/groups/:group/members`]: strict(denied, (i) => ({
    path: `${v1}/admin/groups/${encodeURIComponent(i.groupName)}/members`,
    body: { principal: i.otherUsername }
  })),
  [`DELETE ${v1}/admin/groups/:group/members/:principal`]: strict(
    denied,
    (i) => ({
      path: `${v1}/admin/groups/${encodeURIComponent(i.groupName)}/members/${encodeURIComponent(i.username)}`
    }),
    { spoils: ["groupName"] }
  ),
  [`GET ${v1}/admin/keys`]: strict(denied, (i) => ({ path: `${v1}/admin/keys`, query: { principal: i.username } })),
  [`POST ${v1}/admin/keys`]: strict(denied, (i, f) => ({
    path: `${v1}/admin/keys`,
    body: { principal: i.username, name: `k-${f.suffix}` }
  })),
  [`DELETE ${v1}/admin/keys/:keyId`]: strict(denied, (i) => ({ path: `${v1}/admin/keys/${i.keyId}` }), {
    spoils: ["keyId"]
  }),
  [`GET ${v1}/admin/grants`]: strict(denied, (i) => ({ path: `${v1}/admin/grants`, query: { principal: i.username } })),
  [`PUT ${v1}/admin/grants`]: strict(
    denied,
    (i) => ({
      path: `${v1}/admin/grants`,
      body: { principal: i.otherUsername, resourceKind: "experiment", resourceId: i.experimentId, role: "viewer" }
    }),
    { spoils: ["otherUsername"] }
  ),
  [`DELETE ${v1}/admin/grants`]: strict(
    denied,
    (i) => ({
      path: `${v1}/admin/grants`,
      query: { principal: i.username, resourceKind: "experiment", resourceId: i.experimentId }
    }),
    { spoils: ["username"] }
  ),
  [`GET ${v1}/me`]: strict(filtered, () => ({ path: `${v1}/me` })),
  [`GET ${v1}/me/keys`]: strict(filtered, () => ({ path: `${v1}/me/keys` })),
  [`POST ${v1}/me/keys`]: strict(own, (_, f) => ({ path: `${v1}/me/keys`, body: { name: `k-${f.suffix}` } })),
  // The seed's key is its admin's: alice's own for the control, bob's for the attempt.
  [`DELETE ${v1}/me/keys/:keyId`]: strict(denied, (i) => ({ path: `${v1}/me/keys/${i.keyId}` }), { spoils: ["keyId"] }),

  // The audit trail: the caller's tenant's only.
  [`GET ${v1}/audit`]: filtered(
    (i, f) => ({
      path: `${v1}/audit`,
      query: { resourceKind: "experiment", resourceId: i.experimentId, limit: String(Math.min(f.pageSize, 1000)) }
    }),
    { recordsRequests: true }
  ),
  [`GET ${v1}/audit/verify`]: filtered(() => ({ path: `${v1}/audit/verify` })),

  // Webhooks: the tenant's admins' only; strict like the admin API. A test ping and a redelivery
  // of alice's own reach the suite's receiver.
  [`POST ${v1}/webhooks`]: strict(own, (i, f) => ({
    path: `${v1}/webhooks`,
    body: { name: `${i.webhookName}-${f.suffix}`, url: i.webhookUrl, events: ["model_version.created"] }
  })),
  [`GET ${v1}/webhooks`]: strict(filtered, () => ({ path: `${v1}/webhooks` })),
  [`GET ${v1}/webhooks/:webhookId`]: strict(denied, (i) => ({ path: `${v1}/webhooks/${i.webhookId}` })),
  [`PATCH ${v1}/webhooks/:webhookId`]: strict(denied, (i, f) => ({
    path: `${v1}/webhooks/${i.webhookId}`,
    body: { description: `changed-${f.suffix}` }
  })),
  [`DELETE ${v1}/webhooks/:webhookId`]: strict(denied, (i) => ({ path: `${v1}/webhooks/${i.webhookId}` }), {
    spoils: ["webhookId", "deliveryId"]
  }),
  [`POST ${v1}/webhooks/:webhookId/test`]: strict(denied, (i) => ({
    path: `${v1}/webhooks/${i.webhookId}/test`,
    body: { event: "model_version.created" }
  })),
  [`GET ${v1}/webhooks/:webhookId/deliveries`]: strict(denied, (i, f) => ({
    path: `${v1}/webhooks/${i.webhookId}/deliveries`,
    query: { limit: String(Math.min(f.pageSize, 1000)) }
  })),
  [`GET ${v1}/webhooks/deliveries/:deliveryId`]: strict(denied, (i) => ({
    path: `${v1}/webhooks/deliveries/${i.deliveryId}`
  })),
  [`POST ${v1}/webhooks/deliveries/:deliveryId/redeliver`]: strict(denied, (i) => ({
    path: `${v1}/webhooks/deliveries/${i.deliveryId}/redeliver`
  }))
}

/** The web UI's artifact download route of MLflow's server. */
const root: Record<string, Recipe> = {
  "GET /get-artifact": denied((i) => ({ path: "/get-artifact", query: { run_id: i.runId, path: i.artifactFile } }))
}

const mounts: ReadonlyArray<readonly [string, Record<string, Recipe>]> = [
  ["/api/2.0/mlflow-artifacts", artifacts],
  ["/ajax-api/2.0/mlflow-artifacts", artifacts],
  ["/api/2.0/mlflow", mlflow],
  ["/ajax-api/2.0/mlflow", mlflow]
]

/** Where a route's recipe is: its table, its key there and the prefix its paths are under. */
export const recipeKey = (
  route: ServedRoute
): { readonly table: string; readonly key: string; readonly mount: string } => {
  for (const [mount, table] of mounts) {
    if (route.path.startsWith(`${mount}/`)) {
      return {
        table: table === mlflow ? "mlflow" : "mlflow-artifacts",
        key: `${route.method} ${route.path.slice(mount.length)}`,
        mount
      }
    }
  }
  return { table: route.path.startsWith(v1) ? "native" : "root", key: `${route.method} ${route.path}`, mount: "" }
}

const tables: Record<string, Record<string, Recipe>> = { mlflow, "mlflow-artifacts": artifacts, native, root }

/** Every recipe, by table and key, to check the tables against the inventory both ways. */
export const allRecipeKeys: ReadonlyArray<string> = Object.entries(tables).flatMap(([table, recipes]) =>
  Object.keys(recipes).map((key) => `${table}: ${key}`)
)

/** A route ready to be called: its recipe and the request it builds from a tenant's ids. */
export interface RouteRecipe {
  readonly route: ServedRoute
  readonly recipe: Recipe
  readonly request: (ids: Ids, free: Free) => Request
}

/** The recipe of a route, or undefined when no table has one. */
export const recipeOf = (route: ServedRoute): RouteRecipe | undefined => {
  const { table, key, mount } = recipeKey(route)
  const recipe = tables[table]?.[key]
  if (recipe === undefined) return undefined
  return {
    route,
    recipe,
    request: (ids, f) => {
      const built = recipe.build(ids, f)
      const method = route.method === "*" ? "GET" : route.method
      const isObject = typeof built.body === "object" && built.body !== null && !Array.isArray(built.body)
      const extra = recipe.strict === true ? {} : f.extra
      return {
        method,
        path: `${mount}${built.path}`,
        // Unknown fields ride along in JSON bodies, or in the query string of GETs.
        ...(isObject
          ? { body: { ...extra, ...(built.body as object) } }
          : built.body === undefined
            ? {}
            : { body: built.body }),
        ...(built.query !== undefined || (method === "GET" && !isObject)
          ? {
              query: {
                ...(method === "GET" ? Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])) : {}),
                ...built.query
              }
            }
          : {})
      }
    }
  }
}

/** The ids a recipe's request names, found by building it over ids that record what is read. */
export const idsUsed = (recipe: Recipe, ids: Ids): ReadonlySet<keyof Ids> => {
  const used = new Set<keyof Ids>()
  const recording = new Proxy(ids, {
    get: (target, property, receiver) => {
      used.add(property as keyof Ids)
      return Reflect.get(target, property, receiver)
    }
  })
  recipe.build(recording, { suffix: "x", pageSize: 1, value: 0, step: 0, extra: {} })
  return used
}
