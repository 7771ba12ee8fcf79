import { Schema } from "effect"

/** The grantee holds no grant of its own on the resource (`DELETE /api/v1/admin/grants`). */
export class GrantNotFound extends Schema.TaggedError<GrantNotFound>()("GrantNotFound", {
  /** `principal:alice` or `group:ml-platform`. */
  grantee: Schema.String,
  /** `tenant`, `experiment:3`, `registered_model:churn`. */
  resource: Schema.String
}) {
  override get message(): string {
    return `${this.grantee} has no grant on ${this.resource}`
  }
}
