import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runProcess } from "../../support/process.js"
import { generateCsv } from "../../support/large-csv.js"
import { tempDir } from "../../support/sqlite.js"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const script = path.join(repoRoot, "test", "core", "data", "support", "profile-large.ts")

const heapMb = 64
const targetBytes = 200 * 2 ** 20
describe("Datasets on a file larger than the heap", () => {
  it.scoped(
    `profiles a ~200 MB CSV in a child process limited to a ${heapMb} MB heap`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir("effect-mlops-large")
        const file = path.join(dir, "large.csv")
        const expected = yield* Effect.promise(() => generateCsv(file, targetBytes))
        assert.isAbove(expected.size, 3 * heapMb * 2 ** 20, "the file must be far larger than the heap")
        const result = yield* Effect.promise(() =>
          runProcess(
            process.execPath,
            [`--max-old-space-size=${heapMb}`, "--import", "tsx", script, path.join(dir, "store"), file],
            { cwd: repoRoot, timeoutMs: 90_000 }
          )
        )
        assert.strictEqual(result.status, 0, result.stderr)
        const output = JSON.parse(result.stdout.trim().split("\n").at(-1)!)
        assert.deepStrictEqual(
          [output.rowCount, output.sizeBytes, output.digest, output.version],
          [expected.rows, expected.size, expected.sha256, 1]
        )
        assert.deepStrictEqual(output.columns, [
          "id:integer",
          "amount:number",
          "category:string",
          "flag:boolean",
          "day:datetime",
          "comment:string"
        ])
        assert.isAtMost(output.heapLimitMb, heapMb + 64, "the child ran with the small heap")
      }),
    { timeout: 120_000 }
  )
})
