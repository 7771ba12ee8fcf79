import * as path from "node:path"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Effect, Layer, Option, Redacted } from "effect"
import { makePostgresLayer } from "../../../../layers/Postgres.js"
import { ArtifactStore } from "../../../../src/core/artifacts/ArtifactStore.js"
import { CurrentPrincipal, CurrentTenant, Principal, TenantId } from "../../../../src/core/context.js"
import { Datasets } from "../../../../src/core/data/Datasets.js"
import { LoggedModels } from "../../../../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../../src/core/tracking/ExperimentTracker.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { makeApiKeyAuthenticator } from "../../../../src/enterprise/auth/apiKeys/authenticator.js"
import { layerCallerAttribution } from "../../../../src/enterprise/auth/attribution.js"
import { Authenticator, Caller, CurrentCaller } from "../../../../src/enterprise/auth/Authenticator.js"
import type { PrincipalRecord } from "../../../../src/enterprise/auth/principals/model.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { AuditHook, type AuditHookShape } from "../../../../src/enterprise/auth/rbac/audit.js"
import { Authorizer, type AuthorizerOptions } from "../../../../src/enterprise/auth/rbac/Authorizer.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { layerRbac } from "../../../../src/enterprise/auth/rbac/layerRbac.js"
import { RbacMlflowRoutes } from "../../../../src/enterprise/auth/rbac/mlflowRoutes.js"
import { authentication } from "../../../../src/enterprise/http/authentication.js"
import { makeRoutesWith, type ServedServices } from "../../../../src/http/server/Server.js"
import { layerTenantArtifacts } from "../../../../src/enterprise/tenancy/artifacts.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { databaseUrl, freshDatabase } from "../../../support/postgres.js"
import { serveRoutes } from "../../../support/server.js"
import { tempDir } from "../../../support/sqlite.js"

export const pepper = Redacted.make("a-test-pepper-of-at-least-32-characters")

/**
 * The enterprise services with RBAC, wired as `makeEnterpriseLayer` should
 * wire them: the core services below the RBAC decorators feed the
 * decorators, `Grants`, `Tenants` and each other; only the decorated ones
 * are exposed. A fresh PostgreSQL database and data directory.
 */
export const makeRbacServices = (options: AuthorizerOptions & { readonly audit?: AuditHookShape } = {}) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const database = yield* freshDatabase
      const dataPath = yield* tempDir("enterprise-rbac")
      const Sql = makePostgresLayer({
        url: Redacted.make(databaseUrl(database, "app")),
        adminUrl: Redacted.make(databaseUrl(database, "admin"))
      })
      const Tracker = layerCallerAttribution.pipe(Layer.provide(ExperimentTracker.layer), Layer.provide(Sql))
      const Registry = ModelRegistry.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
      const Models = LoggedModels.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
      const Artifacts = layerTenantArtifacts.pipe(
        Layer.provide(ArtifactStore.layer(path.join(dataPath, "artifacts"))),
        Layer.provide(NodeContext.layer)
      )
      const Data = Datasets.layer.pipe(Layer.provide(Artifacts), Layer.provide(Sql))
      const Core = Layer.mergeAll(Tracker, Registry, Models, Artifacts, Data)
      const PrincipalsLive = Principals.layer.pipe(Layer.provide(Sql))
      const AuthorizerLive = Authorizer.layer(options).pipe(Layer.provide(Sql))
      const Audit = options.audit === undefined ? Layer.empty : Layer.succeed(AuditHook, options.audit)
      const Guarded = layerRbac.pipe(
        Layer.provide(Core),
        Layer.provide(AuthorizerLive),
        Layer.provide(Sql),
        Layer.provide(Audit)
      )
      const GrantsLive = Grants.layer.pipe(
        Layer.provide([AuthorizerLive, PrincipalsLive, Core, Sql]),
        Layer.provide(Audit)
      )
      const TenantsLive = Tenants.layer.pipe(Layer.provide(Tracker), Layer.provide(Sql))
      const Keys = ApiKeys.layer(pepper).pipe(Layer.provide(PrincipalsLive), Layer.provide(Sql))
      const Auth = Layer.effect(
        Authenticator,
        Effect.map(makeApiKeyAuthenticator, (keys) => Authenticator.firstOf([keys]))
      ).pipe(Layer.provide(Keys), Layer.provide(PrincipalsLive))
      return Layer.mergeAll(Guarded, GrantsLive, AuthorizerLive, PrincipalsLive, TenantsLive, Keys, Auth)
    })
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

/** A reply as the tests read it: status and the JSON body (or `{ text }`). */
export interface Reply {
  readonly status: number
  readonly body: Record<string, unknown>
  readonly text: string
}

/** One HTTP request with `fetch`, JSON in and out. */
export const request = (
  url: string,
  route: string,
  init: { readonly method?: string; readonly headers?: Record<string, string>; readonly json?: unknown } = {}
) =>
  Effect.promise(async (): Promise<Reply> => {
    const response = await fetch(`${url}${route}`, {
      method: init.method ?? (init.json === undefined ? "GET" : "POST"),
      headers: { ...(init.json === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) })
    })
    const text = await response.text()
    let body: Record<string, unknown>
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {
      body = { text }
    }
    return { status: response.status, body, text }
  })

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
export const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
})
