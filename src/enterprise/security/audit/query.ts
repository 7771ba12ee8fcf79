import { createHash } from "node:crypto"
import { Either } from "effect"
import { InvalidArgument, InvalidPageToken } from "../../../core/errors.js"
import { checkPageSize } from "../../../core/paging.js"
import { type AuditEntry, AuditPage, type AuditQuery } from "./model.js"

export const defaultPageSize = 100
export const maxPageSize = 1000

/** A validated query: the page size and, past the first page, the sequence number pages continue below. */
export interface CheckedQuery {
  readonly size: number
  readonly before: number | undefined
  readonly fingerprint: string
}

/**
 * Page tokens are keyset positions, base64url JSON of the last sequence
 * number returned plus a fingerprint of the filters: entries appended while
 * a client pages (the trail grows at the front, newest first) never shift
 * a page, and a token replayed against other filters is refused.
 */
const fingerprintOf = (query: AuditQuery): string =>
  createHash("sha256")
    .update(
      JSON.stringify([
        query.from ?? null,
        query.to ?? null,
        query.principal ?? null,
        query.action ?? null,
        query.resourceKind ?? null,
        query.resourceId ?? null
      ])
    )
    .digest("base64url")
    .slice(0, 12)

const encodeToken = (before: number, fingerprint: string): string =>
  Buffer.from(JSON.stringify({ b: before, q: fingerprint })).toString("base64url")

const decodeToken = (token: string, fingerprint: string): Either.Either<number, InvalidPageToken> => {
  try {
    const body: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"))
    if (
      typeof body === "object" &&
      body !== null &&
      "b" in body &&
      "q" in body &&
      Number.isSafeInteger(body.b) &&
      body.q === fingerprint
    ) {
      return Either.right(body.b as number)
    }
  } catch {
    // any undecodable token is the caller's mistake
  }
  return Either.left(new InvalidPageToken({ pageToken: token }))
}

const checkTime = (field: string, value: number | undefined) =>
  value === undefined || (Number.isSafeInteger(value) && value >= 0)
    ? Either.right(value)
    : Either.left(new InvalidArgument({ field, reason: "must be a time in epoch milliseconds" }))

const checkText = (field: string, value: string | undefined) =>
  value === undefined || value.length <= 1000
    ? Either.right(value)
    : Either.left(new InvalidArgument({ field, reason: "must be at most 1000 characters" }))

/** Checks a query's filters, page size and token. */
export const checkQuery = (query: AuditQuery): Either.Either<CheckedQuery, InvalidArgument | InvalidPageToken> =>
  Either.gen(function* () {
    yield* checkTime("from", query.from)
    yield* checkTime("to", query.to)
    yield* checkText("principal", query.principal)
    yield* checkText("action", query.action)
    yield* checkText("resourceKind", query.resourceKind)
    yield* checkText("resourceId", query.resourceId)
    const size = yield* checkPageSize("limit", query.limit, defaultPageSize, maxPageSize)
    const fingerprint = fingerprintOf(query)
    const before =
      query.pageToken === undefined || query.pageToken === ""
        ? undefined
        : yield* decodeToken(query.pageToken, fingerprint)
    return { size, before, fingerprint }
  })

/** The page of `fetched` entries (newest first, read with `LIMIT size + 1`). */
export const pageOfRows = (query: CheckedQuery, fetched: ReadonlyArray<AuditEntry>): AuditPage => {
  const entries = fetched.slice(0, query.size)
  const last = entries[entries.length - 1]
  return new AuditPage(
    {
      entries,
      ...(fetched.length > query.size && last !== undefined
        ? { nextPageToken: encodeToken(last.seq, query.fingerprint) }
        : {})
    },
    { disableValidation: true }
  )
}
