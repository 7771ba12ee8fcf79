import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import { AdminServer, acme, call, globex, inTenant, Server, unique } from "./fixture.js"

/*
 * Who may not use the admin API: members without the tenant's admin role,
 * admins of another tenant, anonymous callers. And the audit trail's
 * routes, now for admins only.
 */

/** Every route that needs the tenant's admin role, with a body that would be valid. */
const adminRoutes = (p: { readonly principalId: string }): ReadonlyArray<readonly [string, string, unknown?]> => [
  ["GET", "/api/v1/admin/users"],
  ["POST", "/api/v1/admin/users", { username: unique("u") }],
  ["GET", `/api/v1/admin/users/${p.principalId}`],
  ["POST", `/api/v1/admin/users/${p.principalId}/disable`],
  ["POST", `/api/v1/admin/users/${p.principalId}/enable`],
  ["GET", "/api/v1/admin/groups"],
  ["POST", "/api/v1/admin/groups", { name: unique("g") }],
  ["POST", "/api/v1/admin/groups/team/members", { principal: p.principalId }],
  ["DELETE", `/api/v1/admin/groups/team/members/${p.principalId}`],
  ["GET", "/api/v1/admin/keys"],
  ["POST", "/api/v1/admin/keys", { principal: p.principalId, name: "k" }],
  ["DELETE", "/api/v1/admin/keys/0123456789abcdef"],
  ["GET", "/api/v1/admin/grants?resourceKind=tenant"],
  ["PUT", "/api/v1/admin/grants", { principal: p.principalId, resourceKind: "tenant", role: "admin" }],
  ["DELETE", `/api/v1/admin/grants?principal=${p.principalId}&resourceKind=tenant`],
  ["GET", "/api/v1/audit"],
  ["GET", "/api/v1/audit/verify"]
]

layer(Server, { timeout: 120_000, excludeTestServices: true })("admin API access", (it) => {
  it.effect("a viewer gets 403 Forbidden on every admin route", () =>
    Effect.gen(function* () {
      const { url, vic } = yield* AdminServer
      for (const [method, route, json] of adminRoutes(vic.principal)) {
        const reply = yield* call(url, route, { method, key: vic.key, json })
        assert.strictEqual(reply.status, 403, `${method} ${route}: ${reply.text}`)
        assert.strictEqual(reply.body._tag, "Forbidden", `${method} ${route}`)
        assert.strictEqual(reply.body.resource, "tenant", `${method} ${route}`)
        assert.match(String(reply.body.message), /needs the admin role/, `${method} ${route}`)
      }
    })
  )

  it.effect("an editor gets 403 Forbidden on every admin route", () =>
    Effect.gen(function* () {
      const { url, eddie } = yield* AdminServer
      for (const [method, route, json] of adminRoutes(eddie.principal)) {
        const reply = yield* call(url, route, { method, key: eddie.key, json })
        assert.strictEqual(reply.status, 403, `${method} ${route}: ${reply.text}`)
        assert.strictEqual(reply.body._tag, "Forbidden", `${method} ${route}`)
      }
    })
  )

  it.effect("a refused request changes nothing: a viewer's user is not created", () =>
    Effect.gen(function* () {
      const { url, vic } = yield* AdminServer
      const username = unique("sneaky")
      yield* call(url, "/api/v1/admin/users", { key: vic.key, json: { username } })
      const found = yield* Effect.either(
        Effect.flatMap(Principals, (principals) => principals.findByUsername(username)).pipe(inTenant(acme))
      )
      assert.isTrue(found._tag === "Left")
    })
  )

  it.effect("a viewer is refused before its body is read: a bad body is still 403", () =>
    Effect.gen(function* () {
      const { url, vic } = yield* AdminServer
      const reply = yield* call(url, "/api/v1/admin/users", { key: vic.key, raw: "{not json" })
      assert.strictEqual(reply.status, 403)
    })
  )

  it.effect("without credentials every admin and self-service route is 401", () =>
    Effect.gen(function* () {
      const { url, vic } = yield* AdminServer
      for (const [method, route] of [
        ...adminRoutes(vic.principal),
        ["GET", "/api/v1/me"],
        ["GET", "/api/v1/me/keys"]
      ]) {
        const reply = yield* call(url, route ?? "", { method: method ?? "GET" })
        assert.strictEqual(reply.status, 401, `${method} ${route}`)
      }
    })
  )

  it.effect("an admin of acme does not see globex's users, groups or keys", () =>
    Effect.gen(function* () {
      const { url, ada, gus } = yield* AdminServer
      const group = unique("globex-team")
      yield* call(url, "/api/v1/admin/groups", { key: gus.key, json: { name: group } })
      const users = yield* call(url, "/api/v1/admin/users", { key: ada.key })
      const names = (users.body.users as ReadonlyArray<{ username: string; tenantId: string }>).map((u) => u.username)
      assert.notInclude(names, "gus")
      assert.notInclude(names, "gail")
      assert.isTrue((users.body.users as ReadonlyArray<{ tenantId: string }>).every((u) => u.tenantId === "acme"))
      const groups = yield* call(url, "/api/v1/admin/groups", { key: ada.key })
      assert.notInclude(
        (groups.body.groups as ReadonlyArray<{ name: string }>).map((g) => g.name),
        group
      )
      const keys = yield* call(url, "/api/v1/admin/keys", { key: ada.key })
      const owners = new Set((keys.body.keys as ReadonlyArray<{ principalId: string }>).map((k) => k.principalId))
      assert.isFalse(owners.has(gus.principal.principalId))
    })
  )

  it.effect("an admin of acme cannot read, disable or key globex's users: 404", () =>
    Effect.gen(function* () {
      const { url, ada, gail } = yield* AdminServer
      const id = gail.principal.principalId
      const attempts = [
        yield* call(url, `/api/v1/admin/users/${id}`, { key: ada.key }),
        yield* call(url, "/api/v1/admin/users/gail", { key: ada.key }),
        yield* call(url, `/api/v1/admin/users/${id}/disable`, { key: ada.key, method: "POST" }),
        yield* call(url, "/api/v1/admin/keys", { key: ada.key, json: { principal: id, name: "stolen" } }),
        yield* call(url, `/api/v1/admin/keys?principal=${id}`, { key: ada.key }),
        yield* call(url, "/api/v1/admin/grants", {
          key: ada.key,
          method: "PUT",
          json: { principal: id, resourceKind: "tenant", role: "admin" }
        })
      ]
      for (const reply of attempts) {
        assert.strictEqual(reply.status, 404, reply.text)
        assert.strictEqual(reply.body._tag, "PrincipalNotFound")
      }
      const gailNow = yield* Effect.flatMap(Principals, (principals) => principals.get(id)).pipe(inTenant(globex))
      assert.isFalse(gailNow.disabled)
    })
  )

  it.effect("an admin of acme cannot revoke globex's keys or join its groups: 404, and the key still works", () =>
    Effect.gen(function* () {
      const { url, ada, gail, gus } = yield* AdminServer
      const group = unique("globex-only")
      yield* call(url, "/api/v1/admin/groups", { key: gus.key, json: { name: group } })
      const gailKeyId = gail.key.slice(4, 20)
      const revoke = yield* call(url, `/api/v1/admin/keys/${gailKeyId}`, { key: ada.key, method: "DELETE" })
      assert.strictEqual(revoke.status, 404)
      assert.strictEqual(revoke.body._tag, "ApiKeyNotFound")
      const join = yield* call(url, `/api/v1/admin/groups/${group}/members`, {
        key: ada.key,
        json: { principal: "ada" }
      })
      assert.strictEqual(join.status, 404)
      assert.strictEqual(join.body._tag, "GroupNotFound")
      assert.strictEqual((yield* call(url, "/api/v1/me", { key: gail.key })).status, 200)
    })
  )

  it.effect("an admin reads its tenant's audit trail; the trail holds the admin writes and grant changes", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const username = unique("audited")
      yield* call(url, "/api/v1/admin/users", { key: ada.key, json: { username } })
      yield* call(url, "/api/v1/admin/grants", {
        key: ada.key,
        method: "PUT",
        json: { principal: username, resourceKind: "tenant", role: "editor" }
      })
      const trail = yield* call(url, "/api/v1/audit?limit=50", { key: ada.key })
      assert.strictEqual(trail.status, 200, trail.text)
      const entries = trail.body.entries as ReadonlyArray<{ action: string; principal: string; outcome: string }>
      const actions = entries.map((e) => e.action)
      assert.include(actions, "POST /api/v1/admin/users")
      assert.include(actions, "PUT /api/v1/admin/grants")
      assert.include(actions, "rbac.grant")
      const created = entries.find((e) => e.action === "POST /api/v1/admin/users")
      assert.deepStrictEqual([created?.principal, created?.outcome], ["ada", "201"])
      const verify = yield* call(url, "/api/v1/audit/verify", { key: ada.key })
      assert.strictEqual(verify.status, 200)
      assert.isTrue(verify.body.ok)
    })
  )

  it.effect("an issued key's secret never reaches the audit trail", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const issued = yield* call(url, "/api/v1/admin/keys", { key: ada.key, json: { principal: "vic", name: "s" } })
      const own = yield* call(url, "/api/v1/me/keys", { key: ada.key, json: { name: "mine" } })
      const secrets = [String(issued.body.key), String(own.body.key)]
      const page = yield* Effect.flatMap(AuditTrail, (trail) => trail.query({ limit: 1000 })).pipe(inTenant(acme))
      const stored = JSON.stringify(page.entries)
      assert.include(stored, "POST /api/v1/admin/keys")
      for (const secret of secrets) {
        assert.match(secret, /^mlk_/)
        assert.notInclude(stored, secret.slice(21))
      }
    })
  )
})
