import { Schema } from "effect"
import { optional } from "../../../http/api/wire.js"
import { ApiKey } from "../../auth/apiKeys/model.js"
import { Group, PrincipalKind, PrincipalRecord } from "../../auth/principals/model.js"
import { Grant, ResourceKind, Role } from "../../auth/rbac/model.js"
import { Tenant } from "../../tenancy/model.js"

/*
 * The bodies, query strings and answers of the admin API
 * (`/api/v1/admin/*`, `/api/v1/me*`). Field names are the services' own, so
 * an `InvalidArgument` raised by a service names the field of the body.
 * Principals are named by id (`p-…`) or user name wherever a request names one.
 */

/** `POST /api/v1/admin/tenants`. */
export const CreateTenantBody = Schema.Struct({
  tenantId: Schema.String,
  displayName: optional(Schema.String)
})

/** `POST /api/v1/admin/users`: a user, or a service account with `kind: "service_account"`. */
export const CreateUserBody = Schema.Struct({
  username: Schema.String,
  /** Default `user`. */
  kind: optional(PrincipalKind),
  email: optional(Schema.String),
  displayName: optional(Schema.String)
})

/** The query of `GET /api/v1/admin/users`. */
export const UsersQuery = Schema.Struct({ kind: optional(PrincipalKind) })

/** `POST /api/v1/admin/groups`. */
export const CreateGroupBody = Schema.Struct({ name: Schema.String })

/** `POST /api/v1/admin/groups/{group}/members`. */
export const AddMemberBody = Schema.Struct({
  /** A principal id or user name. */
  principal: Schema.String
})

/** `POST /api/v1/me/keys`. */
export const CreateOwnKeyBody = Schema.Struct({
  /** What the key is for, e.g. "nightly training". */
  name: Schema.String,
  /** Epoch milliseconds after which the key stops working; none means it never expires. */
  expiresAt: optional(Schema.Number)
})

/** `POST /api/v1/admin/keys`: a key for any principal of the tenant. */
export const CreateKeyBody = Schema.Struct({
  /** A principal id or user name. */
  principal: Schema.String,
  ...CreateOwnKeyBody.fields
})

/** The query of `GET /api/v1/admin/keys`. */
export const KeysQuery = Schema.Struct({ principal: optional(Schema.String) })

/** Who a grant names: exactly one of a principal (id or user name) and a group (name). */
const GranteeFields = {
  principal: optional(Schema.String),
  group: optional(Schema.String)
}

/** What a grant is on: the tenant (no `resourceId`), an experiment (its id) or a registered model (its name). */
const ResourceFields = {
  resourceKind: ResourceKind,
  resourceId: optional(Schema.String)
}

/** `PUT /api/v1/admin/grants`: grants a role, replacing the grantee's previous one on the resource. */
export const GrantBody = Schema.Struct({ ...GranteeFields, ...ResourceFields, role: Role })

/** The query of `DELETE /api/v1/admin/grants`. */
export const RevokeQuery = Schema.Struct({ ...GranteeFields, ...ResourceFields })

/** The query of `GET /api/v1/admin/grants`: a grantee, or a resource. */
export const GrantsQuery = Schema.Struct({
  ...GranteeFields,
  resourceKind: optional(ResourceKind),
  resourceId: optional(Schema.String)
})

/** `GET /api/v1/admin/tenants`. */
export const TenantList = Schema.Struct({ tenants: Schema.Array(Tenant) })

/** `GET /api/v1/admin/users`. */
export const UserList = Schema.Struct({ users: Schema.Array(PrincipalRecord) })

/** `GET /api/v1/admin/users/{principal}`: the principal, its groups and its tenant-level role. */
export const UserDetails = Schema.Struct({
  ...PrincipalRecord.fields,
  groups: Schema.Array(Schema.String),
  tenantRole: Role
})

/** `GET /api/v1/admin/groups`. */
export const GroupList = Schema.Struct({ groups: Schema.Array(Group) })

/** `GET /api/v1/admin/keys`, `GET /api/v1/me/keys`: never a secret. */
export const KeyList = Schema.Struct({ keys: Schema.Array(ApiKey) })

/** A new key: the only answer that ever holds its secret (`key`). */
export const CreatedKey = Schema.Struct({ apiKey: ApiKey, key: Schema.String })

/** `GET /api/v1/admin/grants`. */
export const GrantList = Schema.Struct({ grants: Schema.Array(Grant) })

/** `PUT /api/v1/admin/grants`: the grant now, and the one it replaced. */
export const GrantChange = Schema.Struct({ grant: Grant, previous: optional(Grant) })

/** `DELETE /api/v1/admin/grants`: the grant removed. */
export const GrantRevoked = Schema.Struct({ revoked: Grant })

/** `GET /api/v1/me`. */
export const Me = Schema.Struct({
  principal: PrincipalRecord,
  tenant: Tenant,
  groups: Schema.Array(Schema.String),
  tenantRole: Role
})
