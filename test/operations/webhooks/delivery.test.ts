import { assert, describe, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Chunk, Clock, Context, Deferred, Effect, Fiber, Layer, Queue, Redacted, TestClock } from "effect"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { ExperimentId } from "../../../src/core/tracking/model.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ModelVersionNumber } from "../../../src/core/registry/model.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import type { WebhookEventType } from "../../../src/operations/webhooks/model.js"
import { verifyWebhook } from "../../../src/operations/webhooks/signature.js"
import { Webhooks, type WebhooksShape } from "../../../src/operations/webhooks/Webhooks.js"
import { SqliteTest } from "../../support/sqlite.js"
import { layerWebhookWorker } from "../../../src/operations/webhooks/worker.js"
import { type Answer, makeStore, type Received, receiver, SqliteStore, testOptions } from "./support.js"

const v = ModelVersionNumber.make

/** A second `Webhooks` over the same store, as another replica of the server would have. */
class Replica extends Context.Tag("test/webhooks/Replica")<Replica, WebhooksShape>() {}

const TwoReplicas = Layer.merge(
  makeStore(SqliteTest),
  Layer.scoped(Replica, Effect.map(Layer.build(Webhooks.layer(testOptions)), Context.get(Webhooks)))
).pipe(Layer.provide(SqliteTest))

/** A receiver and a subscription to `events` that points at it, with its secret. */
const subscribed = (events: ReadonlyArray<WebhookEventType>, answers: ReadonlyArray<Answer> = []) =>
  Effect.gen(function* () {
    const target = yield* receiver(answers)
    const webhooks = yield* Webhooks
    const created = yield* webhooks.create({ name: "ci", url: target.url, events })
    return { ...target, webhookId: created.webhook.webhookId, secret: Redacted.value(created.secret) }
  })

/** The body of a delivery, as MLflow sends it. */
interface Delivered {
  readonly entity: string
  readonly action: string
  readonly timestamp: string
  readonly data: unknown
  readonly workspace: string
}

/** A request's JSON body, after checking its signature against the secret as a receiver would. */
const verified = (secret: string, request: Received) =>
  Effect.gen(function* () {
    const header = (name: string) => {
      const value = request.headers[name]
      return typeof value === "string" ? value : undefined
    }
    const nowSeconds = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    assert.isTrue(
      verifyWebhook({
        secret,
        deliveryId: header("x-mlflow-delivery-id"),
        timestamp: header("x-mlflow-timestamp"),
        signature: header("x-mlflow-signature"),
        payload: request.body,
        nowSeconds
      }),
      "the signature verifies"
    )
    assert.strictEqual(request.headers["content-type"], "application/json")
    return JSON.parse(request.body) as Delivered
  })

const registered = Effect.gen(function* () {
  const registry = yield* ModelRegistry
  yield* registry.createRegisteredModel({ name: "churn" })
  return registry
})

describe("webhook deliveries", () => {
  it.scoped("a new model version is delivered as a signed model_version.created", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version.created"])
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "mlflow-artifacts:/0/model", description: "first" })
      assert.strictEqual(yield* Effect.flatMap(Webhooks, (w) => w.deliverDue()), 1)
      const body = yield* verified(hook.secret, yield* Queue.take(hook.received))
      assert.deepStrictEqual(body, {
        entity: "model_version",
        action: "created",
        timestamp: "1970-01-01T00:00:00.000Z",
        data: {
          name: "churn",
          version: "1",
          source: "mlflow-artifacts:/0/model",
          run_id: null,
          tags: {},
          description: "first"
        },
        workspace: "default"
      })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("setting a free alias is model_version_alias.created", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version_alias.created", "model_version_alias.moved"])
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* registry.setAlias("churn", "champion", v("1"))
      yield* Effect.flatMap(Webhooks, (w) => w.deliverDue())
      const body = yield* verified(hook.secret, yield* Queue.take(hook.received))
      assert.strictEqual(`${body.entity}.${body.action}`, "model_version_alias.created")
      assert.deepStrictEqual(body.data, { name: "churn", alias: "champion", version: "1" })
      assert.strictEqual(yield* Queue.size(hook.received), 0, "no moved event for a new alias")
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("moving an alias is model_version_alias.moved with the previous version (and created, as MLflow)", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version_alias.moved", "model_version_alias.created"])
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/2" })
      yield* registry.setAlias("churn", "champion", v("1"))
      yield* registry.setAlias("churn", "champion", v("2"))
      yield* registry.setAlias("churn", "champion", v("2"))
      assert.strictEqual(yield* Effect.flatMap(Webhooks, (w) => w.deliverDue()), 3)
      const bodies = yield* Effect.forEach(Chunk.toReadonlyArray(yield* Queue.takeAll(hook.received)), (request) =>
        verified(hook.secret, request)
      )
      assert.deepStrictEqual(
        bodies.map((body) => [`${body.entity}.${body.action}`, body.data]),
        [
          ["model_version_alias.created", { name: "churn", alias: "champion", version: "1" }],
          ["model_version_alias.created", { name: "churn", alias: "champion", version: "2" }],
          ["model_version_alias.moved", { name: "churn", alias: "champion", version: "2", previous_version: "1" }]
        ]
      )
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("deleting an alias is model_version_alias.deleted", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version_alias.deleted"])
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* registry.setAlias("churn", "champion", v("1"))
      yield* registry.deleteAlias("churn", "champion")
      yield* Effect.flatMap(Webhooks, (w) => w.deliverDue())
      const body = yield* verified(hook.secret, yield* Queue.take(hook.received))
      assert.strictEqual(`${body.entity}.${body.action}`, "model_version_alias.deleted")
      assert.deepStrictEqual(body.data, { name: "churn", alias: "champion", version: "1" })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("a run reaching a terminal status is run.finished, once", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["run.finished"])
      const tracker = yield* ExperimentTracker
      const run = yield* tracker.createRun({ experimentId: ExperimentId.make("0"), runName: "train" })
      yield* tracker.updateRun(run.info.runId, { status: "FAILED", endTime: 5000 })
      yield* tracker.updateRun(run.info.runId, { runName: "train-renamed" })
      assert.strictEqual(yield* Effect.flatMap(Webhooks, (w) => w.deliverDue()), 1)
      const body = yield* verified(hook.secret, yield* Queue.take(hook.received))
      assert.strictEqual(`${body.entity}.${body.action}`, "run.finished")
      assert.deepInclude(body.data as object, {
        run_id: run.info.runId,
        experiment_id: "0",
        run_name: "train",
        status: "FAILED",
        end_time: 5000
      })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("a subscription only receives the events it asked for", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["run.finished"])
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      assert.strictEqual(yield* Effect.flatMap(Webhooks, (w) => w.deliverDue()), 0)
      assert.strictEqual(yield* Queue.size(hook.received), 0)
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("a failed write publishes nothing: the event commits with the change", () =>
    Effect.gen(function* () {
      yield* subscribed(["model_version.created"])
      const registry = yield* ModelRegistry
      const error = yield* Effect.flip(registry.createModelVersion({ name: "missing", source: "s3://m/1" }))
      assert.strictEqual(error._tag, "RegisteredModelNotFound")
      assert.deepStrictEqual(yield* Effect.flatMap(Webhooks, (w) => w.deliveries()), [])
    }).pipe(Effect.provide(SqliteStore))
  )
})

describe("webhook retries", () => {
  it.scoped("a 5xx is retried after an exponential, jittered backoff, then delivered with the same delivery id", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version.created"], [{ status: 500 }, { status: 502 }])
      const webhooks = yield* Webhooks
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })

      assert.strictEqual(yield* webhooks.deliverDue(), 1)
      const [first] = yield* webhooks.deliveries()
      assert.strictEqual(first?.state, "pending")
      assert.strictEqual(first?.lastStatus, 500)
      // base delay 1 s, jittered to half-to-all of it
      assert.isTrue(first !== undefined && first.nextAttemptTimestamp >= 500 && first.nextAttemptTimestamp <= 1000)
      assert.strictEqual(yield* webhooks.deliverDue(), 0, "not due before its time")

      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* webhooks.deliverDue(), 1)
      const [second] = yield* webhooks.deliveries()
      assert.strictEqual(second?.lastStatus, 502)
      // second retry: 2 s jittered, counted from the attempt at 1 s
      assert.isTrue(second !== undefined && second.nextAttemptTimestamp >= 2000 && second.nextAttemptTimestamp <= 3000)

      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* webhooks.deliverDue(), 1)
      const detail = yield* webhooks.getDelivery(first?.deliveryId ?? "")
      assert.strictEqual(detail.delivery.state, "delivered")
      assert.strictEqual(detail.delivery.attempts, 3)
      assert.strictEqual(detail.delivery.deliveredTimestamp, 3000)
      assert.deepStrictEqual(
        detail.attempts.map((a) => [a.attempt, a.timestamp, a.status]),
        [
          [1, 0, 500],
          [2, 1000, 502],
          [3, 3000, 200]
        ]
      )
      assert.strictEqual(detail.attempts[0]?.error, "HTTP 500: not now")
      const ids = Chunk.toReadonlyArray(yield* Queue.takeAll(hook.received)).map(
        (request) => request.headers["x-mlflow-delivery-id"]
      )
      assert.deepStrictEqual(ids, [first?.deliveryId, first?.deliveryId, first?.deliveryId])
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("a 400 fails for good after one attempt", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version.created"], [{ status: 400 }])
      const webhooks = yield* Webhooks
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* webhooks.deliverDue()
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(yield* webhooks.deliverDue(), 0)
      const [delivery] = yield* webhooks.deliveries()
      assert.deepInclude(delivery, { state: "failed", attempts: 1, lastStatus: 400, lastError: "HTTP 400: not now" })
      assert.strictEqual(yield* Queue.size(hook.received), 1)
    }).pipe(Effect.provide(SqliteStore))
  )

  for (const status of [302, 307]) {
    it.scoped(`a ${status} redirect to a private address is not followed and fails for good`, () =>
      Effect.gen(function* () {
        const inside = yield* receiver()
        const hook = yield* subscribed(["model_version.created"], [{ status, headers: { location: inside.url } }])
        const webhooks = yield* Webhooks
        const registry = yield* registered
        yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
        yield* webhooks.deliverDue()
        const [delivery] = yield* webhooks.deliveries()
        assert.deepInclude(delivery, { state: "failed", attempts: 1, lastStatus: status })
        assert.strictEqual(yield* Queue.size(hook.received), 1)
        assert.strictEqual(yield* Queue.size(inside.received), 0, "the redirect's target is never requested")
      }).pipe(Effect.provide(SqliteStore))
    )
  }

  it.scoped("a 429 waits as long as its Retry-After asks", () =>
    Effect.gen(function* () {
      yield* subscribed(["model_version.created"], [{ status: 429, headers: { "retry-after": "120" } }])
      const webhooks = yield* Webhooks
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* webhooks.deliverDue()
      const [delivery] = yield* webhooks.deliveries()
      assert.deepInclude(delivery, { state: "pending", lastStatus: 429, nextAttemptTimestamp: 120_000 })
      yield* TestClock.adjust("119 seconds")
      assert.strictEqual(yield* webhooks.deliverDue(), 0)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* webhooks.deliverDue(), 1)
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("a delivery that never succeeds fails after the last attempt", () =>
    Effect.gen(function* () {
      yield* subscribed(["model_version.created"], [{ status: 503 }, { status: 503 }, { status: 503 }])
      const webhooks = yield* Webhooks
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      for (let i = 0; i < 3; i++) {
        yield* webhooks.deliverDue()
        yield* TestClock.adjust("1 minute")
      }
      const [delivery] = yield* webhooks.deliveries()
      assert.deepInclude(delivery, { state: "failed", attempts: 3, lastStatus: 503 })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("a subscription's deliveries keep their order: one waiting for a retry holds back the next", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version.created", "model_version_alias.created"], [{ status: 500 }])
      const webhooks = yield* Webhooks
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* registry.setAlias("churn", "champion", v("1"))
      assert.strictEqual(yield* webhooks.deliverDue(), 1, "the alias event waits behind the failed version event")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* webhooks.deliverDue(), 2)
      const order = Chunk.toReadonlyArray(yield* Queue.takeAll(hook.received)).map((request) => {
        const body = JSON.parse(request.body) as { entity: string; action: string }
        return `${body.entity}.${body.action}`
      })
      assert.deepStrictEqual(order, ["model_version.created", "model_version.created", "model_version_alias.created"])
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("a redelivery sends the same event again under a new delivery id", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version.created"], [{ status: 404 }])
      const webhooks = yield* Webhooks
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* webhooks.deliverDue()
      const [failed] = yield* webhooks.deliveries({ state: "failed" })
      const again = yield* webhooks.redeliver(failed?.deliveryId ?? "")
      assert.notStrictEqual(again.deliveryId, failed?.deliveryId)
      assert.deepStrictEqual(again.payload, failed?.payload)
      assert.strictEqual(yield* webhooks.deliverDue(), 1)
      const requests = Chunk.toReadonlyArray(yield* Queue.takeAll(hook.received))
      assert.strictEqual(requests[1]?.headers["x-mlflow-delivery-id"], again.deliveryId)
      assert.strictEqual(requests[1]?.body, requests[0]?.body)
      assert.strictEqual((yield* webhooks.getDelivery(again.deliveryId)).delivery.state, "delivered")
    }).pipe(Effect.provide(SqliteStore))
  )
})

describe("the delivery worker", () => {
  /** Until the worker sleeps between passes (real I/O of the last pass has finished). */
  const idle = Effect.repeat(TestClock.sleeps(), { until: (sleeps) => sleeps.length > 0 })

  it.scoped("delivers at start and then once per poll interval", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version_alias.created"])
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      yield* registry.setAlias("churn", "a", v("1"))
      yield* Layer.build(layerWebhookWorker("5 seconds"))
      assert.deepInclude(JSON.parse((yield* Queue.take(hook.received)).body).data, { alias: "a" })

      yield* idle
      yield* registry.setAlias("churn", "b", v("1"))
      yield* TestClock.adjust("4 seconds")
      yield* idle
      assert.strictEqual(yield* Queue.size(hook.received), 0, "the worker waits for its next pass")
      yield* TestClock.adjust("1 second")
      assert.deepInclude(JSON.parse((yield* Queue.take(hook.received)).body).data, { alias: "b" })
    }).pipe(Effect.provide(SqliteStore))
  )

  it.scoped("two workers on one store (two replicas) send each delivery once", () =>
    Effect.gen(function* () {
      const hook = yield* subscribed(["model_version.created"])
      const registry = yield* registered
      for (let i = 0; i < 5; i++) yield* registry.createModelVersion({ name: "churn", source: `s3://m/${i}` })
      const [one, two] = [yield* Webhooks, yield* Replica]
      const [a, b] = yield* Effect.all([one.deliverDue(), two.deliverDue()], { concurrency: 2 })
      assert.strictEqual(a + b, 5)
      const ids = Chunk.toReadonlyArray(yield* Queue.takeAll(hook.received)).map(
        (request) => request.headers["x-mlflow-delivery-id"]
      )
      assert.strictEqual(new Set(ids).size, 5)
      assert.strictEqual(ids.length, 5)
    }).pipe(Effect.provide(TwoReplicas))
  )
})

describe("a worker pass", () => {
  /** The store with its SQL client, to add tenants and read the raw tables. */
  const Store = makeStore(SqliteTest).pipe(Layer.provideMerge(SqliteTest))

  const as =
    (tenant: string) =>
    <A, E, R>(self: Effect.Effect<A, E, R>) =>
      Effect.provideService(self, CurrentTenant, TenantId.make(tenant))

  it.scoped("a tenant's slow receiver does not hold back another tenant's delivery", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      /** A tenant with a subscription answering `answers` and a model version for it to deliver. */
      const tenantWithHook = (tenant: string, answers: ReadonlyArray<Answer>) =>
        Effect.gen(function* () {
          yield* sql`INSERT INTO tenants (tenant_id, display_name, creation_time) VALUES (${tenant}, ${tenant}, 0)`
          const hook = yield* subscribed(["model_version.created"], answers)
          const registry = yield* registered
          yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
          return hook
        }).pipe(as(tenant))
      const slow = yield* Deferred.make<void>()
      const acme = yield* tenantWithHook("acme", [{ status: 200, after: slow }])
      const globex = yield* tenantWithHook("globex", [])
      const pass = yield* Effect.fork(Effect.flatMap(Webhooks, (w) => w.deliverDue()))
      yield* Queue.take(acme.received)
      // acme, first in order, has not answered yet
      yield* Queue.take(globex.received)
      yield* Deferred.succeed(slow, undefined)
      assert.strictEqual(yield* Fiber.join(pass), 2)
    }).pipe(Effect.provide(Store))
  )

  it.scoped("a subscription gets one timeout's worth of a pass; the rest of its queue waits for the next", () =>
    Effect.gen(function* () {
      const [first, second] = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
      const hook = yield* subscribed(
        ["model_version.created"],
        [
          { status: 200, after: first },
          { status: 200, after: second }
        ]
      )
      const webhooks = yield* Webhooks
      const registry = yield* registered
      for (let i = 1; i <= 3; i++) yield* registry.createModelVersion({ name: "churn", source: `s3://m/${i}` })
      const pass = yield* Effect.fork(webhooks.deliverDue())
      // each answer takes 6 s of the 10 s timeout
      for (const answered of [first, second]) {
        yield* Queue.take(hook.received)
        yield* TestClock.adjust("6 seconds")
        yield* Deferred.succeed(answered, undefined)
      }
      assert.strictEqual(yield* Fiber.join(pass), 2)
      assert.deepStrictEqual(
        (yield* webhooks.deliveries()).map((d) => d.state),
        ["pending", "delivered", "delivered"]
      )
      assert.strictEqual(yield* webhooks.deliverDue(), 1)
    }).pipe(Effect.provide(Store))
  )

  it.scoped("an attempt finishing after its subscription was deleted leaves no attempt behind", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const answered = yield* Deferred.make<void>()
      const hook = yield* subscribed(["model_version.created"], [{ status: 200, after: answered }])
      const webhooks = yield* Webhooks
      const registry = yield* registered
      yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })
      const pass = yield* Effect.fork(webhooks.deliverDue())
      yield* Queue.take(hook.received)
      yield* webhooks.delete(hook.webhookId)
      yield* Deferred.succeed(answered, undefined)
      yield* Fiber.join(pass)
      const [attempts, deliveries] = yield* Effect.all([
        sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM webhook_delivery_attempts`,
        sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM webhook_deliveries`
      ])
      assert.deepStrictEqual([attempts[0]?.n, deliveries[0]?.n], [0, 0])
    }).pipe(Effect.provide(Store))
  )
})
