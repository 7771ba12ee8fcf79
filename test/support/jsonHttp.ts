import { Effect } from "effect"

/** An answer as tests read it: the status, headers, the JSON body (`{ text }` when not JSON) and the raw text. */
export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: Record<string, unknown>
  readonly text: string
}

/** What a {@link jsonRequest} sends: `json` is encoded as the body, `raw` sent as is; `key` as a bearer token. */
export interface JsonRequestInit {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly key?: string
  readonly json?: unknown
  readonly raw?: string
}

/** `Authorization: Bearer <key>`. */
export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

/** One request with `fetch`: POST when it has a body, GET otherwise, unless `method` says. */
export const jsonRequest = (url: string, route: string, init: JsonRequestInit = {}): Effect.Effect<Reply> =>
  Effect.promise(async () => {
    const hasBody = init.json !== undefined || init.raw !== undefined
    const response = await fetch(`${url}${route}`, {
      method: init.method ?? (hasBody ? "POST" : "GET"),
      headers: {
        ...(hasBody ? { "content-type": "application/json" } : {}),
        ...(init.key === undefined ? {} : bearer(init.key)),
        ...init.headers
      },
      ...(hasBody ? { body: init.raw ?? JSON.stringify(init.json) } : {})
    })
    const text = await response.text()
    let body: Record<string, unknown> = {}
    if (text !== "") {
      try {
        body = JSON.parse(text) as Record<string, unknown>
      } catch {
        body = { text }
      }
    }
    return { status: response.status, headers: response.headers, body, text }
  })
