import { freshEnterprise } from "../../../support/enterprise.js"
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import type { EnterpriseServices } from "../../../../layers/Enterprise.js"
import { CurrentTenant, TenantId } from "../../../../src/core/context.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import type { PrincipalKind, PrincipalRecord } from "../../../../src/enterprise/auth/principals/model.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { Resource, type Role } from "../../../../src/enterprise/auth/rbac/model.js"
import { makeAdminRoutes } from "../../../../src/enterprise/http/admin/AdminRoutes.js"
import { authentication } from "../../../../src/enterprise/http/authentication.js"
import { auditingAfter } from "../../../../src/enterprise/security/audit/http.js"
import { AuditRoutes } from "../../../../src/enterprise/security/audit/routes.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { makeRoutesWith } from "../../../../src/http/server/Server.js"
import { serveRoutes } from "../../../support/server.js"

export const operator = TenantId.make("default")
export const acme = TenantId.make("acme")
export const globex = TenantId.make("globex")

/** A principal of the fixture with its API key. */
export interface Member {
  readonly principal: PrincipalRecord
  readonly key: string
}

/**
 * The enterprise server with the admin and audit routes behind
 * authentication and the audit middleware, as the enterprise server mounts
 * them, and its people:
 *
 * - `root` admin of the operator tenant (`default`), `watcher` a viewer there;
 * - in `acme`: `ada` admin, `vic` viewer (no grant: the default role), `eddie` editor;
 * - in `globex`: `gus` admin and `gail` a user.
 */
export class AdminServer extends Context.Tag("test/admin/AdminServer")<
  AdminServer,
  {
    readonly url: string
    /** Serves the admin routes with other options over the same services (a second server). */
    readonly serveWith: (operatorTenant: string) => Effect.Effect<string, never, Scope.Scope>
    readonly root: Member
    readonly watcher: Member
    readonly ada: Member
    readonly vic: Member
    readonly eddie: Member
    readonly gus: Member
    readonly gail: Member
  }
>() {}

/** `effect` in `tenant`, as an in-process program (no caller: trusted). */
export const inTenant =
  (tenant: TenantId) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provideService(effect, CurrentTenant, tenant)

const routesWith = (operatorTenant: string) =>
  makeRoutesWith(
    { ui: false },
    Layer.mergeAll(auditingAfter(authentication), makeAdminRoutes({ operatorTenant }), AuditRoutes)
  )

export const Server = Layer.unwrapScoped(
  Effect.gen(function* () {
    const { layer: services } = yield* freshEnterprise("admin-api")
    return Layer.scoped(
      AdminServer,
      Effect.gen(function* () {
        const tenants = yield* Tenants
        yield* tenants.create({ tenantId: acme, displayName: "Acme" })
        yield* tenants.create({ tenantId: globex, displayName: "Globex" })
        const member = (tenant: TenantId, username: string, role?: Role, kind: PrincipalKind = "user") =>
          Effect.gen(function* () {
            const principal = yield* (yield* Principals).create({ username, kind })
            if (role !== undefined) {
              yield* (yield* Grants).grant({
                grantee: { kind: "principal", principalId: principal.principalId },
                resource: Resource.tenant,
                role
              })
            }
            const { key } = yield* (yield* ApiKeys).create({ principalId: principal.principalId, name: "fixture" })
            return { principal, key: Redacted.value(key) }
          }).pipe(inTenant(tenant))
        const context = yield* Effect.context<EnterpriseServices>()
        const serveWith = (operatorTenant: string) =>
          serveRoutes(routesWith(operatorTenant), Layer.succeedContext(context)).pipe(Effect.orDie)
        return {
          url: yield* serveRoutes(routesWith("default"), Layer.succeedContext(context)),
          serveWith,
          root: yield* member(operator, "root", "admin"),
          watcher: yield* member(operator, "watcher"),
          ada: yield* member(acme, "ada", "admin"),
          vic: yield* member(acme, "vic"),
          eddie: yield* member(acme, "eddie", "editor"),
          gus: yield* member(globex, "gus", "admin"),
          gail: yield* member(globex, "gail")
        }
      })
    ).pipe(Layer.provideMerge(services))
  })
)

export { jsonRequest as call, type Reply } from "../../../support/jsonHttp.js"

let counter = 0
/** A name no other test uses. */
export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`
