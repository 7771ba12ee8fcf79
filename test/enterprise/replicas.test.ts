import { assert, describe, it, layer } from "@effect/vitest"
import { freePort } from "../support/freePort.js"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { type CliResult, cli, cliOk } from "../cli/harness.js"
import { databaseUrl, freshDatabase } from "../support/postgres.js"
import { spawnServer } from "../support/serverProcess.js"
import { tempDir } from "../support/sqlite.js"

/*
 * The enterprise deployment as an operator runs it: the admin CLI creates a
 * tenant, a service account and its API key, and two server processes serve
 * one PostgreSQL database at once.
 */

class Deployment extends Context.Tag("test/Deployment")<
  Deployment,
  {
    readonly servers: readonly [string, string]
    readonly key: string
    /** Everything the two servers printed so far. */
    readonly logs: () => string
    readonly secrets: ReadonlyArray<string>
    /** Runs `effect-mlops <args>` in-process with the deployment's environment. */
    readonly cli: (...args: ReadonlyArray<string>) => Effect.Effect<CliResult>
  }
>() {}

const Replicas = Layer.scoped(
  Deployment,
  Effect.gen(function* () {
    const database = yield* freshDatabase
    const env = {
      MLOPS_DATABASE_URL: databaseUrl(database, "app"),
      MLOPS_DATABASE_ADMIN_URL: databaseUrl(database, "admin"),
      MLOPS_API_KEY_PEPPER: "replica-test-pepper-with-32-or-more-chars",
      MLOPS_AUDIT_KEY: "replica-test-audit-key-with-32-or-more-chars",
      MLOPS_DATA_DIR: yield* tempDir("replicas")
    }
    const inEnv = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      effect.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
    const admin = (...args: ReadonlyArray<string>) => inEnv(cliOk("admin", ...args))
    yield* admin("tenants", "create", "acme", "--name", "Acme")
    yield* admin("users", "create", "trainer", "--tenant", "acme", "--service-account")
    const created = yield* admin("keys", "create", "--tenant", "acme", "--user", "trainer", "--name", "replica test")
    const ports = [yield* freePort, yield* freePort] as const
    const processes = yield* Effect.forEach(ports, (port) =>
      spawnServer(env.MLOPS_DATA_DIR, port, {
        cliArgs: ["server", "--enterprise", "--port", String(port), "--log-format", "json"],
        env: { ...env, MLOPS_LOG_FORMAT: "json" }
      })
    )
    const key = created.stdout.trim()
    return {
      servers: [`http://127.0.0.1:${ports[0]}`, `http://127.0.0.1:${ports[1]}`] as const,
      key,
      logs: () => processes.map((p) => p.output()).join("\n"),
      cli: (...args: ReadonlyArray<string>) => inEnv(cli(...args)),
      secrets: [env.MLOPS_API_KEY_PEPPER, env.MLOPS_AUDIT_KEY, new URL(env.MLOPS_DATABASE_URL).password, key.slice(21)]
    }
  })
)

const post = (server: string, route: string, body: unknown, key?: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${server}/api/2.0/mlflow/${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
      body: JSON.stringify(body)
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  })

layer(Replicas, { timeout: 180_000, excludeTestServices: true })("two enterprise servers on one PostgreSQL", (it) => {
  it.effect(
    "no secret reaches the logs: not the pepper, the database password or an API key, even a rejected one",
    () =>
      Effect.gen(function* () {
        const { servers, key, logs, secrets } = yield* Deployment
        const forged = `${key.slice(0, 21)}${"x".repeat(43)}`
        yield* post(servers[0], "experiments/search", {}, forged)
        yield* post(servers[1], "experiments/search", {}, key)
        yield* Effect.sleep("200 millis")
        const printed = logs()
        assert.include(printed, "authentication refused")
        for (const secret of [...secrets, forged.slice(21)]) assert.notInclude(printed, secret)
      })
  )

  it.effect("the admin CLI's key authenticates on both servers; no key is 401 on both", () =>
    Effect.gen(function* () {
      const { servers, key } = yield* Deployment
      assert.match(key, /^mlk_[0-9a-f]{16}_[\w-]{43}$/)
      for (const server of servers) {
        assert.strictEqual((yield* post(server, "experiments/search", {}, key)).status, 200)
        assert.strictEqual((yield* post(server, "experiments/search", {})).status, 401)
      }
    })
  )

  it.effect("writes through either server are in the tenant's audit trail, which verifies", () =>
    Effect.gen(function* () {
      const { servers, key, cli: run } = yield* Deployment
      yield* post(servers[0], "experiments/create", { name: "audited-a" }, key)
      yield* post(servers[1], "experiments/create", { name: "audited-b" }, key)
      const listed = yield* run("audit", "list", "--tenant", "acme", "--json", "--action", "mlflow.experiments.create")
      assert.strictEqual(listed.code, 0, listed.stderr)
      const entries = JSON.parse(listed.stdout) as ReadonlyArray<{ principal: string; resourceId: string }>
      assert.isAtLeast(entries.length, 2)
      assert.isTrue(entries.every((entry) => entry.principal === "trainer"))
      const verified = yield* run("audit", "verify", "--tenant", "acme")
      assert.strictEqual(verified.code, 0, verified.stdout + verified.stderr)
    })
  )

  it.effect("what one server writes the other reads, and concurrent batches through both land once each", () =>
    Effect.gen(function* () {
      const { servers, key } = yield* Deployment
      const [a, b] = servers
      const experiment = yield* post(a, "experiments/create", { name: "replicated" }, key)
      const run = yield* post(b, "runs/create", { experiment_id: experiment.body.experiment_id }, key)
      const runId = (run.body.run as { info: { run_id: string } }).info.run_id
      yield* Effect.forEach(
        Array.from({ length: 20 }, (_, batch) => batch),
        (batch) =>
          post(
            batch % 2 === 0 ? a : b,
            "runs/log-batch",
            {
              run_id: runId,
              metrics: Array.from({ length: 50 }, (_, i) => ({
                key: "loss",
                value: batch * 50 + i,
                step: batch * 50 + i,
                timestamp: 1
              }))
            },
            key
          ).pipe(Effect.tap((response) => assert.strictEqual(response.status, 200))),
        { concurrency: 8 }
      )
      const history = yield* Effect.promise(() =>
        fetch(`${a}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=5000`, {
          headers: { authorization: `Bearer ${key}` }
        }).then((r) => r.json() as Promise<{ metrics: ReadonlyArray<{ step: number }> }>)
      )
      assert.deepStrictEqual(
        history.metrics.map((m) => m.step).sort((x, y) => x - y),
        Array.from({ length: 1000 }, (_, i) => i)
      )
      const onB = yield* Effect.promise(() =>
        fetch(`${b}/api/2.0/mlflow/runs/get?run_id=${runId}`, { headers: { authorization: `Bearer ${key}` } }).then(
          (r) => r.json() as Promise<{ run: { info: { run_id: string; user_id: string } } }>
        )
      )
      assert.deepStrictEqual(onB.run.info, { ...onB.run.info, run_id: runId, user_id: "trainer" })
    })
  )
})

describe("enterprise configuration errors", () => {
  it.effect("a short API-key pepper stops the server at start, naming the variable but never its value", () =>
    Effect.gen(function* () {
      const pepper = "too-short-secret-value"
      const result = yield* cli("server", "--enterprise", "--port", "0").pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["MLOPS_DATABASE_URL", "postgres://app:db-password-not-to-print@127.0.0.1:1/none"],
              ["MLOPS_API_KEY_PEPPER", pepper]
            ])
          )
        )
      )
      assert.strictEqual(result.code, 1)
      assert.include(result.stderr, "MLOPS_API_KEY_PEPPER")
      assert.notInclude(result.stderr + result.stdout, pepper)
      assert.notInclude(result.stderr + result.stdout, "db-password-not-to-print")
    })
  )
})
