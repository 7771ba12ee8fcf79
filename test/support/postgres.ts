import { randomUUID } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import pg from "pg"
import { inject } from "vitest"
import { makePostgresLayer } from "../../layers/Postgres.js"

const adminQuery = (text: string) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: inject("postgresUrl") })
    await client.connect()
    try {
      await client.query(text)
    } finally {
      await client.end()
    }
  })

/** The URL of `database` on the shared test server, as its superuser or as the application's role. */
export const databaseUrl = (database: string, as: "admin" | "app" = "admin"): string => {
  const url = new URL(inject("postgresUrl"))
  url.pathname = `/${database}`
  if (as === "app") {
    const role = inject("postgresAppRole")
    url.username = role.name
    url.password = role.password
  }
  return url.toString()
}

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
