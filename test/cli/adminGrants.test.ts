import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { makeEnterpriseLayer } from "../../layers/Enterprise.js"
import { CurrentTenant, TenantId } from "../../src/core/context.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { databaseUrl, freshDatabase } from "../support/postgres.js"
import { tempDir } from "../support/sqlite.js"
import { cli, cliOk } from "./harness.js"

/*
 * `effect-mlops admin grants grant|revoke|list`: in-process on the
 * enterprise store from the environment, with no caller, so an operator can
 * make a tenant's first admin.
 */

interface GrantJson {
  readonly granteeKind: string
  readonly granteeName: string
  readonly resourceKind: string
  readonly resourceId: string
  readonly role: string
}

const deployment = Effect.gen(function* () {
  const database = yield* freshDatabase
  const env = {
    MLOPS_DATABASE_URL: databaseUrl(database, "app"),
    MLOPS_DATABASE_ADMIN_URL: databaseUrl(database, "admin"),
    MLOPS_API_KEY_PEPPER: "admin-cli-test-pepper-with-32-or-more-chars",
    MLOPS_AUDIT_KEY: "admin-cli-test-audit-key-with-32-or-more-chars",
    MLOPS_DATA_DIR: yield* tempDir("admin-grants")
  }
  const inEnv = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
  /** The store as a server over the same environment would open it, for what the CLI cannot show. */
  const store = makeEnterpriseLayer({
    database: { url: Redacted.make(env.MLOPS_DATABASE_URL), adminUrl: Redacted.make(env.MLOPS_DATABASE_ADMIN_URL) },
    dataPath: env.MLOPS_DATA_DIR,
    apiKeyPepper: Redacted.make(env.MLOPS_API_KEY_PEPPER),
    auditKey: Redacted.make(env.MLOPS_AUDIT_KEY)
  })
  return {
    admin: (...args: ReadonlyArray<string>) => inEnv(cliOk("admin", ...args)),
    adminExit: (...args: ReadonlyArray<string>) => inEnv(cli("admin", ...args)),
    withStore: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, Layer.fresh(store))
  }
})

const grantsOf = (stdout: string) => JSON.parse(stdout) as ReadonlyArray<GrantJson>

describe("effect-mlops admin grants", () => {
  it.scoped(
    "an operator makes a tenant's first admin, lists the grant by user and by tenant, and revokes it",
    () =>
      Effect.gen(function* () {
        const { admin } = yield* deployment
        yield* admin("tenants", "create", "acme")
        yield* admin("users", "create", "alice", "--tenant", "acme")

        const granted = yield* admin("grants", "grant", "--tenant", "acme", "--user", "alice", "--role", "admin")
        assert.include(granted.stdout, 'granted admin on tenant to user "alice"')

        const ofAlice = grantsOf(
          (yield* admin("grants", "list", "--tenant", "acme", "--user", "alice", "--json")).stdout
        )
        assert.deepStrictEqual(
          ofAlice.map((g) => [g.granteeKind, g.granteeName, g.resourceKind, g.role]),
          [["principal", "alice", "tenant", "admin"]]
        )
        const onTenant = yield* admin("grants", "list", "--tenant", "acme")
        assert.match(onTenant.stdout, /alice\s+tenant\s+admin/)

        const revoked = yield* admin("grants", "revoke", "--tenant", "acme", "--user", "alice")
        assert.include(revoked.stdout, 'revoked admin on tenant from user "alice"')
        const after = grantsOf((yield* admin("grants", "list", "--tenant", "acme", "--json")).stdout)
        assert.deepStrictEqual(after, [])
      }),
    { timeout: 120_000 }
  )

  it.scoped(
    "a group's role on an experiment is granted, changed, listed on the experiment and revoked",
    () =>
      Effect.gen(function* () {
        const { admin, withStore } = yield* deployment
        yield* admin("tenants", "create", "acme")
        yield* admin("groups", "create", "ml-platform", "--tenant", "acme")
        const experiment = yield* withStore(
          Effect.flatMap(ExperimentTracker, (tracker) => tracker.getExperimentByName("Default")).pipe(
            Effect.provideService(CurrentTenant, TenantId.make("acme"))
          )
        )
        const on = ["--tenant", "acme", "--resource-kind", "experiment", "--resource-id", experiment.experimentId]
        yield* admin("grants", "grant", ...on, "--group", "ml-platform", "--role", "editor")
        const changed = yield* admin("grants", "grant", ...on, "--group", "ml-platform", "--role", "viewer")
        assert.include(changed.stdout, "(was editor)")
        const listed = grantsOf((yield* admin("grants", "list", ...on, "--json")).stdout)
        assert.deepStrictEqual(
          listed.map((g) => [g.granteeKind, g.granteeName, g.resourceId, g.role]),
          [["group", "ml-platform", experiment.experimentId, "viewer"]]
        )
        yield* admin("grants", "revoke", ...on, "--group", "ml-platform")
        assert.deepStrictEqual(grantsOf((yield* admin("grants", "list", ...on, "--json")).stdout), [])
      }),
    { timeout: 120_000 }
  )

  it.scoped(
    "mistakes exit non-zero with a message: two grantees, a missing resource id, an unknown user, nothing to revoke",
    () =>
      Effect.gen(function* () {
        const { admin, adminExit } = yield* deployment
        yield* admin("users", "create", "bob")
        const both = yield* adminExit("grants", "grant", "--user", "bob", "--group", "g", "--role", "viewer")
        assert.strictEqual(both.code, 2)
        assert.include(both.stderr, "exactly one grantee")
        const noId = yield* adminExit(
          "grants",
          "grant",
          "--user",
          "bob",
          "--resource-kind",
          "experiment",
          "--role",
          "viewer"
        )
        assert.strictEqual(noId.code, 2)
        assert.include(noId.stderr, "--resource-id")
        const unknown = yield* adminExit("grants", "grant", "--user", "nobody", "--role", "viewer")
        assert.strictEqual(unknown.code, 1)
        assert.include(unknown.stderr, '"nobody" does not exist')
        const nothing = yield* adminExit("grants", "revoke", "--user", "bob")
        assert.strictEqual(nothing.code, 1)
        assert.include(nothing.stderr, "has no grant on tenant")
        const adminOnModel = yield* adminExit(
          "grants",
          "grant",
          "--user",
          "bob",
          "--resource-kind",
          "registered_model",
          "--resource-id",
          "churn",
          "--role",
          "admin"
        )
        assert.strictEqual(adminOnModel.code, 1)
        assert.include(adminOnModel.stderr, "admin is granted on the tenant only")
      }),
    { timeout: 120_000 }
  )
})
