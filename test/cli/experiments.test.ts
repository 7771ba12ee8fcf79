import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { tempDir } from "../support/sqlite.js"
import { cli, cliOk } from "./harness.js"

describe("effect-mlops experiments", () => {
  it.scopedLive("creates an experiment and lists it, as a table and as JSON", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      const created = yield* cliOk("experiments", "create", "churn", "--data", data, "--json")
      const experiment = JSON.parse(created.stdout) as { experimentId: string; name: string }
      assert.strictEqual(experiment.name, "churn")

      const table = yield* cliOk("experiments", "list", "--data", data)
      const lines = table.stdout.trim().split("\n")
      assert.match(lines[0] ?? "", /^ID\s+NAME\s+STAGE\s+CREATED\s+ARTIFACT LOCATION$/)
      assert.isTrue(lines.some((line) => line.startsWith(`${experiment.experimentId} `) && line.includes("churn")))

      const json = yield* cliOk("experiments", "list", "--json", "--data", data)
      const listed = JSON.parse(json.stdout) as ReadonlyArray<{ experimentId: string; name: string }>
      assert.deepStrictEqual(listed.map((e) => e.name).sort(), ["Default", "churn"])
    })
  )

  it.scopedLive("exits 1 with the domain error's message when the name is taken", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      yield* cliOk("experiments", "create", "dup", "--data", data)
      const again = yield* cli("experiments", "create", "dup", "--data", data)
      assert.strictEqual(again.code, 1)
      assert.strictEqual(again.stderr.trim(), 'error: an experiment named "dup" already exists')
      assert.strictEqual(again.stdout, "")
    })
  )

  it.scopedLive(
    "exits 2 on an unknown flag, a missing argument and a missing subcommand, without opening a store",
    () =>
      Effect.gen(function* () {
        const root = yield* tempDir("effect-mlops-cli")
        const data = path.join(root, "data")
        assert.strictEqual((yield* cli("experiments", "list", "--data", data, "--nope")).code, 2)
        assert.strictEqual((yield* cli("experiments", "create", "--data", data)).code, 2)
        const bare = yield* cli("experiments")
        assert.strictEqual(bare.code, 2)
        assert.include(bare.stderr, "list|create")
        assert.strictEqual((yield* cli()).code, 2)
        assert.strictEqual((yield* cli("frobnicate")).code, 2)
        assert.isFalse(fs.existsSync(data))
      })
  )

  it.scopedLive("--data and --url together are a usage error", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli")
      const result = yield* cli("experiments", "list", "--data", data, "--url", "http://127.0.0.1:1")
      assert.strictEqual(result.code, 2)
      assert.include(result.stderr, "--data and --url are exclusive")
    })
  )

  it.effect("--help and --version succeed, and the help documents the exit codes", () =>
    Effect.gen(function* () {
      const help = yield* cliOk("--help")
      assert.include(help.stdout, "EXIT CODES")
      for (const command of ["server", "experiments", "runs", "models", "aliases", "gc", "export", "import"]) {
        assert.include(help.stdout, command)
      }
      const runsHelp = yield* cliOk("runs", "list", "--help")
      assert.include(runsHelp.stdout, "--order-by")
      const version = yield* cliOk("--version")
      const pkg = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version: string
      }
      assert.strictEqual(version.stdout.trim(), pkg.version)
    })
  )
})
