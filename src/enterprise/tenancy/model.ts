import { Schema } from "effect"
import { TenantId } from "../../core/context.js"

/** A tenant (workspace): the unit of isolation for experiments, models, datasets, users and keys. */
export class Tenant extends Schema.Class<Tenant>("Tenant")({
  tenantId: TenantId,
  displayName: Schema.String,
  creationTime: Schema.Number
}) {}

/** Tenant ids are URL- and header-safe slugs, as MLflow workspaces are. */
export const tenantIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/

/** Input of `Tenants.create`. */
export interface CreateTenant {
  /** A slug: lowercase letters, digits and dashes, at most 63 characters. */
  readonly tenantId: string
  /** Defaults to the id. */
  readonly displayName?: string
}

/** There is no tenant with this id. */
export class TenantNotFound extends Schema.TaggedError<TenantNotFound>()("TenantNotFound", {
  tenantId: Schema.String
}) {
  override get message(): string {
    return `tenant "${this.tenantId}" does not exist`
  }
}

/** A tenant with this id already exists. */
export class TenantAlreadyExists extends Schema.TaggedError<TenantAlreadyExists>()("TenantAlreadyExists", {
  tenantId: Schema.String
}) {
  override get message(): string {
    return `tenant "${this.tenantId}" already exists`
  }
}
