import type { HttpLayerRouter } from "@effect/platform"
import { Layer } from "effect"
import type { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import type { Datasets } from "../../core/data/Datasets.js"
import type { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import type { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { ArtifactRoutes } from "./artifacts.js"
import { ExperimentRoutes } from "./experiments.js"
import { InputRoutes } from "./inputs.js"
import { MetricRoutes } from "./metrics.js"
import { NotFoundRoutes } from "./notFound.js"
import { ModelVersionRoutes } from "./modelVersions.js"
import { RegisteredModelRoutes } from "./registeredModels.js"
import { RunRoutes } from "./runs.js"

export { ErrorCode, fromCoreError, MlflowApiError } from "./errors.js"
export { idempotencyKeyHeader } from "./runs.js"

/**
 * MLflow 3 logged models (`/logged-models/...`, `runs/outputs`) are not
 * served yet. They plug in here as one more route layer built on the
 * `LoggedModels` service (src/core/models), next to the others in
 * {@link MlflowRoutes}; `wire.run` then fills `outputs.model_outputs`,
 * `model-versions/create` reads `model_id`, and `get-download-uri` resolves
 * `models:/<model id>` sources (see the notes in runs.ts, inputs.ts,
 * modelVersions.ts and wire.ts). Until then those paths answer 404 like any
 * unknown MLflow endpoint, and MLflow 3 clients fall back where they can.
 */
const LoggedModelRoutes: Layer.Layer<never> = Layer.empty

/**
 * MLflow's REST API (tracking, model registry, artifact proxy), so
 * unmodified MLflow clients in any language can log to this server. Every
 * endpoint answers under `/api/2.0/mlflow/...` and `/ajax-api/2.0/mlflow/...`
 * (artifacts under `/api/2.0/mlflow-artifacts/...`); errors are MLflow's
 * `{ error_code, message }` with MLflow's statuses.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http"
 * import { HttpLayerRouter } from "@effect/platform"
 * import { NodeHttpServer } from "@effect/platform-node"
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
  HttpLayerRouter.HttpRouter | ExperimentTracker | ModelRegistry | ArtifactStore | Datasets
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
