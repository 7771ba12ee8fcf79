import { freshEnterprise, noRateLimits } from "../../../support/enterprise.js"
import { Effect, Layer, Option, Redacted } from "effect"
import { CurrentPrincipal, CurrentTenant, Principal, TenantId } from "../../../../src/core/context.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { type Authenticator, Caller, CurrentCaller } from "../../../../src/enterprise/auth/Authenticator.js"
import type { PrincipalRecord } from "../../../../src/enterprise/auth/principals/model.js"
import type { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import type { Authorizer } from "../../../../src/enterprise/auth/rbac/Authorizer.js"
import type { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import type { Role } from "../../../../src/enterprise/auth/rbac/model.js"
import { RbacMlflowRoutes } from "../../../../src/enterprise/auth/rbac/mlflowRoutes.js"
import { authentication } from "../../../../src/enterprise/http/authentication.js"
import { makeRoutesWith, type ServedServices } from "../../../../src/http/server/Server.js"
import { serveRoutes } from "../../../support/server.js"

export const pepper = Redacted.make("a-test-pepper-of-at-least-32-characters")

/**
 * `makeEnterpriseLayer` over a fresh PostgreSQL database and data
 * directory, with the given default role (the RBAC tests count their own
 * requests, so rate limits are off).
 */
export const makeRbacServices = (options: { readonly defaultRole: Exclude<Role, "admin"> }) =>
  Layer.unwrapScoped(
    Effect.map(
      freshEnterprise("enterprise-rbac", { defaultRole: options.defaultRole, rateLimits: noRateLimits }),
      ({ layer }) => layer
    )
  )

export const tenant = TenantId.make("default")

/** The caller of a request by `principal`, as the authentication middleware would set it. */
export const callerOf = (principal: PrincipalRecord, groups: ReadonlyArray<string> = []) =>
  new Caller({
    principalId: principal.principalId,
    tenantId: principal.tenantId,
    username: principal.username,
    kind: principal.kind,
    groups,
    via: "api-key"
  })

/** Runs `effect` as a request of `caller` would run. */
export const as =
  (caller: Caller) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.provideService(CurrentCaller, Option.some(caller)),
      Effect.provideService(CurrentPrincipal, new Principal({ id: caller.username })),
      Effect.provideService(CurrentTenant, caller.tenantId)
    )

let counter = 0
/** A name no other test uses. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`

/**
 * The enterprise server's routes with MLflow's permission routes mounted
 * next to them, as `makeServerLayerWith(options, middleware, extraRoutes)`
 * mounts extra routes: the global authentication middleware covers them too.
 */
export const rbacRoutes = Layer.merge(makeRoutesWith({ ui: false }, authentication), RbacMlflowRoutes)

/**
 * Serves {@link rbacRoutes} on a free port over the services of the current
 * context (the very instances the test uses, so the server's authorizer sees
 * the test's grant changes at once); the base URL.
 */
export const startRbacServer = Effect.flatMap(Effect.context<ServedServices | RbacRouteServices>(), (services) =>
  serveRoutes(rbacRoutes, Layer.succeedContext(services))
)

type RbacRouteServices = Principals | Grants | Authorizer | Authenticator

/** An API key for `principal` (a user of the default tenant). */
export const keyFor = (principal: PrincipalRecord) =>
  Effect.flatMap(ApiKeys, (keys) =>
    Effect.map(keys.create({ principalId: principal.principalId, name: "test" }), ({ key }) => Redacted.value(key))
  ).pipe(Effect.provideService(CurrentTenant, principal.tenantId))

export { jsonRequest as request, type Reply } from "../../../support/jsonHttp.js"

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
export const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
})
