import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Duration } from "effect"
import { cookieOptions, csrfCookie, sessionCookie } from "../../auth/session/cookies.js"
import type { Session } from "../../auth/session/model.js"
import { type SsoError, statusOf } from "./errors.js"

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** Pages of the sign-in routes load nothing and run nothing. */
const pageHeaders = {
  "content-security-policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store"
}

const titles: Record<SsoError["_tag"], string> = {
  SsoMethodNotConfigured: "Sign-in method not available",
  RedirectNotLocal: "Sign-in refused",
  LoginStateInvalid: "Sign-in expired",
  SignInRejected: "Sign-in failed",
  TenantNotAvailable: "No access",
  PrincipalDisabled: "Account disabled",
  SessionRequired: "Not signed in",
  CsrfTokenInvalid: "Request refused",
  TenantNotJoined: "No access",
  SsoRequestInvalid: "Bad request"
}

/** A small HTML page for a browser that navigated to a sign-in route. */
export const htmlPage = (status: number, title: string, message: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
      `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · effect-mlops</title></head>` +
      `<body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` +
      `<p><a href="/">Back to effect-mlops</a></p></main></body></html>`,
    { status, contentType: "text/html; charset=utf-8", headers: pageHeaders }
  )

/** `error` as a page. */
export const errorPage = (error: SsoError) => htmlPage(statusOf(error), titles[error._tag], error.message)

/** `error` as JSON, in the native API's shape (`_tag`, `message`). */
export const errorJson = (error: SsoError) =>
  HttpServerResponse.unsafeJson(
    { _tag: error._tag, message: error.message },
    { status: statusOf(error), headers: { "cache-control": "no-store" } }
  )

/** Sets the session cookie (HttpOnly) and its anti-forgery cookie (readable by the UI), both ending with the session. */
export const withSessionCookies = (
  response: HttpServerResponse.HttpServerResponse,
  session: Session,
  sealed: string,
  options: { readonly secure: boolean; readonly now: number }
) => {
  const maxAge = Duration.millis(Math.max(0, session.expiresAt - options.now))
  return response.pipe(
    HttpServerResponse.unsafeSetCookie(
      sessionCookie,
      sealed,
      cookieOptions({ secure: options.secure, httpOnly: true, maxAge })
    ),
    HttpServerResponse.unsafeSetCookie(
      csrfCookie,
      session.csrf,
      cookieOptions({ secure: options.secure, httpOnly: false, maxAge })
    )
  )
}

/** Expires a cookie set with {@link cookieOptions}. */
export const expire = (
  name: string,
  options: { readonly secure: boolean; readonly httpOnly: boolean; readonly path?: string }
) =>
  HttpServerResponse.expireCookie(name, {
    path: options.path ?? "/",
    httpOnly: options.httpOnly,
    secure: options.secure,
    sameSite: "lax"
  })

/** Expires both session cookies. */
export const withoutSessionCookies = (response: HttpServerResponse.HttpServerResponse, secure: boolean) =>
  response.pipe(expire(sessionCookie, { secure, httpOnly: true }), expire(csrfCookie, { secure, httpOnly: false }))
