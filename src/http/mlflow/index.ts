import type * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Layer } from "effect"
import type { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import type { Datasets } from "../../core/data/Datasets.js"
import type { LoggedModels } from "../../core/models/LoggedModels.js"
import type { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import type { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { ArtifactRoutes } from "./artifacts.js"
import { ExperimentRoutes } from "./experiments.js"
import { InputRoutes } from "./inputs.js"
import { LoggedModelRoutes } from "./loggedModels.js"
import { MetricRoutes } from "./metrics.js"
import { NotFoundRoutes } from "./notFound.js"
import { ModelVersionRoutes } from "./modelVersions.js"
import { RegisteredModelRoutes } from "./registeredModels.js"
import { RunRoutes } from "./runs.js"

export { ErrorCode, fromCoreError, MlflowApiError } from "./errors.js"
export { idempotencyKeyHeader } from "./runs.js"

/**
 * MLflow's REST API (tracking, MLflow 3 logged models, model registry,
 * artifact proxy), so unmodified MLflow clients in any language can log to
 * this server. Every
 * endpoint answers under `/api/2.0/mlflow/...` and `/ajax-api/2.0/mlflow/...`
 * (artifacts under `/api/2.0/mlflow-artifacts/...`); errors are MLflow's
 * `{ error_code, message }` with MLflow's statuses.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http"
 * import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
 * import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
 * import { Layer } from "effect"
 * import { makeBasicLayer } from "effect-mlops/layers"
 *
 * HttpLayerRouter.serve(MlflowRoutes).pipe(
 *   Layer.provide(makeBasicLayer({ dataPath: "./mlops-data" })),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 5000 })),
 *   Layer.launch
 * )
 * ```
 */
export const MlflowRoutes: Layer.Layer<
  never,
  never,
  HttpLayerRouter.HttpRouter | ExperimentTracker | ModelRegistry | LoggedModels | ArtifactStore | Datasets
> = Layer.mergeAll(
  ExperimentRoutes,
  RunRoutes,
  InputRoutes,
  MetricRoutes,
  RegisteredModelRoutes,
  ModelVersionRoutes,
  ArtifactRoutes,
  LoggedModelRoutes,
  NotFoundRoutes
)
