import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { makeBasicLayer } from "../../../layers/Basic.js"
import { makeEnterpriseLayer } from "../../../layers/Enterprise.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { HealthRoutes } from "../../../src/http/server/health.js"
import { latestSchemaVersion } from "../../../src/storage/migrations.js"
import { testSecrets } from "../../support/enterprise.js"
import { jsonRequest } from "../../support/jsonHttp.js"
import { databaseUrl, freshDatabase } from "../../support/postgres.js"
import { serveRoutes, startServer } from "../../support/server.js"
import { tempDir } from "../../support/sqlite.js"
import { cableTo } from "./cable.js"

// Live clock: the server runs in the test's runtime, and its checks' latencies and timeouts are real time.

interface Report {
  readonly status: string
  readonly checks: Record<string, { readonly status: string; readonly latencyMs: number; readonly detail?: string }>
}

const readyz = (url: string) =>
  Effect.map(jsonRequest(url, "/readyz"), (reply) => ({
    status: reply.status,
    report: reply.body as unknown as Report
  }))

/** The status of every check, by name. */
const statuses = (report: Report) =>
  Object.fromEntries(Object.entries(report.checks).map(([name, check]) => [name, check.status]))

/** A server over BasicLayer in a fresh directory: its URL and artifact directory. */
const basicServer = Effect.gen(function* () {
  const dataPath = path.join(yield* tempDir("effect-mlops-readyz"), "data")
  const url = yield* startServer(makeBasicLayer({ dataPath }), { ui: false })
  return { url, artifacts: path.join(dataPath, "artifacts") }
})

describe("/readyz over SQLite", () => {
  it.scopedLive("answers 200 with each check's status and latency as JSON", () =>
    Effect.gen(function* () {
      const { url } = yield* basicServer
      const { report, status } = yield* readyz(url)
      assert.strictEqual(status, 200)
      assert.strictEqual(report.status, "ok")
      assert.deepStrictEqual(statuses(report), { artifacts: "ok", database: "ok", migrations: "ok" })
      for (const check of Object.values(report.checks)) assert.isAtLeast(check.latencyMs, 0)
      assert.strictEqual(
        report.checks.migrations?.detail,
        `schema version ${latestSchemaVersion} of ${latestSchemaVersion}`
      )
    })
  )

  it.scopedLive(
    "answers 503 naming the artifacts check while the artifact directory cannot be written, 200 after",
    () =>
      Effect.gen(function* () {
        const { artifacts, url } = yield* basicServer
        // A file where the directory was: unlike chmod, this stops root too.
        fs.renameSync(artifacts, `${artifacts}.away`)
        fs.writeFileSync(artifacts, "")
        const broken = yield* readyz(url)
        fs.rmSync(artifacts)
        fs.renameSync(`${artifacts}.away`, artifacts)
        assert.strictEqual(broken.status, 503)
        assert.strictEqual(broken.report.status, "unavailable")
        assert.deepStrictEqual(statuses(broken.report), { artifacts: "failed", database: "ok", migrations: "ok" })
        assert.strictEqual(broken.report.checks.artifacts?.detail, "the artifact store is not writable")
        assert.strictEqual((yield* readyz(url)).status, 200)
      })
  )

  it.scopedLive("keeps /healthz alive whatever the checks say", () =>
    Effect.gen(function* () {
      const { artifacts, url } = yield* basicServer
      fs.renameSync(artifacts, `${artifacts}.away`)
      fs.writeFileSync(artifacts, "")
      const alive = yield* jsonRequest(url, "/healthz")
      assert.strictEqual(alive.status, 200)
    })
  )
})

describe("/readyz over PostgreSQL", () => {
  /**
   * EnterpriseLayer over a fresh database of the shared test server, the
   * application's connections going through a cable the test can unplug
   * (the server itself keeps running for the other suites).
   */
  const enterpriseServer = Effect.gen(function* () {
    const database = yield* freshDatabase
    const app = new URL(databaseUrl(database, "app"))
    const cable = yield* cableTo(Number(app.port))
    app.port = String(cable.port)
    const layer = makeEnterpriseLayer({
      database: { url: Redacted.make(app.toString()), adminUrl: Redacted.make(databaseUrl(database, "admin")) },
      dataPath: yield* tempDir("effect-mlops-readyz-pg"),
      ...testSecrets
    })
    return { cable, url: yield* startServer(layer, { ui: false }) }
  })

  it.scopedLive("turns 503 with the database failing when the database goes away, and 200 when it returns", () =>
    Effect.gen(function* () {
      const { cable, url } = yield* enterpriseServer
      assert.strictEqual((yield* readyz(url)).status, 200)
      yield* cable.unplug
      const down = yield* readyz(url)
      assert.strictEqual(down.status, 503)
      assert.deepInclude(statuses(down.report), { database: "failed", artifacts: "ok" })
      assert.strictEqual(down.report.checks.database?.detail, "the database does not answer")
      yield* cable.plug
      const back = yield* readyz(url)
      assert.strictEqual(back.status, 200)
      assert.strictEqual(back.report.status, "ok")
    })
  )

  it.scopedLive("answers 503 at the checks' timeout when the database hangs", () =>
    Effect.gen(function* () {
      const { cable, url } = yield* enterpriseServer
      yield* cable.hang
      const hung = yield* readyz(url)
      assert.strictEqual(hung.status, 503)
      assert.strictEqual(hung.report.checks.database?.detail, "no answer within 2s")
      assert.strictEqual(hung.report.checks.artifacts?.status, "ok")
    })
  )
})

describe("/readyz without a HealthCheck", () => {
  it.scopedLive("is ready when the tracker reads the Default experiment", () =>
    Effect.gen(function* () {
      const url = yield* serveRoutes(HealthRoutes, ExperimentTracker.layerMemory)
      const { report, status } = yield* readyz(url)
      assert.strictEqual(status, 200)
      assert.deepStrictEqual(statuses(report), { store: "ok" })
    })
  )
})
