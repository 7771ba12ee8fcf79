import { Schema } from "effect"
import { TenantId } from "../../../core/context.js"

/**
 * A role, from none to everything. Each includes the ones below it:
 *
 * - `none`: nothing, not even reading (MLflow's `NO_PERMISSIONS`);
 * - `viewer`: read (MLflow's `READ`);
 * - `editor`: read and write: log, tag, alias, register versions (MLflow's `EDIT`);
 * - `maintainer`: also delete and restore, and manage the resource's grants (MLflow's `MANAGE`);
 * - `admin`: everything in the tenant, its grants and its users (MLflow's `is_admin`); granted on the tenant only.
 */
export const Role = Schema.Literal("none", "viewer", "editor", "maintainer", "admin")
export type Role = typeof Role.Type

/** The roles, weakest first. */
export const roles: ReadonlyArray<Role> = Role.literals

const rank: Record<Role, number> = { none: 0, viewer: 1, editor: 2, maintainer: 3, admin: 4 }

/** Whether `role` includes `needed`. */
export const atLeast = (role: Role, needed: Role): boolean => rank[role] >= rank[needed]

/** The strongest of `a` and `b`. */
export const stronger = (a: Role, b: Role): Role => (rank[a] >= rank[b] ? a : b)

/** MLflow's permission names (`mlflow.server.auth.permissions`). */
export const MlflowPermission = Schema.Literal("READ", "EDIT", "MANAGE", "NO_PERMISSIONS")
export type MlflowPermission = typeof MlflowPermission.Type

/** The role of each MLflow permission. MLflow's admin is a user flag, not a permission: see `users/update-admin`. */
export const roleOfMlflowPermission: Record<MlflowPermission, Exclude<Role, "admin">> = {
  NO_PERMISSIONS: "none",
  READ: "viewer",
  EDIT: "editor",
  MANAGE: "maintainer"
}

/** The MLflow name of each role, as the permission routes answer it. */
export const mlflowNameOfRole: Record<Role, MlflowPermission | "admin"> = {
  none: "NO_PERMISSIONS",
  viewer: "READ",
  editor: "EDIT",
  maintainer: "MANAGE",
  admin: "admin"
}

/** What a grant is on: the whole tenant, an experiment (by id) or a registered model (by name, as MLflow keys it). */
export const ResourceKind = Schema.Literal("tenant", "experiment", "registered_model")
export type ResourceKind = typeof ResourceKind.Type

/** A resource a role is granted on; the tenant's `id` is `""`. */
export interface ResourceRef {
  readonly kind: ResourceKind
  readonly id: string
}

/** Constructors of {@link ResourceRef}s. */
export const Resource = {
  tenant: { kind: "tenant", id: "" } as ResourceRef,
  experiment: (experimentId: string): ResourceRef => ({ kind: "experiment", id: experimentId }),
  registeredModel: (name: string): ResourceRef => ({ kind: "registered_model", id: name })
} as const

/** `tenant`, `experiment:3`, `registered_model:churn`: how a resource is named in errors and logs. */
export const resourceLabel = (resource: ResourceRef): string =>
  resource.kind === "tenant" ? "tenant" : `${resource.kind}:${resource.id}`

/** Who a role is granted to: a principal (user or service account) or a group of the tenant. */
export const GranteeKind = Schema.Literal("principal", "group")
export type GranteeKind = typeof GranteeKind.Type

/** A grantee as callers name it: a principal by id, a group by name. */
export type Grantee =
  | { readonly kind: "principal"; readonly principalId: string }
  | { readonly kind: "group"; readonly group: string }

/** One grant: `role` on a resource to a principal or a group, in one tenant. */
export class Grant extends Schema.Class<Grant>("Grant")({
  tenantId: TenantId,
  granteeKind: GranteeKind,
  /** The principal id (`p-…`) or the group id (`g-…`). */
  granteeId: Schema.String,
  /** The principal's user name or the group's name. */
  granteeName: Schema.String,
  resourceKind: ResourceKind,
  /** The experiment id or the registered model name; `""` for the tenant. */
  resourceId: Schema.String,
  role: Role,
  /** Who granted it: the caller's user name, or the in-process `CurrentPrincipal`. */
  grantedBy: Schema.String,
  /** Epoch milliseconds. */
  grantedAt: Schema.Number
}) {
  /** The resource of this grant. */
  get resource(): ResourceRef {
    return { kind: this.resourceKind, id: this.resourceId }
  }
}

/** Input of `Grants.grant`. */
export interface GrantRole {
  readonly grantee: Grantee
  readonly resource: ResourceRef
  readonly role: Role
}
