import { randomUUID } from "node:crypto"
import { IncomingMessage } from "node:http"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Exit, Layer, Option } from "effect"
import { AuditTrail } from "./AuditTrail.js"
import { CurrentRequestId, callerDetail, currentActor } from "./record.js"
import { describeRequest, type Fields, idFieldsOfPrefix, isAuditedWrite, scalarFields } from "./requests.js"

/** The header that carries a request's id, in and out. */
export const requestIdHeader = "x-request-id"

const requestIdPattern = /^[\w.:-]{1,128}$/

/** The client's request id when it is a sane token, else a fresh one. */
const requestIdOf = (header: string | undefined): string =>
  header !== undefined && requestIdPattern.test(header) ? header : randomUUID()

/** Bodies up to this size are parsed for their top-level ids; larger ones (metric batches) are only scanned. */
const maxParsedBody = 64 * 1024
/** How much of a larger body is scanned for ids. */
const scannedPrefix = 4 * 1024

/** Uploads: their bodies are files, never looked at. */
const isUpload = (method: string, path: string) =>
  path.includes("/mlflow-artifacts/") ||
  (method === "PUT" && path === "/api/v1/artifacts/file") ||
  path === "/api/v1/datasets/versions"

interface BodyTap {
  /** Stops watching; the top-level fields of what the handler read. */
  readonly stop: () => Fields
}

const noTap: BodyTap = { stop: () => ({}) }

/**
 * Watches the bytes the handler reads from a Node request without reading
 * any itself: the handlers read the body straight from the
 * `IncomingMessage` (see `bodyText`), so the middleware cannot read it
 * first. Every chunk a reader receives passes through the stream's `emit`
 * ("data", in flowing mode and from `read()` alike); we keep references to
 * the first 64 KiB of them and restore `emit` once the handler is done.
 */
const tapBody = (request: HttpServerRequest.HttpServerRequest, path: string): BodyTap => {
  const source = request.source
  if (!(source instanceof IncomingMessage) || isUpload(request.method, path)) return noTap
  const contentType = request.headers["content-type"]
  if (contentType !== undefined && !contentType.includes("json")) return noTap
  const chunks: Array<Buffer> = []
  let kept = 0
  let total = 0
  const hadOwnEmit = Object.hasOwn(source, "emit")
  const original = source.emit
  const tapped = function (this: IncomingMessage, event: string | symbol, ...args: Array<unknown>): boolean {
    if (event === "data") {
      const chunk = args[0]
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : undefined
      if (buffer !== undefined) {
        total += buffer.length
        if (kept <= maxParsedBody) {
          chunks.push(buffer)
          kept += buffer.length
        }
      }
    }
    return Reflect.apply(original, this, [event, ...args]) as boolean
  }
  source.emit = tapped as IncomingMessage["emit"]
  return {
    stop: () => {
      if (source.emit === (tapped as IncomingMessage["emit"])) {
        if (hadOwnEmit) source.emit = original
        else Reflect.deleteProperty(source, "emit")
      }
      if (total === 0) return {}
      if (total <= maxParsedBody) {
        try {
          return scalarFields(JSON.parse(Buffer.concat(chunks, kept).toString("utf8")))
        } catch {
          return {}
        }
      }
      // Only the prefix is scanned: copy that much of a metric batch, not its first 64 KiB.
      return idFieldsOfPrefix(Buffer.concat(chunks, Math.min(kept, scannedPrefix)).toString("utf8"))
    }
  }
}

/** The JSON body of a small, fully buffered response (a creation's answer with the new id). */
const responseJson = (response: HttpServerResponse.HttpServerResponse): unknown => {
  const body = response.body
  if (body._tag !== "Uint8Array" || body.body.length > maxParsedBody || !body.contentType.includes("json")) {
    return undefined
  }
  try {
    return JSON.parse(Buffer.from(body.body).toString("utf8"))
  } catch {
    return undefined
  }
}

/**
 * Records one audit entry per write request: POST, PUT, PATCH and DELETE
 * under `/api/` and `/ajax-api/`, except the reads MLflow and the native API
 * make with POST (`runs/search` and friends, see `requests.ts`). The entry
 * names the caller (`CurrentCaller`'s user name, its principal id and how
 * it authenticated), the tenant (`CurrentTenant`), the action
 * (`mlflow.runs.create`, `PATCH /api/v1/runs/:id`), the resource (ids taken
 * from the path, the query, the top-level fields of the JSON body, or a
 * creation's response; never anything else of a body, so no secret or
 * metric batch is copied), the request id and the outcome (the status
 * code, so refused writes are recorded too).
 *
 * Every request gets an id, the client's `x-request-id` if it sent a sane
 * one, else a fresh UUID; it is echoed in the response's `x-request-id`,
 * provided to handlers as {@link CurrentRequestId} (for `recordChange`) and
 * added to their logs.
 *
 * Install it inside the authentication middleware, which sets the caller
 * and tenant (see {@link auditingAfter}): requests refused before
 * authentication are not recorded.
 */
export const auditRequests: Layer.Layer<never, never, HttpLayerRouter.HttpRouter | AuditTrail> =
  HttpLayerRouter.middleware(
    Effect.gen(function* () {
      const trail = yield* AuditTrail
      return (app) =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          const requestId = requestIdOf(request.headers[requestIdHeader])
          const question = request.url.indexOf("?")
          const path = question < 0 ? request.url : request.url.slice(0, question)
          const served = app.pipe(
            Effect.provideService(CurrentRequestId, Option.some(requestId)),
            Effect.annotateLogs("requestId", requestId)
          )
          if (!isAuditedWrite(request.method, path)) {
            return HttpServerResponse.setHeader(yield* served, requestIdHeader, requestId)
          }
          const tap = tapBody(request, path)
          const record = <E>(exit: Exit.Exit<HttpServerResponse.HttpServerResponse, E>) =>
            Effect.gen(function* () {
              const body = tap.stop()
              const response = Exit.isSuccess(exit) ? exit.value : (yield* HttpServerError.causeResponse(exit.cause))[0]
              let parsed: { readonly value: unknown } | undefined
              const described = describeRequest({
                method: request.method,
                path,
                query: new URLSearchParams(question < 0 ? "" : request.url.slice(question + 1)),
                body,
                response: () => {
                  parsed ??= { value: Exit.isSuccess(exit) ? responseJson(response) : undefined }
                  return parsed.value
                }
              })
              const { principal, caller } = yield* currentActor
              // The handler has already stored the write. If the entry cannot be appended (the
              // database went away between the two), the write stands and the client gets its
              // answer: failing the request now would make the client retry a write that
              // happened, and undoing it is impossible. The gap is logged as an error, with
              // everything the entry would have held, for whoever watches the logs.
              yield* trail
                .append({
                  principal,
                  ...described,
                  requestId,
                  outcome: String(response.status),
                  detail: { method: request.method, path, ...callerDetail(caller) }
                })
                .pipe(
                  Effect.catchAllCause((cause) =>
                    Effect.logError("audit entry not recorded", cause).pipe(
                      Effect.annotateLogs({ ...described, principal, requestId, outcome: response.status })
                    )
                  )
                )
            })
          // Appended after the handler, before the response leaves, uninterruptibly: a client that
          // sees its write succeed can rely on its entry being in the trail.
          const response = yield* served.pipe(Effect.onExit(record))
          return HttpServerResponse.setHeader(response, requestIdHeader, requestId)
        })
    }),
    { global: true }
  )

/**
 * `identity` (the authentication middleware, or a chain of middleware that
 * starts with it) followed by {@link auditRequests}: global middleware run
 * in the order they are registered, and this builds `identity` first, so
 * the audit sees the caller it sets.
 *
 * @example
 * ```ts
 * makeServerLayerWith(options, Layer.merge(auditingAfter(authentication), AuditRoutes))
 * ```
 */
export const auditingAfter = <ROut, E, R>(
  identity: Layer.Layer<ROut, E, R>
): Layer.Layer<ROut, E, R | HttpLayerRouter.HttpRouter | AuditTrail> => Layer.provideMerge(auditRequests, identity)
