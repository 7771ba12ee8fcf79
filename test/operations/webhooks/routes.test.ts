import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Queue, Redacted } from "effect"
import type { EnterpriseServices } from "../../../layers/Enterprise.js"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { ApiKeys } from "../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { Principals } from "../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../src/enterprise/auth/rbac/Grants.js"
import { Resource } from "../../../src/enterprise/auth/rbac/model.js"
import { authentication } from "../../../src/enterprise/http/authentication.js"
import { Tenants } from "../../../src/enterprise/tenancy/Tenants.js"
import { makeRoutesWith } from "../../../src/http/server/Server.js"
import { WebhookRoutes } from "../../../src/operations/webhooks/routes.js"
import { Webhooks } from "../../../src/operations/webhooks/Webhooks.js"
import { freshEnterprise } from "../../support/enterprise.js"
import { jsonRequest } from "../../support/jsonHttp.js"
import { serveRoutes } from "../../support/server.js"
import { SqliteTest } from "../../support/sqlite.js"
import { receiver, testOptions } from "./support.js"

const acme = TenantId.make("acme")

/** The enterprise server with the webhook routes behind authentication, an admin and a viewer of `acme`. */
class WebhookServer extends Context.Tag("test/webhooks/WebhookServer")<
  WebhookServer,
  { readonly url: string; readonly admin: string; readonly viewer: string }
>() {}

/**
 * Webhooks in a SQLite store of their own (the enterprise layer keeps its
 * SQL client to itself); the worker visits the tenants of that store, so
 * `acme` is recorded there too.
 */
const WebhooksLive = Webhooks.layer(testOptions).pipe(
  Layer.provide(
    Layer.effectDiscard(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql`INSERT INTO tenants (tenant_id, display_name, creation_time) VALUES (${acme}, 'Acme', 0)`
      )
    ).pipe(Layer.provideMerge(SqliteTest), Layer.orDie)
  )
)

const Server = Layer.unwrapScoped(
  Effect.gen(function* () {
    const { layer: services } = yield* freshEnterprise("webhook-routes")
    return Layer.scoped(
      WebhookServer,
      Effect.gen(function* () {
        yield* (yield* Tenants).create({ tenantId: acme })
        const member = (username: string, admin: boolean) =>
          Effect.gen(function* () {
            const principal = yield* (yield* Principals).create({ username, kind: "user" })
            if (admin) {
              yield* (yield* Grants).grant({
                grantee: { kind: "principal", principalId: principal.principalId },
                resource: Resource.tenant,
                role: "admin"
              })
            }
            const { key } = yield* (yield* ApiKeys).create({ principalId: principal.principalId, name: "test" })
            return Redacted.value(key)
          }).pipe(Effect.provideService(CurrentTenant, acme))
        const context = yield* Effect.context<EnterpriseServices | Webhooks>()
        const routes = makeRoutesWith({ ui: false }, Layer.mergeAll(authentication, WebhookRoutes))
        return {
          url: yield* serveRoutes(routes, Layer.succeedContext(context)),
          admin: yield* member("ada", true),
          viewer: yield* member("vic", false)
        }
      })
    ).pipe(Layer.provideMerge(Layer.merge(services, WebhooksLive)))
  })
)

const hook = { name: "ci", url: "https://hooks.example.com/mlops", events: ["model_version.created"] }

layer(Server, { timeout: 120_000 })("webhook routes", (it) => {
  it.effect("an admin creates a subscription and sees its secret once", () =>
    Effect.gen(function* () {
      const { url, admin } = yield* WebhookServer
      const created = yield* jsonRequest(url, "/api/v1/webhooks", { key: admin, json: hook })
      assert.strictEqual(created.status, 201)
      assert.strictEqual(created.headers.get("cache-control"), "no-store")
      assert.match(String(created.body.secret), /^[0-9a-f]{64}$/)
      const webhook = created.body.webhook as { webhookId: string; status: string }
      assert.strictEqual(webhook.status, "ACTIVE")
      const read = yield* jsonRequest(url, `/api/v1/webhooks/${webhook.webhookId}`, { key: admin })
      assert.deepStrictEqual(read.body, webhook)
      const listed = yield* jsonRequest(url, "/api/v1/webhooks", { key: admin })
      assert.notInclude(listed.text, String(created.body.secret))
    })
  )

  it.effect("only the tenant's admins manage webhooks", () =>
    Effect.gen(function* () {
      const { url, viewer } = yield* WebhookServer
      const refused = yield* jsonRequest(url, "/api/v1/webhooks", { key: viewer, json: hook })
      assert.strictEqual(refused.status, 403)
      assert.strictEqual(refused.body._tag, "Forbidden")
      assert.strictEqual((yield* jsonRequest(url, "/api/v1/webhooks")).status, 401)
      const mlflow = yield* jsonRequest(url, "/api/2.0/mlflow/webhooks", { key: viewer })
      assert.deepInclude(mlflow, { status: 403 })
      assert.strictEqual(mlflow.body.error_code, "PERMISSION_DENIED")
    })
  )

  it.effect("bad input is a 400 naming the field", () =>
    Effect.gen(function* () {
      const { url, admin } = yield* WebhookServer
      for (const [json, field] of [
        [{ ...hook, url: "ftp://example.com/" }, "url"],
        [{ ...hook, events: ["model.exploded"] }, "events[0]"],
        [{ ...hook, colour: "blue" }, "colour"],
        [{ url: hook.url, events: hook.events }, "name"]
      ] as const) {
        const reply = yield* jsonRequest(url, "/api/v1/webhooks", { key: admin, json })
        assert.strictEqual(reply.status, 400, reply.text)
        assert.deepInclude(reply.body, { _tag: "InvalidArgument", field })
      }
      const missing = yield* jsonRequest(url, "/api/v1/webhooks/nope", { key: admin, method: "DELETE" })
      assert.strictEqual(missing.status, 404)
      assert.deepInclude(missing.body, { _tag: "WebhookNotFound", webhookId: "nope" })
    })
  )

  it.scoped("the delivery log, a delivery's attempts and a redelivery", () =>
    Effect.gen(function* () {
      const { url, admin } = yield* WebhookServer
      const target = yield* receiver([{ status: 500 }])
      const created = yield* jsonRequest(url, "/api/v1/webhooks", { key: admin, json: { ...hook, url: target.url } })
      const { webhookId } = created.body.webhook as { webhookId: string }
      const webhooks = yield* Webhooks
      yield* webhooks
        .publish({ type: "model_version.created", data: { name: "churn", version: "1" } })
        .pipe(Effect.provideService(CurrentTenant, acme))
      yield* webhooks.deliverDue()
      yield* Queue.take(target.received)

      const log = yield* jsonRequest(url, `/api/v1/webhooks/${webhookId}/deliveries?state=pending`, { key: admin })
      const [delivery] = log.body.deliveries as Array<{ deliveryId: string; attempts: number; lastStatus: number }>
      assert.deepInclude(delivery, { attempts: 1, lastStatus: 500 })
      const detail = yield* jsonRequest(url, `/api/v1/webhooks/deliveries/${delivery?.deliveryId}`, { key: admin })
      assert.deepStrictEqual(
        (detail.body.attempts as Array<{ status: number }>).map((a) => a.status),
        [500]
      )
      const again = yield* jsonRequest(url, `/api/v1/webhooks/deliveries/${delivery?.deliveryId}/redeliver`, {
        key: admin,
        method: "POST"
      })
      assert.strictEqual(again.status, 201)
      assert.deepInclude(again.body, { state: "pending", attempts: 0, webhookId })
      const badState = yield* jsonRequest(url, `/api/v1/webhooks/${webhookId}/deliveries?state=lost`, { key: admin })
      assert.deepInclude(badState.body, { _tag: "InvalidArgument", field: "state" })
    })
  )

  it.scoped("MLflow's webhook API: create, list, get, update, test and delete in MLflow's shapes", () =>
    Effect.gen(function* () {
      const { url, admin } = yield* WebhookServer
      const target = yield* receiver()
      const base = "/api/2.0/mlflow/webhooks"
      const created = yield* jsonRequest(url, base, {
        key: admin,
        json: {
          name: "mlflow-style",
          url: target.url,
          events: [{ entity: "MODEL_VERSION_ALIAS", action: "CREATED" }],
          secret: "a-shared-secret-from-mlflow"
        }
      })
      assert.strictEqual(created.status, 200, created.text)
      const webhook = created.body.webhook as Record<string, unknown>
      assert.deepInclude(webhook, {
        name: "mlflow-style",
        url: target.url,
        events: [{ entity: "MODEL_VERSION_ALIAS", action: "CREATED" }],
        status: "ACTIVE"
      })
      const id = String(webhook.webhook_id)
      const listed = yield* jsonRequest(url, `${base}?max_results=1000`, { key: admin })
      assert.include(
        (listed.body.webhooks as Array<{ webhook_id: string }>).map((w) => w.webhook_id),
        id
      )
      const got = yield* jsonRequest(url, `${base}/${id}`, { key: admin })
      assert.deepStrictEqual(got.body.webhook, webhook)
      const paused = yield* jsonRequest(url, `${base}/${id}`, {
        key: admin,
        method: "PATCH",
        json: { status: "DISABLED", events: [{ entity: "model_version", action: "created" }] }
      })
      assert.deepInclude(paused.body.webhook as object, {
        status: "DISABLED",
        events: [{ entity: "MODEL_VERSION", action: "CREATED" }]
      })
      const tested = yield* jsonRequest(url, `${base}/${id}/test`, { key: admin, json: {} })
      assert.deepStrictEqual(tested.body, { result: { success: true, response_status: 200, response_body: "thanks" } })
      const ping = yield* Queue.take(target.received)
      assert.deepInclude(JSON.parse(ping.body), { entity: "model_version", action: "created" })
      assert.deepInclude(yield* jsonRequest(url, `${base}/${id}`, { key: admin, method: "DELETE" }), {
        status: 200,
        body: {}
      })
      const gone = yield* jsonRequest(url, `${base}/${id}`, { key: admin })
      assert.deepInclude(gone, { status: 404 })
      assert.strictEqual(gone.body.error_code, "RESOURCE_DOES_NOT_EXIST")
      const unknown = yield* jsonRequest(url, base, {
        key: admin,
        json: { name: "x", url: target.url, events: [{ entity: "PROMPT", action: "CREATED" }] }
      })
      assert.deepInclude(unknown, { status: 400 })
      assert.strictEqual(unknown.body.error_code, "INVALID_PARAMETER_VALUE")
    })
  )
})
