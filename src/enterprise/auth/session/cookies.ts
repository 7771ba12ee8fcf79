import * as Cookies from "@effect/platform/Cookies"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type { Duration } from "effect"
import type { RequestHeaders } from "../Authenticator.js"

/** The sealed session (HttpOnly). */
export const sessionCookie = "mlops_session"
/** The session's anti-forgery token, readable by the web UI's scripts (double submit). */
export const csrfCookie = "mlops_csrf"
/** The header a state-changing request authenticated by the session cookie must carry. */
export const csrfHeader = "x-csrf-token"

/** Requests that change nothing and therefore need no anti-forgery token. */
export const isSafeMethod = (method: string): boolean => method === "GET" || method === "HEAD" || method === "OPTIONS"

/** One cookie of a request's `Cookie` header; malformed headers yield `undefined`, never a failure. */
export const readCookie = (headers: RequestHeaders, name: string): string | undefined => {
  const header = headers.cookie
  if (typeof header !== "string" || header === "") return undefined
  try {
    const value = Cookies.parseHeader(header)[name]
    return value === undefined || value === "" ? undefined : value
  } catch {
    return undefined
  }
}

/**
 * Whether cookies set in answer to `request` should be `Secure`: always when
 * configured, otherwise when the request came over TLS, directly or through
 * a proxy saying so in `X-Forwarded-Proto` (trusting it can only make a
 * cookie stricter).
 */
export const isSecureRequest = (request: HttpServerRequest.HttpServerRequest, alwaysSecure: boolean): boolean => {
  if (alwaysSecure) return true
  const forwarded = request.headers["x-forwarded-proto"]
  if (typeof forwarded === "string" && forwarded.split(",")[0]?.trim().toLowerCase() === "https") return true
  const source = request.source as { readonly socket?: { readonly encrypted?: unknown } } | undefined
  return source?.socket?.encrypted === true
}

/** Attributes of a cookie this server sets: host-only, SameSite=Lax, on `path`. */
export const cookieOptions = (options: {
  readonly secure: boolean
  readonly httpOnly: boolean
  readonly maxAge: Duration.DurationInput
  readonly path?: string
}): Cookies.Cookie["options"] => ({
  path: options.path ?? "/",
  httpOnly: options.httpOnly,
  secure: options.secure,
  sameSite: "lax",
  maxAge: options.maxAge
})
