import { freshEnterprise, noRateLimits } from "../../../support/enterprise.js"
import { freePort } from "../../../support/freePort.js"
import { Context, Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import { makeEnterpriseServerLayer } from "../../../../layers/Enterprise.js"
import { CurrentTenant, TenantId } from "../../../../src/core/context.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { Resource } from "../../../../src/enterprise/auth/rbac/model.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { receiver } from "../../../operations/webhooks/support.js"

/*
 * The enterprise server as it ships (`makeEnterpriseServerLayer` over
 * `makeEnterpriseLayer`: authentication, RBAC, audit trail, sign-in and
 * permission routes) on a fresh PostgreSQL database, with two tenants:
 * acme (alice) and globex (bob), each its tenant's admin, so that what
 * keeps alice out of globex's data is tenant isolation, not a missing role;
 * and a third, `default` (dave), the tenant a request without one falls to.
 * Rate limits are off: these suites send a few thousand requests. Webhooks
 * may target loopback addresses, so that the tenants' subscriptions point
 * at a receiver of the suite's, which answers every delivery with 200.
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
    /** The webhook receiver's base URL: subscriptions append a path of their own. */
    readonly hooks: string
    /** Admins of acme (alice), globex (bob) and the tenant `default` (dave), where sign-ins without a tenant land. */
    readonly keys: { readonly alice: string; readonly bob: string; readonly dave: string }
  }
>() {}

export const EnterpriseServerLive = Layer.unwrapScoped(
  Effect.gen(function* () {
    const { layer: services } = yield* freshEnterprise("security-routes", {
      rateLimits: noRateLimits,
      webhooks: { allowPrivateNetworks: true }
    })
    const hooks = yield* receiver()
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
          hooks: hooks.url,
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
