import * as HttpApi from "@effect/platform/HttpApi"
import * as OpenApi from "@effect/platform/OpenApi"
import { Forbidden } from "../../core/errors.js"
import { packageVersion } from "../server/version.js"
import { ArtifactsGroup } from "./artifacts.js"
import { DatasetsGroup } from "./datasets.js"
import { ExperimentsGroup } from "./experiments.js"
import { LoggedModelsGroup } from "./loggedModels.js"
import { RegistryGroup } from "./registry.js"
import { RunsGroup } from "./runs.js"
import { status } from "./status.js"

// Effect marks every `unknown` schema with the same `$id`, which OpenAPI
// validators reject as a duplicate; inside `components` the ids carry nothing.
const stripIds = (node: unknown): unknown =>
  Array.isArray(node)
    ? node.map(stripIds)
    : typeof node === "object" && node !== null
      ? Object.fromEntries(
          Object.entries(node).flatMap(([key, value]) => (key === "$id" ? [] : [[key, stripIds(value)]]))
        )
      : node

const withoutSchemaIds = (spec: Record<string, unknown>): Record<string, unknown> =>
  stripIds(spec) as Record<string, unknown>

/**
 * The native HTTP API, defined once: the server implements it, `RemoteLayer`
 * derives its client from it and `/openapi.json` is generated from it.
 *
 * @example
 * ```ts
 * import * as HttpApiClient from "@effect/platform/HttpApiClient"
 * import { MlopsApi } from "effect-mlops/http"
 *
 * const client = HttpApiClient.make(MlopsApi, { baseUrl: "http://127.0.0.1:5000" })
 * ```
 */
export class MlopsApi extends HttpApi.make("effect-mlops")
  .add(ExperimentsGroup)
  .add(RunsGroup)
  .add(RegistryGroup)
  .add(LoggedModelsGroup)
  .add(ArtifactsGroup)
  .add(DatasetsGroup)
  // Any call may be refused by an authorization layer around the services
  // (enterprise RBAC): declared once here, every endpoint answers it with 403
  // and the derived client fails with the same class.
  .addError(Forbidden, status.forbidden)
  .prefix("/api/v1")
  .annotate(OpenApi.Transform, withoutSchemaIds)
  .annotateContext(
    OpenApi.annotations({
      title: "effect-mlops",
      version: packageVersion,
      description:
        "Experiment tracking, model registry, artifacts and datasets. Every error body carries `_tag` and the fields of its tagged error; a malformed filter carries the character `position`.",
      license: { name: "MIT" }
    })
  ) {}
