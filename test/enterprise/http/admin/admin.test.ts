import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { ExperimentTracker } from "../../../../src/core/tracking/ExperimentTracker.js"
import { AdminServer, acme, call, inTenant, Server, unique } from "./fixture.js"

/*
 * What a tenant's admin (and the operator tenant's) can do through
 * `/api/v1/admin/*`, and how each client mistake is answered.
 */

const users = "/api/v1/admin/users"
const groups = "/api/v1/admin/groups"
const keys = "/api/v1/admin/keys"
const grants = "/api/v1/admin/grants"

layer(Server, { timeout: 120_000, excludeTestServices: true })("admin API", (it) => {
  it.effect("the operator tenant's admin lists tenants and creates one", () =>
    Effect.gen(function* () {
      const { url, root } = yield* AdminServer
      const tenantId = unique("t")
      const created = yield* call(url, "/api/v1/admin/tenants", {
        key: root.key,
        json: { tenantId, displayName: "New tenant" }
      })
      assert.strictEqual(created.status, 201, created.text)
      assert.strictEqual(created.body.tenantId, tenantId)
      assert.strictEqual(created.body.displayName, "New tenant")
      const listed = yield* call(url, "/api/v1/admin/tenants", { key: root.key })
      assert.strictEqual(listed.status, 200)
      const ids = (listed.body.tenants as ReadonlyArray<{ tenantId: string }>).map((t) => t.tenantId)
      assert.includeMembers(ids, ["default", "acme", "globex", tenantId])
    })
  )

  it.effect("creating a tenant that exists is 409 TenantAlreadyExists", () =>
    Effect.gen(function* () {
      const { url, root } = yield* AdminServer
      const reply = yield* call(url, "/api/v1/admin/tenants", { key: root.key, json: { tenantId: "acme" } })
      assert.strictEqual(reply.status, 409)
      assert.strictEqual(reply.body._tag, "TenantAlreadyExists")
      assert.strictEqual(reply.body.tenantId, "acme")
    })
  )

  it.effect("a tenant id that is not a slug is 400 naming tenantId", () =>
    Effect.gen(function* () {
      const { url, root } = yield* AdminServer
      const reply = yield* call(url, "/api/v1/admin/tenants", { key: root.key, json: { tenantId: "Not A Slug" } })
      assert.strictEqual(reply.status, 400)
      assert.strictEqual(reply.body._tag, "InvalidArgument")
      assert.strictEqual(reply.body.field, "tenantId")
    })
  )

  it.effect("an admin of another tenant may neither list nor create tenants", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const list = yield* call(url, "/api/v1/admin/tenants", { key: ada.key })
      const create = yield* call(url, "/api/v1/admin/tenants", { key: ada.key, json: { tenantId: unique("t") } })
      for (const reply of [list, create]) {
        assert.strictEqual(reply.status, 403)
        assert.strictEqual(reply.body._tag, "Forbidden")
        assert.strictEqual(reply.body.resource, "tenants")
      }
    })
  )

  it.effect("a viewer of the operator tenant may neither list nor create tenants", () =>
    Effect.gen(function* () {
      const { url, watcher } = yield* AdminServer
      const list = yield* call(url, "/api/v1/admin/tenants", { key: watcher.key })
      const create = yield* call(url, "/api/v1/admin/tenants", { key: watcher.key, json: { tenantId: unique("t") } })
      assert.deepStrictEqual([list.status, create.status], [403, 403])
      assert.strictEqual(list.body._tag, "Forbidden")
    })
  )

  it.scoped("the operator tenant is an option of the routes: with acme, acme's admin manages tenants", () =>
    Effect.gen(function* () {
      const { serveWith, ada, root } = yield* AdminServer
      const url = yield* serveWith("acme")
      const tenantId = unique("t")
      assert.strictEqual((yield* call(url, "/api/v1/admin/tenants", { key: ada.key, json: { tenantId } })).status, 201)
      assert.strictEqual((yield* call(url, "/api/v1/admin/tenants", { key: root.key })).status, 403)
    })
  )

  it.effect("an admin creates a user and a service account; the list filters by kind", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const person = unique("person")
      const robot = unique("robot")
      const user = yield* call(url, users, {
        key: ada.key,
        json: { username: person, email: `${person}@acme.test`, displayName: "A Person" }
      })
      assert.strictEqual(user.status, 201, user.text)
      assert.strictEqual(user.body.kind, "user")
      assert.strictEqual(user.body.tenantId, "acme")
      assert.strictEqual(user.body.email, `${person}@acme.test`)
      assert.match(String(user.body.principalId), /^p-[0-9a-f]{32}$/)
      const account = yield* call(url, users, { key: ada.key, json: { username: robot, kind: "service_account" } })
      assert.strictEqual(account.status, 201)
      assert.strictEqual(account.body.kind, "service_account")

      const names = (reply: { body: Record<string, unknown> }) =>
        (reply.body.users as ReadonlyArray<{ username: string }>).map((u) => u.username)
      const all = yield* call(url, users, { key: ada.key })
      assert.includeMembers(names(all), [person, robot, "ada", "vic"])
      const accounts = yield* call(url, `${users}?kind=service_account`, { key: ada.key })
      assert.include(names(accounts), robot)
      assert.notInclude(names(accounts), person)
    })
  )

  it.effect("an admin gets a user by id or by name, with its groups and tenant role", () =>
    Effect.gen(function* () {
      const { url, ada, eddie } = yield* AdminServer
      const group = unique("g")
      yield* call(url, groups, { key: ada.key, json: { name: group } })
      yield* call(url, `${groups}/${group}/members`, { key: ada.key, json: { principal: "eddie" } })
      const byId = yield* call(url, `${users}/${eddie.principal.principalId}`, { key: ada.key })
      assert.strictEqual(byId.status, 200, byId.text)
      assert.strictEqual(byId.body.username, "eddie")
      assert.strictEqual(byId.body.tenantRole, "editor")
      assert.include(byId.body.groups as ReadonlyArray<string>, group)
      const byName = yield* call(url, `${users}/eddie`, { key: ada.key })
      assert.strictEqual(byName.body.principalId, eddie.principal.principalId)
    })
  )

  it.effect("an admin disables a user, whose new keys are refused, and enables it again", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const username = unique("leaver")
      yield* call(url, users, { key: ada.key, json: { username } })
      const issued = yield* call(url, keys, { key: ada.key, json: { principal: username, name: "laptop" } })
      const disabled = yield* call(url, `${users}/${username}/disable`, { key: ada.key, method: "POST" })
      assert.strictEqual(disabled.status, 200, disabled.text)
      assert.isTrue(disabled.body.disabled)
      assert.strictEqual((yield* call(url, "/api/v1/me", { key: String(issued.body.key) })).status, 401)
      const enabled = yield* call(url, `${users}/${username}/enable`, { key: ada.key, method: "POST" })
      assert.strictEqual(enabled.status, 200)
      assert.isFalse(enabled.body.disabled)
    })
  )

  it.effect("an admin cannot disable itself: 400 naming principal", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const reply = yield* call(url, `${users}/ada/disable`, { key: ada.key, method: "POST" })
      assert.strictEqual(reply.status, 400)
      assert.strictEqual(reply.body.field, "principal")
    })
  )

  it.effect("a user name that is taken is 409 PrincipalAlreadyExists", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const reply = yield* call(url, users, { key: ada.key, json: { username: "vic" } })
      assert.strictEqual(reply.status, 409)
      assert.strictEqual(reply.body._tag, "PrincipalAlreadyExists")
      assert.strictEqual(reply.body.username, "vic")
    })
  )

  it.effect("an unknown user is 404 PrincipalNotFound", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      for (const ref of ["nobody", `p-${"0".repeat(32)}`]) {
        const reply = yield* call(url, `${users}/${ref}`, { key: ada.key })
        assert.strictEqual(reply.status, 404, ref)
        assert.strictEqual(reply.body._tag, "PrincipalNotFound")
      }
    })
  )

  it.effect("bad user bodies are 400 InvalidArgument naming the field", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const cases: ReadonlyArray<readonly [string, { json?: unknown; raw?: string }, string]> = [
        ["missing username", { json: {} }, "username"],
        ["username not a string", { json: { username: 7 } }, "username"],
        ["unknown kind", { json: { username: unique("u"), kind: "robot" } }, "kind"],
        ["misspelt field", { json: { username: unique("u"), emial: "x@y.z" } }, "emial"],
        ["colon in username", { json: { username: "a:b" } }, "username"],
        ["malformed JSON", { raw: "{" }, "body"],
        ["not an object", { raw: "[1]" }, "body"]
      ]
      for (const [name, body, field] of cases) {
        const reply = yield* call(url, users, { key: ada.key, ...body })
        assert.strictEqual(reply.status, 400, name)
        assert.strictEqual(reply.body._tag, "InvalidArgument", name)
        assert.strictEqual(reply.body.field, field, name)
      }
    })
  )

  it.effect("an admin creates a group, adds a member and removes it", () =>
    Effect.gen(function* () {
      const { url, ada, vic } = yield* AdminServer
      const name = unique("team")
      const created = yield* call(url, groups, { key: ada.key, json: { name } })
      assert.strictEqual(created.status, 201, created.text)
      assert.strictEqual(created.body.name, name)
      assert.isFalse(created.body.external)
      const listed = yield* call(url, groups, { key: ada.key })
      assert.include(
        (listed.body.groups as ReadonlyArray<{ name: string }>).map((g) => g.name),
        name
      )

      const groupsOfVic = Effect.map(
        call(url, `${users}/vic`, { key: ada.key }),
        (reply) => reply.body.groups as ReadonlyArray<string>
      )
      const added = yield* call(url, `${groups}/${name}/members`, {
        key: ada.key,
        json: { principal: vic.principal.principalId }
      })
      assert.strictEqual(added.status, 204, added.text)
      assert.include(yield* groupsOfVic, name)
      const removed = yield* call(url, `${groups}/${name}/members/vic`, { key: ada.key, method: "DELETE" })
      assert.strictEqual(removed.status, 204)
      assert.notInclude(yield* groupsOfVic, name)
    })
  )

  it.effect("a group name with spaces and slashes works URL-encoded", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const name = `${unique("ml")} platform/core`
      assert.strictEqual((yield* call(url, groups, { key: ada.key, json: { name } })).status, 201)
      const added = yield* call(url, `${groups}/${encodeURIComponent(name)}/members`, {
        key: ada.key,
        json: { principal: "vic" }
      })
      assert.strictEqual(added.status, 204, added.text)
      const vic = yield* call(url, `${users}/vic`, { key: ada.key })
      assert.include(vic.body.groups as ReadonlyArray<string>, name)
    })
  )

  it.effect("a group name that is taken is 409; an unknown group or member is 404", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const name = unique("dup")
      yield* call(url, groups, { key: ada.key, json: { name } })
      const duplicate = yield* call(url, groups, { key: ada.key, json: { name } })
      assert.strictEqual(duplicate.status, 409)
      assert.strictEqual(duplicate.body._tag, "GroupAlreadyExists")
      const noGroup = yield* call(url, `${groups}/${unique("none")}/members`, {
        key: ada.key,
        json: { principal: "vic" }
      })
      assert.strictEqual(noGroup.status, 404)
      assert.strictEqual(noGroup.body._tag, "GroupNotFound")
      const noMember = yield* call(url, `${groups}/${name}/members`, { key: ada.key, json: { principal: "nobody" } })
      assert.strictEqual(noMember.status, 404)
      assert.strictEqual(noMember.body._tag, "PrincipalNotFound")
    })
  )

  it.effect("bad group bodies are 400 naming the field", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const badName = yield* call(url, groups, { key: ada.key, json: { name: "a;b" } })
      assert.strictEqual(badName.status, 400)
      assert.strictEqual(badName.body.field, "name")
      const noPrincipal = yield* call(url, `${groups}/whatever/members`, { key: ada.key, json: {} })
      assert.strictEqual(noPrincipal.status, 400)
      assert.strictEqual(noPrincipal.body.field, "principal")
    })
  )

  it.effect("an admin issues a key for a principal: the secret is answered once and authenticates", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const username = unique("pipeline")
      yield* call(url, users, { key: ada.key, json: { username, kind: "service_account" } })
      const issued = yield* call(url, keys, { key: ada.key, json: { principal: username, name: "nightly" } })
      assert.strictEqual(issued.status, 201, issued.text)
      assert.strictEqual(issued.headers.get("cache-control"), "no-store")
      const secret = String(issued.body.key)
      const apiKey = issued.body.apiKey as { keyId: string; name: string }
      assert.match(secret, /^mlk_[0-9a-f]{16}_/)
      assert.strictEqual(apiKey.name, "nightly")
      const me = yield* call(url, "/api/v1/me", { key: secret })
      assert.strictEqual(me.status, 200)
      assert.strictEqual((me.body.principal as { username: string }).username, username)

      const listed = yield* call(url, `${keys}?principal=${username}`, { key: ada.key })
      assert.strictEqual(listed.status, 200)
      assert.deepStrictEqual(
        (listed.body.keys as ReadonlyArray<{ keyId: string }>).map((k) => k.keyId),
        [apiKey.keyId]
      )
      assert.notInclude(listed.text, secret.slice(21))
      const all = yield* call(url, keys, { key: ada.key })
      assert.include(
        (all.body.keys as ReadonlyArray<{ keyId: string }>).map((k) => k.keyId),
        apiKey.keyId
      )
    })
  )

  it.effect("an admin revokes a key: it is refused from then on", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const issued = yield* call(url, keys, { key: ada.key, json: { principal: "vic", name: "to revoke" } })
      const keyId = (issued.body.apiKey as { keyId: string }).keyId
      const revoked = yield* call(url, `${keys}/${keyId}`, { key: ada.key, method: "DELETE" })
      assert.strictEqual(revoked.status, 204, revoked.text)
      assert.strictEqual((yield* call(url, "/api/v1/me", { key: String(issued.body.key) })).status, 401)
      const listed = yield* call(url, `${keys}?principal=vic`, { key: ada.key })
      const entry = (listed.body.keys as ReadonlyArray<{ keyId: string; revokedAt?: number }>).find(
        (k) => k.keyId === keyId
      )
      assert.isNumber(entry?.revokedAt)
    })
  )

  it.effect("bad key requests are 400 naming the field; an unknown key or principal is 404", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [{ principal: "vic" }, "name"],
        [{ name: "x" }, "principal"],
        [{ principal: "vic", name: "x", expiresAt: 1 }, "expiresAt"],
        [{ principal: "vic", name: "x", expiresAt: "tomorrow" }, "expiresAt"]
      ]
      for (const [json, field] of cases) {
        const reply = yield* call(url, keys, { key: ada.key, json })
        assert.strictEqual(reply.status, 400, JSON.stringify(json))
        assert.strictEqual(reply.body.field, field, JSON.stringify(json))
      }
      const unknownKey = yield* call(url, `${keys}/0000000000000000`, { key: ada.key, method: "DELETE" })
      assert.strictEqual(unknownKey.status, 404)
      assert.strictEqual(unknownKey.body._tag, "ApiKeyNotFound")
      const unknownPrincipal = yield* call(url, keys, { key: ada.key, json: { principal: "nobody", name: "x" } })
      assert.strictEqual(unknownPrincipal.status, 404)
      assert.strictEqual(unknownPrincipal.body._tag, "PrincipalNotFound")
    })
  )

  it.effect("an admin grants a role on an experiment, lists it, changes it and revokes it", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const experiment = yield* Effect.flatMap(ExperimentTracker, (tracker) =>
        tracker.createExperiment({ name: unique("exp") })
      ).pipe(inTenant(acme))
      const resource = `resourceKind=experiment&resourceId=${experiment.experimentId}`
      const granted = yield* call(url, grants, {
        key: ada.key,
        method: "PUT",
        json: { principal: "vic", resourceKind: "experiment", resourceId: experiment.experimentId, role: "editor" }
      })
      assert.strictEqual(granted.status, 201, granted.text)
      assert.strictEqual((granted.body.grant as { role: string }).role, "editor")
      assert.isUndefined(granted.body.previous)

      const onResource = yield* call(url, `${grants}?${resource}`, { key: ada.key })
      assert.deepStrictEqual(
        (onResource.body.grants as ReadonlyArray<{ granteeName: string; role: string }>).map((g) => [
          g.granteeName,
          g.role
        ]),
        [["vic", "editor"]]
      )
      const ofVic = yield* call(url, `${grants}?principal=vic`, { key: ada.key })
      assert.include(
        (ofVic.body.grants as ReadonlyArray<{ resourceId: string }>).map((g) => g.resourceId),
        experiment.experimentId
      )

      const changed = yield* call(url, grants, {
        key: ada.key,
        method: "PUT",
        json: { principal: "vic", resourceKind: "experiment", resourceId: experiment.experimentId, role: "viewer" }
      })
      assert.strictEqual(changed.status, 200)
      assert.strictEqual((changed.body.previous as { role: string }).role, "editor")
      assert.strictEqual((changed.body.grant as { role: string }).role, "viewer")

      const revoked = yield* call(url, `${grants}?principal=vic&${resource}`, { key: ada.key, method: "DELETE" })
      assert.strictEqual(revoked.status, 200, revoked.text)
      assert.strictEqual((revoked.body.revoked as { role: string }).role, "viewer")
      const again = yield* call(url, `${grants}?principal=vic&${resource}`, { key: ada.key, method: "DELETE" })
      assert.strictEqual(again.status, 404)
      assert.strictEqual(again.body._tag, "GrantNotFound")
    })
  )

  it.effect("admin granted to a group on the tenant makes its members admins", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const username = unique("deputy")
      const group = unique("admins")
      yield* call(url, users, { key: ada.key, json: { username } })
      const issued = yield* call(url, keys, { key: ada.key, json: { principal: username, name: "k" } })
      const deputy = String(issued.body.key)
      yield* call(url, groups, { key: ada.key, json: { name: group } })
      yield* call(url, `${groups}/${encodeURIComponent(group)}/members`, {
        key: ada.key,
        json: { principal: username }
      })
      const granted = yield* call(url, grants, {
        key: ada.key,
        method: "PUT",
        json: { group, resourceKind: "tenant", role: "admin" }
      })
      assert.strictEqual(granted.status, 201, granted.text)
      const ofGroup = yield* call(url, `${grants}?group=${encodeURIComponent(group)}`, { key: ada.key })
      assert.deepStrictEqual(
        (ofGroup.body.grants as ReadonlyArray<{ resourceKind: string; role: string }>).map((g) => [
          g.resourceKind,
          g.role
        ]),
        [["tenant", "admin"]]
      )
      assert.strictEqual((yield* call(url, users, { key: deputy })).status, 200)
    })
  )

  it.effect("bad grant requests are 400 naming the field", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const put: ReadonlyArray<readonly [unknown, string]> = [
        [{ principal: "vic", resourceKind: "experiment", resourceId: "0", role: "admin" }, "role"],
        [{ principal: "vic", resourceKind: "experiment", role: "viewer" }, "resourceId"],
        [{ principal: "vic", resourceKind: "experiment", resourceId: "abc", role: "viewer" }, "resourceId"],
        [{ principal: "vic", resourceKind: "tenant", resourceId: "acme", role: "viewer" }, "resourceId"],
        [{ principal: "vic", resourceKind: "tenant", role: "owner" }, "role"],
        [{ principal: "vic", resourceKind: "workspace", role: "viewer" }, "resourceKind"],
        [{ principal: "vic", group: "g", resourceKind: "tenant", role: "viewer" }, "principal"],
        [{ resourceKind: "tenant", role: "viewer" }, "principal"]
      ]
      for (const [json, field] of put) {
        const reply = yield* call(url, grants, { key: ada.key, method: "PUT", json })
        assert.strictEqual(reply.status, 400, JSON.stringify(json))
        assert.strictEqual(reply.body._tag, "InvalidArgument", JSON.stringify(json))
        assert.strictEqual(reply.body.field, field, JSON.stringify(json))
      }
      const list = yield* call(url, grants, { key: ada.key })
      assert.strictEqual(list.status, 400)
      assert.strictEqual(list.body.field, "resourceKind")
      const revoke = yield* call(url, `${grants}?principal=vic`, { key: ada.key, method: "DELETE" })
      assert.strictEqual(revoke.status, 400)
      assert.strictEqual(revoke.body.field, "resourceKind")
    })
  )

  it.effect("a grant on a missing experiment or model, or to a missing group, is 404", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const experiment = yield* call(url, grants, {
        key: ada.key,
        method: "PUT",
        json: { principal: "vic", resourceKind: "experiment", resourceId: "987654", role: "viewer" }
      })
      assert.strictEqual(experiment.status, 404)
      assert.strictEqual(experiment.body._tag, "ExperimentNotFound")
      const model = yield* call(url, grants, {
        key: ada.key,
        method: "PUT",
        json: { principal: "vic", resourceKind: "registered_model", resourceId: "no-such-model", role: "viewer" }
      })
      assert.strictEqual(model.status, 404)
      assert.strictEqual(model.body._tag, "RegisteredModelNotFound")
      const group = yield* call(url, grants, {
        key: ada.key,
        method: "PUT",
        json: { group: "nobody-group", resourceKind: "tenant", role: "viewer" }
      })
      assert.strictEqual(group.status, 404)
      assert.strictEqual(group.body._tag, "GroupNotFound")
    })
  )

  it.effect("odd input is never a 5xx", () =>
    Effect.gen(function* () {
      const { url, ada } = yield* AdminServer
      const requests: ReadonlyArray<readonly [string, string, { json?: unknown; raw?: string }]> = [
        ["POST", users, { json: { username: null } }],
        ["POST", users, { json: { username: "x".repeat(300) } }],
        ["POST", users, { json: { username: "ok-name", kind: null } }],
        ["POST", users, { raw: "null" }],
        ["POST", users, { raw: '"text"' }],
        ["POST", keys, { json: { principal: "vic", name: "x", expiresAt: 1e20 } }],
        ["POST", keys, { json: { principal: "vic", name: "x".repeat(500) } }],
        ["POST", groups, { json: { name: "x".repeat(500) } }],
        ["GET", `${users}/%E0%A4%A`, {}],
        ["GET", `${users}/${"p-".padEnd(200, "f")}`, {}],
        ["GET", `${grants}?resourceKind=tenant&resourceKind=experiment`, {}],
        ["GET", `${keys}?principal=`, {}],
        [
          "PUT",
          grants,
          { json: { principal: "vic", resourceKind: "registered_model", resourceId: "x".repeat(2000), role: "viewer" } }
        ],
        ["DELETE", `${keys}/${encodeURIComponent("../../etc")}`, {}]
      ]
      for (const [method, route, init] of requests) {
        const reply = yield* call(url, route, { method, key: ada.key, ...init })
        assert.isTrue(reply.status >= 400 && reply.status < 500, `${method} ${route}: ${reply.status} ${reply.text}`)
      }
    })
  )
})
