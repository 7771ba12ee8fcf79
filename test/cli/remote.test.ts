import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Schedule } from "effect"
import { freePort } from "../support/freePort.js"
import { tempDir } from "../support/sqlite.js"
import { startBasicServer } from "../support/server.js"
import { cli, cliOk } from "./harness.js"

describe("effect-mlops against a running server (--url)", () => {
  it.scopedLive("creates and lists experiments, and reports the server's domain errors with exit 1", () =>
    Effect.gen(function* () {
      const url = yield* startBasicServer()
      const created = JSON.parse((yield* cliOk("experiments", "create", "remote", "--url", url, "--json")).stdout) as {
        experimentId: string
      }
      const listed = JSON.parse((yield* cliOk("experiments", "list", "--url", url, "--json")).stdout) as ReadonlyArray<{
        experimentId: string
        name: string
      }>
      assert.deepStrictEqual(
        listed.find((e) => e.name === "remote"),
        listed.find((e) => e.experimentId === created.experimentId)
      )
      const runs = yield* cliOk("runs", "list", "--url", url, "-e", "remote")
      assert.strictEqual(runs.stdout.trim(), "no runs")

      const missing = "f".repeat(32)
      const result = yield* cli("runs", "show", missing, "--url", url)
      assert.strictEqual(result.code, 1)
      assert.strictEqual(result.stderr.trim(), `error: run ${missing} does not exist`)
    })
  )
})

const healthy = (url: string) =>
  Effect.tryPromise(() => fetch(`${url}/healthz`)).pipe(
    Effect.filterOrFail((response) => response.ok),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("20 seconds")))
  )

describe("effect-mlops server", () => {
  it.scopedLive("serves a data directory until interrupted, then releases the port", () =>
    Effect.gen(function* () {
      const data = path.join(yield* tempDir("effect-mlops-cli-server"), "data")
      const port = yield* freePort
      const url = `http://127.0.0.1:${port}`
      // --allowed-hosts adds to the loopback names: the CLI below still gets in over 127.0.0.1.
      const server = yield* Effect.fork(
        cli("server", "--data", data, "--port", String(port), "--allowed-hosts", "mlops.example.com")
      )
      yield* healthy(url)
      yield* cliOk("experiments", "create", "served", "--url", url)
      yield* Fiber.interrupt(server)
      const refused = yield* Effect.either(Effect.tryPromise(() => fetch(`${url}/healthz`)))
      assert.isTrue(refused._tag === "Left")
      // The data outlived the server, in its directory.
      const listed = yield* cliOk("experiments", "list", "--data", data)
      assert.include(listed.stdout, "served")
    })
  )
})
