import { Effect, Redacted } from "effect"
import { type EnterpriseOptions, makeEnterpriseLayer } from "../../layers/Enterprise.js"
import { defaultRateLimitConfig, type RateLimitConfig } from "../../src/enterprise/security/rateLimit/config.js"
import { databaseUrl, freshDatabase } from "./postgres.js"
import { tempDir } from "./sqlite.js"

/** The secrets of the tests' enterprise deployments (32 characters or more, as the configuration demands). */
export const testSecrets = {
  apiKeyPepper: Redacted.make("a-test-pepper-of-at-least-32-characters"),
  auditKey: Redacted.make("an-audit-key-of-at-least-32-characters!")
} as const

/** Rate limits off, for tests that send more requests than a person would. */
export const noRateLimits: RateLimitConfig = { ...defaultRateLimitConfig, enabled: false }

/**
 * `makeEnterpriseLayer` over a fresh database of the shared test PostgreSQL
 * (migrated by its owner, used through the application's role) and a fresh
 * data directory, both removed with the scope; `options` override the rest.
 */
export const freshEnterprise = (label: string, options: Partial<EnterpriseOptions> = {}) =>
  Effect.gen(function* () {
    const database = yield* freshDatabase
    const dataPath = yield* tempDir(label)
    const layer = makeEnterpriseLayer({
      database: {
        url: Redacted.make(databaseUrl(database, "app")),
        adminUrl: Redacted.make(databaseUrl(database, "admin"))
      },
      dataPath,
      ...testSecrets,
      ...options
    })
    return { database, dataPath, layer }
  })
