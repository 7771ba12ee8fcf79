import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runProcess } from "../support/process.js"
import { tempDir } from "../support/sqlite.js"

const repo = fileURLToPath(new URL("../..", import.meta.url))
const bin = path.join(repo, "src", "cli", "bin.ts")
const tsx = path.join(repo, "node_modules", ".bin", "tsx")

// One spawn per exit code: the in-process tests cover the commands, these the
// executable's mapping of outcomes to process exit codes. Run in parallel, as
// each start of tsx costs a few seconds on a small machine.
describe("the effect-mlops executable", () => {
  it.scopedLive("exits 0 on success, 1 with the message on a domain error, 2 on a bad flag", () =>
    Effect.gen(function* () {
      const data = yield* tempDir("effect-mlops-cli-bin")
      const missing = "a".repeat(32)
      const [ok, domain, usage] = yield* Effect.promise(() =>
        Promise.all([
          runProcess(tsx, [bin, "experiments", "create", "spawned", "--data", data], { cwd: repo }),
          runProcess(tsx, [bin, "runs", "show", missing, "--data", path.join(data, "other")], { cwd: repo }),
          runProcess(tsx, [bin, "experiments", "list", "--no-such-flag"], { cwd: repo })
        ])
      )
      assert.strictEqual(ok.status, 0, ok.stderr)
      assert.match(ok.stdout, /^created experiment "spawned" with id \d+$/m)
      assert.strictEqual(domain.status, 1, domain.stderr)
      assert.include(domain.stderr, `error: run ${missing} does not exist`)
      assert.strictEqual(domain.stdout, "")
      assert.strictEqual(usage.status, 2, usage.stderr)
      // The help renderer's colors are dropped when the stream is not a terminal.
      assert.include(usage.stderr, "--no-such-flag")
      assert.notInclude(usage.stderr, "\u001b[")
    })
  )
})
