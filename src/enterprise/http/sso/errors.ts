import { Schema } from "effect"

/**
 * The client mistakes and refusals of the sign-in routes. Each is answered
 * with one 4xx status ({@link statusOf}) and its message: as a small HTML
 * page on the routes a browser navigates to (login, callback, ACS), as JSON
 * (`{ _tag, message }`) on the ones the web UI fetches.
 */

/** The sign-in method is not configured on this server. */
export class SsoMethodNotConfigured extends Schema.TaggedError<SsoMethodNotConfigured>()("SsoMethodNotConfigured", {
  method: Schema.String
}) {
  override get message(): string {
    return `sign-in with ${this.method} is not configured on this server`
  }
}

/** A `next` or `RelayState` that is not a path on this server (an open redirect). */
export class RedirectNotLocal extends Schema.TaggedError<RedirectNotLocal>()("RedirectNotLocal", {
  target: Schema.String
}) {
  override get message(): string {
    return "the page to return to after sign-in must be a path on this server"
  }
}

/** The OIDC callback came without the login state this browser was given, or after it expired. */
export class LoginStateInvalid extends Schema.TaggedError<LoginStateInvalid>()("LoginStateInvalid", {
  reason: Schema.String
}) {
  override get message(): string {
    return "this sign-in expired or was started in another browser; please sign in again"
  }
}

/** The identity provider's answer was refused (see `reason` in the server log); the client sees no detail. */
export class SignInRejected extends Schema.TaggedError<SignInRejected>()("SignInRejected", {
  reason: Schema.String,
  /** An error code the identity provider sent back (OAuth `error`), shown to the user. */
  providerError: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.providerError === undefined
      ? "sign-in failed"
      : `the identity provider did not sign you in (${this.providerError})`
  }
}

/** The identity names a tenant (or none, and the default tenant is missing) that does not exist. */
export class TenantNotAvailable extends Schema.TaggedError<TenantNotAvailable>()("TenantNotAvailable", {
  tenant: Schema.String
}) {
  override get message(): string {
    return `your account is assigned to tenant "${this.tenant}", which does not exist on this server`
  }
}

/** The person's principal in the tenant has been disabled by an administrator. */
export class PrincipalDisabled extends Schema.TaggedError<PrincipalDisabled>()("PrincipalDisabled", {
  tenant: Schema.String
}) {
  override get message(): string {
    return `your account in tenant "${this.tenant}" is disabled`
  }
}

/** No valid session cookie. */
export class SessionRequired extends Schema.TaggedError<SessionRequired>()("SessionRequired", {
  reason: Schema.String
}) {
  override get message(): string {
    return "not signed in"
  }
}

/** A state-changing request with a session cookie but without the session's anti-forgery token. */
export class CsrfTokenInvalid extends Schema.TaggedError<CsrfTokenInvalid>()("CsrfTokenInvalid", {}) {
  override get message(): string {
    return "missing or wrong x-csrf-token header"
  }
}

/** The person has no principal in the tenant asked for (or it is disabled). */
export class TenantNotJoined extends Schema.TaggedError<TenantNotJoined>()("TenantNotJoined", {
  tenant: Schema.String
}) {
  override get message(): string {
    return `you do not belong to tenant "${this.tenant}"`
  }
}

/** A malformed request body or parameter. */
export class SsoRequestInvalid extends Schema.TaggedError<SsoRequestInvalid>()("SsoRequestInvalid", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

export type SsoError =
  | SsoMethodNotConfigured
  | RedirectNotLocal
  | LoginStateInvalid
  | SignInRejected
  | TenantNotAvailable
  | PrincipalDisabled
  | SessionRequired
  | CsrfTokenInvalid
  | TenantNotJoined
  | SsoRequestInvalid

/** The one HTTP status of each error. */
export const statusOf = (error: SsoError): 400 | 401 | 403 | 404 => {
  switch (error._tag) {
    case "SsoMethodNotConfigured":
      return 404
    case "RedirectNotLocal":
    case "LoginStateInvalid":
    case "SsoRequestInvalid":
      return 400
    case "SignInRejected":
    case "SessionRequired":
      return 401
    case "TenantNotAvailable":
    case "PrincipalDisabled":
    case "CsrfTokenInvalid":
    case "TenantNotJoined":
      return 403
  }
}
