import { Clock, Effect } from "effect"

/**
 * Remembers which SAML assertions were already accepted, so a captured
 * `SAMLResponse` cannot be posted a second time while it is still valid.
 *
 * `seen` must be atomic: it records `id` and answers `false` the first time,
 * and answers `true` for every later call until `expiresAt` (epoch ms) has
 * passed. An implementation that cannot decide (full, unreachable) must answer
 * `true`, refusing the login rather than risking a replay.
 *
 * The in-memory {@link makeMemoryReplayCache} protects one process only. With
 * several replicas behind a load balancer, a response refused by one could be
 * replayed against another: plug in a shared implementation (for example a
 * PostgreSQL table with a primary key on `id`, inserting with
 * `ON CONFLICT DO NOTHING` and reading the affected row count).
 */
export interface SamlReplayCache {
  readonly seen: (id: string, expiresAt: number) => Effect.Effect<boolean>
}

/** Limits of {@link makeMemoryReplayCache}. */
export interface MemoryReplayCacheOptions {
  /** Most ids held at once (default 100 000). */
  readonly maxEntries?: number
}

/**
 * An in-process {@link SamlReplayCache}: a `Map` from id to expiry, pruned
 * as time passes (by Effect's `Clock`) and bounded by `maxEntries`.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const cache = yield* makeMemoryReplayCache({ maxEntries: 10_000 })
 *   const first = yield* cache.seen("_assertion-1", Date.now() + 300_000) // false
 *   const again = yield* cache.seen("_assertion-1", Date.now() + 300_000) // true
 * })
 * ```
 */
export const makeMemoryReplayCache = (options: MemoryReplayCacheOptions = {}): Effect.Effect<SamlReplayCache> =>
  Effect.sync(() => {
    const maxEntries = options.maxEntries ?? 100_000
    const expiries = new Map<string, number>()
    let nextPruneAt = 0

    const prune = (now: number) => {
      for (const [id, expiresAt] of expiries) {
        if (expiresAt <= now) expiries.delete(id)
      }
      // Scanning on every call would cost O(n) per login; once a minute, or
      // when the bound is hit, keeps the map small at a constant amortised cost.
      nextPruneAt = now + 60_000
    }

    const seen = (id: string, expiresAt: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (now >= nextPruneAt || expiries.size >= maxEntries) prune(now)
        const known = expiries.get(id)
        if (known !== undefined && known > now) return true
        // Evicting a live id would reopen its replay window, so a full cache
        // refuses new assertions until entries expire.
        if (expiries.size >= maxEntries) return true
        if (expiresAt > now) expiries.set(id, expiresAt)
        return false
      })

    return { seen }
  })
