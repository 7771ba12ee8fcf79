import { Schema } from "effect"

/**
 * What a verified single-sign-on credential (an OIDC token or a SAML
 * assertion) says about the caller, before it is mapped to a stored user:
 * who issued it, whom it names, and the claims or attributes that provision
 * the user (email, display name, groups, tenant).
 */
export class ExternalIdentity extends Schema.Class<ExternalIdentity>("ExternalIdentity")({
  provider: Schema.Literal("oidc", "saml"),
  /** The OIDC issuer URL or the SAML IdP entity id. */
  issuer: Schema.String,
  /** The OIDC `sub` claim or the SAML NameID. */
  subject: Schema.String,
  email: Schema.optional(Schema.String),
  displayName: Schema.optional(Schema.String),
  /** Group names from the configured claim or attribute (empty when absent). */
  groups: Schema.Array(Schema.String),
  /** The tenant from the configured claim or attribute, when one is configured and present. */
  tenant: Schema.optional(Schema.String),
  /** When the credential stops being valid (epoch milliseconds), e.g. a token's `exp`. */
  expiresAt: Schema.optional(Schema.Number)
}) {}

/**
 * The request carried credentials that were recognised but not accepted
 * (bad signature, expired, wrong audience or issuer, replayed, unknown or
 * revoked key), or none at all where one is required. Answered with 401;
 * `reason` is for the server's log, the client sees a generic message.
 */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  message: Schema.String,
  reason: Schema.optional(Schema.String)
}) {}

/**
 * A state-changing request came with a valid browser session but without
 * the session's anti-forgery token (`x-csrf-token`): the caller is known,
 * the request is refused (HTTP 403), as it may be forged by another site.
 */
export class CsrfRejected extends Schema.TaggedError<CsrfRejected>()("CsrfRejected", {
  message: Schema.String
}) {}
