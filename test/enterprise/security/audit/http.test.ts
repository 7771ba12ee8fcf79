import { freshEnterprise } from "../../../support/enterprise.js"
import { bearer, jsonRequest, type Reply } from "../../../support/jsonHttp.js"
import * as path from "node:path"
import { randomUUID } from "node:crypto"
import { assert, it, layer } from "@effect/vitest"
import { Context, Effect, Layer, Logger, Redacted } from "effect"
import { makeBasicLayer } from "../../../../layers/Basic.js"
import { CurrentTenant, TenantId } from "../../../../src/core/context.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { Resource } from "../../../../src/enterprise/auth/rbac/model.js"
import { authentication } from "../../../../src/enterprise/http/authentication.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import { auditingAfter, auditRequests } from "../../../../src/enterprise/security/audit/http.js"
import type { AuditEntry } from "../../../../src/enterprise/security/audit/model.js"
import { AuditRoutes } from "../../../../src/enterprise/security/audit/routes.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { WebhookRoutes } from "../../../../src/operations/webhooks/routes.js"
import { trustedIdentityHeaders } from "../../../../src/http/server/identity.js"
import { makeRoutesWith } from "../../../../src/http/server/Server.js"
import { serveRoutes } from "../../../support/server.js"
import { tempDir } from "../../../support/sqlite.js"
import { as, auditKey, auditKeyText } from "./fixtures.js"

const acme = TenantId.make("acme")
const globex = TenantId.make("globex")
class Fixture extends Context.Tag("test/audit/Server")<
  Fixture,
  { readonly url: string; readonly keys: { readonly alice: string; readonly bob: string } }
>() {}

/**
 * The enterprise server with the audit middleware inside authentication,
 * the audit routes and the webhook routes; alice and bob administer their
 * tenants (both route families are for admins).
 */
const Server = Layer.unwrapScoped(
  Effect.gen(function* () {
    const { layer: enterprise } = yield* freshEnterprise("audit-server", { auditKey })
    return Layer.scoped(
      Fixture,
      Effect.gen(function* () {
        const tenants = yield* Tenants
        yield* tenants.create({ tenantId: acme })
        yield* tenants.create({ tenantId: globex })
        const keyFor = (tenant: TenantId, username: string) =>
          Effect.gen(function* () {
            const principal = yield* (yield* Principals).create({ username, kind: "user" })
            yield* (yield* Grants).grant({
              grantee: { kind: "principal", principalId: principal.principalId },
              resource: Resource.tenant,
              role: "admin"
            })
            const { key } = yield* (yield* ApiKeys).create({ principalId: principal.principalId, name: "test" })
            return Redacted.value(key)
          }).pipe(Effect.provideService(CurrentTenant, tenant))
        const routes = makeRoutesWith(
          { ui: false },
          Layer.mergeAll(auditingAfter(authentication), AuditRoutes, WebhookRoutes)
        )
        return {
          url: yield* serveRoutes(routes, enterprise),
          keys: { alice: yield* keyFor(acme, "alice"), bob: yield* keyFor(globex, "bob") }
        }
      })
    ).pipe(Layer.provideMerge(enterprise))
  })
)

const call = jsonRequest
const mlflow = "/api/2.0/mlflow"

/** The entries of `tenant` appended after `seq`, oldest first. */
const entriesAfter = (tenant: TenantId, seq: number) =>
  Effect.flatMap(AuditTrail, (trail) => trail.query({ limit: 1000 })).pipe(
    Effect.map((page) => page.entries.filter((e) => e.seq > seq).reverse()),
    as(tenant)
  )

const headSeq = (tenant: TenantId) =>
  Effect.flatMap(AuditTrail, (trail) => trail.query({ limit: 1 })).pipe(
    Effect.map((page) => page.entries[0]?.seq ?? 0),
    as(tenant)
  )

/** Runs `action` and answers the entries it appended to `tenant`. */
const appended = <A, E, R>(tenant: TenantId, action: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const before = yield* headSeq(tenant)
    const result = yield* action
    return { result, entries: yield* entriesAfter(tenant, before) }
  })

const detailOf = (entry: AuditEntry | undefined) => JSON.parse(entry?.detail ?? "{}") as Record<string, unknown>

layer(Server, { timeout: 120_000, excludeTestServices: true })("audited enterprise server", (it) => {
  it.effect("a write is recorded once: caller, tenant, action, resource, the client's request id, the outcome", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const name = `audited-${randomUUID()}`
      const { result, entries } = yield* appended(
        acme,
        call(url, `${mlflow}/experiments/create`, {
          json: { name },
          headers: { ...bearer(keys.alice), "x-request-id": "req-create-1" }
        })
      )
      assert.strictEqual(result.status, 200)
      assert.strictEqual(result.headers.get("x-request-id"), "req-create-1")
      const requests = entries.filter((e) => !e.action.startsWith("rbac."))
      assert.strictEqual(requests.length, 1)
      const [entry] = requests
      assert.strictEqual(entry?.principal, "alice")
      assert.strictEqual(entry?.tenantId, acme)
      assert.strictEqual(entry?.action, "mlflow.experiments.create")
      assert.strictEqual(entry?.resourceKind, "experiment")
      assert.strictEqual(entry?.resourceId, String(result.body.experiment_id))
      assert.strictEqual(entry?.requestId, "req-create-1")
      assert.strictEqual(entry?.outcome, "200")
      const detail = detailOf(entry)
      assert.strictEqual(detail.method, "POST")
      assert.strictEqual(detail.path, `${mlflow}/experiments/create`)
      assert.strictEqual(detail.via, "api-key")
      assert.match(String(detail.principalId), /^p-[0-9a-f]{32}$/)
      assert.notInclude(JSON.stringify(entry), keys.alice)
    })
  )

  it.effect("a creation records the creator's maintainer grant, with the request's id, before the request", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const { result, entries } = yield* appended(
        acme,
        call(url, `${mlflow}/registered-models/create`, {
          json: { name: `model-${randomUUID()}` },
          headers: { ...bearer(keys.alice), "x-request-id": "req-model-1" }
        })
      )
      assert.strictEqual(result.status, 200)
      const name = (result.body.registered_model as { name: string }).name
      assert.deepStrictEqual(
        entries.map((e) => [e.action, e.resourceKind, e.resourceId, e.requestId]),
        [
          ["rbac.grant", "registered_model", name, "req-model-1"],
          ["mlflow.registered-models.create", "registered_model", name, "req-model-1"]
        ]
      )
      const grant = entries[0]
      assert.isUndefined(grant?.beforeState)
      assert.strictEqual(grant?.principal, "alice")
      assert.include(JSON.parse(grant?.afterState ?? "{}"), {
        role: "maintainer",
        granteeKind: "principal",
        granteeName: "alice"
      })
    })
  )

  it.effect("reads are not recorded, POST-based searches included; every answer carries a request id", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const { result, entries } = yield* appended(
        acme,
        Effect.all([
          call(url, `${mlflow}/experiments/get-by-name?experiment_name=Default`, { headers: bearer(keys.alice) }),
          call(url, `${mlflow}/experiments/search`, { json: {}, headers: bearer(keys.alice) }),
          call(url, `${mlflow}/runs/search`, { json: { experiment_ids: ["0"] }, headers: bearer(keys.alice) }),
          call(url, `${mlflow}/registered-models/search`, { json: {}, headers: bearer(keys.alice) }),
          call(url, "/api/v1/experiments/search", { json: {}, headers: bearer(keys.alice) }),
          call(url, "/api/v1/audit", { headers: bearer(keys.alice) })
        ])
      )
      assert.deepStrictEqual(
        result.map((r) => r.status),
        [200, 200, 200, 200, 200, 200]
      )
      assert.strictEqual(entries.length, 0)
      for (const r of result) assert.match(r.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/)
    })
  )

  it.effect("run writes name the run, from the response or the body; a metric batch is not copied", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const experiment = yield* call(url, `${mlflow}/experiments/create`, {
        json: { name: `runs-${randomUUID()}` },
        headers: bearer(keys.alice)
      })
      const { result: run, entries } = yield* appended(
        acme,
        call(url, `${mlflow}/runs/create`, {
          json: { experiment_id: experiment.body.experiment_id },
          headers: bearer(keys.alice)
        })
      )
      const runId = String((run.body.run as { info: { run_id: string } }).info.run_id)
      assert.strictEqual(entries[0]?.action, "mlflow.runs.create")
      assert.strictEqual(entries[0]?.resourceKind, "run")
      assert.strictEqual(entries[0]?.resourceId, runId)
      // Over 64 KiB: only the start of the body is scanned for ids.
      const metrics = Array.from({ length: 1000 }, (_, step) => ({
        key: "validation/loss",
        value: 1 / (step + 1),
        step,
        timestamp: 1
      }))
      assert.isAbove(JSON.stringify({ run_id: runId, metrics }).length, 64 * 1024)
      const batch = yield* appended(
        acme,
        call(url, `${mlflow}/runs/log-batch`, { json: { run_id: runId, metrics }, headers: bearer(keys.alice) })
      )
      assert.strictEqual(batch.result.status, 200)
      assert.strictEqual(batch.entries.length, 1)
      assert.strictEqual(batch.entries[0]?.action, "mlflow.runs.log-batch")
      assert.strictEqual(batch.entries[0]?.resourceId, runId)
      assert.notInclude(JSON.stringify(batch.entries[0]), "loss")
      const param = yield* appended(
        acme,
        call(url, `${mlflow}/runs/log-parameter`, {
          json: { run_id: runId, key: "lr", value: "0.1" },
          headers: bearer(keys.alice)
        })
      )
      assert.strictEqual(param.entries[0]?.resourceId, runId)
    })
  )

  it.effect("failed writes are recorded with their status; writes refused by authentication are not", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const name = `dup-${randomUUID()}`
      yield* call(url, `${mlflow}/experiments/create`, { json: { name }, headers: bearer(keys.alice) })
      const { result, entries } = yield* appended(
        acme,
        Effect.all([
          call(url, `${mlflow}/experiments/create`, { json: { name }, headers: bearer(keys.alice) }),
          call(url, `${mlflow}/runs/update`, {
            json: { run_id: "0".repeat(32), status: "FINISHED" },
            headers: bearer(keys.alice)
          }),
          call(url, `${mlflow}/experiments/create`, { json: { name: "anonymous" } }),
          call(url, `${mlflow}/experiments/create`, { json: { name: "forged" }, headers: bearer("mlk_nope") })
        ])
      )
      assert.deepStrictEqual(
        result.map((r) => r.status),
        [400, 404, 401, 401]
      )
      assert.deepStrictEqual(
        entries.map((e) => [e.action, e.outcome, e.resourceId]),
        [
          ["mlflow.experiments.create", "400", name],
          ["mlflow.runs.update", "404", "0".repeat(32)]
        ]
      )
    })
  )

  it.effect("native API writes are named by method and path with ids normalised", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const { result: created, entries } = yield* appended(
        acme,
        call(url, "/api/v1/experiments", { json: { name: `native-${randomUUID()}` }, headers: bearer(keys.alice) })
      )
      assert.strictEqual(created.status, 201)
      const id = String(created.body.experimentId)
      assert.deepStrictEqual(
        entries.map((e) => [e.action, e.resourceKind, e.resourceId, e.outcome]),
        [
          ["rbac.grant", "experiment", id, "ok"],
          ["POST /api/v1/experiments", "experiment", id, "201"]
        ]
      )
      const renamed = yield* appended(
        acme,
        call(url, `/api/v1/experiments/${id}`, {
          method: "PATCH",
          json: { name: `renamed-${randomUUID()}` },
          headers: bearer(keys.alice)
        })
      )
      assert.deepStrictEqual(
        renamed.entries.map((e) => [e.action, e.resourceId, e.outcome]),
        [["PATCH /api/v1/experiments/:id", id, "204"]]
      )
    })
  )

  it.effect("a webhook's creation is recorded as a write on the webhook, without its signing secret", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      const secret = `whsec-${randomUUID()}`
      const { result, entries } = yield* appended(
        acme,
        call(url, "/api/v1/webhooks", {
          json: {
            name: "deploy",
            url: "https://hooks.example.com/mlops",
            events: ["model_version.created"],
            secret
          },
          headers: bearer(keys.alice)
        })
      )
      assert.strictEqual(result.status, 201, result.text)
      const webhookId = String((result.body.webhook as { webhookId: string }).webhookId)
      assert.deepStrictEqual(
        entries.map((e) => [e.principal, e.action, e.resourceKind, e.resourceId, e.outcome]),
        [["alice", "POST /api/v1/webhooks", "webhook", webhookId, "201"]]
      )
      assert.notInclude(JSON.stringify(entries), secret)
      const deleted = yield* appended(
        acme,
        call(url, `${mlflow}/webhooks/${webhookId}`, { method: "DELETE", headers: bearer(keys.alice) })
      )
      assert.deepStrictEqual(
        deleted.entries.map((e) => [e.action, e.resourceKind, e.resourceId, e.outcome]),
        [["mlflow.webhooks.delete", "webhook", webhookId, "200"]]
      )
    })
  )

  it.effect("GET /api/v1/audit answers the caller's tenant only, filtered and paged; verify answers its report", () =>
    Effect.gen(function* () {
      const { url, keys } = yield* Fixture
      yield* call(url, `${mlflow}/experiments/create`, {
        json: { name: `g-${randomUUID()}` },
        headers: bearer(keys.bob)
      })
      yield* call(url, `${mlflow}/experiments/create`, {
        json: { name: `a-${randomUUID()}` },
        headers: bearer(keys.alice)
      })
      const alice = yield* call(url, "/api/v1/audit?limit=1000", { headers: bearer(keys.alice) })
      const bob = yield* call(url, "/api/v1/audit?limit=1000", { headers: bearer(keys.bob) })
      const tenantsOf = (answer: Reply) =>
        new Set((answer.body.entries as ReadonlyArray<{ tenantId: string }>).map((e) => e.tenantId))
      assert.deepStrictEqual([...tenantsOf(alice)], [acme])
      assert.deepStrictEqual([...tenantsOf(bob)], [globex])
      const page = yield* call(url, "/api/v1/audit?action=mlflow.experiments.create&limit=1", {
        headers: bearer(keys.alice)
      })
      assert.strictEqual((page.body.entries as ReadonlyArray<unknown>).length, 1)
      const token = String(page.body.nextPageToken)
      const next = yield* call(url, `/api/v1/audit?action=mlflow.experiments.create&limit=1&pageToken=${token}`, {
        headers: bearer(keys.alice)
      })
      const seqOf = (answer: Reply) => (answer.body.entries as ReadonlyArray<{ seq: number }>)[0]?.seq ?? 0
      assert.isBelow(seqOf(next), seqOf(page))
      const bad = yield* call(url, "/api/v1/audit?limit=zero", { headers: bearer(keys.alice) })
      assert.strictEqual(bad.status, 400)
      assert.strictEqual(bad.body._tag, "InvalidArgument")
      const verify = yield* call(url, "/api/v1/audit/verify", { headers: bearer(keys.alice) })
      assert.strictEqual(verify.status, 200)
      assert.strictEqual(verify.body.ok, true)
      assert.strictEqual(verify.body.tenantId, acme)
      assert.isAbove(Number(verify.body.entries), 0)
      assert.strictEqual((yield* call(url, "/api/v1/audit", {})).status, 401)
    })
  )
})

it.live("an append that fails is logged and the stored write still answers 200", () =>
  Effect.gen(function* () {
    const lines: Array<string> = []
    const dir = yield* tempDir("audit-failing")
    const failing = Layer.succeed(AuditTrail, {
      append: () => Effect.die(new Error("database unreachable")),
      query: () => Effect.die("unused"),
      verify: () => Effect.die("unused")
    })
    const capture = Logger.add(
      Logger.map(Logger.logfmtLogger, (line) => {
        lines.push(line)
      })
    )
    const services = Layer.mergeAll(makeBasicLayer({ dataPath: path.join(dir, "data") }), failing, capture)
    const url = yield* serveRoutes(
      makeRoutesWith({ ui: false }, Layer.provideMerge(auditRequests, trustedIdentityHeaders)),
      services
    )
    const answer = yield* call(url, `${mlflow}/experiments/create`, {
      json: { name: "kept" },
      headers: { "x-request-id": "req-lost" }
    })
    assert.strictEqual(answer.status, 200)
    assert.strictEqual(answer.headers.get("x-request-id"), "req-lost")
    const logged = lines.find((line) => line.includes("audit entry not recorded"))
    assert.isDefined(logged)
    assert.include(logged ?? "", "req-lost")
    assert.include(logged ?? "", "mlflow.experiments.create")
    assert.notInclude(lines.join("\n"), auditKeyText)
  }).pipe(Effect.scoped)
)
