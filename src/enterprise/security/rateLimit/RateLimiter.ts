import { Context, type Effect, Layer } from "effect"
import { type MemoryRateLimiterOptions, makeMemoryRateLimiter } from "./memory.js"
import type { RateLimitDecision, RateLimitKey } from "./model.js"

/** The operations of {@link RateLimiter}. */
export interface RateLimiterShape {
  /**
   * Takes `cost` tokens (default 1) from the bucket of every key, or none:
   * when any bucket holds too few, no bucket is charged and the answer says
   * how long to wait. A key named twice is one bucket. A cost that is not a
   * positive number, or exceeds a key's burst (it could never be allowed), is
   * a defect.
   */
  readonly take: (keys: ReadonlyArray<RateLimitKey>, cost?: number) => Effect.Effect<RateLimitDecision>
}

/**
 * Token-bucket rate limits: each key (a principal, a tenant) has a bucket
 * that refills at its `ratePerSecond` up to its `burst`, and a request spends
 * a token from each of its keys.
 *
 * {@link RateLimiter.layerMemory} keeps the buckets in the server process, so
 * **limits hold per process**: behind a load balancer spreading requests over
 * N replicas, each replica enforces the whole limit on its share of the
 * traffic, and a caller gets up to N times the configured rate (and burst)
 * overall. To enforce a total of R requests a second, configure about R / N
 * per replica (rounded up; with sticky or uneven balancing, callers pinned to
 * one replica get only that share), and recompute when the replica count
 * changes. A limit shared by all replicas needs a shared store (such as a
 * PostgreSQL row per key updated in one statement) behind this same tag.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const limiter = yield* RateLimiter
 *   const decision = yield* limiter.take([
 *     { key: "principal:acme/p-0123…", limit: { ratePerSecond: 50, burst: 200 } },
 *     { key: "tenant:acme", limit: { ratePerSecond: 500, burst: 2000 } }
 *   ])
 *   if (!decision.allowed) console.log(`retry in ${decision.retryAfterMillis} ms`)
 * }).pipe(Effect.provide(RateLimiter.layerMemory))
 * ```
 */
export class RateLimiter extends Context.Tag("effect-mlops/enterprise/RateLimiter")<RateLimiter, RateLimiterShape>() {
  /** Buckets in this process's memory (at most 100 000, idle ones dropped every minute); each build has its own. */
  static readonly layerMemory: Layer.Layer<RateLimiter> = Layer.effect(this, makeMemoryRateLimiter())

  /** {@link RateLimiter.layerMemory} with other memory limits. */
  static readonly layerMemoryWith = (options: MemoryRateLimiterOptions): Layer.Layer<RateLimiter> =>
    Layer.effect(this, makeMemoryRateLimiter(options))
}
