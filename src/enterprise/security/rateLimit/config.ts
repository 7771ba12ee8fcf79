import { Config } from "effect"
import type { RateLimit } from "./model.js"

/** The API's rate limits: one bucket per principal, one per tenant shared by its principals. */
export interface RateLimitConfig {
  /** When false, the rate-limiting middleware lets every request through. */
  readonly enabled: boolean
  readonly principal: RateLimit
  readonly tenant: RateLimit
}

/** The limits when nothing is configured: 50/s (burst 200) per principal, 500/s (burst 2000) per tenant. */
export const defaultRateLimitConfig: RateLimitConfig = {
  enabled: true,
  principal: { ratePerSecond: 50, burst: 200 },
  tenant: { ratePerSecond: 500, burst: 2000 }
}

const positive = (name: string, fallback: number, minimum: "positive" | "one") =>
  Config.number(name).pipe(
    Config.validate(
      minimum === "positive"
        ? { message: "expected a positive number", validation: (n: number) => Number.isFinite(n) && n > 0 }
        : { message: "expected a number of 1 or more", validation: (n: number) => Number.isFinite(n) && n >= 1 }
    ),
    Config.withDefault(fallback)
  )

const limit = (scope: "PRINCIPAL" | "TENANT", fallback: RateLimit): Config.Config<RateLimit> =>
  Config.all({
    ratePerSecond: positive(`MLOPS_RATE_LIMIT_${scope}_RPS`, fallback.ratePerSecond, "positive"),
    burst: positive(`MLOPS_RATE_LIMIT_${scope}_BURST`, fallback.burst, "one")
  })

/**
 * Reads {@link RateLimitConfig} from `MLOPS_RATE_LIMIT_*` variables:
 * `PRINCIPAL_RPS` (default 50) and `PRINCIPAL_BURST` (default 200) for each
 * principal, `TENANT_RPS` (default 500) and `TENANT_BURST` (default 2000)
 * for each tenant, and `ENABLED` (default true). Rates are requests per
 * second and may be fractional; a burst is at least 1.
 *
 * The limits hold per server process: with N replicas, set each to about
 * the wanted total divided by N (see `RateLimiter`).
 *
 * @example
 * ```ts
 * // MLOPS_RATE_LIMIT_PRINCIPAL_RPS=20 MLOPS_RATE_LIMIT_TENANT_RPS=100
 * const middleware = Layer.unwrapEffect(Effect.map(rateLimitConfig, rateLimitingWith))
 * // read while a layer is built: a malformed variable fails startup with a ConfigError
 * ```
 */
export const rateLimitConfig: Config.Config<RateLimitConfig> = Config.all({
  enabled: Config.boolean("MLOPS_RATE_LIMIT_ENABLED").pipe(Config.withDefault(defaultRateLimitConfig.enabled)),
  principal: limit("PRINCIPAL", defaultRateLimitConfig.principal),
  tenant: limit("TENANT", defaultRateLimitConfig.tenant)
})
