import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { Effect, Layer, Scope } from "effect"
import { MlopsApi } from "../api/Api.js"

/**
 * The API reference at `/docs`: Scalar's page over the OpenAPI document,
 * with Scalar's script inlined from `@effect/platform`, so it works offline.
 *
 * The page is 3.4 MB, built on the first request for it rather than when
 * the server starts: an idle server whose docs nobody reads keeps about
 * 25 MB less resident (the script's text, the page's and its encoded body).
 */
export const DocsRoute = Layer.scopedDiscard(
  Effect.gen(function* () {
    const router = yield* HttpLayerRouter.HttpRouter
    const scope = yield* Effect.scope
    const page = yield* Effect.cached(
      Effect.promise(() => import("@effect/platform/HttpApiScalar")).pipe(
        Effect.flatMap((scalar) =>
          HttpLayerRouter.toHttpEffect(scalar.layerHttpLayerRouter({ api: MlopsApi, path: "/docs" }))
        ),
        // A router of its own: the server's memo map would hand back the server's router.
        Effect.provideServiceEffect(Layer.CurrentMemoMap, Layer.makeMemoMap),
        Scope.extend(scope)
      )
    )
    yield* router.add("GET", "/docs", Effect.flatten(page))
  })
)

/**
 * `/openapi.json`, generated from {@link MlopsApi} on the first request for
 * it rather than when the server starts, where it took about 50 ms (walking
 * every endpoint's schemas) of a start-up that aims at under a second.
 */
export const OpenApiRoute = Layer.effectDiscard(
  Effect.gen(function* () {
    const router = yield* HttpLayerRouter.HttpRouter
    const document = yield* Effect.cached(Effect.sync(() => HttpServerResponse.unsafeJson(OpenApi.fromApi(MlopsApi))))
    yield* router.add("GET", "/openapi.json", document)
  })
)
