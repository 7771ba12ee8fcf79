import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { actingAs, CurrentPrincipal, CurrentTenant, Principal, TenantId } from "../../src/core/context.js"
import { layerWithoutMethodSpans } from "../../src/core/spans.js"

const acme = TenantId.make("acme")
const alice = new Principal({ id: "alice" })

describe("actingAs", () => {
  it.effect("runs the effect in the tenant, as the principal", () =>
    Effect.gen(function* () {
      const [tenant, principal] = yield* Effect.all([CurrentTenant, CurrentPrincipal]).pipe(actingAs(acme, alice))
      assert.strictEqual(tenant, acme)
      assert.strictEqual(principal.id, "alice")
    })
  )

  it.effect("puts the tenant and the principal on every span opened inside, and on the enclosing one", () =>
    Effect.gen(function* () {
      const [outer, inner] = yield* Effect.currentSpan.pipe(
        Effect.flatMap((request) =>
          Effect.map(
            Effect.currentSpan.pipe(Effect.withSpan("ModelRegistry.getRegisteredModel"), actingAs(acme, alice)),
            (service) => [request, service] as const
          )
        ),
        Effect.withSpan("POST /api/2.0/mlflow/registered-models/get", { kind: "server" })
      )
      for (const span of [outer, inner]) {
        assert.strictEqual(span.attributes.get("mlops.tenant.id"), "acme")
        assert.strictEqual(span.attributes.get("enduser.id"), "alice")
      }
    })
  )

  it.effect("annotates no span while method spans are off, and still acts as the principal", () =>
    Effect.gen(function* () {
      const [request, principal] = yield* Effect.currentSpan.pipe(
        Effect.flatMap((span) => Effect.map(CurrentPrincipal.pipe(actingAs(acme, alice)), (p) => [span, p] as const)),
        Effect.withSpan("POST /api/2.0/mlflow/registered-models/get", { kind: "server" }),
        Effect.provide(layerWithoutMethodSpans)
      )
      assert.strictEqual(principal.id, "alice")
      assert.isFalse(request.attributes.has("mlops.tenant.id"))
    })
  )
})
