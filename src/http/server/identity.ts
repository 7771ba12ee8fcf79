import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, Schema } from "effect"
import { CurrentPrincipal, CurrentTenant, Principal, TenantId } from "../../core/context.js"
import { IdentityHeaders } from "../api/identity.js"

const decodeTenant = Schema.decodeUnknownEither(TenantId)

/**
 * On a server without authentication the client says who it is, as MLflow
 * clients send `user_id`: the headers set `CurrentPrincipal` and
 * `CurrentTenant` for the request. A server that authenticates must not
 * install this; its authenticator provides both.
 */
export const trustedIdentityHeaders = HttpLayerRouter.middleware(
  (app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const principal = request.headers[IdentityHeaders.principal]
      const tenant = request.headers[IdentityHeaders.tenant]
      let scoped = app
      if (principal !== undefined && principal !== "") {
        scoped = Effect.provideService(scoped, CurrentPrincipal, new Principal({ id: principal }))
      }
      if (tenant !== undefined) {
        const decoded = decodeTenant(tenant)
        if (Either.isLeft(decoded)) {
          return Effect.succeed(
            HttpServerResponse.unsafeJson(
              {
                _tag: "InvalidArgument",
                field: IdentityHeaders.tenant,
                reason: "a tenant id is a non-empty trimmed string"
              },
              { status: 400 }
            )
          )
        }
        scoped = Effect.provideService(scoped, CurrentTenant, decoded.right)
      }
      return scoped
    }),
  { global: true }
)
