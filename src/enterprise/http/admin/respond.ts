import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { Forbidden, InvalidArgument } from "../../../core/errors.js"
import { RegisteredModelNotFound } from "../../../core/registry/errors.js"
import { ExperimentNotFound } from "../../../core/tracking/errors.js"
import { fieldPath } from "../../../http/api/wire.js"
import { bodyText } from "../../../http/bodyText.js"
import { ApiKeyNotFound } from "../../auth/apiKeys/model.js"
import { type Caller, CurrentCaller } from "../../auth/Authenticator.js"
import { Unauthenticated } from "../../auth/identity.js"
import {
  GroupAlreadyExists,
  GroupNotFound,
  PrincipalAlreadyExists,
  PrincipalNotFound
} from "../../auth/principals/model.js"
import type { AuthorizerShape } from "../../auth/rbac/Authorizer.js"
import { Resource } from "../../auth/rbac/model.js"
import { TenantAlreadyExists, TenantNotFound } from "../../tenancy/model.js"
import { GrantNotFound } from "./errors.js"

/*
 * How the admin routes read requests and answer: bodies and query strings
 * decoded with Schema (the first mistake answered 400 `InvalidArgument`
 * naming the field), tagged errors answered in the native API's shape
 * (`_tag` and the error's fields) plus a `message`, each with one status.
 */

/** Every error an admin route answers with. */
export const AdminError = Schema.Union(
  InvalidArgument,
  Unauthenticated,
  Forbidden,
  TenantNotFound,
  PrincipalNotFound,
  GroupNotFound,
  ApiKeyNotFound,
  GrantNotFound,
  ExperimentNotFound,
  RegisteredModelNotFound,
  TenantAlreadyExists,
  PrincipalAlreadyExists,
  GroupAlreadyExists
)
export type AdminError = typeof AdminError.Type

const statusOf: Record<AdminError["_tag"], number> = {
  InvalidArgument: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  TenantNotFound: 404,
  PrincipalNotFound: 404,
  GroupNotFound: 404,
  ApiKeyNotFound: 404,
  GrantNotFound: 404,
  ExperimentNotFound: 404,
  RegisteredModelNotFound: 404,
  TenantAlreadyExists: 409,
  PrincipalAlreadyExists: 409,
  GroupAlreadyExists: 409
}

const encodeError = Schema.encodeSync(AdminError)

/** The error as its status and `{ _tag, ...fields, message }`. */
export const errorResponse = (error: AdminError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(
    { ...encodeError(error), message: error.message },
    {
      status: statusOf[error._tag],
      headers:
        error._tag === "Unauthenticated"
          ? { "www-authenticate": 'Bearer realm="effect-mlops", Basic realm="effect-mlops"' }
          : {}
    }
  )

/** Answers the route's typed failures as {@link errorResponse}s, inside a span named after the route. */
export const respond =
  (name: string) =>
  <R>(
    handler: Effect.Effect<HttpServerResponse.HttpServerResponse, AdminError, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
    handler.pipe(
      Effect.catchAll((error) => Effect.succeed(errorResponse(error))),
      Effect.withSpan(name)
    )

/** A JSON answer encoded with `schema`. */
export const jsonWith = <A, I>(schema: Schema.Schema<A, I>, status = 200) => {
  const encode = Schema.encodeSync(schema)
  return (value: A): HttpServerResponse.HttpServerResponse => HttpServerResponse.unsafeJson(encode(value), { status })
}

/** A JSON answer that holds a secret: never cached by a browser or a proxy. */
export const secretJsonWith = <A, I>(schema: Schema.Schema<A, I>, status = 201) => {
  const encode = Schema.encodeSync(schema)
  return (value: A): HttpServerResponse.HttpServerResponse =>
    HttpServerResponse.unsafeJson(encode(value), {
      status,
      headers: { "cache-control": "no-store", pragma: "no-cache" }
    })
}

/** `204 No Content`. */
export const noContent: HttpServerResponse.HttpServerResponse = HttpServerResponse.empty({ status: 204 })

/** The first issue of a decoding failure as an `InvalidArgument` naming the field (`body` for the whole). */
const invalidArgumentOf = (error: ParseResult.ParseError): InvalidArgument => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return new InvalidArgument({ field: "body", reason: error.message })
  const field = fieldPath(issue.path)
  const reason =
    issue._tag === "Missing"
      ? "is required"
      : issue._tag === "Unexpected"
        ? "is not a field of this request"
        : issue.message
  return new InvalidArgument({ field: field === "" ? "body" : field, reason })
}

/**
 * A decoder for one request schema, built once per route: unknown fields are
 * refused (a misspelt optional field is a mistake, not a no-op).
 */
export const decoderOf = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "error" })
  return (input: unknown): Either.Either<A, InvalidArgument> => Either.mapLeft(decode(input), invalidArgumentOf)
}

const bodyProblem = (reason: string) => new InvalidArgument({ field: "body", reason })

/** The request's JSON object body, decoded with `schema`; an empty body is `{}`. */
export const body = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = decoderOf(schema)
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    bodyText(request).pipe(
      Effect.mapError((failure) =>
        bodyProblem(failure === "too-large" ? "exceeds the size limit" : "could not be read")
      ),
      Effect.flatMap((text) => {
        if (text.trim() === "") return decode({})
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch (e) {
          return Either.left(bodyProblem(`malformed JSON: ${e instanceof Error ? e.message : String(e)}`))
        }
        return typeof json === "object" && json !== null && !Array.isArray(json)
          ? decode(json)
          : Either.left(bodyProblem("must be a JSON object"))
      })
    )
  )
}

/** The query string as one value per parameter, or a list when a parameter repeats. */
const queryOf = (url: string): Record<string, string | ReadonlyArray<string>> => {
  const question = url.indexOf("?")
  const params = new URLSearchParams(question < 0 ? "" : url.slice(question + 1))
  const message: Record<string, string | ReadonlyArray<string>> = {}
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key)
    message[key] = values.length === 1 ? (values[0] as string) : values
  }
  return message
}

/** The request's query string, decoded with `schema`. */
export const query = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = decoderOf(schema)
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => decode(queryOf(request.url)))
}

/** A path parameter of the route (`:principal`), decoded by the router. */
export const pathParam = (name: string) => Effect.map(HttpRouter.params, (params) => params[name] ?? "")

/**
 * The authenticated caller. Every `/api/` request on the enterprise server
 * has one; a composition that serves these routes without the
 * authentication middleware answers 401 rather than trusting anyone.
 */
export const currentCaller: Effect.Effect<Caller, Unauthenticated> = Effect.flatMap(CurrentCaller, (caller) =>
  Option.match(caller, {
    onNone: () => Effect.fail(new Unauthenticated({ message: "authentication required" })),
    onSome: Effect.succeed
  })
)

/** Succeeds when the caller has the `admin` role on its tenant; `Forbidden` otherwise. */
export const requireTenantAdmin = (
  authorizer: AuthorizerShape,
  action: string
): Effect.Effect<Caller, Unauthenticated | Forbidden> =>
  Effect.tap(currentCaller, () => authorizer.requireRole(action, "admin", Resource.tenant))
