import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Deferred, Effect, Layer, Queue } from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { layerWebhookEvents } from "../../../src/operations/webhooks/events.js"
import { Webhooks, type WebhooksOptions } from "../../../src/operations/webhooks/Webhooks.js"
import { SqliteTest } from "../../support/sqlite.js"

/** One request a receiver got. */
export interface Received {
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** How the receiver answers a request. */
export interface Answer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  /** The answer is held back until this is done: a slow receiver. */
  readonly after?: Deferred.Deferred<void>
}

/**
 * A real HTTP receiver on a free loopback port: it answers with `answers`
 * in turn (then 200) and queues every request it got, closed with the scope.
 */
export const receiver = (answers: ReadonlyArray<Answer> = []) =>
  Effect.gen(function* () {
    const received = yield* Queue.unbounded<Received>()
    const pending = [...answers]
    const server = yield* Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        const server = http.createServer((request, response) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => {
            Queue.unsafeOffer(received, { headers: request.headers, body: Buffer.concat(chunks).toString("utf8") })
            const answer: Answer = pending.shift() ?? { status: 200 }
            const respond = () => {
              response.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers })
              response.end(answer.status < 300 ? "thanks" : "not now")
            }
            if (answer.after === undefined) respond()
            else Effect.runFork(Effect.andThen(Deferred.await(answer.after), Effect.sync(respond)))
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}/hooks`, received }
  })

/** Options for tests: loopback receivers allowed, short delays, three attempts. */
export const testOptions: WebhooksOptions = {
  allowPrivateNetworks: true,
  maxAttempts: 3,
  baseDelay: "1 second",
  maxDelay: "1 minute"
}

/**
 * The registry and tracker decorated with webhook events, and `Webhooks`,
 * over one SQL store (a fresh SQLite file unless `sql` is given).
 */
export const makeStore = <E, R>(
  sql: Layer.Layer<import("@effect/sql").SqlClient.SqlClient, E, R>,
  options: WebhooksOptions = testOptions
) => {
  const Core = ModelRegistry.layer.pipe(Layer.provideMerge(ExperimentTracker.layer))
  return layerWebhookEvents.pipe(Layer.provide(Core), Layer.provideMerge(Webhooks.layer(options)), Layer.provide(sql))
}

/** {@link makeStore} over a fresh SQLite file. */
export const SqliteStore = makeStore(SqliteTest)
