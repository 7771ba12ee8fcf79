import { assert, layer } from "@effect/vitest"
import { Chunk, Effect, Layer, Queue } from "effect"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { Tenants } from "../../../src/enterprise/tenancy/Tenants.js"
import { Webhooks } from "../../../src/operations/webhooks/Webhooks.js"
import { PostgresTest } from "../../support/postgres.js"
import { makeStore, receiver } from "./support.js"

const as =
  (tenant: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.provideService(self, CurrentTenant, TenantId.make(tenant))

/** The webhook services and tenants over one PostgreSQL database under row-level security. */
const Store = Tenants.layer.pipe(Layer.provideMerge(makeStore(PostgresTest)), Layer.provide(PostgresTest))

layer(Store, { timeout: 60_000 })("webhooks on PostgreSQL", (it) => {
  it.scoped("a tenant's subscriptions and deliveries are invisible to another tenant", () =>
    Effect.gen(function* () {
      const tenants = yield* Tenants
      const webhooks = yield* Webhooks
      yield* tenants.create({ tenantId: "acme" })
      yield* tenants.create({ tenantId: "globex" })
      const { webhook } = yield* as("acme")(
        webhooks.create({ name: "acme-ci", url: "http://127.0.0.1:9/", events: ["run.finished"] })
      )
      yield* as("acme")(webhooks.publish({ type: "run.finished", data: { run_id: "r" } }))
      const [delivery] = yield* as("acme")(webhooks.deliveries())

      assert.deepStrictEqual(yield* as("globex")(webhooks.list()), [])
      assert.deepStrictEqual(yield* as("globex")(webhooks.deliveries()), [])
      for (const refused of [
        webhooks.get(webhook.webhookId).pipe(Effect.asVoid),
        webhooks.update(webhook.webhookId, { description: "mine now" }).pipe(Effect.asVoid),
        webhooks.delete(webhook.webhookId),
        webhooks.deliveries({ webhookId: webhook.webhookId }).pipe(Effect.asVoid)
      ]) {
        assert.deepInclude(yield* Effect.flip(as("globex")(refused)), { _tag: "WebhookNotFound" })
      }
      assert.deepInclude(yield* Effect.flip(as("globex")(webhooks.getDelivery(delivery?.deliveryId ?? ""))), {
        _tag: "WebhookDeliveryNotFound"
      })
      assert.deepStrictEqual(
        (yield* as("acme")(webhooks.list())).map((w) => w.webhookId),
        [webhook.webhookId]
      )
      yield* as("acme")(webhooks.delete(webhook.webhookId))
    })
  )

  it.scoped("one worker pass delivers every tenant's events, each signed with its own secret", () =>
    Effect.gen(function* () {
      const tenants = yield* Tenants
      const webhooks = yield* Webhooks
      const registry = yield* ModelRegistry
      const target = yield* receiver()
      for (const tenant of ["initech", "umbrella"]) {
        yield* tenants.create({ tenantId: tenant })
        yield* as(tenant)(
          Effect.gen(function* () {
            yield* webhooks.create({ name: "ci", url: target.url, events: ["model_version.created"] })
            yield* registry.createRegisteredModel({ name: `${tenant}-model` })
            yield* registry.createModelVersion({ name: `${tenant}-model`, source: "s3://m/1" })
          })
        )
      }
      assert.strictEqual(yield* webhooks.deliverDue(), 2)
      const bodies = Chunk.toReadonlyArray(yield* Queue.takeAll(target.received)).map(
        (request) => JSON.parse(request.body) as { workspace: string; data: { name: string } }
      )
      assert.sameDeepMembers(
        bodies.map((body) => [body.workspace, body.data.name]),
        [
          ["initech", "initech-model"],
          ["umbrella", "umbrella-model"]
        ]
      )
      for (const tenant of ["initech", "umbrella"]) {
        const log = yield* as(tenant)(webhooks.deliveries())
        assert.deepStrictEqual(
          log.map((d) => [d.state, (d.payload as { workspace: string }).workspace]),
          [["delivered", tenant]]
        )
      }
    })
  )

  it.scoped("two concurrent ends of a run publish run.finished once", () =>
    Effect.gen(function* () {
      const tenants = yield* Tenants
      const webhooks = yield* Webhooks
      const tracker = yield* ExperimentTracker
      yield* tenants.create({ tenantId: "wayne" })
      const finished = yield* as("wayne")(
        Effect.gen(function* () {
          yield* webhooks.create({ name: "ci", url: "http://127.0.0.1:9/", events: ["run.finished"] })
          const { experimentId } = yield* tracker.createExperiment({ name: "race" })
          // several runs, so that an interleaving of the two ends that the
          // lock must prevent is all but certain to come up
          const runs = yield* Effect.forEach([1, 2, 3, 4, 5], (i) =>
            tracker.createRun({ experimentId, runName: `r${i}` })
          )
          yield* Effect.forEach(
            runs,
            (run) =>
              Effect.all(
                [
                  tracker.updateRun(run.info.runId, { status: "FINISHED", endTime: 1 }),
                  tracker.updateRun(run.info.runId, { status: "FAILED", endTime: 2 })
                ],
                { concurrency: 2 }
              ),
            { discard: true }
          )
          return yield* webhooks.deliveries()
        })
      )
      assert.strictEqual(finished.length, 5)
      assert.strictEqual(new Set(finished.map((d) => (d.payload as { data: { run_id: string } }).data.run_id)).size, 5)
    })
  )
})
