import { createServer } from "node:http"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Layer } from "effect"
import type { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import type { Datasets } from "../../core/data/Datasets.js"
import type { LoggedModels } from "../../core/models/LoggedModels.js"
import type { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import type { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { MlopsApi } from "../api/Api.js"
import { MlflowRoutes } from "../mlflow/index.js"
import { ArtifactsHandlers } from "./artifacts.js"
import { DatasetsHandlers } from "./datasets.js"
import { DocsRoute, OpenApiRoute } from "./docs.js"
import { ExperimentsHandlers } from "./experiments.js"
import { HealthRoutes } from "./health.js"
import { LoggedModelsHandlers } from "./loggedModels.js"
import { trustedIdentityHeaders } from "./identity.js"
import { loopbackHosts } from "./hosts.js"
import { bodyLimit, hostAllowList, maxBodySize } from "./middleware.js"
import { RegistryHandlers } from "./registry.js"
import { RecordRoute } from "./route.js"
import { makeRequestLog } from "./requestLog.js"
import { RunEventsRoutes } from "./runEvents.js"
import { RunsHandlers } from "./runs.js"
import { defaultUiDirectory, UiRoutes } from "./ui.js"

/** The core services the server exposes. */
export type ServedServices = ExperimentTracker | ModelRegistry | LoggedModels | ArtifactStore | Datasets

/** Options of {@link makeServerLayer}. */
export interface ServerOptions {
  /** TCP port; `0` picks a free one. Default 5000. */
  readonly port?: number
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string
  /**
   * Accepted `Host` header names (ports ignored; `*.example.com` wildcards;
   * `*` accepts all). Default: loopback names plus `host`.
   */
  readonly allowedHosts?: ReadonlyArray<string>
  /** Largest JSON body accepted, in bytes. Streamed uploads are not limited. Default 16 MiB. */
  readonly maxBodyBytes?: number
  /**
   * Let clients name their principal and tenant in `x-mlops-principal` and
   * `x-mlops-tenant` (what `RemoteLayer` sends). Right for a server without
   * authentication, like MLflow trusting a client's `user_id`. Default true.
   */
  readonly trustIdentityHeaders?: boolean
  /**
   * The directory of the built web UI, served at `/`; `false` serves no UI.
   * Default: the package's `dist/ui` (`npm run build:ui`).
   */
  readonly ui?: string | false
}

const maxBodyBytesOf = (options: ServerOptions): number => options.maxBodyBytes ?? 16 * 1024 * 1024

const isStreamedUpload = (path: string): boolean =>
  path === "/api/v1/artifacts/file" ||
  path === "/api/v1/datasets/versions" ||
  path.startsWith("/api/2.0/mlflow-artifacts/artifacts/") ||
  path.startsWith("/ajax-api/2.0/mlflow-artifacts/artifacts/")

/**
 * The native API (with `/openapi.json`), its docs page at `/docs`, the
 * health routes, a run's live event stream and MLflow's REST API.
 */
export const ApiRoutes = Layer.mergeAll(
  HttpLayerRouter.addHttpApi(MlopsApi).pipe(
    Layer.provide([
      ExperimentsHandlers,
      RunsHandlers,
      RegistryHandlers,
      LoggedModelsHandlers,
      ArtifactsHandlers,
      DatasetsHandlers
    ])
  ),
  OpenApiRoute,
  DocsRoute,
  HealthRoutes,
  RunEventsRoutes,
  MlflowRoutes
)

// The matched pattern of each request, for request metrics (see route.ts).
const withRecordedRoutes = <A, E, R>(routes: Layer.Layer<A, E, R>) => routes.pipe(Layer.provide(RecordRoute.layer))

/** Every route of the server with its global middleware, ready for `HttpLayerRouter.serve`. */
export const makeRoutes = (options: ServerOptions = {}) =>
  makeRoutesWith(options, options.trustIdentityHeaders === false ? Layer.empty : trustedIdentityHeaders)

/**
 * {@link makeRoutes} with `identity` as the middleware that decides whom a
 * request acts as (the enterprise server's authentication), in place of the
 * trusted identity headers.
 */
export const makeRoutesWith = <ROut, E, RIn>(options: ServerOptions, identity: Layer.Layer<ROut, E, RIn>) =>
  (options.ui === false ? ApiRoutes : Layer.merge(ApiRoutes, UiRoutes(options.ui ?? defaultUiDirectory()))).pipe(
    withRecordedRoutes,
    Layer.provide(identity),
    Layer.provide(hostAllowList(options.allowedHosts ?? [...loopbackHosts, options.host ?? "127.0.0.1"])),
    Layer.provide(bodyLimit(maxBodyBytesOf(options), isStreamedUpload))
  )

/**
 * The tracking server as a layer: building it listens, releasing it stops
 * accepting connections, lets in-flight requests finish, then releases the
 * services below it (the database closes last). `extraRoutes` (e.g.
 * Prometheus `/metrics`) are served beside the built-in ones, under the
 * same global middleware.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
 * import { makeBasicLayer } from "effect-mlops/layers"
 * import { makeServerLayer } from "effect-mlops/server"
 *
 * makeServerLayer({ port: 5000 }).pipe(
 *   Layer.provide(makeBasicLayer({ dataPath: "./mlops-data" })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 * ```
 */
export const makeServerLayer = (
  options: ServerOptions = {},
  extraRoutes: Layer.Layer<never, never, HttpLayerRouter.HttpRouter> = Layer.empty
): Layer.Layer<never, ServeError, ServedServices> =>
  serve(options, Layer.merge(makeRoutes(options), withRecordedRoutes(extraRoutes)))

/**
 * {@link makeServerLayer} with {@link makeRoutesWith}'s `identity` middleware
 * and, optionally, more routes (e.g. sign-in), which the global middleware
 * (host allow-list, body limit, identity) covers too.
 */
export const makeServerLayerWith = <ROut, E, RIn, E2 = never, R2 = never>(
  options: ServerOptions,
  identity: Layer.Layer<ROut, E, RIn>,
  extraRoutes: Layer.Layer<never, E2, R2> = Layer.empty as Layer.Layer<never, E2, R2>
) => serve(options, Layer.merge(makeRoutesWith(options, identity), withRecordedRoutes(extraRoutes)))

const serve = <E, R>(options: ServerOptions, routes: Layer.Layer<never, E, R>) =>
  HttpLayerRouter.serve(routes, { disableLogger: true, middleware: makeRequestLog() }).pipe(
    Layer.provide(maxBodySize(maxBodyBytesOf(options))),
    Layer.provide(NodeHttpServer.layer(createServer, { port: options.port ?? 5000, host: options.host ?? "127.0.0.1" }))
  )
