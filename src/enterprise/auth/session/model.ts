import { Schema } from "effect"
import { TenantId } from "../../../core/context.js"
import { PrincipalId } from "../principals/model.js"

/**
 * A signed-in browser: whom the identity provider vouched for, the principal
 * that person is in the session's tenant, until when, and the token that
 * state-changing requests must echo in `x-csrf-token`. It lives only in the
 * sealed `mlops_session` cookie, so every replica can read it.
 */
export class Session extends Schema.Class<Session>("Session")({
  /** How the person signed in. */
  provider: Schema.Literal("oidc", "saml"),
  /** The OIDC issuer or the SAML IdP entity id. */
  issuer: Schema.String,
  /** The OIDC `sub` or the SAML NameID. */
  subject: Schema.String,
  /** The tenant the browser acts in (the tenant switcher changes it). */
  tenant: TenantId,
  /** The person's principal in {@link Session.tenant}. */
  principalId: PrincipalId,
  /** Epoch milliseconds: the earlier of the identity provider's bound and the maximum session age. */
  expiresAt: Schema.Number,
  /** The anti-forgery token (also in the script-readable `mlops_csrf` cookie). */
  csrf: Schema.String
}) {}

/** What a sign-in grants, from which {@link Sessions} makes a {@link Session}. */
export interface SessionGrant {
  readonly provider: "oidc" | "saml"
  readonly issuer: string
  readonly subject: string
  readonly tenant: TenantId
  readonly principalId: PrincipalId
  /** The identity provider's own bound (token `exp`, SAML `SessionNotOnOrAfter`), when it gives one. */
  readonly expiresAt?: number | undefined
}
