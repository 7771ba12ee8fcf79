/**
 * `npm run bench`: every benchmark, printed and written to bench/results/*.json.
 * `npm run bench -- ingest search` runs only the named suites.
 */
import { runDatasets } from "./datasets.js"
import { runDrift } from "./drift.js"
import { runEnterprise } from "./enterprise.js"
import { runHistory } from "./history.js"
import { runHttp } from "./http.js"
import { runIngest } from "./ingest.js"
import type { Figure } from "./report.js"
import { report } from "./report.js"
import { runSearch } from "./search.js"
import { runTelemetry } from "./telemetry.js"
import { runUi } from "./ui.js"

const suites: Record<string, () => Promise<ReadonlyArray<Figure>>> = {
  ingest: runIngest,
  search: runSearch,
  history: runHistory,
  datasets: runDatasets,
  http: runHttp,
  ui: runUi,
  enterprise: runEnterprise,
  drift: runDrift,
  telemetry: runTelemetry
}

const wanted = process.argv.slice(2)
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length === 0 || wanted.includes(name)) report(name, await run())
}
