/**
 * Single sign-on in the web UI: which sign-in methods the server offers
 * (`/auth/providers`), who is signed in (`/auth/me`), the tenant switcher
 * and signing out. A server without sign-on (the Basic server) has no
 * `/auth/` routes: its answer to `/auth/providers` is not the JSON below,
 * and the UI then behaves as it always did.
 */

/** A sign-in method the server offers. */
export type SsoMethod = "oidc" | "saml"

/** The signed-in person, as `/auth/me` answers. */
export interface Me {
  readonly username: string
  readonly displayName: string | null
  readonly email: string | null
  readonly tenant: string
  readonly tenants: ReadonlyArray<string>
  readonly groups: ReadonlyArray<string>
  readonly via: SsoMethod
  readonly expiresAt: number
}

/** The cookie the server sets next to the session for the UI's scripts to read (double-submit CSRF token). */
const csrfCookie = "mlops_csrf"

/** The session's anti-forgery token, sent in `x-csrf-token` with every state-changing request. */
export const csrfToken = (): string | undefined => {
  for (const pair of document.cookie.split(";")) {
    const eq = pair.indexOf("=")
    if (eq > 0 && pair.slice(0, eq).trim() === csrfCookie) {
      const value = pair.slice(eq + 1).trim()
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return undefined
}

/** `headers` plus the CSRF token for a request that is not GET or HEAD, when there is a session. */
export const withCsrf = (method: string, headers: Record<string, string>): Record<string, string> => {
  const token = method === "GET" || method === "HEAD" ? undefined : csrfToken()
  return token === undefined ? headers : { ...headers, "x-csrf-token": token }
}

const unauthenticated = "mlops:unauthenticated"

/** Tells the app that an API call was refused for want of a (valid) session. */
export const reportUnauthenticated = () => window.dispatchEvent(new Event(unauthenticated))

/** Calls `listener` whenever an API call answers 401; returns the unsubscribe function. */
export const onUnauthenticated = (listener: () => void): (() => void) => {
  window.addEventListener(unauthenticated, listener)
  return () => window.removeEventListener(unauthenticated, listener)
}

const readJson = async (response: Response): Promise<unknown> =>
  response.ok && (response.headers.get("content-type") ?? "").includes("application/json") ? response.json() : undefined

/** The sign-in methods, or `null` when the server has no sign-on (no `/auth/` routes). */
export const fetchProviders = async (): Promise<ReadonlyArray<SsoMethod> | null> => {
  const body = await readJson(await fetch("/auth/providers", { headers: { accept: "application/json" } }))
  if (typeof body !== "object" || body === null || !Array.isArray((body as { methods?: unknown }).methods)) return null
  return (body as { methods: ReadonlyArray<unknown> }).methods.filter(
    (method): method is SsoMethod => method === "oidc" || method === "saml"
  )
}

/** The signed-in person, or `null` when the browser has no valid session. */
export const fetchMe = async (): Promise<Me | null> => {
  const response = await fetch("/auth/me", { headers: { accept: "application/json" } })
  return ((await readJson(response)) as Me | undefined) ?? null
}

const post = async (path: string, body?: unknown): Promise<Response> => {
  const headers = withCsrf("POST", { accept: "application/json" })
  const response = await fetch(path, {
    method: "POST",
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  if (!response.ok && response.status !== 204) {
    const error = (await readJson(response).catch(() => undefined)) as { message?: unknown } | undefined
    throw new Error(typeof error?.message === "string" ? error.message : `HTTP ${response.status}`)
  }
  return response
}

/** Moves the session to another tenant the person belongs to; answers the person as seen from there. */
export const switchTenant = async (tenant: string): Promise<Me> =>
  (await (await post("/auth/switch-tenant", { tenant })).json()) as Me

export const signOut = async (): Promise<void> => {
  await post("/auth/logout")
}

/** Where a sign-in button leads: the method's login route, coming back to `next` (a path of this app). */
export const loginHref = (method: SsoMethod, next: string) => `/auth/${method}/login?next=${encodeURIComponent(next)}`

export const methodLabels: Record<SsoMethod, string> = {
  oidc: "Sign in with SSO (OIDC)",
  saml: "Sign in with SAML"
}
