import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpApiError from "@effect/platform/HttpApiError"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, ParseResult, Schedule } from "effect"
import { CurrentPrincipal, CurrentTenant } from "../core/context.js"
import { InvalidArgument } from "../core/errors.js"
import { IdentityHeaders } from "../http/api/identity.js"
import { MlopsApi } from "../http/api/Api.js"
import { fieldPath } from "../http/api/wire.js"
import { honouringRetryAfter } from "./retryAfter.js"

/** Failures of the transport rather than of the service: network, unexpected statuses, undecodable bodies. */
export type TransportError = HttpClientError.HttpClientError | HttpApiError.HttpApiDecodeError | ParseResult.ParseError

/** Whether `error` is a {@link TransportError}. */
export const isTransportError = (error: unknown): error is TransportError =>
  HttpClientError.isHttpClientError(error) ||
  error instanceof HttpApiError.HttpApiDecodeError ||
  ParseResult.isParseError(error)

/**
 * Service errors pass through; transport errors that survived the retries
 * are defects, as a SQL layer dies when its database is gone: the service
 * interfaces promise only domain errors.
 */
export const orDieTransport = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, Extract<E, TransportError>>, R> =>
  Effect.catchIf(effect, (error): error is Extract<E, TransportError> => isTransportError(error), Effect.die)

/**
 * A request the client cannot even encode (a non-integer step, an unknown
 * status smuggled past the types) is the caller's mistake: it fails with
 * `InvalidArgument` naming the field, as the embedded stores do. Other
 * failures pass through.
 */
export const rejectUnencodable =
  (...inputs: ReadonlyArray<unknown>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidArgument, R> =>
    Effect.catchIf(
      effect,
      (error): error is Extract<E, ParseResult.ParseError> =>
        ParseResult.isParseError(error) && inputs.includes(error.issue.actual),
      (error) => {
        const [first] = ParseResult.ArrayFormatter.formatErrorSync(error)
        return Effect.fail(
          new InvalidArgument({
            field: fieldPath(first?.path ?? []) || "request",
            reason: first?.message ?? error.message
          })
        )
      }
    )

/** Connection options shared by every remote service. */
export interface RemoteConnection {
  /** Base URL of the server, e.g. `http://127.0.0.1:5000`. */
  readonly url: string
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string
}

/**
 * Retries for ordinary calls: transient failures (network, 408/429/5xx), a
 * few times with backoff, never sooner than a `Retry-After` asks.
 */
const callRetry = honouringRetryAfter(
  Schedule.exponential("100 millis", 2).pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(5)))
)

/**
 * The `HttpClient` every remote call goes through: the bearer token, and the
 * caller's `CurrentPrincipal` and `CurrentTenant` as headers (a server
 * without authentication trusts them; one with authentication ignores them).
 */
export const makeHttpClient = (connection: RemoteConnection) =>
  Effect.map(HttpClient.HttpClient, (client) =>
    client.pipe(
      HttpClient.mapRequestEffect((request) =>
        Effect.map(Effect.all([CurrentPrincipal, CurrentTenant]), ([principal, tenant]) => {
          const withIdentity = HttpClientRequest.setHeaders(request, {
            [IdentityHeaders.principal]: principal.id,
            [IdentityHeaders.tenant]: tenant
          })
          return connection.token === undefined
            ? withIdentity
            : HttpClientRequest.bearerToken(withIdentity, connection.token)
        })
      )
    )
  )

/**
 * The client of the native API, derived from {@link MlopsApi}. With `retry`,
 * transient failures are retried a few times; callers with their own retry
 * policy (the metric buffer) pass `false`.
 */
export const makeApiClient = (connection: RemoteConnection, retry: boolean) =>
  Effect.flatMap(makeHttpClient(connection), (httpClient) =>
    HttpApiClient.makeWith(MlopsApi, {
      httpClient: retry ? HttpClient.retryTransient(httpClient, { schedule: callRetry }) : httpClient,
      baseUrl: connection.url
    })
  )

/** The native API client type. */
export type ApiClient = Effect.Effect.Success<ReturnType<typeof makeApiClient>>

/**
 * Node's own HTTP client as the engine: unlike `fetch`, it streams a request
 * body with backpressure (`fetch` buffers a streamed upload whole), so a
 * 1 GB artifact upload stays within a few chunks of memory.
 */
export const HttpEngine = NodeHttpClient.layer
