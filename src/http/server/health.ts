import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer, Option } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { DefaultExperimentId } from "../../core/tracking/model.js"
import { HealthCheckFailed } from "../../operations/health/errors.js"
import { defaultCheckTimeout, HealthCheck, runChecks } from "../../operations/health/HealthCheck.js"
import { packageVersion } from "./version.js"

const ok = HttpServerResponse.text("OK")

// A composition of the core services without a HealthCheck is ready when its tracker reads the Default experiment.
const trackerReadiness = Effect.flatMap(ExperimentTracker, (tracker) =>
  runChecks([
    {
      name: "store",
      check: tracker.getExperiment(DefaultExperimentId).pipe(
        Effect.as(undefined),
        Effect.mapError((cause) => new HealthCheckFailed({ reason: "the store does not answer", cause }))
      ),
      timeout: defaultCheckTimeout
    }
  ])
)

const readiness = Effect.flatMap(Effect.serviceOption(HealthCheck), (health) =>
  Option.match(health, { onNone: () => trackerReadiness, onSome: (registry) => registry.run })
).pipe(
  Effect.map((report) =>
    HttpServerResponse.unsafeJson(report, {
      status: report.status === "ok" ? 200 : 503,
      headers: { "cache-control": "no-store" }
    })
  )
)

/**
 * `/healthz` (the process answers), `/readyz` (every check of the
 * configuration's {@link HealthCheck} passes: a JSON report of each check's
 * status and latency, 200 or 503; public, so its checks must be cheap or
 * cached, as `artifactStoreCheck` is), `/version` (plain text, as MLflow's
 * `/version`) and MLflow's `/health`.
 */
export const HealthRoutes = Layer.mergeAll(
  HttpLayerRouter.add("GET", "/healthz", ok),
  HttpLayerRouter.add("GET", "/health", ok),
  HttpLayerRouter.add("GET", "/version", HttpServerResponse.text(packageVersion)),
  HttpLayerRouter.add("GET", "/readyz", readiness)
).pipe(Layer.provide(HttpLayerRouter.disableLogger))
