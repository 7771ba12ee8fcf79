import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as HttpMethod from "@effect/platform/HttpMethod"
import { InvalidArgument, LimitExceeded } from "../../core/errors.js"

/**
 * The one status code each kind of tagged error answers with on the native
 * API. A client mistake is always a 4xx; 5xx are left to defects.
 */
export const status = {
  /** Malformed or out-of-limit input: the body names the field. */
  invalid: { status: 400 },
  /** The caller may not do this (`Forbidden`, raised by an authorization layer). */
  forbidden: { status: 403 },
  notFound: { status: 404 },
  /** A name already taken, an immutable value changed, a deleted target written to. */
  conflict: { status: 409 },
  /** The request was understood but the stored data cannot serve it (e.g. a metadata-only dataset has no content). */
  unprocessable: { status: 422 },
  /** The store itself failed (disk full, permissions): retrying later may succeed. */
  unavailable: { status: 503 }
} as const

/**
 * Declares the two errors of any endpoint that validates its input:
 * `InvalidArgument` and `LimitExceeded`, both 400.
 *
 * @example
 * ```ts
 * HttpApiEndpoint.post("create", "/experiments").setPayload(Body).pipe(validatesInput)
 * ```
 */
export const validatesInput = <
  Name extends string,
  Method extends HttpMethod.HttpMethod,
  Path,
  UrlParams,
  Payload,
  Headers,
  Success,
  Error,
  R,
  RE
>(
  endpoint: HttpApiEndpoint.HttpApiEndpoint<Name, Method, Path, UrlParams, Payload, Headers, Success, Error, R, RE>
) => endpoint.addError(InvalidArgument, status.invalid).addError(LimitExceeded, status.invalid)
