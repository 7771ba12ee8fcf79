import { SqlClient } from "@effect/sql"
import type { CacheItem, CacheProvider } from "@node-saml/node-saml"
import { Clock, Effect, Runtime } from "effect"
import type { SamlReplayCache } from "./replayCache.js"

/** How often a process deletes expired ids (they are ignored as soon as they expire). */
const pruneEveryMillis = 60_000

/**
 * Both SAML caches over one SQL table (`sso_nonces`), shared by every
 * server replica on the database: an assertion accepted by one replica is
 * refused by all, and a login started on one can finish on another.
 *
 * - `replayCache.seen` inserts the assertion id and answers whether it was
 *   already there (unexpired) — one atomic `INSERT … ON CONFLICT`; a
 *   database error answers `true`, refusing the login rather than risking a
 *   replay.
 * - `requestCache` is node-saml's `CacheProvider` for the ids of the
 *   AuthnRequests we issued, each redeemable for `requestTtlMs`.
 *
 * @example
 * ```ts
 * const provider = Effect.flatMap(makeSqlSamlCaches({ requestTtlMs: 30 * 60_000 }), (caches) =>
 *   makeSamlServiceProvider(config, caches)
 * )
 * ```
 */
export const makeSqlSamlCaches = (options: {
  readonly requestTtlMs: number
}): Effect.Effect<
  { readonly replayCache: SamlReplayCache; readonly requestCache: CacheProvider },
  never,
  SqlClient.SqlClient
> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())
    let nextPruneAt = 0

    const prune = (now: number) =>
      now < nextPruneAt
        ? Effect.void
        : Effect.suspend(() => {
            nextPruneAt = now + pruneEveryMillis
            return Effect.ignore(sql`DELETE FROM sso_nonces WHERE expires_at <= ${now}`)
          })

    /** Stores the id unless a live one is there (an expired one is replaced); whether it was stored. */
    const claim = (kind: string, id: string, value: string | null, now: number, expiresAt: number) =>
      Effect.map(
        sql<{ readonly id: string }>`INSERT INTO sso_nonces (kind, id, value, created_at, expires_at)
          VALUES (${kind}, ${id}, ${value}, ${now}, ${expiresAt})
          ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value, created_at = excluded.created_at,
            expires_at = excluded.expires_at
          WHERE sso_nonces.expires_at <= ${now}
          RETURNING id`,
        (rows) => rows.length > 0
      )

    const replayCache: SamlReplayCache = {
      seen: (id, expiresAt) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          yield* prune(now)
          return !(yield* claim("saml-assertion", id, null, now, Math.max(expiresAt, now + 1)))
        }).pipe(
          Effect.catchAllCause((cause) =>
            Effect.as(Effect.logError("SAML replay cache unavailable; login refused", cause), true)
          )
        )
    }

    const requestCache: CacheProvider = {
      saveAsync: (key, value) =>
        runPromise(
          Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis
            yield* prune(now)
            const stored = yield* claim("saml-request", key, value, now, now + options.requestTtlMs)
            return stored ? ({ value, createdAt: now } satisfies CacheItem) : null
          })
        ),
      getAsync: (key) =>
        runPromise(
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.map(
              sql<{ readonly value: string | null }>`SELECT value FROM sso_nonces
                WHERE kind = 'saml-request' AND id = ${key} AND expires_at > ${now}`,
              (rows) => rows[0]?.value ?? null
            )
          )
        ),
      removeAsync: (key) =>
        key === null
          ? Promise.resolve(null)
          : runPromise(
              Effect.map(
                sql<{ readonly id: string }>`DELETE FROM sso_nonces WHERE kind = 'saml-request' AND id = ${key}
                  RETURNING id`,
                (rows) => rows[0]?.id ?? null
              )
            )
    }

    return { replayCache, requestCache }
  })
