/**
 * Dataset profiling benchmark: a 1 GB CSV registered through `Datasets` on
 * BasicLayer in a child process limited to a 256 MB heap (streamed content
 * digest, storage, schema inference and the profile's sketches), against the
 * same file through csv-parse alone in the same heap — the floor any profile
 * built on that parser can reach.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { generateCsv } from "../test/support/large-csv.js"
import type { Figure } from "./report.js"
import { round } from "./stats.js"

const repoRoot = fileURLToPath(new URL("..", import.meta.url))
const heapMb = 256
const fileBytes = 2 ** 30

const child = (script: string, args: ReadonlyArray<string>) =>
  new Promise<{ readonly ms: number; readonly result: { readonly rowCount?: number; readonly maxRssMb?: number } }>(
    (resolve, reject) => {
      const started = performance.now()
      const proc = spawn(
        process.execPath,
        [`--max-old-space-size=${heapMb}`, "--import", "tsx", path.join(repoRoot, script), ...args],
        { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] }
      )
      let stdout = ""
      proc.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString()
      })
      proc.on("error", reject)
      proc.on("close", (code) => {
        if (code !== 0) return reject(new Error(`${script} exited with ${code}`))
        const last = stdout.trim().split("\n").pop() ?? "{}"
        resolve({ ms: performance.now() - started, result: JSON.parse(last) })
      })
    }
  )

export const runDatasets = async (): Promise<ReadonlyArray<Figure>> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-datasets-"))
  try {
    const file = path.join(dir, "large.csv")
    const { rows, size } = await generateCsv(file, fileBytes)
    const profiled = await child("test/core/data/support/profile-large.ts", [path.join(dir, "store"), file])
    if (profiled.result.rowCount !== rows) throw new Error(`profiled ${profiled.result.rowCount} rows, wrote ${rows}`)
    const parsed = await child("bench/support/parse-only.ts", [file])
    const mb = size / 2 ** 20
    return [
      {
        name: `Datasets.register ${Math.round(mb)} MB CSV, ${heapMb} MB heap (peak RSS ${profiled.result.maxRssMb} MB)`,
        unit: "MB/s",
        value: round(mb / (profiled.ms / 1000)),
        baseline: { name: "csv-parse alone, same file and heap, MB/s", value: round(mb / (parsed.ms / 1000)) },
        ratio: parsed.ms / profiled.ms
      },
      {
        name: "Datasets.register rows/s",
        unit: "rows/s",
        value: Math.round(rows / (profiled.ms / 1000)),
        baseline: { name: "csv-parse alone, rows/s", value: Math.round(rows / (parsed.ms / 1000)) },
        ratio: parsed.ms / profiled.ms
      }
    ]
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
