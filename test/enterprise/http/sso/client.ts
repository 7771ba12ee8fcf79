/** A small HTTP client for the SSO tests: no redirects followed, cookies by hand. */
import { Effect } from "effect"

export interface SetCookie {
  readonly value: string
  /** Attribute names lower-cased, with their values (`""` for flags). */
  readonly attributes: Readonly<Record<string, string>>
}

export interface Answer {
  readonly status: number
  readonly location: string | null
  readonly contentType: string
  readonly text: string
  readonly json: Record<string, unknown>
  readonly cookies: Readonly<Record<string, SetCookie>>
}

const parseSetCookie = (headers: Headers): Record<string, SetCookie> => {
  const cookies: Record<string, SetCookie> = {}
  for (const header of headers.getSetCookie()) {
    const [pair = "", ...rest] = header.split(";").map((part) => part.trim())
    const eq = pair.indexOf("=")
    const attributes: Record<string, string> = {}
    for (const attribute of rest) {
      const at = attribute.indexOf("=")
      if (at < 0) attributes[attribute.toLowerCase()] = ""
      else attributes[attribute.slice(0, at).toLowerCase()] = attribute.slice(at + 1)
    }
    cookies[pair.slice(0, eq)] = { value: decodeURIComponent(pair.slice(eq + 1)), attributes }
  }
  return cookies
}

/**
 * `fetch`, sent again when it failed on a pooled keep-alive connection the
 * server had just closed (its keep-alive timeout is 5 seconds, and reading
 * an AuthnRequest the first time takes longer): such a request never
 * reached the server.
 */
export const fetchRetryingStaleConnections = async (url: string, init: RequestInit): Promise<Response> => {
  try {
    return await fetch(url, init)
  } catch (error) {
    const code = (error as { readonly cause?: { readonly code?: unknown } }).cause?.code
    if (code !== "ECONNRESET" && code !== "UND_ERR_SOCKET") throw error
    return fetch(url, init)
  }
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly cookies?: Readonly<Record<string, string | undefined>>
  /** JSON body (sets content-type) or a form (URLSearchParams). */
  readonly body?: unknown
}

export const request = (url: string, options: RequestOptions = {}) =>
  Effect.promise(async (): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers }
    const cookie = Object.entries(options.cookies ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name}=${value}`)
      .join("; ")
    if (cookie !== "") headers.cookie = cookie
    let body: string | undefined
    if (options.body instanceof URLSearchParams) {
      body = options.body.toString()
      headers["content-type"] ??= "application/x-www-form-urlencoded"
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers["content-type"] ??= "application/json"
    }
    const response = await fetchRetryingStaleConnections(url, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      redirect: "manual",
      ...(body === undefined ? {} : { body })
    })
    const text = await response.text()
    const contentType = response.headers.get("content-type") ?? ""
    let json: Record<string, unknown> = {}
    if (contentType.includes("json") && text !== "") json = JSON.parse(text) as Record<string, unknown>
    return {
      status: response.status,
      location: response.headers.get("location"),
      contentType,
      text,
      json,
      cookies: parseSetCookie(response.headers)
    }
  })
