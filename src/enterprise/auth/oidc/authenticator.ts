import { createHash } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import { CurrentTenant } from "../../../core/context.js"
import type { Tenants } from "../../tenancy/Tenants.js"
import { type AuthenticatorShape, Caller, readAuthorization } from "../Authenticator.js"
import { Unauthenticated } from "../identity.js"
import { Principals } from "../principals/Principals.js"
import { provisionIdentity } from "../provisioning.js"
import type { OidcVerifier } from "./verifier.js"

/** How long a verified token's caller is reused (never past the token's own expiry). */
const cacheMillis = 60_000
const cacheEntries = 10_000

const rejected = (reason: string) => new Unauthenticated({ message: "invalid bearer token", reason })

/**
 * OIDC access tokens as `Authorization: Bearer <JWT>`: verified by the
 * `OidcVerifier` (issuer, audience, signature, expiry), then the identity is
 * provisioned in its tenant like a browser sign-in, so a pipeline holding a
 * client-credentials token acts as its own principal with its groups. API
 * keys (`mlk_…`) are left to the API-key authenticator.
 *
 * A token's caller is remembered for a minute (by a hash of the token, never
 * past its expiry), so a job's stream of requests costs one verification and
 * one provisioning write, not one per request.
 */
export const makeOidcBearerAuthenticator = (
  verifier: OidcVerifier,
  defaultTenant: string
): Effect.Effect<AuthenticatorShape, never, Principals | Tenants> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<Principals | Tenants>()
    const principals = yield* Principals
    const cache = new Map<string, { readonly caller: Caller; readonly until: number }>()

    const callerOf = (token: string) =>
      Effect.gen(function* () {
        const identity = yield* verifier.verify(token)
        const { principal, tenant } = yield* provisionIdentity(identity, defaultTenant).pipe(
          Effect.catchTag("TenantNotFound", () => rejected("the token's tenant does not exist")),
          Effect.provide(context)
        )
        if (principal.disabled) return yield* rejected("principal disabled")
        const groups = yield* principals
          .groupsOf(principal.principalId)
          .pipe(Effect.provideService(CurrentTenant, tenant.tenantId))
        const caller = new Caller({
          principalId: principal.principalId,
          tenantId: tenant.tenantId,
          username: principal.username,
          kind: principal.kind,
          groups,
          via: "oidc"
        })
        return { caller, expiresAt: identity.expiresAt }
      })

    return {
      authenticate: Effect.fn("OidcBearerAuthenticator.authenticate")(function* (headers) {
        const credential = yield* readAuthorization(headers)
        if (Option.isNone(credential) || credential.value.scheme !== "bearer") return Option.none()
        const token = credential.value.token
        if (token.startsWith("mlk_")) return Option.none()
        const id = createHash("sha256").update(token).digest("base64")
        const now = yield* Clock.currentTimeMillis
        const hit = cache.get(id)
        if (hit !== undefined && hit.until > now) return Option.some(hit.caller)
        const { caller, expiresAt } = yield* callerOf(token)
        if (cache.size >= cacheEntries) cache.delete(cache.keys().next().value as string)
        cache.set(id, { caller, until: Math.min(now + cacheMillis, expiresAt ?? now + cacheMillis) })
        return Option.some(caller)
      })
    }
  })
