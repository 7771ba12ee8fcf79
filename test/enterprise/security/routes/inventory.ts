import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Effect, Layer } from "effect"
import { TestLayer } from "../../../../layers/Test.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Authorizer } from "../../../../src/enterprise/auth/rbac/Authorizer.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { RbacMlflowRoutes } from "../../../../src/enterprise/auth/rbac/mlflowRoutes.js"
import { Sessions } from "../../../../src/enterprise/auth/session/Sessions.js"
import { SsoDirectory } from "../../../../src/enterprise/auth/session/SsoDirectory.js"
import { makeAdminRoutes } from "../../../../src/enterprise/http/admin/AdminRoutes.js"
import { makeSsoRoutes } from "../../../../src/enterprise/http/sso/SsoRoutes.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import { AuditRoutes } from "../../../../src/enterprise/security/audit/routes.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { MlopsApi } from "../../../../src/http/api/Api.js"
import { ApiRoutes } from "../../../../src/http/server/Server.js"
import { PrometheusRoutes } from "../../../../src/operations/telemetry/prometheus.js"
import { WebhookRoutes } from "../../../../src/operations/webhooks/routes.js"
import { Webhooks } from "../../../../src/operations/webhooks/Webhooks.js"
import {
  distinctRoutes,
  httpApiEndpoints,
  type InventoryRoute,
  recordRoutes,
  routeKey,
  unusable
} from "../../../support/routeInventory.js"

/** Which API a route belongs to, and so which error shape it answers in. */
export type RouteFamily = "native" | "mlflow" | "public"

/** A route of the enterprise server, classified. */
export interface ServedRoute extends InventoryRoute {
  readonly family: RouteFamily
  /** `group.endpoint` for the native HttpApi's endpoints. */
  readonly endpoint?: string
}

/**
 * The paths anyone may call without credentials, as the enterprise server
 * means them: probes, the API description and its docs, and the sign-in
 * routes (which authenticate by themselves). Every other route must refuse
 * an anonymous caller.
 */
export const isPublicPath = (path: string): boolean =>
  path === "/healthz" ||
  path === "/health" ||
  path === "/readyz" ||
  path === "/version" ||
  path === "/metrics" ||
  path === "/openapi.json" ||
  path === "/docs" ||
  path.startsWith("/auth/")

const isMlflowPath = (path: string): boolean =>
  path.startsWith("/api/2.0/") || path.startsWith("/ajax-api/2.0/") || path === "/get-artifact"

/**
 * The routes the enterprise server registers, recorded from the code: the
 * server's API routes (`ApiRoutes`: the native HttpApi, its docs, health,
 * run events, MLflow's REST API) plus the enterprise server's own (sign-in,
 * the admin API, the audit trail, MLflow's permission API, the webhooks', Prometheus' /metrics), mirroring
 * `enterpriseRoutes` in layers/Enterprise.ts (not exported: a route added
 * there must be added here too). Services are captured, never called.
 */
export const enterpriseRoutes: Effect.Effect<ReadonlyArray<ServedRoute>> = Effect.gen(function* () {
  const recorded = yield* recordRoutes(
    Layer.mergeAll(
      ApiRoutes,
      makeSsoRoutes({}),
      makeAdminRoutes({}),
      AuditRoutes,
      RbacMlflowRoutes,
      WebhookRoutes,
      PrometheusRoutes
    ).pipe(
      Layer.provide(
        Layer.mergeAll(
          TestLayer,
          NodeHttpServer.layerContext,
          unusable(Principals),
          unusable(ApiKeys),
          unusable(Grants),
          unusable(Authorizer),
          unusable(AuditTrail),
          unusable(Sessions),
          unusable(Tenants),
          unusable(SsoDirectory),
          unusable(Webhooks)
        )
      )
    )
  )
  const endpoints = new Map(httpApiEndpoints(MlopsApi).map((e) => [routeKey(e), e.name]))
  return distinctRoutes(recorded).map((route): ServedRoute => {
    const endpoint = endpoints.get(routeKey(route))
    return {
      ...route,
      family: isPublicPath(route.path) ? "public" : isMlflowPath(route.path) ? "mlflow" : "native",
      ...(endpoint === undefined ? {} : { endpoint })
    }
  })
}).pipe(Effect.orDie)
