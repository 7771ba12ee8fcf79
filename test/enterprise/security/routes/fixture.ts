import { createServer } from "node:net"
import { Context, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { makeEnterpriseLayer, makeEnterpriseServerLayer } from "../../../../layers/Enterprise.js"
import { CurrentTenant, TenantId } from "../../../../src/core/context.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { Resource } from "../../../../src/enterprise/auth/rbac/model.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { databaseUrl, freshDatabase } from "../../../support/postgres.js"
import { tempDir } from "../../../support/sqlite.js"

/*
 * The enterprise server as it ships (`makeEnterpriseServerLayer` over
 * `makeEnterpriseLayer`: authentication, RBAC, audit trail, sign-in and
 * permission routes) on a fresh PostgreSQL database, with two tenants:
 * acme (alice) and globex (bob), each its tenant's admin, so that what
 * keeps alice out of globex's data is tenant isolation, not a missing role;
 * and a third, `default` (dave), the tenant a request without one falls to.
 * Rate limits are off: these suites send a few thousand requests.
 */

export const acme = TenantId.make("acme")
export const globex = TenantId.make("globex")
/** Every database has it: the tenant of requests that name none (`CurrentTenant`'s default) and of sign-ins without one. */
export const defaultTenant = TenantId.make("default")

/** The running server and an API key per user. */
export class EnterpriseServer extends Context.Tag("test/security/EnterpriseServer")<
  EnterpriseServer,
  {
    readonly url: string
    /** Admins of acme (alice), globex (bob) and the tenant `default` (dave), where sign-ins without a tenant land. */
    readonly keys: { readonly alice: string; readonly bob: string; readonly dave: string }
  }
>() {}

/** A free loopback port (the server layer takes a port, not a listener). */
const freePort = Effect.async<number>((resume) => {
  const probe = createServer()
  probe.listen(0, "127.0.0.1", () => {
    const address = probe.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    probe.close(() => resume(Effect.succeed(port)))
  })
})

export const EnterpriseServerLive = Layer.unwrapScoped(
  Effect.gen(function* () {
    const database = yield* freshDatabase
    const dataPath = yield* tempDir("security-routes")
    const services = makeEnterpriseLayer({
      database: {
        url: Redacted.make(databaseUrl(database, "app")),
        adminUrl: Redacted.make(databaseUrl(database, "admin"))
      },
      dataPath,
      apiKeyPepper: Redacted.make("a-test-pepper-of-at-least-32-characters"),
      auditKey: Redacted.make("an-audit-key-of-at-least-32-characters!"),
      rateLimits: {
        enabled: false,
        principal: { ratePerSecond: 1, burst: 1 },
        tenant: { ratePerSecond: 1, burst: 1 }
      }
    })
    const port = yield* freePort
    const server = makeEnterpriseServerLayer({ port, host: "127.0.0.1", ui: false })
    const fixture = Layer.effect(
      EnterpriseServer,
      Effect.gen(function* () {
        const tenants = yield* Tenants
        const principals = yield* Principals
        const apiKeys = yield* ApiKeys
        const grants = yield* Grants
        const adminWithKey = (tenant: TenantId, username: string) =>
          Effect.gen(function* () {
            const principal = yield* principals.create({ username, kind: "user" })
            yield* grants.grant({
              grantee: { kind: "principal", principalId: principal.principalId },
              resource: Resource.tenant,
              role: "admin"
            })
            const { key } = yield* apiKeys.create({ principalId: principal.principalId, name: "security-tests" })
            return Redacted.value(key)
          }).pipe(Effect.provideService(CurrentTenant, tenant))
        yield* tenants.create({ tenantId: acme, displayName: "Acme" })
        yield* tenants.create({ tenantId: globex, displayName: "Globex" })
        return {
          url: `http://127.0.0.1:${port}`,
          keys: {
            alice: yield* adminWithKey(acme, "alice"),
            bob: yield* adminWithKey(globex, "bob"),
            dave: yield* adminWithKey(defaultTenant, "dave")
          }
        }
      }).pipe(Effect.orDie)
    )
    return Layer.merge(fixture, server).pipe(
      Layer.provide(services),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
    )
  })
)
