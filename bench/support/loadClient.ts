import { Pool } from "undici"
import { makeBatch } from "../ingest.js"

/**
 * The load generator's client: undici over keep-alive connections, one pool
 * per server. Per sequential run creation (two small requests) it spent
 * 0.17–0.20 ms of CPU here, against 0.25–0.28 ms for `node:http`; `fetch`
 * costs 0.7–1.1 ms per request. In a sequential run the client's time adds
 * to the server's, so the cheapest client measures the server most closely.
 */
const pools = new Map<string, Pool>()

const poolOf = (origin: string): Pool => {
  let pool = pools.get(origin)
  if (pool === undefined) {
    pool = new Pool(origin, { connections: 8 })
    pools.set(origin, pool)
  }
  return pool
}

/** Closes every connection the client opened (a bench's last step, so its process can exit). */
export const closeConnections = async (): Promise<void> => {
  const open = [...pools.values()]
  pools.clear()
  await Promise.all(open.map((pool) => pool.close()))
}

/** POSTs a JSON body and resolves with the parsed answer; a 4xx or 5xx rejects. */
export const post = async (
  url: string,
  body: string | Buffer,
  headers: Readonly<Record<string, string>> = {}
): Promise<unknown> => {
  const { origin, pathname, search } = new URL(url)
  const response = await poolOf(origin).request({
    method: "POST",
    path: `${pathname}${search}`,
    body,
    headers: { "content-type": "application/json", ...headers }
  })
  const text = await response.body.text()
  if (response.statusCode >= 400) throw new Error(`${url}: ${response.statusCode} ${text}`)
  return JSON.parse(text) as unknown
}

// Encoded once, before the clock starts: a string body is UTF-8 encoded on every send, which cost the
// sequential client about 0.2 ms of each 1000-point request.
const logBatchBody = (runId: string, batch: number): Buffer =>
  Buffer.from(JSON.stringify({ run_id: runId, metrics: makeBatch(batch) }))

/** Points per second of `clients` concurrent senders, each sending its own pre-built bodies in sequence. */
export const ingest = async (
  base: string,
  runIds: ReadonlyArray<string>,
  requestsPerClient: number,
  headers: Readonly<Record<string, string>> = {}
): Promise<number> => {
  const bodies = runIds.map((runId) => Array.from({ length: requestsPerClient }, (_, b) => logBatchBody(runId, b)))
  const started = performance.now()
  await Promise.all(
    bodies.map(async (mine) => {
      for (const body of mine) await post(`${base}/api/2.0/mlflow/runs/log-batch`, body, headers)
    })
  )
  const seconds = (performance.now() - started) / 1000
  return (runIds.length * requestsPerClient * 1000) / seconds
}
