/**
 * Baseline child of bench/datasets.ts: the same file through csv-parse alone
 * (no profiling, no storage), in the same heap limit. Prints one JSON line.
 * Usage: parse-only.ts <file.csv>
 */
import * as fs from "node:fs"
import { parse } from "csv-parse"

const [file] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: parse-only.ts <file.csv>")

let rows = 0
fs.createReadStream(file)
  .pipe(parse({ columns: true }))
  .on("data", () => {
    rows++
  })
  .on("end", () => {
    process.stdout.write(
      `${JSON.stringify({ rowCount: rows, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`
    )
  })
  .on("error", (error) => {
    console.error(error)
    process.exit(1)
  })
