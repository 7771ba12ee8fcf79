import { connect } from "node:net"
import { Effect } from "effect"

/** A request as the suites describe it; `query` values repeat the parameter when they are lists. */
export interface Request {
  readonly method: string
  /** The path, params already filled in (no query string). */
  readonly path: string
  readonly query?: Readonly<Record<string, string | ReadonlyArray<string>>>
  /** JSON-encoded unless it is a string (sent as it is, e.g. a file). */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

/** What came back: the status, the content type and the whole body as text (streams: only their start). */
export interface Response {
  readonly status: number
  readonly contentType: string
  readonly text: string
}

/** The URL of a request, path and query string. */
export const target = (request: Request): string => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of typeof value === "string" ? [value] : value) params.append(name, v)
  }
  const query = params.toString()
  return query === "" ? request.path : `${request.path}?${query}`
}

/** Everything a request sends, as text: what its answer may echo back without leaking anything. */
export const sentText = (request: Request): string =>
  `${decodeURIComponent(target(request))} ${typeof request.body === "string" ? request.body : JSON.stringify(request.body ?? null)}`

const readText = async (response: globalThis.Response, contentType: string): Promise<string> => {
  // A server-sent event stream stays open: its status says enough.
  if (contentType.includes("text/event-stream")) {
    await response.body?.cancel()
    return ""
  }
  return response.text()
}

/**
 * Sends the request to the server at `url`. A connection the server drops
 * mid-answer, or an answer slower than `timeoutMs`, is status 0 with the
 * error as text, so suites report it as an answer like any other.
 */
export const send = (url: string, request: Request, timeoutMs = 15_000): Effect.Effect<Response> =>
  Effect.promise(async (): Promise<Response> => {
    const body =
      request.body === undefined
        ? undefined
        : typeof request.body === "string"
          ? request.body
          : JSON.stringify(request.body)
    const response = await fetch(`${url}${target(request)}`, {
      method: request.method,
      headers: {
        ...(body === undefined || typeof request.body === "string" ? {} : { "content-type": "application/json" }),
        ...request.headers
      },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(timeoutMs)
    })
    const contentType = response.headers.get("content-type") ?? ""
    return { status: response.status, contentType, text: await readText(response, contentType) }
  }).pipe(
    Effect.catchAllDefect((error) =>
      Effect.succeed({ status: 0, contentType: "", text: `connection failed: ${String(error)}` })
    )
  )

/** The body of a JSON answer. */
export const json = (response: Response): Record<string, unknown> =>
  response.contentType.includes("json") && response.text !== ""
    ? (JSON.parse(response.text) as Record<string, unknown>)
    : {}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` })

/** The body of a chunked HTTP/1.1 message. */
const unchunk = (raw: Buffer): Buffer => {
  const parts: Array<Buffer> = []
  let at = 0
  while (at < raw.length) {
    const lineEnd = raw.indexOf("\r\n", at)
    if (lineEnd < 0) break
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString("latin1"), 16)
    if (!(size > 0)) break
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}

/**
 * {@link send} over a bare socket: header values go out byte for byte
 * (latin1), even those `fetch` and `node:http` refuse to send (control
 * characters), as a hostile client can. A connection closed without an
 * answer is status 0.
 */
export const sendRaw = (url: string, request: Request, timeoutMs = 15_000): Effect.Effect<Response> =>
  Effect.async<Response>((resume) => {
    const { hostname, port } = new URL(url)
    const body =
      request.body === undefined
        ? Buffer.alloc(0)
        : Buffer.from(typeof request.body === "string" ? request.body : JSON.stringify(request.body), "utf8")
    const headers = {
      host: `${hostname}:${port}`,
      connection: "close",
      ...(request.body === undefined
        ? {}
        : { "content-type": "application/json", "content-length": String(body.length) }),
      ...request.headers
    }
    const head = `${request.method} ${target(request)} HTTP/1.1\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("")}\r\n`
    const chunks: Array<Buffer> = []
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]))
    })
    socket.setTimeout(timeoutMs, () => socket.destroy())
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", () => undefined)
    socket.on("close", () => {
      const raw = Buffer.concat(chunks)
      const split = raw.indexOf("\r\n\r\n")
      const headText = raw.subarray(0, split < 0 ? raw.length : split).toString("latin1")
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headText)?.[1] ?? 0)
      const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(headText)?.[1]?.trim() ?? ""
      const rest = split < 0 ? Buffer.alloc(0) : raw.subarray(split + 4)
      const content = field("transfer-encoding").toLowerCase() === "chunked" ? unchunk(rest) : rest
      resume(
        Effect.succeed({
          status,
          contentType: field("content-type"),
          text: status === 0 ? "connection closed without an answer" : content.toString("utf8")
        })
      )
    })
    return Effect.sync(() => socket.destroy())
  })
