import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Schema, TestClock } from "effect"
import { TenantId } from "../../../../src/core/context.js"
import { Caller, CurrentCaller } from "../../../../src/enterprise/auth/Authenticator.js"
import { PrincipalId } from "../../../../src/enterprise/auth/principals/model.js"
import type { RateLimitConfig } from "../../../../src/enterprise/security/rateLimit/config.js"
import { rateLimitingAfter, rateLimitingWith } from "../../../../src/enterprise/security/rateLimit/middleware.js"
import { RateLimited } from "../../../../src/enterprise/security/rateLimit/model.js"
import { RateLimiter } from "../../../../src/enterprise/security/rateLimit/RateLimiter.js"
import { serveRoutes } from "../../../support/server.js"

const caller = (username: string, tenant: string, id: string) =>
  new Caller({
    principalId: PrincipalId.make(`p-${id.repeat(32)}`),
    tenantId: TenantId.make(tenant),
    username,
    kind: "user",
    groups: [],
    via: "api-key"
  })

const callers: Record<string, Caller> = {
  alice: caller("alice", "acme", "a"),
  carol: caller("carol", "acme", "c"),
  bob: caller("bob", "globex", "b")
}

/** Stands in for the authentication middleware: `x-test-user` names the caller; without it there is none. */
const testIdentity = HttpLayerRouter.middleware(
  Effect.gen(function* () {
    return (app) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const user = request.headers["x-test-user"]
        const found = user === undefined ? undefined : callers[user]
        return yield* found === undefined ? app : Effect.provideService(app, CurrentCaller, Option.some(found))
      })
  }),
  { global: true }
)

/** Every path answers 200 with the caller's name. */
const EchoRoutes = HttpLayerRouter.add(
  "*",
  "/*",
  Effect.map(CurrentCaller, (current) =>
    HttpServerResponse.unsafeJson({ caller: Option.getOrNull(Option.map(current, (c) => c.username)) })
  )
)

// One token every 2.5 s: Retry-After rounds 2500 ms up to 3 s. The tenant's bucket is larger than one principal's.
const limits: RateLimitConfig = {
  enabled: true,
  principal: { ratePerSecond: 0.4, burst: 2 },
  tenant: { ratePerSecond: 0.4, burst: 3 }
}

const serve = (middleware: Layer.Layer<never, unknown, HttpLayerRouter.HttpRouter | RateLimiter>) =>
  serveRoutes(EchoRoutes.pipe(Layer.provide(middleware)), RateLimiter.layerMemory)

const call = (url: string, path: string, user?: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}${path}`, user === undefined ? {} : { headers: { "x-test-user": user } })
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>
    }
  })

const mlflowPath = "/api/2.0/mlflow/experiments/search"
const nativePath = "/api/v1/experiments?max_results=10"

describe("rateLimiting middleware", () => {
  it.scoped("answers 429 with Retry-After and MLflow's error shape under /api/2.0 and /ajax-api/2.0", () =>
    Effect.gen(function* () {
      const url = yield* serve(rateLimitingWith(limits).pipe(Layer.provide(testIdentity)))
      const first = yield* call(url, mlflowPath, "alice")
      assert.strictEqual(first.status, 200)
      assert.deepStrictEqual(first.body, { caller: "alice" })
      assert.strictEqual(first.headers.get("ratelimit-limit"), "2")
      assert.strictEqual(first.headers.get("ratelimit-remaining"), "1")
      assert.strictEqual((yield* call(url, "/ajax-api/2.0/mlflow/runs/get", "alice")).status, 200)

      for (const path of [mlflowPath, "/ajax-api/2.0/mlflow/runs/get"]) {
        const refused = yield* call(url, path, "alice")
        assert.strictEqual(refused.status, 429, path)
        assert.strictEqual(refused.headers.get("retry-after"), "3")
        assert.strictEqual(refused.headers.get("ratelimit-remaining"), "0")
        assert.deepStrictEqual(Object.keys(refused.body).sort(), ["error_code", "message"])
        assert.strictEqual(refused.body.error_code, "REQUEST_LIMIT_EXCEEDED")
        assert.match(String(refused.body.message), /caller's request rate limit/)
      }
    })
  )

  it.scoped("answers the native API with a RateLimited body", () =>
    Effect.gen(function* () {
      const url = yield* serve(rateLimitingWith(limits).pipe(Layer.provide(testIdentity)))
      yield* call(url, nativePath, "alice")
      yield* call(url, nativePath, "alice")
      const refused = yield* call(url, nativePath, "alice")
      assert.strictEqual(refused.status, 429)
      assert.strictEqual(refused.headers.get("retry-after"), "3")
      const error = yield* Schema.decodeUnknown(RateLimited)(refused.body)
      assert.strictEqual(error.retryAfterSeconds, 3)
      assert.deepStrictEqual(Object.keys(refused.body).sort(), ["_tag", "message", "retryAfterSeconds"])
      assert.strictEqual(refused.body._tag, "RateLimited")
    })
  )

  it.scoped("principals of one tenant share its bucket but not their own; other tenants are untouched", () =>
    Effect.gen(function* () {
      const url = yield* serve(rateLimitingWith(limits).pipe(Layer.provide(testIdentity)))
      const status = (user: string) => Effect.map(call(url, mlflowPath, user), (r) => r.status)
      // alice spends her 2 tokens (and 2 of acme's 3); her third is refused by her own bucket.
      assert.deepStrictEqual([yield* status("alice"), yield* status("alice"), yield* status("alice")], [200, 200, 429])
      // carol has a bucket of her own, but only 1 token of acme's is left.
      assert.strictEqual(yield* status("carol"), 200)
      const carol = yield* call(url, mlflowPath, "carol")
      assert.strictEqual(carol.status, 429)
      assert.match(String(carol.body.message), /tenant's request rate limit/)
      // globex is another tenant.
      assert.deepStrictEqual([yield* status("bob"), yield* status("bob")], [200, 200])

      // Refilled by the clock (the limiter reads Effect's Clock, here the TestClock).
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(yield* status("carol"), 200)
      assert.strictEqual(yield* status("alice"), 429) // acme's one new token went to carol
      yield* TestClock.adjust("2500 millis")
      assert.strictEqual(yield* status("alice"), 200)
    })
  )

  it.scoped("requests without a caller are not limited", () =>
    Effect.gen(function* () {
      const url = yield* serve(rateLimitingWith(limits).pipe(Layer.provide(testIdentity)))
      for (const path of ["/healthz", mlflowPath, nativePath]) {
        for (let i = 0; i < 5; i++) {
          const response = yield* call(url, path)
          assert.strictEqual(response.status, 200, path)
          assert.isNull(response.headers.get("ratelimit-limit"))
        }
      }
    })
  )

  it.scoped("lets everything through when disabled", () =>
    Effect.gen(function* () {
      const url = yield* serve(rateLimitingWith({ ...limits, enabled: false }).pipe(Layer.provide(testIdentity)))
      for (let i = 0; i < 10; i++) assert.strictEqual((yield* call(url, mlflowPath, "alice")).status, 200)
    })
  )

  it.scoped("rateLimitingAfter runs inside the identity middleware, with MLOPS_RATE_LIMIT_* limits", () =>
    Effect.gen(function* () {
      const env = ConfigProvider.fromJson({ MLOPS_RATE_LIMIT_PRINCIPAL_BURST: 1, MLOPS_RATE_LIMIT_PRINCIPAL_RPS: 0.1 })
      const url = yield* serve(rateLimitingAfter(testIdentity).pipe(Layer.provide(Layer.setConfigProvider(env))))
      assert.strictEqual((yield* call(url, nativePath, "alice")).status, 200)
      const refused = yield* call(url, nativePath, "alice")
      assert.strictEqual(refused.status, 429)
      assert.strictEqual(refused.headers.get("retry-after"), "10")
      assert.strictEqual(refused.body.retryAfterSeconds, 10)
    })
  )

  it.scoped("a middleware registered before the identity sees no caller and limits nothing", () =>
    Effect.gen(function* () {
      // The wrong order, to show why rateLimitingAfter exists.
      const url = yield* serve(testIdentity.pipe(Layer.provide(rateLimitingWith(limits))))
      for (let i = 0; i < 5; i++) assert.strictEqual((yield* call(url, mlflowPath, "alice")).status, 200)
    })
  )
})
