import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, TestClock } from "effect"
import { CurrentTenant, TenantId } from "../../../../src/core/context.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { makeApiKeyAuthenticator } from "../../../../src/enterprise/auth/apiKeys/authenticator.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { SqliteTest } from "../../../support/sqlite.js"

const acme = TenantId.make("acme")
const PrincipalsLive = Principals.layer.pipe(Layer.provide(SqliteTest))
const Services = Layer.mergeAll(
  SqliteTest,
  PrincipalsLive,
  ApiKeys.layer(Redacted.make("a-test-pepper-of-at-least-32-characters")).pipe(
    Layer.provide(PrincipalsLive),
    Layer.provide(SqliteTest)
  )
)

let counter = 0
/** A fresh user with a key, and the authenticator the server would build (its cache empty). */
const userWithKey = Effect.gen(function* () {
  const principals = yield* Principals
  const principal = yield* principals.create({ username: `user-${counter++}`, kind: "user" })
  const { apiKey, key } = yield* (yield* ApiKeys).create({ principalId: principal.principalId, name: "test" })
  const authenticator = yield* makeApiKeyAuthenticator
  const authenticate = authenticator
    .authenticate({ authorization: `Bearer ${Redacted.value(key)}` })
    .pipe(Effect.map(Option.getOrThrow))
  return { principal, keyId: apiKey.keyId, authenticate }
}).pipe(Effect.provideService(CurrentTenant, acme))

layer(Services)("API key authenticator's cache", (it) => {
  it.effect("a key revoked through this process stops working at once, though it was just verified", () =>
    Effect.gen(function* () {
      const { keyId, authenticate } = yield* userWithKey
      yield* authenticate
      yield* (yield* ApiKeys).revoke(keyId).pipe(Effect.provideService(CurrentTenant, acme))
      const refused = yield* Effect.flip(authenticate)
      assert.strictEqual(refused._tag, "Unauthenticated")
    })
  )

  it.effect("disabling the principal stops its cached key at once", () =>
    Effect.gen(function* () {
      const { principal, authenticate } = yield* userWithKey
      yield* authenticate
      yield* (yield* Principals)
        .setDisabled(principal.principalId, true)
        .pipe(Effect.provideService(CurrentTenant, acme))
      assert.deepInclude(yield* Effect.flip(authenticate), { _tag: "Unauthenticated", reason: "principal disabled" })
    })
  )

  it.effect("a changed group membership shows in the next request's caller", () =>
    Effect.gen(function* () {
      const principals = yield* Principals
      const { principal, authenticate } = yield* userWithKey
      const group = `team-${counter++}`
      yield* principals.createGroup(group).pipe(Effect.provideService(CurrentTenant, acme))
      yield* principals.addMember(group, principal.principalId).pipe(Effect.provideService(CurrentTenant, acme))
      assert.deepStrictEqual((yield* authenticate).groups, [group])
      yield* principals.removeMember(group, principal.principalId).pipe(Effect.provideService(CurrentTenant, acme))
      assert.deepStrictEqual((yield* authenticate).groups, [])
    })
  )

  it.effect(
    "a key revoked by another replica works until the cache expires (a verified key is not looked up again)",
    () =>
      Effect.gen(function* () {
        const { keyId, authenticate } = yield* userWithKey
        const first = yield* authenticate
        const sql = yield* SqlClient.SqlClient
        yield* sql`UPDATE api_keys SET revoked_at = 1 WHERE key_id = ${keyId}`
        assert.deepStrictEqual(yield* authenticate, first)
        yield* TestClock.adjust("11 seconds")
        assert.strictEqual((yield* Effect.flip(authenticate))._tag, "Unauthenticated")
      })
  )
})
