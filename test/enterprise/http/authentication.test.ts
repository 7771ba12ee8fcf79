import { freshEnterprise } from "../../support/enterprise.js"
import { bearer, jsonRequest } from "../../support/jsonHttp.js"
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { ApiKeys } from "../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { Principals } from "../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../src/enterprise/auth/rbac/Grants.js"
import { Resource, type Role } from "../../../src/enterprise/auth/rbac/model.js"
import { authentication } from "../../../src/enterprise/http/authentication.js"
import { Tenants } from "../../../src/enterprise/tenancy/Tenants.js"
import { makeRoutesWith } from "../../../src/http/server/Server.js"
import { serveRoutes } from "../../support/server.js"

/** The running server, its data directory, and a key per principal of two tenants. */
class Fixture extends Context.Tag("test/EnterpriseServer")<
  Fixture,
  {
    readonly url: string
    readonly dataPath: string
    readonly keys: {
      readonly alice: string
      readonly bob: string
      readonly trainer: string
      readonly revoked: string
      readonly expired: string
    }
  }
>() {}

const acme = TenantId.make("acme")
const globex = TenantId.make("globex")

const Server = Layer.unwrapScoped(
  Effect.gen(function* () {
    const { dataPath, layer: services } = yield* freshEnterprise("enterprise-server")
    return Layer.scoped(
      Fixture,
      Effect.gen(function* () {
        const tenants = yield* Tenants
        const principals = yield* Principals
        const apiKeys = yield* ApiKeys
        yield* tenants.create({ tenantId: acme, displayName: "Acme" })
        yield* tenants.create({ tenantId: globex })
        const keyFor = (tenant: TenantId, username: string, kind: "user" | "service_account", expiresAt?: number) =>
          Effect.gen(function* () {
            const principal = yield* principals
              .findByUsername(username)
              .pipe(Effect.orElse(() => principals.create({ username, kind })))
            const { key } = yield* apiKeys.create({
              principalId: principal.principalId,
              name: "test",
              ...(expiresAt === undefined ? {} : { expiresAt })
            })
            return Redacted.value(key)
          }).pipe(Effect.provideService(CurrentTenant, tenant))
        const grantTenantRole = (tenant: TenantId, username: string, role: Role) =>
          Effect.gen(function* () {
            const principal = yield* principals.findByUsername(username)
            yield* (yield* Grants).grant({
              grantee: { kind: "principal", principalId: principal.principalId },
              resource: Resource.tenant,
              role
            })
          }).pipe(Effect.provideService(CurrentTenant, tenant))
        const revoked = yield* keyFor(acme, "alice", "user")
        yield* apiKeys.revoke(revoked.slice(4, 20)).pipe(Effect.provideService(CurrentTenant, acme))
        const expiring = yield* keyFor(acme, "alice", "user", Date.now() + 300)
        yield* Effect.sleep("400 millis") // past the expiring key's end
        return {
          url: yield* serveRoutes(makeRoutesWith({ ui: false }, authentication), services),
          dataPath,
          keys: {
            alice: yield* keyFor(acme, "alice", "user"),
            bob: yield* keyFor(globex, "bob", "user"),
            trainer: yield* keyFor(acme, "trainer", "service_account").pipe(
              Effect.tap(() => grantTenantRole(acme, "trainer", "editor"))
            ),
            revoked,
            expired: expiring
          }
        }
      })
    ).pipe(Layer.provideMerge(services))
  })
)

const call = jsonRequest
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
})
const mlflow = "/api/2.0/mlflow"

layer(Server, { timeout: 120_000, excludeTestServices: true })("enterprise server authentication", (it) => {
  it.effect("an API request without credentials is 401 with a WWW-Authenticate challenge, in MLflow's shape", () =>
    Effect.gen(function* () {
      const { url } = yield* Fixture
      const response = yield* call(url, `${mlflow}/experiments/search`, { json: {} })
      assert.strictEqual(response.status, 401)
      assert.strictEqual(response.body.error_code, "UNAUTHENTICATED")
      assert.match(response.headers.get("www-authenticate") ?? "", /Bearer.*Basic/)
    })
  )

  it.effect("the native API answers 401 with a tagged error", () =>
    Effect.gen(function* () {
      const { url } = yield* Fixture
      const response = yield* call(url, "/api/v1/experiments/0", {})
      assert.strictEqual(response.status, 401)
      assert.strictEqual(response.body._tag, "Unauthenticated")
    })
  )

  it.effect("health, version and the API description stay public", () =>
    Effect.gen(function* () {
      const { url } = yield* Fixture
      for (const route of ["/healthz", "/version", "/openapi.json"]) {
        assert.strictEqual((yield* call(url, route, {})).status, 200, route)
      }
    })
  )

  it.effect("unknown, malformed, revoked and expired keys are all 401", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const forged = `${keys.alice.slice(0, -4)}AAAA`
      for (const key of [forged, `mlk_0000000000000000_${"A".repeat(43)}`, keys.revoked, keys.expired]) {
        const response = yield* call(url, `${mlflow}/experiments/search`, { json: {}, headers: bearer(key) })
        assert.strictEqual(response.status, 401, key.slice(0, 20))
      }
      const garbage = yield* call(url, `${mlflow}/experiments/search`, {
        json: {},
        headers: { authorization: "Basic !!!" }
      })
      assert.strictEqual(garbage.status, 401)
    })
  )

  it.effect("a bearer key acts as its principal, in its tenant: runs record the user name", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const created = yield* call(url, `${mlflow}/experiments/create`, {
        json: { name: "acme-churn" },
        headers: bearer(keys.alice)
      })
      assert.strictEqual(created.status, 200)
      const run = yield* call(url, `${mlflow}/runs/create`, {
        json: { experiment_id: created.body.experiment_id, user_id: "mallory" },
        headers: bearer(keys.alice)
      })
      assert.strictEqual(run.status, 200)
      const info = (run.body.run as { info: { user_id: string } }).info
      assert.strictEqual(info.user_id, "alice")
    })
  )

  it.effect("HTTP Basic takes the user name and an API key, as MLflow clients send them", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const ok = yield* call(url, `${mlflow}/experiments/search`, { json: {}, headers: basic("alice", keys.alice) })
      assert.strictEqual(ok.status, 200)
      const wrongUser = yield* call(url, `${mlflow}/experiments/search`, {
        json: {},
        headers: basic("trainer", keys.alice)
      })
      assert.strictEqual(wrongUser.status, 401)
    })
  )

  it.effect("another tenant's key neither sees nor reaches acme's experiment", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const created = yield* call(url, `${mlflow}/experiments/create`, {
        json: { name: "acme-secret" },
        headers: bearer(keys.trainer)
      })
      const id = String(created.body.experiment_id)
      const get = yield* call(url, `${mlflow}/experiments/get?experiment_id=${id}`, { headers: bearer(keys.bob) })
      assert.strictEqual(get.status, 404)
      const search = yield* call(url, `${mlflow}/experiments/search`, {
        json: { filter: "name = 'acme-secret'" },
        headers: bearer(keys.bob)
      })
      assert.deepStrictEqual(search.body.experiments ?? [], [])
      // bob is a viewer (the default role): refused before any lookup, so the answer says nothing of acme.
      const run = yield* call(url, `${mlflow}/runs/create`, { json: { experiment_id: id }, headers: bearer(keys.bob) })
      assert.strictEqual(run.status, 403)
      const rename = yield* call(url, `${mlflow}/experiments/update`, {
        json: { experiment_id: id, new_name: "taken" },
        headers: bearer(keys.bob)
      })
      assert.strictEqual(rename.status, 403)
      const native = yield* call(url, `/api/v1/experiments/${id}`, { headers: bearer(keys.bob) })
      assert.strictEqual(native.status, 404)
    })
  )

  it.effect("each tenant has its own Default experiment", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const defaults = yield* Effect.all(
        [keys.alice, keys.bob].map((key) =>
          call(url, `${mlflow}/experiments/get-by-name?experiment_name=Default`, { headers: bearer(key) })
        )
      )
      const ids = defaults.map((d) => (d.body.experiment as { experiment_id: string }).experiment_id)
      assert.strictEqual(new Set(ids).size, 2)
    })
  )

  it.effect("MLflow's experiment \"0\" is the caller's tenant's own Default experiment", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const byName = yield* call(url, `${mlflow}/experiments/get-by-name?experiment_name=Default`, {
        headers: bearer(keys.trainer)
      })
      const acmeDefault = (byName.body.experiment as { experiment_id: string }).experiment_id
      assert.notStrictEqual(acmeDefault, "0")
      const zero = yield* call(url, `${mlflow}/experiments/get?experiment_id=0`, { headers: bearer(keys.trainer) })
      assert.strictEqual((zero.body.experiment as { experiment_id: string }).experiment_id, acmeDefault)
      const run = yield* call(url, `${mlflow}/runs/create`, {
        json: { experiment_id: "0", run_name: "fallback" },
        headers: bearer(keys.trainer)
      })
      assert.strictEqual(run.status, 200)
      const info = (run.body.run as { info: { experiment_id: string; run_id: string } }).info
      assert.strictEqual(info.experiment_id, acmeDefault)
      const found = yield* call(url, `${mlflow}/runs/search`, {
        json: { experiment_ids: ["0"], filter: "attributes.run_name = 'fallback'" },
        headers: bearer(keys.trainer)
      })
      assert.deepStrictEqual(
        (found.body.runs as ReadonlyArray<{ info: { run_id: string } }>).map((r) => r.info.run_id),
        [info.run_id]
      )
    })
  )

  it.effect("X-MLFLOW-WORKSPACE naming another tenant is 403; naming the caller's own is fine", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const other = yield* call(url, `${mlflow}/experiments/search`, {
        json: {},
        headers: { ...bearer(keys.alice), "x-mlflow-workspace": "globex" }
      })
      assert.strictEqual(other.status, 403)
      assert.strictEqual(other.body.error_code, "PERMISSION_DENIED")
      const own = yield* call(url, `${mlflow}/experiments/search`, {
        json: {},
        headers: { ...bearer(keys.alice), "x-mlflow-workspace": "acme" }
      })
      assert.strictEqual(own.status, 200)
    })
  )

  it.effect("identity headers a client sends are ignored: the key decides the tenant", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      yield* call(url, `${mlflow}/experiments/create`, { json: { name: "globex-only" }, headers: bearer(keys.bob) })
      const spoofed = yield* call(url, `${mlflow}/experiments/get-by-name?experiment_name=globex-only`, {
        headers: { ...bearer(keys.alice), "x-mlops-tenant": "globex", "x-mlops-principal": "bob" }
      })
      assert.strictEqual(spoofed.status, 404)
    })
  )

  it.effect("artifacts are stored under the tenant's prefix", () =>
    Effect.gen(function* () {
      const { url, keys, dataPath } = yield* Fixture
      const created = yield* call(url, `${mlflow}/experiments/create`, {
        json: { name: "alice-artifacts" },
        headers: bearer(keys.alice)
      })
      const id = String(created.body.experiment_id)
      const upload = yield* Effect.promise(() =>
        fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${id}/r/artifacts/note.txt`, {
          method: "PUT",
          headers: bearer(keys.alice),
          body: "hello"
        })
      )
      assert.strictEqual(upload.status, 200)
      const stored = path.join(dataPath, "artifacts", "files", "tenants", "acme", id, "r", "artifacts", "note.txt")
      assert.strictEqual(fs.readFileSync(stored, "utf8"), "hello")
      const fromGlobex = yield* Effect.promise(() =>
        fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${id}/r/artifacts/note.txt`, { headers: bearer(keys.bob) })
      )
      assert.strictEqual(fromGlobex.status, 404)
    })
  )
})
