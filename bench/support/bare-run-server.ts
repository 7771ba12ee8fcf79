/**
 * The floor for run creation over HTTP on this machine: a bare `node:http`
 * server that does what `runs/create` and a small `log-batch` must at least
 * do — parse the JSON body, write in one SQLite transaction (WAL, the same
 * pragmas as BasicLayer), answer JSON — and nothing else: no validation, no
 * routing, no tags, no latest-metric maintenance. `npx tsx bench/support/bare-run-server.ts <port> <db file>`.
 */
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"
import Database from "better-sqlite3"

const [port, file] = [Number(process.argv[2]), process.argv[3] ?? ":memory:"]
const db = new Database(file)
db.pragma("journal_mode = WAL")
db.pragma("synchronous = NORMAL")
db.exec(`CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, experiment_id INTEGER, start_time INTEGER);
  CREATE TABLE IF NOT EXISTS metrics (run_id TEXT, key TEXT, value REAL, timestamp INTEGER, step INTEGER);
  CREATE TABLE IF NOT EXISTS params (run_id TEXT, key TEXT, value TEXT, PRIMARY KEY (run_id, key))`)
const insertRun = db.prepare("INSERT INTO runs VALUES (?, ?, ?)")
const insertMetric = db.prepare("INSERT INTO metrics VALUES (?, ?, ?, ?, ?)")
const insertParam = db.prepare("INSERT INTO params VALUES (?, ?, ?)")

interface Body {
  readonly experiment_id?: string
  readonly start_time?: number
  readonly run_id?: string
  readonly metrics?: ReadonlyArray<{ key: string; value: number; timestamp: number; step: number }>
  readonly params?: ReadonlyArray<{ key: string; value: string }>
}

const create = db.transaction((runId: string, body: Body) =>
  insertRun.run(runId, Number(body.experiment_id), body.start_time)
)
const batch = db.transaction((body: Body) => {
  for (const m of body.metrics ?? []) insertMetric.run(body.run_id, m.key, m.value, m.timestamp, m.step)
  for (const p of body.params ?? []) insertParam.run(body.run_id, p.key, p.value)
})

createServer((request, response) => {
  let text = ""
  request.setEncoding("utf8").on("data", (chunk: string) => {
    text += chunk
  })
  request.on("end", () => {
    const body = JSON.parse(text || "{}") as Body
    response.setHeader("content-type", "application/json")
    if (request.url?.endsWith("/runs/create")) {
      const runId = randomUUID().replaceAll("-", "")
      create(runId, body)
      response.end(JSON.stringify({ run: { info: { run_id: runId } } }))
    } else if (request.url?.endsWith("/experiments/create")) {
      response.end(JSON.stringify({ experiment_id: "1" }))
    } else {
      batch(body)
      response.end("{}")
    }
  })
}).listen(port, "127.0.0.1", () => process.stdout.write("ready\n"))
