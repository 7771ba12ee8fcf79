import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Queue, Redacted } from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { Webhooks } from "../../../src/operations/webhooks/Webhooks.js"
import { freePort } from "../../support/freePort.js"
import { SqliteTest } from "../../support/sqlite.js"
import { makeStore, receiver, SqliteStore } from "./support.js"

const hook = { name: "ci", url: "https://hooks.example.com/mlops", events: ["model_version.created"] }

/** Webhooks with the default options: private networks refused. */
const StrictStore = makeStore(SqliteTest, {})

describe("webhook subscriptions", () => {
  it.effect("the secret is generated when absent and shown only on creation", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const created = yield* webhooks.create(hook)
      assert.match(Redacted.value(created.secret), /^[0-9a-f]{64}$/)
      assert.strictEqual(String(created.secret), "<redacted>")
      const listed = yield* webhooks.list()
      assert.deepStrictEqual(listed, [created.webhook])
      assert.isFalse("secret" in (yield* webhooks.get(created.webhook.webhookId)))
      const own = yield* webhooks.create({ ...hook, secret: "a-secret-of-my-own" })
      assert.strictEqual(Redacted.value(own.secret), "a-secret-of-my-own")
    }).pipe(Effect.provide(SqliteStore))
  )

  it.effect("a URL that is not http(s) is an InvalidArgument naming url", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      for (const url of ["ftp://hooks.example.com/x", "not a url", "https://user:pw@hooks.example.com/"]) {
        const error = yield* Effect.flip(webhooks.create({ ...hook, url }))
        assert.deepInclude(error, { _tag: "InvalidArgument", field: "url" })
      }
    }).pipe(Effect.provide(SqliteStore))
  )

  it.effect("an unknown or missing event is an InvalidArgument naming it", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const unknown = yield* Effect.flip(webhooks.create({ ...hook, events: ["run.finished", "model.exploded"] }))
      assert.deepInclude(unknown, { _tag: "InvalidArgument", field: "events[1]" })
      assert.include(unknown.message, '"model.exploded" is not an event')
      const none = yield* Effect.flip(webhooks.create({ ...hook, events: [] }))
      assert.deepInclude(none, { _tag: "InvalidArgument", field: "events" })
      const short = yield* Effect.flip(webhooks.create({ ...hook, secret: "short" }))
      assert.deepInclude(short, { _tag: "InvalidArgument", field: "secret" })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.effect("private and loopback addresses are refused unless allowed", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      for (const url of [
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:192.168.1.1]/"
      ]) {
        const error = yield* Effect.flip(webhooks.create({ ...hook, url }))
        assert.deepInclude(error, { _tag: "InvalidArgument", field: "url" }, url)
      }
    }).pipe(Effect.provide(StrictStore))
  )

  it.effect("update changes the given fields, checked as on creation", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const { webhook } = yield* webhooks.create(hook)
      const updated = yield* webhooks.update(webhook.webhookId, { description: "deploys", events: ["run.finished"] })
      assert.deepInclude(updated, { name: "ci", description: "deploys", events: ["run.finished"], url: hook.url })
      assert.deepStrictEqual(yield* webhooks.get(webhook.webhookId), updated)
      const invalid = yield* Effect.flip(webhooks.update(webhook.webhookId, { url: "file:///etc/passwd" }))
      assert.deepInclude(invalid, { _tag: "InvalidArgument", field: "url" })
      const missing = yield* Effect.flip(webhooks.update("nope", { description: "x" }))
      assert.deepInclude(missing, { _tag: "WebhookNotFound", webhookId: "nope" })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.effect("a paused subscription records no events until it is resumed", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const registry = yield* ModelRegistry
      const { webhook } = yield* webhooks.create({ ...hook, status: "DISABLED" })
      yield* registry.createRegisteredModel({ name: "churn" })
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      assert.deepStrictEqual(yield* webhooks.deliveries(), [])
      yield* webhooks.update(webhook.webhookId, { status: "ACTIVE" })
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/2" })
      const log = yield* webhooks.deliveries({ webhookId: webhook.webhookId })
      assert.deepStrictEqual(
        log.map((d) => (d.payload as { data: { version: string } }).data.version),
        ["2"]
      )
    }).pipe(Effect.provide(SqliteStore))
  )

  it.effect("delete removes the subscription and its delivery log", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const { webhook } = yield* webhooks.create(hook)
      yield* webhooks.publish({ type: "model_version.created", data: { name: "m", version: "1" } })
      const [delivery] = yield* webhooks.deliveries()
      yield* webhooks.delete(webhook.webhookId)
      assert.deepInclude(yield* Effect.flip(webhooks.get(webhook.webhookId)), { _tag: "WebhookNotFound" })
      assert.deepInclude(yield* Effect.flip(webhooks.getDelivery(delivery?.deliveryId ?? "")), {
        _tag: "WebhookDeliveryNotFound"
      })
      assert.deepInclude(yield* Effect.flip(webhooks.delete(webhook.webhookId)), { _tag: "WebhookNotFound" })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.effect("the delivery log refuses a limit out of range and an unknown subscription", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      assert.deepInclude(yield* Effect.flip(webhooks.deliveries({ limit: 0 })), {
        _tag: "InvalidArgument",
        field: "limit"
      })
      assert.deepInclude(yield* Effect.flip(webhooks.deliveries({ webhookId: "nope" })), {
        _tag: "WebhookNotFound"
      })
    }).pipe(Effect.provide(SqliteStore))
  )
})

describe("test pings", () => {
  it.scoped("send a signed example of the first subscribed event and report the answer", () =>
    Effect.gen(function* () {
      const target = yield* receiver([{ status: 200 }, { status: 500 }])
      const webhooks = yield* Webhooks
      const { webhook } = yield* webhooks.create({ ...hook, url: target.url, events: ["run.finished"] })
      const ok = yield* webhooks.test(webhook.webhookId)
      assert.deepStrictEqual({ ...ok }, { success: true, responseStatus: 200, responseBody: "thanks" })
      const ping = JSON.parse((yield* Queue.take(target.received)).body)
      assert.deepInclude(ping, { entity: "run", action: "finished" })
      const refused = yield* webhooks.test(webhook.webhookId, "model_version_alias.moved")
      assert.deepStrictEqual(
        { ...refused },
        { success: false, responseStatus: 500, responseBody: "not now", errorMessage: "HTTP 500" }
      )
      assert.deepInclude(JSON.parse((yield* Queue.take(target.received)).body), { action: "moved" })
      assert.deepStrictEqual(yield* webhooks.deliveries(), [], "pings are not logged")
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("report a receiver that does not answer", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const webhooks = yield* Webhooks
      const { webhook } = yield* webhooks.create({ ...hook, url: `http://127.0.0.1:${port}/` })
      const result = yield* webhooks.test(webhook.webhookId)
      assert.isFalse(result.success)
      assert.isUndefined(result.responseStatus)
      assert.isString(result.errorMessage)
    }).pipe(Effect.provide(SqliteStore))
  )
})

describe("Webhooks.layerConfig", () => {
  const withEnv = (webhooks: Record<string, unknown>) =>
    Webhooks.layerConfig.pipe(
      Layer.provide(SqliteTest),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ MLOPS: { WEBHOOKS: webhooks } })))
    )

  it.effect("MLOPS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS lets subscriptions target loopback", () =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const { webhook } = yield* webhooks.create({ ...hook, url: "http://127.0.0.1:8080/" })
      assert.strictEqual(webhook.url, "http://127.0.0.1:8080/")
    }).pipe(Effect.provide(withEnv({ ALLOW_PRIVATE_NETWORKS: true })))
  )

  it.effect("a bad MLOPS_WEBHOOKS_MAX_ATTEMPTS fails when the layer is built", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(Layer.build(withEnv({ MAX_ATTEMPTS: 0 })).pipe(Effect.scoped))
      assert.include(String(error), "MAX_ATTEMPTS")
    })
  )
})
