import { Effect, Schedule } from "effect"
import { bearer, json, type Request, type Response, send } from "./http.js"

/** The identifiers of one tenant's seeded data, which requests fill their parameters with. */
export interface Ids {
  /** A user of the tenant with grants on the experiment and the model (not the seeding admin). */
  readonly username: string
  /** A user of the tenant without grants. */
  readonly otherUsername: string
  readonly experimentId: string
  readonly experimentName: string
  readonly experimentTagKey: string
  readonly runId: string
  readonly metricKey: string
  readonly runTagKey: string
  /** Relative to the run's artifact root. */
  readonly artifactFile: string
  /** The artifact's store path: `<experiment>/<run>/artifacts/<file>`. */
  readonly artifactPath: string
  readonly modelName: string
  readonly modelTagKey: string
  readonly version: string
  readonly versionTagKey: string
  readonly alias: string
  readonly loggedModelId: string
  readonly loggedModelTagKey: string
  readonly datasetName: string
  readonly datasetVersion: number
  readonly datasetDigest: string
  /** A group of the tenant, with `username` as member. */
  readonly groupName: string
  /** An API key of the seeding admin, never used. */
  readonly keyId: string
  /** A webhook subscription to `model_version.created`, and the URL it posts to (the suite's receiver). */
  readonly webhookId: string
  readonly webhookName: string
  readonly webhookUrl: string
  /** The subscription's delivery of the seeded version's creation, delivered. */
  readonly deliveryId: string
}

/**
 * A tenant's seeded data: its ids; `names`, the distinctive strings
 * requests may name (ids, names, keys); `secrets`, the values no request
 * ever sends (tag and param values, descriptions, file contents).
 */
export interface Seeded {
  readonly ids: Ids
  readonly names: ReadonlyArray<string>
  readonly secrets: ReadonlyArray<string>
}

const mlflow = "/api/2.0/mlflow"

/** One call that must succeed; its JSON answer. */
const must = (url: string, key: string, request: Request) =>
  Effect.flatMap(send(url, { ...request, headers: { ...bearer(key), ...request.headers } }), (response: Response) =>
    response.status >= 200 && response.status < 300
      ? Effect.succeed(json(response))
      : Effect.dieMessage(`seeding ${request.method} ${request.path}: ${response.status} ${response.text}`)
  )

let seeds = 0

/**
 * Seeds, as the tenant's admin over the API, an experiment (tagged) with a
 * running run (metrics, params, tags, a dataset input, an artifact file), a
 * registered model (described, tagged) with a version (tagged) and an
 * alias, a logged model (params, tags), a dataset with content, two
 * users, one granted READ on the experiment and the model, and a webhook
 * (at a path of `hooks`, the receiver) subscribed before the version was
 * created, whose delivery of it is waited for until delivered, so that the
 * delivery log stays as it is. Every name and value carries `label` and a
 * counter, so each seed is distinct and its strings can be searched for in
 * answers.
 */
export const seed = (url: string, key: string, label: string, hooks: string): Effect.Effect<Seeded> =>
  Effect.gen(function* () {
    const mark = `${label}${++seeds}`
    const name = (what: string) => `${mark}-${what}`
    const secret = (what: string) => `${mark}-secret-${what}`
    const call = (request: Request) => must(url, key, request)

    const experimentName = name("experiment")
    const experimentTagKey = name("exp-tag")
    const modelName = name("model")
    const modelTagKey = name("model-tag")
    const datasetName = name("dataset")
    const username = name("user")
    const otherUsername = name("other-user")
    const groupName = name("group")
    const webhookName = name("webhook")
    const webhookUrl = `${hooks}/${name("hook")}`
    const [experiment, dataset, , , , , ownKey, webhook] = yield* Effect.all(
      [
        call({
          method: "POST",
          path: `${mlflow}/experiments/create`,
          body: { name: experimentName, tags: [{ key: experimentTagKey, value: secret("exp-tag") }] }
        }),
        call({
          method: "POST",
          path: "/api/v1/datasets/versions",
          query: { name: datasetName, format: "csv", context: "training" },
          body: `feature,label\n${secret("dataset-row")},1\n`
        }),
        call({
          method: "POST",
          path: `${mlflow}/registered-models/create`,
          body: {
            name: modelName,
            description: secret("model-description"),
            tags: [{ key: modelTagKey, value: secret("model-tag") }]
          }
        }),
        call({ method: "POST", path: `${mlflow}/users/create`, body: { username } }),
        call({ method: "POST", path: `${mlflow}/users/create`, body: { username: otherUsername } }),
        call({ method: "POST", path: "/api/v1/admin/groups", body: { name: groupName } }),
        call({ method: "POST", path: "/api/v1/me/keys", body: { name: name("key") } }),
        call({
          method: "POST",
          path: "/api/v1/webhooks",
          body: {
            name: webhookName,
            url: webhookUrl,
            events: ["model_version.created"],
            description: secret("webhook-description"),
            secret: secret("signing-key")
          }
        })
      ],
      { concurrency: "unbounded" }
    )
    const experimentId = String(experiment.experiment_id)
    const datasetDigest = String(dataset.digest)

    const runTagKey = name("run-tag")
    const created = yield* call({
      method: "POST",
      path: `${mlflow}/runs/create`,
      body: { experiment_id: experimentId, run_name: name("run"), tags: [{ key: runTagKey, value: secret("run-tag") }] }
    })
    const runId = (created.run as { info: { run_id: string } }).info.run_id
    const metricKey = name("metric")
    const artifactFile = `notes/${name("artifact")}.txt`
    const artifactPath = `${experimentId}/${runId}/artifacts/${artifactFile}`
    const versionTagKey = name("version-tag")
    const loggedModelTagKey = name("logged-tag")
    const [version, logged] = yield* Effect.all(
      [
        call({
          method: "POST",
          path: `${mlflow}/model-versions/create`,
          body: {
            name: modelName,
            source: `runs:/${runId}/model`,
            run_id: runId,
            description: secret("version-description"),
            tags: [{ key: versionTagKey, value: secret("version-tag") }]
          }
        }),
        call({
          method: "POST",
          path: `${mlflow}/logged-models`,
          body: {
            experiment_id: experimentId,
            name: name("logged-model"),
            source_run_id: runId,
            params: [{ key: name("logged-param"), value: secret("logged-param") }],
            tags: [{ key: loggedModelTagKey, value: secret("logged-tag") }]
          }
        }),
        call({
          method: "POST",
          path: `${mlflow}/runs/log-batch`,
          body: {
            run_id: runId,
            metrics: [
              { key: metricKey, value: 0.25, timestamp: 1_700_000_000_000, step: 0 },
              { key: metricKey, value: 0.5, timestamp: 1_700_000_000_001, step: 1 }
            ],
            params: [{ key: name("param"), value: secret("param") }],
            tags: [{ key: name("batch-tag"), value: secret("batch-tag") }]
          }
        }),
        call({
          method: "PUT",
          path: `/api/2.0/mlflow-artifacts/artifacts/${artifactPath}`,
          body: secret("artifact-content")
        }),
        call({
          method: "POST",
          path: `${mlflow}/runs/log-inputs`,
          body: {
            run_id: runId,
            datasets: [
              {
                dataset: {
                  name: datasetName,
                  digest: datasetDigest,
                  source_type: "stream",
                  source: String(dataset.source)
                },
                tags: [{ key: "mlflow.data.context", value: "training" }]
              }
            ]
          }
        }),
        call({
          method: "POST",
          path: `${mlflow}/experiments/permissions/create`,
          body: { experiment_id: experimentId, username, permission: "READ" }
        }),
        call({
          method: "POST",
          path: `${mlflow}/registered-models/permissions/create`,
          body: { name: modelName, username, permission: "READ" }
        }),
        call({
          method: "POST",
          path: `/api/v1/admin/groups/${encodeURIComponent(groupName)}/members`,
          body: { principal: username }
        })
      ],
      { concurrency: "unbounded" }
    )
    const alias = name("alias")
    const versionNumber = String((version.model_version as { version: string }).version)
    yield* call({
      method: "POST",
      path: `${mlflow}/registered-models/alias`,
      body: { name: modelName, alias, version: versionNumber }
    })
    const loggedModelId = String((logged.model as { info: { model_id: string } }).info.model_id)
    const webhookId = String((webhook.webhook as { webhookId: string }).webhookId)
    // The worker delivers within a poll or two; until then the log changes under the snapshots.
    const delivery = yield* call({ method: "GET", path: `/api/v1/webhooks/${webhookId}/deliveries` }).pipe(
      Effect.flatMap((body) => {
        const log = body.deliveries as ReadonlyArray<{ readonly deliveryId: string; readonly state: string }>
        const [first] = log
        return first !== undefined && log.every((d) => d.state === "delivered")
          ? Effect.succeed(first)
          : Effect.fail("pending")
      }),
      Effect.retry(Schedule.spaced("100 millis")),
      Effect.timeoutFail({
        duration: "30 seconds",
        onTimeout: () => `seeding: the webhook's delivery of ${modelName} version ${versionNumber} was never delivered`
      }),
      Effect.orDie
    )

    const ids: Ids = {
      username,
      otherUsername,
      experimentId,
      experimentName,
      experimentTagKey,
      runId,
      metricKey,
      runTagKey,
      artifactFile,
      artifactPath,
      modelName,
      modelTagKey,
      version: versionNumber,
      versionTagKey,
      alias,
      loggedModelId,
      loggedModelTagKey,
      datasetName,
      datasetVersion: Number(dataset.version),
      datasetDigest,
      groupName,
      keyId: String((ownKey.apiKey as { keyId: string }).keyId),
      webhookId,
      webhookName,
      webhookUrl,
      deliveryId: delivery.deliveryId
    }
    const names = [
      ...[
        "experiment",
        "exp-tag",
        "run",
        "run-tag",
        "metric",
        "param",
        "batch-tag",
        "artifact",
        "dataset",
        "model",
        "model-tag",
        "version-tag",
        "alias",
        "logged-model",
        "logged-param",
        "logged-tag",
        "user",
        "other-user",
        "group",
        "key",
        "webhook",
        "hook"
      ].map(name),
      runId,
      loggedModelId,
      datasetDigest,
      ids.keyId,
      webhookId,
      ids.deliveryId
    ]
    const secrets = [
      "exp-tag",
      "run-tag",
      "param",
      "batch-tag",
      "artifact-content",
      "dataset-row",
      "model-description",
      "model-tag",
      "version-description",
      "version-tag",
      "logged-param",
      "logged-tag",
      "webhook-description",
      "signing-key"
    ].map(secret)
    // A key's secret is answered once, when it is made.
    return { ids, names, secrets: [...secrets, String(ownKey.key)] }
  })

/**
 * Everything the tenant's user can read of its seeded data, one answer per
 * read, to compare before and after other tenants' requests.
 */
export const snapshot = (url: string, key: string, ids: Ids): Effect.Effect<ReadonlyArray<unknown>> => {
  const reads: ReadonlyArray<Request> = [
    { method: "GET", path: `${mlflow}/experiments/get`, query: { experiment_id: ids.experimentId } },
    { method: "GET", path: `${mlflow}/runs/get`, query: { run_id: ids.runId } },
    { method: "GET", path: `${mlflow}/metrics/get-history`, query: { run_id: ids.runId, metric_key: ids.metricKey } },
    { method: "GET", path: `${mlflow}/artifacts/list`, query: { run_id: ids.runId, path: "notes" } },
    { method: "GET", path: "/api/v1/artifacts/stat", query: { path: ids.artifactPath } },
    { method: "GET", path: `${mlflow}/registered-models/get`, query: { name: ids.modelName } },
    { method: "GET", path: `${mlflow}/model-versions/get`, query: { name: ids.modelName, version: ids.version } },
    { method: "GET", path: `${mlflow}/registered-models/alias`, query: { name: ids.modelName, alias: ids.alias } },
    { method: "GET", path: `/api/v1/models/aliases/history`, query: { name: ids.modelName } },
    { method: "GET", path: `${mlflow}/logged-models/${ids.loggedModelId}` },
    { method: "GET", path: "/api/v1/datasets/versions", query: { name: ids.datasetName } },
    {
      method: "GET",
      path: "/api/v1/datasets/lineage",
      query: { name: ids.datasetName, version: String(ids.datasetVersion) }
    },
    { method: "GET", path: "/api/v1/datasets" },
    { method: "POST", path: `${mlflow}/experiments/search`, body: { max_results: 1000 } },
    { method: "POST", path: `${mlflow}/registered-models/search`, body: { max_results: 1000 } },
    { method: "GET", path: `${mlflow}/users/get`, query: { username: ids.username } },
    {
      method: "GET",
      path: `${mlflow}/experiments/permissions/get`,
      query: { experiment_id: ids.experimentId, username: ids.username }
    },
    {
      method: "GET",
      path: `${mlflow}/registered-models/permissions/get`,
      query: { name: ids.modelName, username: ids.username }
    },
    { method: "GET", path: `/api/v1/admin/users/${encodeURIComponent(ids.username)}` },
    { method: "GET", path: "/api/v1/admin/groups" },
    { method: "GET", path: "/api/v1/admin/keys" },
    { method: "GET", path: "/api/v1/admin/grants", query: { principal: ids.username } },
    {
      method: "GET",
      path: "/api/v1/audit",
      query: { resourceKind: "experiment", resourceId: ids.experimentId, limit: "1000" }
    },
    { method: "GET", path: "/api/v1/webhooks" },
    { method: "GET", path: `/api/v1/webhooks/${ids.webhookId}` },
    { method: "GET", path: `/api/v1/webhooks/${ids.webhookId}/deliveries` },
    { method: "GET", path: `/api/v1/webhooks/deliveries/${ids.deliveryId}` },
    { method: "GET", path: `${mlflow}/webhooks` },
    {
      method: "GET",
      path: "/api/v1/audit",
      query: { resourceKind: "webhook", resourceId: ids.webhookId, limit: "1000" }
    }
  ]
  return Effect.forEach(reads, (request) =>
    Effect.map(send(url, { ...request, headers: bearer(key) }), (response) => ({
      read: `${request.method} ${request.path}`,
      status: response.status,
      // The reading key's own last use moves with every read.
      body: response.text.replace(/"lastUsedAt":\d+,?/g, "")
    }))
  )
}
