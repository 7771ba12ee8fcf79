import { createHash } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import { CurrentTenant } from "../../../core/context.js"
import { type AuthenticatorShape, Caller, readAuthorization } from "../Authenticator.js"
import { Unauthenticated } from "../identity.js"
import { Principals } from "../principals/Principals.js"
import { ApiKeys } from "./ApiKeys.js"
import { parseKey } from "./secret.js"

/** How long a verified key is trusted without asking the database again. */
const cacheMillis = 10_000
const cacheEntries = 10_000

/**
 * API keys as `Authorization: Bearer mlk_…`, or as the password of HTTP
 * Basic with the principal's user name (what MLflow clients send from
 * `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`). A bearer token
 * that is not an API key is left to the other authenticators.
 *
 * A verified key is remembered for 10 seconds (by a hash of the key), so a
 * training job's stream of requests costs one lookup, not one per request.
 * Revoking a key, disabling its principal or changing its groups through
 * this process takes effect at once here (the services' `revision`), and
 * within those 10 seconds on other replicas.
 */
export const makeApiKeyAuthenticator: Effect.Effect<AuthenticatorShape, never, ApiKeys | Principals> = Effect.gen(
  function* () {
    const keys = yield* ApiKeys
    const principals = yield* Principals
    const cache = new Map<string, { readonly caller: Caller; readonly until: number; readonly revision: number }>()
    const revision = Effect.zipWith(keys.revision, principals.revision, (a, b) => a + b)

    const callerOf = (key: string) =>
      Effect.gen(function* () {
        const verified = yield* keys.verify(key)
        const inTenant = <A, E>(effect: Effect.Effect<A, E>) =>
          Effect.provideService(effect, CurrentTenant, verified.tenantId)
        const principal = yield* principals.get(verified.principalId).pipe(
          inTenant,
          Effect.mapError(() => new Unauthenticated({ message: "invalid API key", reason: "principal gone" }))
        )
        if (principal.disabled) {
          return yield* new Unauthenticated({ message: "invalid API key", reason: "principal disabled" })
        }
        return new Caller({
          principalId: principal.principalId,
          tenantId: principal.tenantId,
          username: principal.username,
          kind: principal.kind,
          groups: yield* principals.groupsOf(principal.principalId).pipe(inTenant),
          via: "api-key"
        })
      })

    const cached = (key: string) =>
      Effect.gen(function* () {
        const id = createHash("sha256").update(key).digest("base64")
        const now = yield* Clock.currentTimeMillis
        const current = yield* revision
        const hit = cache.get(id)
        if (hit !== undefined && hit.until > now && hit.revision === current) return hit.caller
        const caller = yield* callerOf(key)
        if (cache.size >= cacheEntries) cache.delete(cache.keys().next().value as string)
        cache.set(id, { caller, until: now + cacheMillis, revision: current })
        return caller
      })

    return {
      authenticate: Effect.fn("ApiKeyAuthenticator.authenticate")(function* (headers) {
        const credential = yield* readAuthorization(headers)
        if (Option.isNone(credential)) return Option.none()
        const value = credential.value
        if (value.scheme === "bearer") {
          return parseKey(value.token) === undefined ? Option.none() : Option.some(yield* cached(value.token))
        }
        const caller = yield* cached(value.password)
        if (caller.username !== value.username) {
          return yield* new Unauthenticated({ message: "invalid API key", reason: "key of another user" })
        }
        return Option.some(caller)
      })
    }
  }
)
