import { SqlClient } from "@effect/sql"
import { Clock, Effect, Redacted } from "effect"
import { CurrentTenant, type TenantId } from "../../../core/context.js"
import { InvalidArgument } from "../../../core/errors.js"
import { Unauthenticated } from "../identity.js"
import type { PrincipalId } from "../principals/model.js"
import { Principals } from "../principals/Principals.js"
import { ApiKey, ApiKeyNotFound, type CreateApiKey, type VerifiedKey } from "./model.js"
import { digestKey, generateKey, matchesDigest, parseKey } from "./secret.js"

interface KeyRow {
  readonly keyId: string
  readonly tenantId: string
  readonly principalId: string
  readonly name: string
  readonly digest: string
  readonly creationTime: number
  readonly expiresAt: number | null
  readonly lastUsedAt: number | null
  readonly revokedAt: number | null
}

const toApiKey = (row: KeyRow) =>
  new ApiKey(
    {
      keyId: row.keyId,
      principalId: row.principalId as PrincipalId,
      name: row.name,
      creationTime: row.creationTime,
      ...(row.expiresAt === null ? {} : { expiresAt: row.expiresAt }),
      ...(row.lastUsedAt === null ? {} : { lastUsedAt: row.lastUsedAt }),
      ...(row.revokedAt === null ? {} : { revokedAt: row.revokedAt })
    },
    { disableValidation: true }
  )

const rejected = (reason: string) => new Unauthenticated({ message: "invalid API key", reason })

// `last_used_at` is a hint for administrators, not an audit record: writing it
// on every request would add a write to every ingest call.
const lastUsedResolution = 60_000

/** {@link ApiKeys} over SQL. */
export const makeSql = (pepper: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const principals = yield* Principals
    const columns = sql.literal(
      "key_id, tenant_id, principal_id, name, digest, creation_time, expires_at, last_used_at, revoked_at"
    )

    const create = Effect.fn("ApiKeys.create")(function* (input: CreateApiKey) {
      if (input.name.trim() === "" || input.name.length > 200) {
        return yield* new InvalidArgument({ field: "name", reason: "must be 1-200 characters" })
      }
      const now = yield* Clock.currentTimeMillis
      if (input.expiresAt !== undefined && !(Number.isSafeInteger(input.expiresAt) && input.expiresAt > now)) {
        return yield* new InvalidArgument({ field: "expiresAt", reason: "must be a future time in epoch milliseconds" })
      }
      const principal = yield* principals.get(input.principalId)
      const { keyId, key } = generateKey()
      const row = {
        keyId,
        tenantId: principal.tenantId,
        principalId: principal.principalId,
        name: input.name,
        digest: digestKey(pepper, Redacted.value(key)),
        creationTime: now,
        expiresAt: input.expiresAt ?? null,
        lastUsedAt: null,
        revokedAt: null
      }
      yield* sql`INSERT INTO api_keys ${sql.insert(row)}`.pipe(Effect.orDie)
      return { apiKey: toApiKey(row), key }
    })

    const list = Effect.fn("ApiKeys.list")(function* (principalId?: PrincipalId) {
      const tenant = yield* CurrentTenant
      const rows = yield* sql<KeyRow>`SELECT ${columns} FROM api_keys WHERE ${sql.and([
        sql`tenant_id = ${tenant}`,
        ...(principalId === undefined ? [] : [sql`principal_id = ${principalId}`])
      ])} ORDER BY creation_time, key_id`.pipe(Effect.orDie)
      return rows.map(toApiKey)
    })

    let revision = 0
    const revoke = Effect.fn("ApiKeys.revoke")(function* (keyId: string) {
      const tenant = yield* CurrentTenant
      const now = yield* Clock.currentTimeMillis
      const rows = yield* sql<{ readonly keyId: string }>`UPDATE api_keys
        SET revoked_at = COALESCE(revoked_at, ${now})
        WHERE tenant_id = ${tenant} AND key_id = ${keyId} RETURNING key_id`.pipe(Effect.orDie)
      if (rows.length === 0) return yield* new ApiKeyNotFound({ keyId })
      revision++
    })

    // The key's tenant is not known yet. On PostgreSQL the `api_key_lookup`
    // policy shows the one row whose id the transaction names; SQLite has no
    // row-level security to pass.
    const lookup = (keyId: string) =>
      sql.withTransaction(
        Effect.zipRight(
          sql.onDialectOrElse({
            pg: () => sql`SELECT set_config('app.api_key_id', ${keyId}, true)`,
            orElse: () => Effect.void
          }),
          sql<KeyRow>`SELECT ${columns} FROM api_keys WHERE key_id = ${keyId}`
        )
      )

    const verify = Effect.fn("ApiKeys.verify")(function* (key: string) {
      const parsed = parseKey(key)
      if (parsed === undefined) return yield* rejected("malformed key")
      const [row] = yield* lookup(parsed.keyId).pipe(Effect.orDie)
      if (row === undefined) return yield* rejected("unknown key id")
      if (!matchesDigest(pepper, key, row.digest)) return yield* rejected("wrong secret")
      if (row.revokedAt !== null) return yield* rejected("revoked key")
      const now = yield* Clock.currentTimeMillis
      if (row.expiresAt !== null && row.expiresAt <= now) return yield* rejected("expired key")
      const tenantId = row.tenantId as TenantId
      if (row.lastUsedAt === null || now - row.lastUsedAt >= lastUsedResolution) {
        yield* sql`UPDATE api_keys SET last_used_at = ${now} WHERE key_id = ${row.keyId}`.pipe(
          Effect.provideService(CurrentTenant, tenantId),
          Effect.orDie
        )
      }
      const verified: VerifiedKey = { keyId: row.keyId, tenantId, principalId: row.principalId as PrincipalId }
      return verified
    })

    return { create, list, revoke, verify, revision: Effect.sync(() => revision) }
  })
