import { Pool } from "undici"
import { makeBatch } from "../ingest.js"

/**
 * The load generator's client: undici over keep-alive connections, one pool
 * per server. Per sequential run creation (two small requests) its
 * `request` spent 0.17–0.20 ms of CPU here, against 0.25–0.28 ms for
 * `node:http`; `fetch` costs 0.7–1.1 ms per request. In a sequential run
 * the client's time adds to the server's, so the cheapest client measures
 * the server most closely.
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

/**
 * POSTs a JSON body and resolves with the parsed answer; a 4xx or 5xx rejects.
 * Through the pool's `dispatch`, which hands over the answer's chunks as they
 * arrive: `request` wraps them in a stream and a promise per request, which
 * cost a sequential run creation 0.14–0.32 ms of client CPU against
 * 0.09–0.20 ms here (against the bare server, alternated).
 */
export const post = (url: string, body: string | Buffer, headers: Readonly<Record<string, string>> = {}) => {
  const { origin, pathname, search } = new URL(url)
  return new Promise<unknown>((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let status = 0
    poolOf(origin).dispatch(
      {
        method: "POST",
        path: `${pathname}${search}`,
        body,
        headers: { "content-type": "application/json", ...headers }
      },
      {
        onConnect: () => {},
        onHeaders: (statusCode) => {
          status = statusCode
          return true
        },
        onData: (chunk) => {
          chunks.push(chunk)
          return true
        },
        onComplete: () => {
          const text = Buffer.concat(chunks).toString("utf8")
          if (status >= 400) reject(new Error(`${url}: ${status} ${text}`))
          else resolve(JSON.parse(text))
        },
        onError: reject
      }
    )
  })
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
