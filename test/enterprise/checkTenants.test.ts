import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { main, summarize } from "../../scripts/check-tenants.js"
import { databaseUrl, freshDatabase } from "../support/postgres.js"

/*
 * scripts/check-tenants.ts as the issue checks the enterprise configuration:
 * an outside script (HTTP and the CLI only) starts `effect-mlops server
 * --enterprise` on a fresh database of the suite's PostgreSQL, makes two
 * tenants with a principal of every role, probes each tenant's resources
 * with the other's credentials, each role inside its tenant, and every
 * write's audit entry. A smaller matrix than the script's default (every
 * principal with every variant) keeps it near a minute: every cross-tenant
 * probe with the bearer keys of each tenant's admin and `none` user (and the
 * operator's), with HTTP Basic as the viewer and with X-MLFLOW-WORKSPACE
 * naming the other tenant as the maintainer; the other principals still
 * make every role probe.
 */

describe("scripts/check-tenants.ts", () => {
  it.scoped(
    "finds no cross-tenant read or write, no role mistake and no missing audit entry",
    () =>
      Effect.gen(function* () {
        const database = yield* freshDatabase
        let output = ""
        const collect = (text: string) => {
          output += text
        }
        const { exitCode, report } = yield* Effect.promise(() =>
          main(
            [
              "--database-url",
              databaseUrl(database, "app"),
              "--database-admin-url",
              databaseUrl(database, "admin"),
              "--principals",
              "admin,none",
              "--basic",
              "viewer",
              "--workspace",
              "maintainer",
              "--quiet"
            ],
            { stdout: collect, stderr: collect }
          )
        )
        if (report === undefined) return assert.fail(`the check did not run (exit ${exitCode}):\n${output}`)
        assert.strictEqual(report.findings.length, 0, summarize(report))
        assert.strictEqual(exitCode, 0, output)
        const counts = report.counts
        assert.strictEqual(counts.tenants, 2)
        // Six principals in each tenant and the operator.
        assert.strictEqual(counts.principals, 13)
        assert.isAtLeast(counts.crossTenantProbes, 2000)
        assert.isAtLeast(counts.controlProbes, 100)
        assert.isAtLeast(counts.roleProbes, 250)
        assert.isAtLeast(counts.snapshotItems, 200)
        assert.isAtLeast(counts.auditEntriesMatched, 1000)
        // acme, globex and the operator's tenant, over HTTP and with `effect-mlops audit verify`.
        assert.strictEqual(counts.auditVerified, 6)
        assert.isAtLeast(counts.requests, counts.crossTenantProbes + counts.roleProbes + counts.controlProbes)
      }),
    180_000
  )
})
