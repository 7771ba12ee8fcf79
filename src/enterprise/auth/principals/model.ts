import { Schema } from "effect"
import { TenantId } from "../../../core/context.js"

/** A principal's id: `p-` and 32 hex characters, unique across tenants. */
export const PrincipalId = Schema.String.pipe(Schema.pattern(/^p-[0-9a-f]{32}$/), Schema.brand("PrincipalId"))
export type PrincipalId = typeof PrincipalId.Type

/** A person (signs in, may own API keys) or a service account (API keys only, e.g. a training pipeline). */
export const PrincipalKind = Schema.Literal("user", "service_account")
export type PrincipalKind = typeof PrincipalKind.Type

/** The single-sign-on identity a principal was provisioned from. */
export class ExternalRef extends Schema.Class<ExternalRef>("ExternalRef")({
  issuer: Schema.String,
  subject: Schema.String
}) {}

/** A user or service account of one tenant. */
export class PrincipalRecord extends Schema.Class<PrincipalRecord>("PrincipalRecord")({
  principalId: PrincipalId,
  tenantId: TenantId,
  kind: PrincipalKind,
  /** Unique per tenant; what MLflow clients send as the Basic-auth user name and what runs record as `user_id`. */
  username: Schema.String,
  email: Schema.optional(Schema.String),
  displayName: Schema.optional(Schema.String),
  external: Schema.optional(ExternalRef),
  creationTime: Schema.Number,
  lastLoginTime: Schema.optional(Schema.Number),
  disabled: Schema.Boolean
}) {}

/** A named set of principals in one tenant; roles granted to a group apply to its members. */
export class Group extends Schema.Class<Group>("Group")({
  groupId: Schema.String,
  tenantId: TenantId,
  name: Schema.String,
  /** Managed by single sign-on: membership follows the identity provider's groups claim at each login. */
  external: Schema.Boolean,
  creationTime: Schema.Number
}) {}

/** Input of `Principals.create`. */
export interface CreatePrincipal {
  readonly username: string
  readonly kind: PrincipalKind
  readonly email?: string
  readonly displayName?: string
}

/** No principal with this id or user name in the current tenant. */
export class PrincipalNotFound extends Schema.TaggedError<PrincipalNotFound>()("PrincipalNotFound", {
  principal: Schema.String
}) {
  override get message(): string {
    return `principal "${this.principal}" does not exist`
  }
}

/** The user name is taken in the current tenant. */
export class PrincipalAlreadyExists extends Schema.TaggedError<PrincipalAlreadyExists>()("PrincipalAlreadyExists", {
  username: Schema.String
}) {
  override get message(): string {
    return `a principal named "${this.username}" already exists`
  }
}

/** No group with this name in the current tenant. */
export class GroupNotFound extends Schema.TaggedError<GroupNotFound>()("GroupNotFound", {
  group: Schema.String
}) {
  override get message(): string {
    return `group "${this.group}" does not exist`
  }
}

/** The group name is taken in the current tenant. */
export class GroupAlreadyExists extends Schema.TaggedError<GroupAlreadyExists>()("GroupAlreadyExists", {
  group: Schema.String
}) {
  override get message(): string {
    return `group "${this.group}" already exists`
  }
}
