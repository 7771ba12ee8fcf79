import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** One measured figure, with the baseline it was compared against in the same run. */
export interface Figure {
  readonly name: string
  readonly unit: string
  readonly value: number
  readonly baseline?: { readonly name: string; readonly value: number }
  /** value / baseline.value */
  readonly ratio?: number
}

const resultsDir = path.join(path.dirname(new URL(import.meta.url).pathname), "results")

/** Prints the figures as a table and writes them to `bench/results/<suite>.json` with the machine they ran on. */
export const report = (suite: string, figures: ReadonlyArray<Figure>): void => {
  console.log(`\n${suite}`)
  console.table(
    figures.map((f) => ({
      benchmark: f.name,
      value: `${f.value.toLocaleString("en-US")} ${f.unit}`,
      baseline: f.baseline ? `${f.baseline.value.toLocaleString("en-US")} (${f.baseline.name})` : "",
      ratio: f.ratio === undefined ? "" : `${(f.ratio * 100).toFixed(0)}%`
    }))
  )
  fs.mkdirSync(resultsDir, { recursive: true })
  fs.writeFileSync(
    path.join(resultsDir, `${suite}.json`),
    `${JSON.stringify(
      {
        suite,
        date: new Date().toISOString(),
        machine: {
          cpus: os.cpus().length,
          cpu: os.cpus()[0]?.model,
          memoryGiB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version
        },
        figures
      },
      null,
      2
    )}\n`
  )
}
