/**
 * The tracking server on BasicLayer: `npx tsx programs/serve.ts`, or
 * `effect-mlops server`. Data under MLOPS_DATA_DIR (default ./mlops-data),
 * port PORT (default 5000), interface HOST (default 127.0.0.1). SIGINT or
 * SIGTERM stops it gracefully: in-flight requests finish, then the database
 * closes. Telemetry goes over OTLP when the `OTEL_*` environment names an
 * endpoint; Prometheus can scrape `/metrics`.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Effect, Layer } from "effect"
import { BasicLayer } from "../layers/index.js"
import { TelemetryLive, TelemetryRoutes, withTelemetry } from "../layers/Telemetry.js"
import { makeServerLayer } from "../src/http/index.js"

const ServerLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const port = yield* Config.port("PORT").pipe(Config.withDefault(5000))
    const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
    return makeServerLayer({ port, host }, TelemetryRoutes)
  })
)

ServerLive.pipe(
  Layer.provide(withTelemetry(BasicLayer, TelemetryLive)),
  Layer.tap(() => Effect.logInfo(`ready in ${Math.round(process.uptime() * 1000)} ms since the process started`)),
  Layer.launch,
  NodeRuntime.runMain
)
