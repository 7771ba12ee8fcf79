import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, type Layer, Schema } from "effect"
import { InvalidArgument, InvalidPageToken } from "../../../core/errors.js"
import { Authorizer } from "../../auth/rbac/Authorizer.js"
import { errorResponse, requireTenantAdmin } from "../../http/admin/respond.js"
import { AuditTrail } from "./AuditTrail.js"
import { AuditPage, type AuditQuery, AuditReport } from "./model.js"

const encodePage = Schema.encodeSync(AuditPage)
const encodeReport = Schema.encodeSync(AuditReport)
const encodeInvalidArgument = Schema.encodeSync(InvalidArgument)
const encodeInvalidPageToken = Schema.encodeSync(InvalidPageToken)

/** A time as epoch milliseconds or an ISO 8601 date. */
const parseTime = (field: string, value: string | null): Either.Either<number | undefined, InvalidArgument> => {
  if (value === null || value === "") return Either.right(undefined)
  const millis = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  return Number.isSafeInteger(millis) && millis >= 0
    ? Either.right(millis)
    : Either.left(new InvalidArgument({ field, reason: "must be epoch milliseconds or an ISO 8601 time" }))
}

const parseLimit = (value: string | null): Either.Either<number | undefined, InvalidArgument> => {
  if (value === null || value === "") return Either.right(undefined)
  return /^\d+$/.test(value)
    ? Either.right(Number(value))
    : Either.left(new InvalidArgument({ field: "limit", reason: "must be an integer" }))
}

/** The query of `GET /api/v1/audit`; each filter accepts its camelCase or snake_case name. */
const queryOf = (params: URLSearchParams): Either.Either<AuditQuery, InvalidArgument> =>
  Either.gen(function* () {
    const text = (...names: ReadonlyArray<string>) => {
      for (const name of names) {
        const value = params.get(name)
        if (value !== null && value !== "") return value
      }
      return undefined
    }
    const from = yield* parseTime("from", params.get("from"))
    const to = yield* parseTime("to", params.get("to"))
    const limit = yield* parseLimit(params.get("limit") ?? params.get("max_results"))
    const filters = {
      from,
      to,
      principal: text("principal"),
      action: text("action"),
      resourceKind: text("resourceKind", "resource_kind"),
      resourceId: text("resourceId", "resource_id"),
      limit,
      pageToken: text("pageToken", "page_token")
    }
    return Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)) as AuditQuery
  })

const invalid = (error: InvalidArgument | InvalidPageToken) =>
  HttpServerResponse.unsafeJson(
    error._tag === "InvalidArgument" ? encodeInvalidArgument(error) : encodeInvalidPageToken(error),
    { status: 400 }
  )

const searchParams = (url: string) => {
  const question = url.indexOf("?")
  return new URLSearchParams(question < 0 ? "" : url.slice(question + 1))
}

/**
 * The audit trail of the caller's tenant over HTTP:
 *
 * - `GET /api/v1/audit?from=&to=&principal=&action=&resourceKind=&resourceId=&limit=&pageToken=`
 *   answers `{ entries, nextPageToken? }`, newest first (times in epoch
 *   milliseconds or ISO 8601; `limit` 1–1000, default 100);
 * - `GET /api/v1/audit/verify` answers the tenant's {@link AuditReport}.
 *
 * The tenant is the request's (`CurrentTenant`, set by authentication), so
 * no one reads another tenant's trail, and only the tenant's admins read it
 * (the `admin` role on the tenant): anyone else gets 403 `Forbidden`, a
 * request without a caller 401.
 */
export const AuditRoutes: Layer.Layer<never, never, HttpLayerRouter.HttpRouter | AuditTrail | Authorizer> =
  HttpLayerRouter.use((router) =>
    Effect.gen(function* () {
      const trail = yield* AuditTrail
      const authorizer = yield* Authorizer
      /** `answer` once the caller is an admin of its tenant; the refusal otherwise. */
      const adminOnly =
        (action: string) =>
        <R>(answer: Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>) =>
          Effect.flatMap(Effect.either(requireTenantAdmin(authorizer, action)), (allowed) =>
            Either.isLeft(allowed) ? Effect.succeed(errorResponse(allowed.left)) : answer
          )
      yield* router.add(
        "GET",
        "/api/v1/audit",
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const query = queryOf(searchParams(request.url))
          if (Either.isLeft(query)) return invalid(query.left)
          return yield* trail.query(query.right).pipe(
            Effect.map((page) => HttpServerResponse.unsafeJson(encodePage(page))),
            Effect.catchAll((error) => Effect.succeed(invalid(error)))
          )
        }).pipe(adminOnly("audit.query"))
      )
      yield* router.add(
        "GET",
        "/api/v1/audit/verify",
        Effect.map(Effect.suspend(trail.verify), (report) => HttpServerResponse.unsafeJson(encodeReport(report))).pipe(
          adminOnly("audit.verify")
        )
      )
    })
  )
