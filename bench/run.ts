/** `npm run bench`: every benchmark, printed and written to bench/results/*.json. */
import { runIngest } from "./ingest.js"
import { report } from "./report.js"

runIngest().then((figures) => report("ingest", figures))
