import type { CacheItem, CacheProvider } from "@node-saml/node-saml"

/** Limits of {@link makeMemoryRequestCache}. */
export interface MemoryRequestCacheOptions {
  /** How long an AuthnRequest id stays redeemable, in milliseconds. */
  readonly ttlMs: number
  /** Most pending request ids held at once. */
  readonly maxEntries: number
}

/**
 * An in-process node-saml `CacheProvider` for the ids of AuthnRequests we
 * issued, so a response's `InResponseTo` can be matched (and consumed) once.
 *
 * node-saml's own `InMemoryCacheProvider` keeps every id for its whole
 * lifetime with no bound, and anyone can mint ids by requesting the login URL;
 * this one is bounded and drops the oldest pending requests first (those
 * users retry their login). Like the replay cache, it serves one process:
 * replicas need a shared `CacheProvider`.
 *
 * @example
 * ```ts
 * const requestCache = makeMemoryRequestCache({ ttlMs: 30 * 60_000, maxEntries: 50_000 })
 * const sp = makeSamlServiceProvider(config, { requestCache })
 * ```
 */
export const makeMemoryRequestCache = (options: MemoryRequestCacheOptions): CacheProvider => {
  // Every entry gets the same ttl, so insertion order is expiry order and
  // expired entries always sit at the front of the Map.
  const entries = new Map<string, CacheItem>()

  const dropExpired = (now: number) => {
    for (const [key, item] of entries) {
      if (item.createdAt + options.ttlMs > now) break
      entries.delete(key)
    }
  }

  const live = (key: string, now: number): CacheItem | undefined => {
    const item = entries.get(key)
    return item !== undefined && item.createdAt + options.ttlMs > now ? item : undefined
  }

  return {
    saveAsync: async (key, value) => {
      const now = Date.now()
      dropExpired(now)
      if (live(key, now) !== undefined) return null
      while (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done === true) break
        entries.delete(oldest.value)
      }
      const item: CacheItem = { value, createdAt: now }
      entries.set(key, item)
      return item
    },
    getAsync: async (key) => live(key, Date.now())?.value ?? null,
    removeAsync: async (key) => {
      if (key === null || !entries.delete(key)) return null
      return key
    }
  }
}
