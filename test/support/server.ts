import { createServer } from "node:http"
import * as path from "node:path"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { makeRoutes, type ServedServices, type ServerOptions } from "../../src/http/server/Server.js"
import { tempDir } from "./sqlite.js"

/**
 * Serves the server's routes over `services` on a free loopback port for
 * the current scope and returns the base URL. Request logs are silenced.
 */
export const startServer = <E, R>(
  services: Layer.Layer<ServedServices, E, R>,
  options: Omit<ServerOptions, "port" | "host"> = {}
) => serveRoutes(makeRoutes(options), services)

/** {@link startServer} with the given routes (e.g. `makeRoutesWith` and the enterprise authentication). */
export const serveRoutes = <E, R, ROut, E2, R2>(
  routes: Layer.Layer<never, E, R>,
  services: Layer.Layer<ROut, E2, R2>
) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      HttpLayerRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
        Layer.provide(services),
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
        Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
      )
    )
    const server = yield* Effect.provide(HttpServer.HttpServer, context)
    const address = server.address
    if (address._tag !== "TcpAddress") return yield* Effect.dieMessage("expected a TCP address")
    return `http://127.0.0.1:${address.port}`
  })

/** {@link startServer} over BasicLayer's services (SQLite + local artifacts) in a fresh temporary directory. */
export const startBasicServer = (options: Omit<ServerOptions, "port" | "host"> = {}) =>
  Effect.flatMap(tempDir("effect-mlops-server"), (dir) =>
    startServer(makeBasicLayer({ dataPath: path.join(dir, "data") }), options)
  )
