import { assert, describe, it, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { Resource } from "../../../../src/enterprise/auth/rbac/model.js"
import { type Exchange, transcript } from "../../../http/mlflow/fixtures.js"
import { Bindings, mismatches } from "../../../http/mlflow/matcher.js"
import { expandJson } from "../../../http/mlflow/replay.js"
import { basic, keyFor, makeRbacServices, type Reply, request, startRbacServer } from "./support.js"

/*
 * Appendix B of the recorded MLflow 3.6 transcript (the basic-auth app with
 * default permission READ), replayed in order against the enterprise server
 * with RBAC and MLflow's permission routes. Its admin is a principal with
 * the tenant-level admin role; a `-u user:password` is sent as Basic auth
 * with the user's API key as the password (passwords are API keys here).
 * Where we answer differently, the override says why:
 *
 * - refusals are MLflow's JSON errors (`UNAUTHENTICATED`, `PERMISSION_DENIED`)
 *   where the basic-auth app answers plain text;
 * - user ids are principal ids (`p-…`), not integers;
 * - `users/create` takes no password (a user gets API keys instead), and
 *   `users/update-password` is refused, so the old "password" still works;
 * - runs record the caller as their user (MLflow leaves `user_id` empty);
 * - `users/delete` works (MLflow fails on a NOT NULL constraint, B223).
 */

const entries = transcript()
const entry = (id: string): Exchange => {
  const found = entries.find((e) => e.id === id)
  if (found === undefined) throw new Error(`no transcript entry ${id}`)
  return found
}
const appendixB = entries.filter((e) => e.id.startsWith("B")).map((e) => e.id)

class Server extends Context.Tag("test/rbac/AppendixB")<
  Server,
  {
    readonly url: string
    /** `user:password` as recorded → the Basic credentials we send. */
    readonly credentials: Map<string, Record<string, string>>
    /** Recorded integer user ids → principal ids. */
    readonly userIds: Map<number, string>
    /** Recorded experiment ids → ours. */
    readonly experimentIds: Map<string, string>
  }
>() {}

const Services = makeRbacServices({ defaultRole: "viewer" })

const ServerLive = Layer.scoped(
  Server,
  Effect.gen(function* () {
    const principals = yield* Principals
    const admin = yield* principals.create({ username: "admin", kind: "user" })
    yield* (yield* Grants).grant({
      grantee: { kind: "principal", principalId: admin.principalId },
      resource: Resource.tenant,
      role: "admin"
    })
    const credentials = new Map([["admin:password1234", basic("admin", yield* keyFor(admin))]])
    return {
      url: yield* startRbacServer,
      credentials,
      userIds: new Map([[1, admin.principalId]]),
      experimentIds: new Map<string, string>()
    }
  })
).pipe(Layer.provideMerge(Services))

const json = (value: unknown) => ({ kind: "json", value }) as const
const refusal = (status: 401 | 403) => ({
  status,
  response: json({ error_code: status === 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED", message: "" })
})
const mlflowError = (status: number, error_code: string) => ({ status, response: json({ error_code, message: "" }) })

/** What we send and expect instead of the recording, and why (see the file's comment). */
interface Override {
  readonly body?: unknown
  readonly expect?: (reply: Reply) => { readonly status: number; readonly response: Exchange["response"] }
}

const withoutPassword = (id: string): Override => ({
  body: { username: (entry(id).request as { value: { username: string } }).value.username }
})

const overrides: Record<string, Override> = {
  B201: { expect: () => refusal(401) },
  B203: withoutPassword("B203"),
  B204: withoutPassword("B204"),
  B207: { expect: () => refusal(403) },
  // MLflow leaves user_id empty; we record the caller. The run name is generated.
  B209: {
    expect: (reply) => {
      const recorded = entry("B209").response as { value: { run: { info: Record<string, unknown> } } }
      const runName = String((reply.body.run as { info?: { run_name: string } } | undefined)?.info?.run_name)
      const text = JSON.stringify(recorded.value).replaceAll("lyrical-hawk-102", runName)
      const value = JSON.parse(text) as { run: { info: Record<string, unknown> } }
      value.run.info.user_id = "alice"
      return { status: 200, response: json(value) }
    }
  },
  B213: { expect: () => refusal(403) },
  B215: { expect: () => refusal(403) },
  B221: { expect: () => mlflowError(400, "BAD_REQUEST") },
  // The password change was refused, so the old credential still works: B206's answer.
  B222: { expect: () => ({ status: 200, response: entry("B206").response }) },
  B223: { expect: () => ({ status: 200, response: json({}) }) }
}

/** Recorded ids replaced by ours in a request: experiment ids (in paths and bodies). */
const substituteRequest = (server: Server["Type"], text: string) =>
  text.replace(/(experiment_id=|"experiment_id":")(\d+)/g, (_, prefix: string, id: string) => {
    return `${prefix}${server.experimentIds.get(id) ?? id}`
  })

/** Recorded integer user ids in an expected answer replaced by principal ids. */
const withUserIds = (server: Server["Type"], value: unknown): unknown => {
  if (Array.isArray(value)) return value.map((v) => withUserIds(server, v))
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      (key === "id" || key === "user_id") && typeof v === "number"
        ? (server.userIds.get(v) ?? v)
        : withUserIds(server, v)
    ])
  )
}

const send = (server: Server["Type"], exchange: Exchange, override: Override | undefined) => {
  const path = substituteRequest(server, exchange.path)
  const recordedBody = exchange.request?.kind === "json" ? exchange.request.value : undefined
  const body = override?.body ?? recordedBody
  const headers =
    exchange.credentials === undefined ? {} : (server.credentials.get(exchange.credentials) ?? basic("nobody", "x"))
  return request(server.url, path, {
    method: exchange.method,
    headers,
    ...(body === undefined ? {} : { json: JSON.parse(substituteRequest(server, JSON.stringify(expandJson(body)))) })
  })
}

/** After some entries, the test learns ids and issues API keys, as an administrator would. */
const afterwards = (server: Server["Type"], id: string, reply: Reply) =>
  Effect.gen(function* () {
    const principals = yield* Principals
    if (id === "B202") server.experimentIds.set("1", String(reply.body.experiment_id))
    if (id === "B210") server.experimentIds.set("2", String(reply.body.experiment_id))
    const created: Record<string, readonly [string, string, number]> = {
      B203: ["alice", "alice-pass-123", 2],
      B204: ["bob", "bob-pass-123", 3]
    }
    const user = created[id]
    if (user !== undefined) {
      const [username, password, recordedId] = user
      const principal = yield* principals.findByUsername(username)
      server.credentials.set(`${username}:${password}`, basic(username, yield* keyFor(principal)))
      server.userIds.set(recordedId, principal.principalId)
    }
  })

describe("MLflow REST transcript, Appendix B", () => {
  it("has entries B201–B223", () => {
    assert.deepStrictEqual(
      appendixB,
      Array.from({ length: 23 }, (_, i) => `B${201 + i}`)
    )
  })
})

layer(ServerLive, { timeout: 120_000, excludeTestServices: true })("Appendix B: basic auth and permissions", (it) => {
  const bindings = new Bindings()
  for (const id of appendixB) {
    const recorded = entry(id)
    it.effect(`${id}. ${recorded.title}`, () =>
      Effect.gen(function* () {
        const server = yield* Server
        const override = overrides[id]
        const reply = yield* send(server, recorded, override)
        yield* afterwards(server, id, reply)
        const expected = override?.expect?.(reply) ?? recorded
        const problems: Array<string> = []
        if (reply.status !== expected.status) {
          problems.push(`status: expected ${expected.status}, got ${reply.status}: ${reply.text.slice(0, 300)}`)
        }
        const response = expected.response
        if (response?.kind === "json") {
          problems.push(...mismatches(withUserIds(server, response.value), reply.body, bindings))
        }
        assert.deepStrictEqual(problems, [])
      })
    )
  }

  it.effect("users/create refuses a password: users authenticate with API keys", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const reply = yield* request(server.url, "/api/2.0/mlflow/users/create", {
        json: { username: "carol", password: "carol-pass-123" },
        headers: server.credentials.get("admin:password1234")!
      })
      assert.strictEqual(reply.status, 400)
      assert.strictEqual(reply.body.error_code, "INVALID_PARAMETER_VALUE")
      assert.match(String(reply.body.message), /API key/)
      const carol = yield* Effect.either((yield* Principals).findByUsername("carol"))
      assert.strictEqual(carol._tag, "Left")
    })
  )

  it.effect("a deleted user is gone for users/get and its grants are removed", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const admin = server.credentials.get("admin:password1234")!
      const get = yield* request(server.url, "/api/2.0/mlflow/users/get?username=bob", { headers: admin })
      assert.strictEqual(get.status, 404)
      assert.strictEqual(get.body.error_code, "RESOURCE_DOES_NOT_EXIST")
      const bob = yield* (yield* Principals).findByUsername("bob")
      assert.isTrue(bob.disabled)
      assert.deepStrictEqual(yield* (yield* Grants).listFor({ kind: "principal", principalId: bob.principalId }), [])
      const again = yield* request(server.url, "/api/2.0/mlflow/users/create", {
        json: { username: "bob" },
        headers: admin
      })
      assert.strictEqual(again.body.error_code, "RESOURCE_ALREADY_EXISTS")
    })
  )

  it.effect("experiment permissions: get, update, delete, duplicates and missing records", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const admin = server.credentials.get("admin:password1234")!
      const alice = server.credentials.get("alice:alice-pass-123")!
      const route = (name: string) => `/api/2.0/mlflow/experiments/permissions/${name}`
      const exp1 = server.experimentIds.get("1")!
      const exp2 = server.experimentIds.get("2")!
      const aliceId = server.userIds.get(2)!
      const carol = yield* request(server.url, "/api/2.0/mlflow/users/create", {
        json: { username: "carol" },
        headers: admin
      })
      assert.strictEqual(carol.status, 200)
      const carolId = (carol.body.user as { id: string }).id

      const duplicate = yield* request(server.url, route("create"), {
        json: { experiment_id: exp1, username: "alice", permission: "READ" },
        headers: admin
      })
      assert.strictEqual(duplicate.status, 400)
      assert.strictEqual(duplicate.body.error_code, "RESOURCE_ALREADY_EXISTS")

      // alice manages her own experiment: she may grant, update and revoke there, not on experiment 1.
      const granted = yield* request(server.url, route("create"), {
        json: { experiment_id: exp2, username: "carol", permission: "READ" },
        headers: alice
      })
      assert.deepStrictEqual(granted.body, {
        experiment_permission: { experiment_id: exp2, permission: "READ", user_id: carolId }
      })
      const updated = yield* request(server.url, route("update"), {
        method: "PATCH",
        json: { experiment_id: exp2, username: "carol", permission: "EDIT" },
        headers: alice
      })
      assert.deepStrictEqual([updated.status, updated.body], [200, {}])
      const read = yield* request(server.url, `${route("get")}?experiment_id=${exp2}&username=carol`, {
        headers: alice
      })
      assert.deepStrictEqual(read.body, {
        experiment_permission: { experiment_id: exp2, permission: "EDIT", user_id: carolId }
      })
      const notHers = yield* request(server.url, route("create"), {
        json: { experiment_id: exp1, username: "carol", permission: "READ" },
        headers: alice
      })
      assert.strictEqual(notHers.status, 403)
      const deleted = yield* request(server.url, route("delete"), {
        method: "DELETE",
        json: { experiment_id: exp2, username: "carol" },
        headers: alice
      })
      assert.deepStrictEqual([deleted.status, deleted.body], [200, {}])
      for (const [method, name, body] of [
        ["GET", `get?experiment_id=${exp2}&username=carol`, undefined],
        ["PATCH", "update", { experiment_id: exp2, username: "carol", permission: "READ" }],
        ["DELETE", "delete", { experiment_id: exp2, username: "carol" }]
      ] as const) {
        const missing = yield* request(server.url, route(name), {
          method,
          headers: alice,
          ...(body === undefined ? {} : { json: body })
        })
        assert.strictEqual(missing.status, 404, name)
        assert.strictEqual(missing.body.error_code, "RESOURCE_DOES_NOT_EXIST", name)
      }
      const unknownUser = yield* request(server.url, `${route("get")}?experiment_id=${exp2}&username=zed`, {
        headers: alice
      })
      assert.strictEqual(unknownUser.status, 404)
      const unknownExperiment = yield* request(server.url, route("create"), {
        json: { experiment_id: "999999", username: "carol", permission: "READ" },
        headers: admin
      })
      assert.strictEqual(unknownExperiment.status, 404)
      const userView = yield* request(server.url, "/api/2.0/mlflow/users/get?username=alice", { headers: alice })
      assert.deepStrictEqual(
        (userView.body.user as { experiment_permissions: ReadonlyArray<unknown> }).experiment_permissions,
        [
          { experiment_id: exp1, permission: "EDIT", user_id: aliceId },
          { experiment_id: exp2, permission: "MANAGE", user_id: aliceId }
        ]
      )
      const othersView = yield* request(server.url, "/api/2.0/mlflow/users/get?username=admin", { headers: alice })
      assert.strictEqual(othersView.status, 403)
    })
  )

  it.effect("registered model permissions: create, get, update, delete", () =>
    Effect.gen(function* () {
      const server = yield* Server
      const alice = server.credentials.get("alice:alice-pass-123")!
      const route = (name: string) => `/api/2.0/mlflow/registered-models/permissions/${name}`
      const carolId = (yield* (yield* Principals).findByUsername("carol")).principalId
      const created = yield* request(server.url, route("create"), {
        json: { name: "alice-model", username: "carol", permission: "NO_PERMISSIONS" },
        headers: alice
      })
      assert.deepStrictEqual(created.body, {
        registered_model_permission: { name: "alice-model", permission: "NO_PERMISSIONS", user_id: carolId }
      })
      const updated = yield* request(server.url, route("update"), {
        method: "PATCH",
        json: { name: "alice-model", username: "carol", permission: "MANAGE" },
        headers: alice
      })
      assert.strictEqual(updated.status, 200)
      const read = yield* request(server.url, `${route("get")}?name=alice-model&username=carol`, { headers: alice })
      assert.deepStrictEqual(read.body, {
        registered_model_permission: { name: "alice-model", permission: "MANAGE", user_id: carolId }
      })
      const invalid = yield* request(server.url, route("update"), {
        method: "PATCH",
        json: { name: "alice-model", username: "carol", permission: "OWNER" },
        headers: alice
      })
      assert.strictEqual(invalid.body.error_code, "INVALID_PARAMETER_VALUE")
      const deleted = yield* request(server.url, route("delete"), {
        method: "DELETE",
        json: { name: "alice-model", username: "carol" },
        headers: alice
      })
      assert.deepStrictEqual([deleted.status, deleted.body], [200, {}])
      const admin = server.credentials.get("admin:password1234")!
      const notAdmin = yield* request(server.url, "/api/2.0/mlflow/users/update-admin", {
        method: "PATCH",
        json: { username: "carol", is_admin: "maybe" },
        headers: admin
      })
      assert.strictEqual(notAdmin.body.error_code, "INVALID_PARAMETER_VALUE")
    })
  )
})
