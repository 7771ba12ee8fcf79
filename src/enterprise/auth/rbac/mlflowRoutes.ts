import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, type Layer, Option, Schema } from "effect"
import { MlflowApiError, invalidParameter } from "../../../http/mlflow/errors.js"
import { optional } from "../../../http/mlflow/request.js"
import { empty, endpoint } from "../../../http/mlflow/route.js"
import type { Json } from "../../../http/mlflow/wire.js"
import { CurrentCaller } from "../Authenticator.js"
import { GroupNotFound, PrincipalNotFound, type PrincipalRecord } from "../principals/model.js"
import { Principals } from "../principals/Principals.js"
import { Authorizer } from "./Authorizer.js"
import { Grants } from "./Grants.js"
import { MlflowPermission, mlflowNameOfRole, Resource, type ResourceRef, roleOfMlflowPermission } from "./model.js"

/*
 * MLflow's permission REST API (`mlflow server --app-name basic-auth`) over
 * this RBAC: users are the tenant's principals, MLflow's permissions are
 * roles (READ viewer, EDIT editor, MANAGE maintainer, NO_PERMISSIONS none),
 * `is_admin` is the tenant-level admin role, and permission records are the
 * user's own grants on an experiment or a registered model.
 *
 * Where MLflow's shape makes no sense here:
 * - a user's `id` (and a permission's `user_id`) is the principal id (`p-…`), a string, not an integer;
 * - there are no passwords: a user proves who they are with an API key (sent
 *   as the Basic-auth password, as MLflow clients send `MLFLOW_TRACKING_PASSWORD`).
 *   `users/create` refuses a password (400 INVALID_PARAMETER_VALUE, nothing
 *   created) and `users/update-password` answers 400 BAD_REQUEST;
 * - `users/delete` disables the principal (its name stays taken, so the runs
 *   it recorded stay attributable) and removes its grants; a deleted user is
 *   not found by `users/get`.
 */

const passwordsRefused =
  "This server stores no passwords: users authenticate with API keys (as the Basic-auth password). Create the user without a password, then issue an API key for it (effect-mlops admin keys create)."

const validPermissions = `(${MlflowPermission.literals.map((p) => `'${p}'`).join(", ")})`

const parsePermission = (permission: string) =>
  Schema.is(MlflowPermission)(permission)
    ? Effect.succeed(roleOfMlflowPermission[permission])
    : Effect.fail(invalidParameter(`Invalid permission '${permission}'. Valid permissions are: ${validPermissions}`))

const parseIsAdmin = (value: boolean | string) => {
  const text = String(value).toLowerCase()
  return text === "true" || text === "false"
    ? Effect.succeed(text === "true")
    : Effect.fail(
        invalidParameter(
          `Invalid parameter 'is_admin': '${String(value)}', must be either 'true' or 'false' (case insensitive).`
        )
      )
}

const notFound = (message: string) => new MlflowApiError({ errorCode: "RESOURCE_DOES_NOT_EXIST", message })
const alreadyExists = (message: string) => new MlflowApiError({ errorCode: "RESOURCE_ALREADY_EXISTS", message })

const Username = { username: Schema.String }

/** The routes, under `/api/2.0/mlflow/...` and `/ajax-api/2.0/mlflow/...` like the rest of MLflow's API. */
const routes = Effect.gen(function* () {
  const principals = yield* Principals
  const grants = yield* Grants
  const authorizer = yield* Authorizer

  const admin = (action: string) => authorizer.requireRole(action, "admin", Resource.tenant)

  /** MLflow lets a user read and change some of its own record; anything else is for admins. */
  const selfOrAdmin = (action: string, username: string) =>
    Effect.flatMap(CurrentCaller, (caller) =>
      Option.isSome(caller) && caller.value.username === username ? Effect.void : admin(action)
    )

  /** An enabled principal of the tenant by user name; a deleted (disabled) one is not found. */
  const user = (username: string) =>
    principals.findByUsername(username).pipe(
      Effect.filterOrFail(
        (principal) => !principal.disabled,
        () => notFound(`User with username=${username} not found`)
      ),
      Effect.catchTag("PrincipalNotFound", () => Effect.fail(notFound(`User with username=${username} not found`)))
    )

  const granteeOf = (principal: PrincipalRecord) => ({
    kind: "principal" as const,
    principalId: principal.principalId
  })

  /** A grantee that vanished between two statements (a concurrent delete) is not found, as MLflow says. */
  const granteeNotFound = <A, E>(effect: Effect.Effect<A, E | PrincipalNotFound | GroupNotFound>) =>
    Effect.catchIf(
      effect,
      (error): error is PrincipalNotFound | GroupNotFound =>
        error instanceof PrincipalNotFound || error instanceof GroupNotFound,
      (error) => Effect.fail(notFound(error.message))
    ) as Effect.Effect<A, Exclude<E, PrincipalNotFound | GroupNotFound> | MlflowApiError>

  const userJson = (principal: PrincipalRecord) =>
    Effect.gen(function* () {
      const own = yield* grants.listFor(granteeOf(principal))
      const role = yield* grants.effectiveRole(principal.principalId, Resource.tenant)
      return {
        id: principal.principalId,
        username: principal.username,
        is_admin: role === "admin",
        experiment_permissions: own
          .filter((g) => g.resourceKind === "experiment")
          .map((g) => ({
            experiment_id: g.resourceId,
            permission: mlflowNameOfRole[g.role],
            user_id: principal.principalId
          })),
        registered_model_permissions: own
          .filter((g) => g.resourceKind === "registered_model")
          .map((g) => ({ name: g.resourceId, permission: mlflowNameOfRole[g.role], user_id: principal.principalId })),
        scorer_permissions: []
      } satisfies Json
    }).pipe(granteeNotFound)

  const users = [
    ...endpoint("POST", "/users/create", Schema.Struct({ ...Username, password: optional(Schema.String) }), (m) =>
      Effect.gen(function* () {
        yield* admin("users/create")
        if (m.password !== undefined && m.password !== "") return yield* invalidParameter(passwordsRefused)
        const created = yield* principals
          .create({ username: m.username, kind: "user" })
          .pipe(
            Effect.catchTag("PrincipalAlreadyExists", () =>
              Effect.fail(alreadyExists(`User (username=${m.username}) already exists.`))
            )
          )
        return { user: yield* userJson(created) }
      })
    ),
    ...endpoint("GET", "/users/get", Schema.Struct(Username), (m) =>
      Effect.gen(function* () {
        yield* selfOrAdmin("users/get", m.username)
        return { user: yield* userJson(yield* user(m.username)) }
      })
    ),
    ...endpoint(
      "PATCH",
      "/users/update-password",
      Schema.Struct({ ...Username, password: optional(Schema.String) }),
      (m) =>
        Effect.gen(function* () {
          yield* selfOrAdmin("users/update-password", m.username)
          return yield* new MlflowApiError({ errorCode: "BAD_REQUEST", message: passwordsRefused })
        })
    ),
    ...endpoint(
      "PATCH",
      "/users/update-admin",
      Schema.Struct({ ...Username, is_admin: Schema.Union(Schema.Boolean, Schema.String) }),
      (m) =>
        Effect.gen(function* () {
          yield* admin("users/update-admin")
          const isAdmin = yield* parseIsAdmin(m.is_admin)
          const grantee = granteeOf(yield* user(m.username))
          if (isAdmin) {
            yield* grants.grant({ grantee, resource: Resource.tenant, role: "admin" })
          } else {
            // Only the user's own admin grant is taken back; admin through a group stays with the group.
            const own = yield* grants.get(grantee, Resource.tenant)
            if (Option.isSome(own) && own.value.role === "admin") yield* grants.revoke(grantee, Resource.tenant)
          }
          return empty
        }).pipe(granteeNotFound)
    ),
    // MLflow fails here (transcript B223: a NOT NULL constraint on the user's permissions). We delete.
    ...endpoint("DELETE", "/users/delete", Schema.Struct(Username), (m) =>
      Effect.gen(function* () {
        yield* admin("users/delete")
        const principal = yield* user(m.username)
        for (const grant of yield* grants.listFor(granteeOf(principal))) {
          yield* grants.revoke(granteeOf(principal), grant.resource)
        }
        yield* principals.setDisabled(principal.principalId, true)
        return empty
      }).pipe(granteeNotFound)
    )
  ]

  /** The four routes of one resource kind's permissions (`experiments/permissions/*`, `registered-models/permissions/*`). */
  const permissionRoutes = (options: {
    readonly path: string
    /** The request field naming the resource, and the answer's. */
    readonly field: "experiment_id" | "name"
    readonly resource: (id: string) => ResourceRef
    /** The answer's key and the name of a record in messages. */
    readonly key: string
    readonly record: string
  }) => {
    const Reference = Schema.Struct({
      experiment_id: optional(Schema.String),
      name: optional(Schema.String),
      ...Username
    })
    const WithPermission = Schema.Struct({ ...Reference.fields, permission: Schema.String })
    type Reference = typeof Reference.Type

    /** The resource named by the request, once the caller may manage its permissions (MLflow: can_manage). */
    const managed = (action: string, m: Reference) =>
      Effect.gen(function* () {
        const id = m[options.field]
        if (id === undefined) {
          return yield* invalidParameter(
            `Missing value for required parameter '${options.field}'. See the API docs for more information about request parameters.`
          )
        }
        const resource = options.resource(id)
        yield* authorizer.requireRole(`${options.path}/${action}`, "maintainer", resource)
        return { id, resource }
      })
    const missing = (id: string, username: string) =>
      notFound(`${options.record} with ${options.field}=${id} and username=${username} not found`)
    const answer = (id: string, permission: string, userId: string) => ({
      [options.key]: { [options.field]: id, permission, user_id: userId }
    })

    return [
      ...endpoint("POST", `/${options.path}/create`, WithPermission, (m) =>
        Effect.gen(function* () {
          const { id, resource } = yield* managed("create", m)
          const role = yield* parsePermission(m.permission)
          const grantee = granteeOf(yield* user(m.username))
          if (Option.isSome(yield* grants.get(grantee, resource))) {
            return yield* alreadyExists(
              `${options.record} (${options.field}=${id}, username=${m.username}) already exists.`
            )
          }
          yield* grants.grant({ grantee, resource, role })
          return answer(id, m.permission, grantee.principalId)
        }).pipe(granteeNotFound)
      ),
      ...endpoint("GET", `/${options.path}/get`, Reference, (m) =>
        Effect.gen(function* () {
          const { id, resource } = yield* managed("get", m)
          const grantee = granteeOf(yield* user(m.username))
          const found = yield* grants.get(grantee, resource)
          if (Option.isNone(found)) return yield* missing(id, m.username)
          return answer(id, mlflowNameOfRole[found.value.role], grantee.principalId)
        }).pipe(granteeNotFound)
      ),
      ...endpoint("PATCH", `/${options.path}/update`, WithPermission, (m) =>
        Effect.gen(function* () {
          const { id, resource } = yield* managed("update", m)
          const role = yield* parsePermission(m.permission)
          const grantee = granteeOf(yield* user(m.username))
          if (Option.isNone(yield* grants.get(grantee, resource))) return yield* missing(id, m.username)
          yield* grants.grant({ grantee, resource, role })
          return empty
        }).pipe(granteeNotFound)
      ),
      ...endpoint("DELETE", `/${options.path}/delete`, Reference, (m) =>
        Effect.gen(function* () {
          const { id, resource } = yield* managed("delete", m)
          const grantee = granteeOf(yield* user(m.username))
          if (Option.isNone(yield* grants.revoke(grantee, resource))) return yield* missing(id, m.username)
          return empty
        }).pipe(granteeNotFound)
      )
    ]
  }

  const experimentPermissions = permissionRoutes({
    path: "experiments/permissions",
    field: "experiment_id",
    resource: Resource.experiment,
    key: "experiment_permission",
    record: "Experiment permission"
  })

  const modelPermissions = permissionRoutes({
    path: "registered-models/permissions",
    field: "name",
    resource: Resource.registeredModel,
    key: "registered_model_permission",
    record: "Registered model permission"
  })

  return [...users, ...experimentPermissions, ...modelPermissions]
})

/**
 * MLflow's user and permission routes (`users/*`,
 * `experiments/permissions/*`, `registered-models/permissions/*`) over
 * the RBAC. Mount them on the enterprise server next to `MlflowRoutes`,
 * behind the authentication middleware.
 *
 * @example
 * ```ts
 * makeServerLayerWith(options, Layer.merge(authentication, RbacMlflowRoutes))
 * ```
 */
export const RbacMlflowRoutes: Layer.Layer<
  never,
  never,
  HttpLayerRouter.HttpRouter | Principals | Grants | Authorizer
> = HttpLayerRouter.addAll(routes)
