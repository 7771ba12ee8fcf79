import { randomUUID } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import { inject } from "vitest"
import { makePostgresLayer } from "../../layers/Postgres.js"
import { adminStatements, withDatabase } from "./embeddedPostgres.js"

const adminQuery = (text: string) => Effect.promise(() => adminStatements(inject("postgresUrl"), [text]))

/** The URL of `database` on the shared test server, as its superuser or as the application's role. */
export const databaseUrl = (database: string, as: "admin" | "app" = "admin"): string =>
  withDatabase(inject("postgresUrl"), database, as === "app" ? inject("postgresAppRole") : undefined)

/** A fresh, empty database on the shared test server, dropped when the scope closes. */
export const freshDatabase = Effect.acquireRelease(
  Effect.suspend(() => {
    const name = `t_${randomUUID().replaceAll("-", "")}`
    return Effect.as(adminQuery(`CREATE DATABASE ${name}`), name)
  }),
  (name) => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
)

/**
 * A migrated PostgreSQL store in a fresh database, as EnterpriseLayer opens
 * it: migrated by the owner, used through a role under row-level security.
 * Dropped afterwards.
 */
export const PostgresTest = Layer.unwrapScoped(
  Effect.map(freshDatabase, (name) =>
    makePostgresLayer({
      url: Redacted.make(databaseUrl(name, "app")),
      adminUrl: Redacted.make(databaseUrl(name, "admin"))
    })
  )
)
