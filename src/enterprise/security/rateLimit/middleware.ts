import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer, Option, Schema } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { CurrentCaller } from "../../auth/Authenticator.js"
import { type RateLimitConfig, rateLimitConfig } from "./config.js"
import { RateLimited } from "./model.js"
import { RateLimiter } from "./RateLimiter.js"

// The same split as the authentication middleware's: MLflow clients read `error_code`.
const isMlflowPath = (path: string): boolean =>
  path.startsWith("/api/2.0/") || path.startsWith("/ajax-api/2.0/") || path.startsWith("/api/3.0/")

const encodeRateLimited = Schema.encodeSync(RateLimited)

/** The bucket key of a principal (tenant-qualified: principal ids are unique per tenant only by convention). */
export const principalKey = (tenantId: string, principalId: string): string => `principal:${tenantId}/${principalId}`

/** The bucket key of a tenant, shared by all its principals. */
export const tenantKey = (tenantId: string): string => `tenant:${tenantId}`

const refuse = (path: string, retryAfterMillis: number, key: string, burst: number) => {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMillis / 1000))
  const message = `${
    key.startsWith("tenant:") ? "the tenant's" : "the caller's"
  } request rate limit is exceeded; retry after ${retryAfterSeconds} s`
  return HttpServerResponse.unsafeJson(
    isMlflowPath(path)
      ? { error_code: "REQUEST_LIMIT_EXCEEDED", message }
      : encodeRateLimited(new RateLimited({ message, retryAfterSeconds })),
    {
      status: 429,
      headers: {
        "retry-after": String(retryAfterSeconds),
        "ratelimit-limit": String(burst),
        "ratelimit-remaining": "0"
      }
    }
  )
}

/**
 * Rate-limits authenticated API requests with `config`'s limits. Each
 * request with a caller (`CurrentCaller` is Some) takes one token from its
 * principal's bucket (`principal:<tenant>/<principalId>`) and from its
 * tenant's (`tenant:<tenant>`), both or neither. A refused request is
 * answered 429 before its handler runs, with `Retry-After` in whole seconds
 * (at least 1) and a body in the route's shape: `{ error_code:
 * "REQUEST_LIMIT_EXCEEDED", message }` under MLflow's paths, a
 * {@link RateLimited} (`{ _tag, message, retryAfterSeconds }`) elsewhere.
 * Every limited response carries `RateLimit-Limit` and `RateLimit-Remaining`
 * for the bucket closest to refusal (the principal's or the tenant's).
 *
 * Requests without a caller (probes, sign-in, the web UI's files) are not
 * limited here. The middleware must run *inside* the authentication
 * middleware, which sets `CurrentCaller`: see {@link rateLimitingAfter}.
 */
export const rateLimitingWith = (
  config: RateLimitConfig
): Layer.Layer<never, never, HttpLayerRouter.HttpRouter | RateLimiter> =>
  HttpLayerRouter.middleware(
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      if (!config.enabled) return (app) => app
      return (app) =>
        Effect.gen(function* () {
          const caller = yield* CurrentCaller
          if (Option.isNone(caller)) return yield* app
          const { tenantId, principalId } = caller.value
          const decision = yield* limiter.take([
            { key: principalKey(tenantId, principalId), limit: config.principal },
            { key: tenantKey(tenantId), limit: config.tenant }
          ])
          if (!decision.allowed) {
            const request = yield* HttpServerRequest.HttpServerRequest
            yield* Effect.annotateCurrentSpan("ratelimit.refused", decision.key)
            yield* Effect.logDebug("rate limited").pipe(
              Effect.annotateLogs({ key: decision.key, retryAfterMillis: decision.retryAfterMillis })
            )
            return refuse(request.url.split("?", 1)[0] ?? "", decision.retryAfterMillis, decision.key, decision.burst)
          }
          const response = yield* app
          return HttpServerResponse.setHeaders(response, {
            "ratelimit-limit": String(decision.burst),
            "ratelimit-remaining": String(decision.remaining)
          })
        })
    }),
    { global: true }
  )

/** {@link rateLimitingWith} with the limits of {@link rateLimitConfig} (`MLOPS_RATE_LIMIT_*`), read when the layer is built. */
export const rateLimiting: Layer.Layer<never, ConfigError, HttpLayerRouter.HttpRouter | RateLimiter> =
  Layer.unwrapEffect(Effect.map(rateLimitConfig, rateLimitingWith))

/**
 * `identity` (the authentication middleware) followed by {@link rateLimiting}:
 * global middleware run in the order they are registered, and this builds
 * `identity` first, so the limiter sees the `CurrentCaller` it sets.
 *
 * @example
 * ```ts
 * makeServerLayerWith(options, rateLimitingAfter(authentication)).pipe(
 *   Layer.provide(RateLimiter.layerMemory)
 * )
 * ```
 */
export const rateLimitingAfter = <ROut, E, R>(
  identity: Layer.Layer<ROut, E, R>
): Layer.Layer<ROut, E | ConfigError, R | HttpLayerRouter.HttpRouter | RateLimiter> =>
  Layer.provideMerge(rateLimiting, identity)
