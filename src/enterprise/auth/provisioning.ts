import { Effect } from "effect"
import { CurrentTenant } from "../../core/context.js"
import { Tenants } from "../tenancy/Tenants.js"
import type { ExternalIdentity } from "./identity.js"
import { Principals } from "./principals/Principals.js"

/**
 * The principal of a single-sign-on identity in its tenant, created on first
 * sight and refreshed afterwards (`Principals.provision`). The tenant is the
 * one the identity names (its configured claim or attribute), else
 * `defaultTenant`; it must exist — signing in never creates tenants.
 * Whoever calls this decides what a disabled principal means.
 *
 * @example
 * ```ts
 * const { principal, tenant } = yield* provisionIdentity(identity, "default")
 * ```
 */
export const provisionIdentity = Effect.fn("Sso.provision")(function* (
  identity: ExternalIdentity,
  defaultTenant: string
) {
  const tenant = yield* (yield* Tenants).get(identity.tenant ?? defaultTenant)
  const principal = yield* (yield* Principals)
    .provision(identity)
    .pipe(Effect.provideService(CurrentTenant, tenant.tenantId))
  return { principal, tenant }
})
