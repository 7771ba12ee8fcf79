import type { TestProject } from "vitest/node"
import { createAppRole, startPostgres } from "./embeddedPostgres.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL of the PostgreSQL server the tests share (its `postgres` database). */
    readonly postgresUrl: string
    /** A login role that owns nothing and does not bypass row-level security, as the application connects. */
    readonly postgresAppRole: { readonly name: string; readonly password: string }
  }
}

/**
 * Vitest global setup: a real PostgreSQL for the whole run, started here
 * unless `DATABASE_URL` names one. Each suite creates its own database on it
 * (test/support/postgres.ts), so suites in parallel workers never meet.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.DATABASE_URL
  const server = given !== undefined && given !== "" ? undefined : await startPostgres()
  const url = server?.url ?? (given as string)
  project.provide("postgresUrl", url)
  project.provide("postgresAppRole", await createAppRole(url))
  return server?.stop
}
