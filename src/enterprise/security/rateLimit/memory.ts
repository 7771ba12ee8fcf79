import { Clock, Duration, Effect } from "effect"
import type { RateLimitDecision, RateLimitKey } from "./model.js"
import type { RateLimiterShape } from "./RateLimiter.js"

/** Limits of {@link makeMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /**
   * Most buckets held at once (default 100 000). Size it above the number of
   * principals and tenants active within a refill period (`burst / ratePerSecond`).
   * When it is reached, the least recently used bucket is dropped, which lets
   * its key start again from a full bucket.
   */
  readonly maxKeys?: number
  /** How often buckets that have refilled completely are dropped (default 1 minute). */
  readonly sweepInterval?: Duration.DurationInput
}

/** The in-memory limiter, plus what tests need to see its memory bound. */
export interface MemoryRateLimiter extends RateLimiterShape {
  /** Buckets currently held. */
  readonly size: Effect.Effect<number>
}

interface Bucket {
  /** Tokens at `updatedAt`; may be a hair below 0 (see `tolerance`). */
  readonly tokens: number
  readonly updatedAt: number
  /** When the bucket is full again: from then on it is equivalent to no bucket and can be dropped. */
  readonly fullAt: number
}

// Float arithmetic on fractional rates: a take short of its cost by less than
// this is allowed (the bucket goes that far below zero, and the debt is paid
// back by later refills, so the tolerance never accumulates), and waits are
// computed for a shortfall this much smaller, so a caller retrying after
// exactly `retryAfterMillis` is allowed.
const tolerance = 1e-6

const refilled = (bucket: Bucket | undefined, limit: RateLimitKey["limit"], now: number): number =>
  bucket === undefined
    ? limit.burst
    : Math.min(limit.burst, bucket.tokens + (Math.max(0, now - bucket.updatedAt) * limit.ratePerSecond) / 1000)

const invalid = (keys: ReadonlyArray<RateLimitKey>, cost: number): string | undefined => {
  if (!(Number.isFinite(cost) && cost > 0)) return `the cost must be a positive number, got ${cost}`
  for (const { key, limit } of keys) {
    if (!(Number.isFinite(limit.ratePerSecond) && limit.ratePerSecond > 0)) {
      return `the rate of "${key}" must be a positive number, got ${limit.ratePerSecond}`
    }
    if (!(Number.isFinite(limit.burst) && limit.burst >= 1)) {
      return `the burst of "${key}" must be at least 1, got ${limit.burst}`
    }
    // Such a take could never be allowed: waiting would not help, so it is a caller's bug.
    if (cost > limit.burst) return `a cost of ${cost} exceeds the burst of "${key}" (${limit.burst})`
  }
  return undefined
}

/**
 * An in-process token-bucket {@link RateLimiterShape}: one `Map` from key to
 * bucket, timed by Effect's `Clock` (so `TestClock` drives it in tests). A
 * take reads and updates its buckets without yielding, so concurrent requests
 * never both spend the same token.
 *
 * Memory stays bounded: a bucket that has refilled completely behaves exactly
 * as a missing one, so such buckets are dropped on a periodic sweep, and at
 * most `maxKeys` buckets are held (the least recently used is dropped first).
 *
 * The limits hold per process: with N replicas behind a load balancer, a
 * caller can get up to N times its limit. See {@link RateLimiter} for sizing.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const limiter = yield* makeMemoryRateLimiter({ maxKeys: 10_000 })
 *   const decision = yield* limiter.take([{ key: "tenant:acme", limit: { ratePerSecond: 5, burst: 10 } }])
 *   if (!decision.allowed) yield* Effect.sleep(decision.retryAfterMillis)
 * })
 * ```
 */
export const makeMemoryRateLimiter = (options: MemoryRateLimiterOptions = {}): Effect.Effect<MemoryRateLimiter> =>
  Effect.sync(() => {
    const maxKeys = Math.max(1, options.maxKeys ?? 100_000)
    const sweepMillis = Duration.toMillis(options.sweepInterval ?? "1 minute")
    // Insertion order is recency order: every update deletes and re-inserts its key.
    const buckets = new Map<string, Bucket>()
    let nextSweepAt = Number.NEGATIVE_INFINITY

    const sweep = (now: number) => {
      for (const [key, bucket] of buckets) {
        if (bucket.fullAt <= now) buckets.delete(key)
      }
      nextSweepAt = now + sweepMillis
    }

    const store = (key: string, bucket: Bucket) => {
      buckets.delete(key)
      if (buckets.size >= maxKeys) {
        const leastRecent = buckets.keys().next()
        if (leastRecent.done !== true) buckets.delete(leastRecent.value)
      }
      buckets.set(key, bucket)
    }

    const decide = (keys: ReadonlyArray<RateLimitKey>, cost: number, now: number): RateLimitDecision => {
      if (now >= nextSweepAt) sweep(now)
      const seen = new Set<string>()
      const staged: Array<{ readonly key: string; readonly limit: RateLimitKey["limit"]; readonly tokens: number }> = []
      let refusal: { key: string; burst: number; retryAfterMillis: number } | undefined
      for (const { key, limit } of keys) {
        if (seen.has(key)) continue // one bucket per key, however often it is named
        seen.add(key)
        const bucket = buckets.get(key)
        const available = refilled(bucket, limit, now)
        if (available + tolerance >= cost) {
          staged.push({ key, limit, tokens: available - cost })
          continue
        }
        const retryAfterMillis = Math.ceil(((cost - available - tolerance / 10) * 1000) / limit.ratePerSecond)
        if (refusal === undefined || retryAfterMillis > refusal.retryAfterMillis) {
          refusal = { key, burst: limit.burst, retryAfterMillis }
        }
      }
      // All or nothing: one refusing bucket and no bucket is charged.
      if (refusal !== undefined) return { allowed: false, ...refusal }
      let remaining = Number.POSITIVE_INFINITY
      let burst = Number.POSITIVE_INFINITY
      for (const { key, limit, tokens } of staged) {
        // A clock that steps back (wall-clock adjustments) must not re-grant time already counted.
        const updatedAt = Math.max(now, buckets.get(key)?.updatedAt ?? now)
        store(key, { tokens, updatedAt, fullAt: updatedAt + ((limit.burst - tokens) * 1000) / limit.ratePerSecond })
        const whole = Math.max(0, Math.floor(tokens + tolerance))
        if (whole < remaining || (whole === remaining && limit.burst < burst)) {
          remaining = whole
          burst = limit.burst
        }
      }
      return { allowed: true, remaining, burst }
    }

    // Untraced: it runs on every API request, inside the request's span, and a
    // span of its own would cost several times the take itself.
    const take = Effect.fnUntraced(function* (keys: ReadonlyArray<RateLimitKey>, cost = 1) {
      const problem = invalid(keys, cost)
      if (problem !== undefined) return yield* Effect.dieMessage(problem)
      const now = yield* Clock.currentTimeMillis
      return decide(keys, cost, now)
    })

    return { take, size: Effect.sync(() => buckets.size) }
  })
