/**
 * The run-creation load generator in a process of its own:
 * `npx tsx bench/support/creationClient.ts <base url> <experiment id>`
 * prints the {@link creationRates} of sequential MLflow run creations
 * against that server as JSON.
 */
import { Effect } from "effect"
import { createRunOverHttp, creationRates } from "./creation.js"
import { closeConnections } from "./loadClient.js"

const [base, experimentId] = process.argv.slice(2)
if (base === undefined || experimentId === undefined) {
  process.stderr.write("usage: creationClient.ts <base url> <experiment id>\n")
  process.exit(2)
}

const rates = await Effect.runPromise(
  creationRates((i) => Effect.promise(() => createRunOverHttp(base, experimentId, i)))
)
await closeConnections()
process.stdout.write(JSON.stringify(rates))
