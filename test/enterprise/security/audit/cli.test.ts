import * as path from "node:path"
import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { vi } from "vitest"
import { makeEnterpriseLayer } from "../../../../layers/Enterprise.js"
import { auditCommand } from "../../../../src/cli/commands/audit.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { databaseUrl, freshDatabase } from "../../../support/postgres.js"
import { tempDir } from "../../../support/sqlite.js"
import { appendMany, auditKeyText, checkpointsIn, pgQuery, postgresStore } from "./fixtures.js"

const pepper = "a-test-pepper-of-at-least-32-characters"

/** Runs `effect-mlops audit <args>` in-process with `env` as the environment; answers its exit and its stdout. */
const runAudit = (env: Record<string, string>, args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const printed: Array<string> = []
    const spy = vi.spyOn(console, "log").mockImplementation((...parts: Array<unknown>) => {
      printed.push(parts.map(String).join(" "))
    })
    const exit = yield* Command.run(auditCommand, { name: "effect-mlops", version: "test" })([
      "node",
      "effect-mlops",
      ...args
    ]).pipe(
      Effect.provide(NodeContext.layer),
      Effect.withConfigProvider(ConfigProvider.fromJson(env)),
      Effect.exit,
      Effect.ensuring(Effect.sync(() => spy.mockRestore()))
    )
    return { exit, stdout: printed.join("\n") }
  })

describe("effect-mlops audit", () => {
  it.live(
    "verify exits 0 on a clean trail and fails after tampering; list prints the newest entries",
    () =>
      Effect.gen(function* () {
        const database = yield* freshDatabase
        const dataPath = yield* tempDir("audit-cli")
        const env = {
          MLOPS_DATABASE_URL: databaseUrl(database, "app"),
          MLOPS_DATABASE_ADMIN_URL: databaseUrl(database, "admin"),
          MLOPS_DATA_DIR: dataPath,
          MLOPS_API_KEY_PEPPER: pepper,
          MLOPS_AUDIT_KEY: auditKeyText
        }
        // What a server with this environment would have written: a tenant and three entries.
        const server = Layer.merge(
          makeEnterpriseLayer({
            database: {
              url: Redacted.make(env.MLOPS_DATABASE_URL),
              adminUrl: Redacted.make(env.MLOPS_DATABASE_ADMIN_URL)
            },
            dataPath,
            apiKeyPepper: Redacted.make(pepper),
            auditKey: Redacted.make("an-audit-key-of-at-least-32-characters!")
          }),
          AuditTrail.layer(Redacted.make(auditKeyText)).pipe(
            Layer.provide(checkpointsIn(path.join(dataPath, "artifacts"))),
            Layer.provide(postgresStore(database))
          )
        )
        yield* Effect.gen(function* () {
          yield* (yield* Tenants).create({ tenantId: "acme" })
          yield* appendMany("acme", 3, { action: "mlflow.runs.create", requestId: "req-cli" })
        }).pipe(Effect.provide(server))

        const clean = yield* runAudit(env, ["verify", "--tenant", "acme"])
        assert.isTrue(Exit.isSuccess(clean.exit), String(clean.exit))
        assert.include(clean.stdout, "acme: 3 entries, head 3, checkpoint 3: ok")
        const everyTenant = yield* runAudit(env, ["verify", "--json"])
        assert.isTrue(Exit.isSuccess(everyTenant.exit))
        const reports = JSON.parse(everyTenant.stdout) as ReadonlyArray<{ tenantId: string; ok: boolean }>
        assert.deepStrictEqual(
          reports.map((r) => [r.tenantId, r.ok]),
          [
            ["acme", true],
            ["default", true]
          ]
        )

        const listed = yield* runAudit(env, ["list", "--tenant", "acme", "--limit", "2"])
        assert.isTrue(Exit.isSuccess(listed.exit))
        const lines = listed.stdout.split("\n")
        assert.match(lines[0] ?? "", /^SEQ\s+TIME\s+PRINCIPAL\s+ACTION/)
        assert.strictEqual(lines.length, 3)
        assert.match(lines[1] ?? "", /^3\s.*alice\s+mlflow\.runs\.create\s+experiment 3\s+200\s+req-cli$/)
        const asJson = yield* runAudit(env, ["list", "--tenant", "acme", "--json"])
        assert.deepStrictEqual(
          (JSON.parse(asJson.stdout) as ReadonlyArray<{ seq: number }>).map((e) => e.seq),
          [3, 2, 1]
        )

        yield* pgQuery(database, "admin", "UPDATE audit_log SET principal = 'nobody' WHERE seq = 2")
        const tampered = yield* runAudit(env, ["verify"])
        assert.isTrue(Exit.isFailure(tampered.exit))
        const error = Exit.isFailure(tampered.exit) ? tampered.exit.cause : undefined
        assert.include(String(error), "AuditChainBroken")
        assert.include(String(error), "at entry 2")
        assert.include(tampered.stdout, "entry 2: hash-mismatch")
        assert.notInclude(tampered.stdout + String(error), auditKeyText)

        const unknownTenant = yield* runAudit(env, ["verify", "--tenant", "nope"])
        assert.isTrue(Exit.isFailure(unknownTenant.exit))
        const shortKey = yield* runAudit({ ...env, MLOPS_AUDIT_KEY: "too-short" }, ["verify"])
        assert.isTrue(Exit.isFailure(shortKey.exit))
        assert.include(String(shortKey.exit), "MLOPS_AUDIT_KEY must have at least 32 characters")
        assert.notInclude(String(shortKey.exit), "too-short")
      }).pipe(Effect.scoped),
    120_000
  )
})
