import { HttpLayerRouter, HttpServerResponse } from "@effect/platform"
import { Effect, Layer } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { DefaultExperimentId } from "../../core/tracking/model.js"
import { packageVersion } from "./version.js"

const ok = HttpServerResponse.text("OK")

/**
 * `/healthz` (the process answers), `/readyz` (the store answers a read),
 * `/version` (plain text, as MLflow's `/version`) and MLflow's `/health`.
 */
export const HealthRoutes = Layer.mergeAll(
  HttpLayerRouter.add("GET", "/healthz", ok),
  HttpLayerRouter.add("GET", "/health", ok),
  HttpLayerRouter.add("GET", "/version", HttpServerResponse.text(packageVersion)),
  HttpLayerRouter.add(
    "GET",
    "/readyz",
    Effect.flatMap(ExperimentTracker, (tracker) => tracker.getExperiment(DefaultExperimentId)).pipe(
      Effect.as(ok),
      Effect.catchAllCause((cause) =>
        Effect.as(
          Effect.logWarning("readiness check failed", cause),
          HttpServerResponse.text("the store does not answer", { status: 503 })
        )
      )
    )
  )
).pipe(Layer.provide(HttpLayerRouter.disableLogger))
