import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { runProcess } from "../../package/process.js"
import { tempDir } from "../../support/sqlite.js"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const script = path.join(repoRoot, "test", "core", "data", "support", "profile-large.ts")

const heapMb = 64
const targetBytes = 200 * 2 ** 20
const categories = ["alpha", "beta", "gamma", "delta", "epsilon"]
const words = "the quick brown fox jumps over a lazy dog while streaming sketches keep memory bounded".split(" ")

/** One row of about 150 bytes: numbers, a category, a flag, a date and a quoted free-text comment. */
const row = (i: number): string => {
  let comment = ""
  for (let w = 0; w < 18; w++) comment += `${words[(i * 31 + w * 7) % words.length]} `
  const day = `2024-0${(i % 9) + 1}-1${i % 10}`
  return `${i},${((i * 7919) % 100_003) / 100},${categories[i % 5]},${i % 3 === 0},${day},"${comment}#${i % 1000}"\n`
}

/**
 * Writes a CSV of about `targetBytes` block by block (never whole in memory),
 * hashing it on the way. Returns its row count, size and SHA-256.
 */
const generate = (file: string) =>
  Effect.promise(async () => {
    const out = fs.createWriteStream(file)
    const hash = createHash("sha256")
    const write = async (text: string) => {
      hash.update(text)
      if (!out.write(text)) await new Promise<void>((resolve) => out.once("drain", () => resolve()))
    }
    await write("id,amount,category,flag,day,comment\n")
    let bytes = 0
    let rows = 0
    while (bytes < targetBytes) {
      let block = ""
      for (let i = 0; i < 10_000; i++) block += row(rows++)
      bytes += block.length
      await write(block)
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
    return { rows, sha256: hash.digest("hex"), size: fs.statSync(file).size }
  })

describe("Datasets on a file larger than the heap", () => {
  it.scoped(
    `profiles a ~200 MB CSV in a child process limited to a ${heapMb} MB heap`,
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir("effect-mlops-large")
        const file = path.join(dir, "large.csv")
        const expected = yield* generate(file)
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
