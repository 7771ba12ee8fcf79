import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, Layer, Option } from "effect"
import { actingAs, Principal } from "../../core/context.js"
import { Authenticator, CurrentCaller } from "../auth/Authenticator.js"

/**
 * Paths that serve data, whatever their prefix: the API, and MLflow's
 * artifact download at the root (`/get-artifact`, `/model-versions/get-artifact`).
 */
const isApiPath = (path: string): boolean =>
  path.startsWith("/api/") || path.startsWith("/ajax-api/") || path.endsWith("/get-artifact")

/** Paths anyone may read: probes, the API's description, the web UI's files and the sign-in routes. */
const isPublic = (path: string): boolean =>
  path === "/healthz" ||
  path === "/readyz" ||
  path === "/version" ||
  path === "/openapi.json" ||
  path === "/docs" ||
  path.startsWith("/auth/") ||
  !isApiPath(path)

const isMlflowPath = (path: string): boolean =>
  path.startsWith("/api/2.0/") ||
  path.startsWith("/ajax-api/2.0/") ||
  path.startsWith("/api/3.0/") ||
  path.endsWith("/get-artifact")

/** MLflow clients read `error_code`; the native API's clients read tagged errors. */
const refuse = (
  path: string,
  status: 401 | 403,
  message: string,
  refused: { readonly action: string; readonly resource: string } = { action: "", resource: "" }
) =>
  HttpServerResponse.unsafeJson(
    isMlflowPath(path)
      ? { error_code: status === 401 ? "UNAUTHENTICATED" : "PERMISSION_DENIED", message }
      : status === 401
        ? { _tag: "Unauthenticated", message }
        : { _tag: "Forbidden", ...refused, message },
    {
      status,
      headers: status === 401 ? { "www-authenticate": 'Bearer realm="effect-mlops", Basic realm="effect-mlops"' } : {}
    }
  )

/** MLflow 3's workspace header: a client may name its tenant, which must be the caller's own. */
const workspaceHeader = "x-mlflow-workspace"

/**
 * Authenticates every API request with the {@link Authenticator} and runs
 * its handler as the caller: `CurrentTenant` is the caller's tenant,
 * `CurrentPrincipal` its user name (what runs record as `user_id`), and
 * `CurrentCaller` the whole caller for authorization. A request without
 * credentials, or with failing ones, is answered 401 before any handler
 * runs. Identity headers a client sends (`x-mlops-principal`,
 * `x-mlops-tenant`) are ignored. {@link authentication} adds the workspace
 * check; this alone is for chains that put other middleware between them.
 */
export const authenticateCallers = HttpLayerRouter.middleware(
  Effect.gen(function* () {
    const authenticator = yield* Authenticator
    return (app) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const path = request.url.split("?", 1)[0] ?? ""
        if (isPublic(path)) return yield* app
        const outcome = yield* Effect.either(authenticator.authenticate(request.headers))
        if (Either.isLeft(outcome)) {
          const error = outcome.left
          if (error._tag === "CsrfRejected") {
            return refuse(path, 403, error.message, { action: "change state without the CSRF token", resource: "" })
          }
          yield* Effect.logInfo("authentication refused").pipe(
            Effect.annotateLogs({ path, reason: error.reason ?? error.message })
          )
          return refuse(path, 401, error.message)
        }
        if (Option.isNone(outcome.right)) return refuse(path, 401, "authentication required")
        const caller = outcome.right.value
        return yield* app.pipe(
          actingAs(caller.tenantId, new Principal({ id: caller.username })),
          Effect.provideService(CurrentCaller, Option.some(caller)),
          Effect.annotateLogs({ principal: caller.username, tenant: caller.tenantId })
        )
      })
  }),
  { global: true }
)

/**
 * Refuses (403) a request whose `X-MLFLOW-WORKSPACE` names a tenant other
 * than its caller's. It must run inside {@link authenticateCallers}, which
 * sets the caller; on the enterprise server it runs inside the audit
 * middleware too, so these refusals are recorded.
 */
export const checkWorkspace = HttpLayerRouter.middleware(
  Effect.succeed((app) =>
    Effect.gen(function* () {
      const caller = yield* CurrentCaller
      if (Option.isNone(caller)) return yield* app
      const request = yield* HttpServerRequest.HttpServerRequest
      const workspace = request.headers[workspaceHeader]
      if (workspace === undefined || workspace === "" || workspace === caller.value.tenantId) return yield* app
      return refuse(request.url.split("?", 1)[0] ?? "", 403, `the caller does not belong to workspace "${workspace}"`, {
        action: "use workspace",
        resource: `tenant:${workspace}`
      })
    })
  ),
  { global: true }
)

/**
 * {@link authenticateCallers}, then {@link checkWorkspace}: every API
 * request runs as its authenticated caller, in the caller's tenant, and one
 * that names another tenant in `X-MLFLOW-WORKSPACE` is refused with 403.
 *
 * @example
 * ```ts
 * makeServerLayerWith(options, authentication)
 * ```
 */
export const authentication = Layer.provideMerge(checkWorkspace, authenticateCallers)
