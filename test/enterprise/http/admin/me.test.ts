import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { AdminServer, call, Server, unique } from "./fixture.js"

/* Self-service for any authenticated caller: `/api/v1/me` and its own API keys. */

layer(Server, { timeout: 120_000, excludeTestServices: true })("self-service API", (it) => {
  it.effect("GET /api/v1/me answers the caller's principal, tenant, groups and tenant role", () =>
    Effect.gen(function* () {
      const { url, ada, vic } = yield* AdminServer
      const group = unique("readers")
      yield* call(url, "/api/v1/admin/groups", { key: ada.key, json: { name: group } })
      yield* call(url, `/api/v1/admin/groups/${group}/members`, { key: ada.key, json: { principal: "vic" } })
      const me = yield* call(url, "/api/v1/me", { key: vic.key })
      assert.strictEqual(me.status, 200, me.text)
      const principal = me.body.principal as { principalId: string; username: string; kind: string }
      assert.deepStrictEqual(
        [principal.principalId, principal.username, principal.kind],
        [vic.principal.principalId, "vic", "user"]
      )
      assert.strictEqual((me.body.tenant as { tenantId: string; displayName: string }).displayName, "Acme")
      assert.include(me.body.groups as ReadonlyArray<string>, group)
      assert.strictEqual(me.body.tenantRole, "viewer")
      assert.strictEqual((yield* call(url, "/api/v1/me", { key: ada.key })).body.tenantRole, "admin")
    })
  )

  it.effect("a caller creates, lists and revokes its own keys", () =>
    Effect.gen(function* () {
      const { url, eddie } = yield* AdminServer
      const created = yield* call(url, "/api/v1/me/keys", { key: eddie.key, json: { name: "notebook" } })
      assert.strictEqual(created.status, 201, created.text)
      assert.strictEqual(created.headers.get("cache-control"), "no-store")
      const secret = String(created.body.key)
      const { keyId, principalId } = created.body.apiKey as { keyId: string; principalId: string }
      assert.strictEqual(principalId, eddie.principal.principalId)
      assert.strictEqual(secret.slice(4, 20), keyId)

      const listed = yield* call(url, "/api/v1/me/keys", { key: eddie.key })
      const owned = listed.body.keys as ReadonlyArray<{ keyId: string; principalId: string }>
      assert.include(
        owned.map((k) => k.keyId),
        keyId
      )
      assert.isTrue(owned.every((k) => k.principalId === eddie.principal.principalId))
      assert.notInclude(listed.text, secret.slice(21))

      const revoked = yield* call(url, `/api/v1/me/keys/${keyId}`, { key: eddie.key, method: "DELETE" })
      assert.strictEqual(revoked.status, 204)
      assert.strictEqual((yield* call(url, "/api/v1/me", { key: secret })).status, 401)
    })
  )

  it.effect("a key created with an expiry carries it", () =>
    Effect.gen(function* () {
      const { url, vic } = yield* AdminServer
      const expiresAt = Date.now() + 86_400_000
      const created = yield* call(url, "/api/v1/me/keys", { key: vic.key, json: { name: "short", expiresAt } })
      assert.strictEqual(created.status, 201)
      assert.strictEqual((created.body.apiKey as { expiresAt: number }).expiresAt, expiresAt)
    })
  )

  it.effect("a caller cannot revoke someone else's key, in its tenant or another: 404, and the key still works", () =>
    Effect.gen(function* () {
      const { url, vic, eddie, gail } = yield* AdminServer
      for (const other of [eddie, gail]) {
        const reply = yield* call(url, `/api/v1/me/keys/${other.key.slice(4, 20)}`, {
          key: vic.key,
          method: "DELETE"
        })
        assert.strictEqual(reply.status, 404)
        assert.strictEqual(reply.body._tag, "ApiKeyNotFound")
        assert.strictEqual((yield* call(url, "/api/v1/me", { key: other.key })).status, 200)
      }
    })
  )

  it.effect("a caller's key list holds none of anyone else's keys", () =>
    Effect.gen(function* () {
      const { url, vic, eddie } = yield* AdminServer
      const listed = yield* call(url, "/api/v1/me/keys", { key: vic.key })
      const ids = (listed.body.keys as ReadonlyArray<{ keyId: string }>).map((k) => k.keyId)
      assert.include(ids, vic.key.slice(4, 20))
      assert.notInclude(ids, eddie.key.slice(4, 20))
    })
  )

  it.effect("bad key bodies are 400 naming the field", () =>
    Effect.gen(function* () {
      const { url, vic } = yield* AdminServer
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{}, "name"],
        [{ name: "" }, "name"],
        [{ name: "x", expiresAt: Date.now() - 1000 }, "expiresAt"],
        [{ name: "x", principal: "eddie" }, "principal"]
      ]
      for (const [json, field] of cases) {
        const reply = yield* call(url, "/api/v1/me/keys", { key: vic.key, json })
        assert.strictEqual(reply.status, 400, JSON.stringify(json))
        assert.strictEqual(reply.body._tag, "InvalidArgument")
        assert.strictEqual(reply.body.field, field, JSON.stringify(json))
      }
    })
  )
})
