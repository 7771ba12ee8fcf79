import { createServer } from "node:http"
import * as path from "node:path"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Context, Effect, Layer } from "effect"
import { type CoreServices, makeBasicLayer } from "../../../layers/Basic.js"
import { makeRoutes } from "../../../src/http/server/Server.js"
import { tempDir } from "../../support/sqlite.js"

/** The base URL of a running server, e.g. `http://127.0.0.1:41234`. */
export class ServerUrl extends Context.Tag("test/http/mlflow/ServerUrl")<ServerUrl, string>() {}

/**
 * The whole server (`makeRoutes`: MLflow's API with the native API, health
 * routes and the Host allow-list) served on a real loopback port over the SQLite-backed core
 * (`makeBasicLayer`) in a fresh temporary directory. The core services are
 * exposed too, so a test can check what a request stored.
 */
export const MlflowServer: Layer.Layer<ServerUrl | CoreServices, unknown> = Layer.unwrapScoped(
  Effect.map(tempDir("effect-mlops-mlflow-http"), (dir) => {
    const Core = makeBasicLayer({ dataPath: path.join(dir, "data") })
    const Http = NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })
    const Url = Layer.effect(
      ServerUrl,
      HttpServer.addressWith((address) =>
        Effect.succeed(address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "")
      )
    )
    return Url.pipe(
      Layer.provideMerge(HttpLayerRouter.serve(makeRoutes(), { disableLogger: true, disableListenLog: true })),
      Layer.provideMerge(Core),
      Layer.provideMerge(Http)
    )
  })
)

/** A response as a test reads it: status, headers, body text and, when it is JSON, the parsed body. */
export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: unknown
}

/** What to send: a JSON message, or raw bytes/text, plus headers. */
export interface Send {
  readonly json?: unknown
  readonly body?: string | Uint8Array
  readonly headers?: Record<string, string>
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Sends one request to the server with `fetch`, as an MLflow client would:
 * JSON messages with `Content-Type: application/json`.
 */
export const call = (method: string, pathAndQuery: string, send: Send = {}) =>
  Effect.flatMap(ServerUrl, (url) =>
    Effect.promise(async (): Promise<Reply> => {
      const headers: Record<string, string> = { ...send.headers }
      // A fresh copy: fetch's body type wants an ArrayBuffer-backed view.
      let body: string | Uint8Array<ArrayBuffer> | undefined =
        typeof send.body === "string" || send.body === undefined ? send.body : new Uint8Array(send.body)
      if (send.json !== undefined) {
        headers["content-type"] = "application/json"
        body = JSON.stringify(send.json)
      }
      const response = await fetch(`${url}${pathAndQuery}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body })
      })
      const text = await response.text()
      return { status: response.status, headers: response.headers, text, json: parseJson(text) }
    })
  )
