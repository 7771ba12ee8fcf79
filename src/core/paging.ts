import { Either } from "effect"
import { InvalidArgument, InvalidPageToken } from "./errors.js"

/**
 * Opaque page tokens: base64url JSON of the offset into a deterministic order
 * plus a fingerprint of the query, so a token replayed against a different
 * query is refused instead of silently returning the wrong page.
 */
interface TokenBody {
  readonly o: number
  readonly q: string
}

const fingerprint = (query: unknown): string => {
  // FNV-1a over the query's JSON: cheap, stable, and only needs to catch accidents.
  const text = JSON.stringify(query) ?? ""
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(36)
}

/** Encodes the offset of the next page for `query`. */
const encodePageToken = (offset: number, query: unknown): string =>
  Buffer.from(JSON.stringify({ o: offset, q: fingerprint(query) } satisfies TokenBody)).toString("base64url")

/** Decodes a token issued by {@link encodePageToken} for the same query; `undefined` means the first page. */
export const decodePageToken = (token: string | undefined, query: unknown): Either.Either<number, InvalidPageToken> => {
  if (token === undefined || token === "") return Either.right(0)
  try {
    const body: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"))
    if (
      typeof body === "object" &&
      body !== null &&
      "o" in body &&
      "q" in body &&
      Number.isSafeInteger(body.o) &&
      (body.o as number) >= 0 &&
      body.q === fingerprint(query)
    ) {
      return Either.right(body.o as number)
    }
  } catch {
    // fall through: any undecodable token is the caller's mistake
  }
  return Either.left(new InvalidPageToken({ pageToken: token }))
}

/** Validates a requested page size against a maximum, applying a default. */
export const checkPageSize = (
  field: string,
  requested: number | undefined,
  defaultSize: number,
  maxSize: number
): Either.Either<number, InvalidArgument> => {
  if (requested === undefined) return Either.right(defaultSize)
  if (!Number.isSafeInteger(requested) || requested < 1 || requested > maxSize) {
    return Either.left(new InvalidArgument({ field, reason: `must be an integer between 1 and ${maxSize}` }))
  }
  return Either.right(requested)
}

/** A validated page request: its size, the offset its token decoded to, and the query it belongs to. */
export interface PageRequest {
  readonly size: number
  readonly offset: number
  readonly fingerprint: unknown
}

/**
 * The page of `fetched` rows read with `LIMIT size + 1 OFFSET offset`: the
 * extra row only tells whether another page exists.
 */
export const pageFromRows = <A>(
  request: PageRequest,
  fetched: ReadonlyArray<A>
): { readonly items: ReadonlyArray<A>; readonly nextPageToken: string | null } => ({
  items: fetched.slice(0, request.size),
  nextPageToken:
    fetched.length > request.size ? encodePageToken(request.offset + request.size, request.fingerprint) : null
})

/** Slices one page out of a fully ordered array (in-memory implementations). */
export const pageOf = <A>(all: ReadonlyArray<A>, request: PageRequest) =>
  pageFromRows(request, all.slice(request.offset, request.offset + request.size + 1))
