import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Either, ParseResult, Schema } from "effect"
import { RunId } from "../../core/tracking/model.js"
import { fieldPath } from "../api/wire.js"
import { bodyText } from "../bodyText.js"
import { MlflowApiError, invalidParameter } from "./errors.js"

/*
 * Request messages in protobuf-JSON form, as MLflow's server parses them:
 * snake_case field names, int64 as a number or a decimal string, doubles
 * also as "NaN"/"Infinity"/"-Infinity", `null` meaning "not set", unknown
 * fields ignored (clients send `run_uuid` next to `run_id`, newer clients
 * send fields older servers do not know). GET requests carry the same
 * message in the query string, repeated fields as repeated parameters.
 */

const failWith = (ast: Schema.Schema.Any["ast"], actual: unknown, message: string) =>
  ParseResult.fail(new ParseResult.Type(ast, actual, message))

/** An int64 field: a safe integer given as a JSON number or a decimal string. */
export const Int64 = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
  strict: true,
  decode: (input, _, ast) => {
    const n = typeof input === "number" ? input : /^\s*-?\d+\s*$/.test(input) ? Number(input) : Number.NaN
    return Number.isSafeInteger(n)
      ? ParseResult.succeed(n)
      : failWith(ast, input, `expected an integer, got ${JSON.stringify(input)}`)
  },
  encode: ParseResult.succeed
})

const specialDoubles: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY
}

/** A double field: a JSON number, a numeric string, or protobuf-JSON's "NaN", "Infinity", "-Infinity". */
export const Double = Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
  strict: true,
  decode: (input, _, ast) => {
    if (typeof input === "number") return ParseResult.succeed(input)
    const special = specialDoubles[input]
    if (special !== undefined) return ParseResult.succeed(special)
    const n = input.trim() === "" ? Number.NaN : Number(input)
    return Number.isNaN(n)
      ? failWith(ast, input, `expected a number, got ${JSON.stringify(input)}`)
      : ParseResult.succeed(n)
  },
  encode: ParseResult.succeed
})

/** A bool field: `true`/`false`, also as strings (query parameters). */
export const Bool = Schema.transformOrFail(Schema.Union(Schema.Boolean, Schema.String), Schema.Boolean, {
  strict: true,
  decode: (input, _, ast) =>
    typeof input === "boolean"
      ? ParseResult.succeed(input)
      : input === "true" || input === "false"
        ? ParseResult.succeed(input === "true")
        : failWith(ast, input, `expected true or false, got ${JSON.stringify(input)}`),
  encode: ParseResult.succeed
})

/** A repeated field. A single value is accepted as a list of one, as a query string gives it. */
export const Repeated = <A, I>(item: Schema.Schema<A, I>) =>
  Schema.transform(Schema.Union(Schema.Array(item), item), Schema.Array(Schema.typeSchema(item)), {
    strict: true,
    decode: (value) => (Array.isArray(value) ? (value as ReadonlyArray<A>) : [value as A]),
    encode: (value) => value
  })

/** An optional field; `null` means "not set", as in protobuf JSON. */
export const optional = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(schema, { exact: true, nullable: true })

/** A string-to-string pair (`ExperimentTag`, `RunTag`, `Param`, `RegisteredModelTag`, ...). */
export const KeyValue = Schema.Struct({ key: Schema.String, value: Schema.String })

/**
 * The run addressed by a request: MLflow clients send `run_id`, older ones
 * `run_uuid`, the Python client both.
 */
export const RunRef = { run_id: optional(RunId), run_uuid: optional(RunId) }

/** The run id of a {@link RunRef} request; fails naming `run_id` when neither field is set. */
export const requireRunId = (request: RunRefMessage): Effect.Effect<RunId, MlflowApiError> => {
  const runId = request.run_id ?? request.run_uuid
  return runId === undefined ? Effect.fail(missing("run_id")) : Effect.succeed(runId)
}

/** A decoded {@link RunRef}. */
export interface RunRefMessage {
  readonly run_id?: RunId
  readonly run_uuid?: RunId
}

const missing = (field: string) =>
  invalidParameter(
    `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`
  )

/** The first decoding issue as an MLflow error naming the field. */
const fromParseError = (error: ParseResult.ParseError): MlflowApiError => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  if (issue === undefined) return invalidParameter("Invalid request")
  const field = fieldPath(issue.path)
  if (issue._tag === "Missing") return missing(field)
  return invalidParameter(
    field === "" ? `Invalid request: ${issue.message}` : `Invalid value for parameter '${field}': ${issue.message}`
  )
}

/**
 * A request decoder built once per endpoint (never per request): unknown
 * input to the message, or the MLflow error naming the first bad field.
 *
 * `accept` is an optional fast path for hot endpoints: a check that the
 * input already is a decoded message (plain numbers, no strings to convert),
 * which then skips the schema walk. Anything it does not accept goes through
 * the schema, so errors and conversions are the same either way.
 */
export const decoder = <A, I>(schema: Schema.Schema<A, I>, accept?: (input: unknown) => input is A) => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })
  return (input: unknown): Either.Either<A, MlflowApiError> =>
    accept?.(input) ? Either.right(input) : Either.mapLeft(decode(input), fromParseError)
}

/** The query string as a message: one value per field, or a list when the parameter repeats. */
export const queryMessage = (url: string): Record<string, string | ReadonlyArray<string>> => {
  const params = new URL(url, "http://localhost").searchParams
  const message: Record<string, string | ReadonlyArray<string>> = {}
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key)
    message[key] = values.length === 1 ? (values[0] as string) : values
  }
  return message
}

const malformed = (message: string) => new MlflowApiError({ errorCode: "MALFORMED_REQUEST", message })

/**
 * The JSON body as a message. An empty body is the empty message (DELETE
 * requests may carry their fields in the query string instead).
 */
export const bodyMessage = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<unknown, MlflowApiError> =>
  Effect.flatMap(
    Effect.mapError(bodyText(request), (failure) =>
      malformed(failure === "too-large" ? "The request body exceeds the size limit" : "Could not read the request body")
    ),
    (text): Effect.Effect<unknown, MlflowApiError> => {
      if (text.trim() === "") return Effect.succeed(queryMessage(request.url))
      return Effect.flatMap(
        Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: (e) => malformed(`Malformed JSON request body: ${e instanceof Error ? e.message : String(e)}`)
        }),
        (json) =>
          typeof json === "object" && json !== null && !Array.isArray(json)
            ? Effect.succeed(json)
            : Effect.fail(malformed("The request body must be a JSON object"))
      )
    }
  )

/** The message of a request: the query string of a GET, the JSON body otherwise. */
export const requestMessage = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<unknown, MlflowApiError> =>
  request.method === "GET" ? Effect.succeed(queryMessage(request.url)) : bodyMessage(request)

/**
 * The fields that are set, for building a core input under
 * `exactOptionalPropertyTypes` (an optional property may be absent, not `undefined`).
 */
export const defined = <T extends Record<string, unknown>>(
  fields: T
): { [K in keyof T]?: Exclude<T[K], undefined> } => {
  const out: Record<string, unknown> = {}
  for (const key in fields) if (fields[key] !== undefined) out[key] = fields[key]
  return out as { [K in keyof T]?: Exclude<T[K], undefined> }
}
