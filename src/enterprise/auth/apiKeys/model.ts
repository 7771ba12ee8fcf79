import { Schema } from "effect"
import type { TenantId } from "../../../core/context.js"
import { PrincipalId } from "../principals/model.js"

/** An API key as listed: never its secret, which is shown once at creation and stored only as a keyed digest. */
export class ApiKey extends Schema.Class<ApiKey>("ApiKey")({
  /** The public part of the key, also its first characters after `mlk_`. */
  keyId: Schema.String,
  principalId: PrincipalId,
  name: Schema.String,
  creationTime: Schema.Number,
  expiresAt: Schema.optional(Schema.Number),
  lastUsedAt: Schema.optional(Schema.Number),
  revokedAt: Schema.optional(Schema.Number)
}) {}

/** What a valid key proves: the tenant and principal it was issued to. */
export interface VerifiedKey {
  readonly keyId: string
  readonly tenantId: TenantId
  readonly principalId: PrincipalId
}

/** Input of `ApiKeys.create`. */
export interface CreateApiKey {
  readonly principalId: PrincipalId
  /** What the key is for, e.g. "nightly training". */
  readonly name: string
  /** Epoch milliseconds after which the key stops working; none means it never expires. */
  readonly expiresAt?: number
}

/** No API key with this id in the current tenant. */
export class ApiKeyNotFound extends Schema.TaggedError<ApiKeyNotFound>()("ApiKeyNotFound", {
  keyId: Schema.String
}) {
  override get message(): string {
    return `API key "${this.keyId}" does not exist`
  }
}
