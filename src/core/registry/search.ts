import { Effect } from "effect"
import type { InvalidArgument, InvalidPageToken } from "../errors.js"
import { decodePageToken, encodePageToken } from "../paging.js"
import type { InvalidFilter } from "../tracking/errors.js"
import type { Page } from "../tracking/model.js"
import { type FilterClause, parseModelVersionFilter, parseRegisteredModelFilter } from "./filter.js"
import type { SearchModelVersions, SearchRegisteredModels } from "./model.js"
import { modelPageSize, versionPageSize } from "./validation.js"

/** A validated search: parsed filter, page size and offset of the requested page. */
export interface PreparedSearch {
  readonly clauses: ReadonlyArray<FilterClause>
  readonly size: number
  readonly offset: number
  /** What a page token is bound to, so a token is refused for another query. */
  readonly query: unknown
}

type SearchError = InvalidFilter | InvalidPageToken | InvalidArgument

const prepare = (
  kind: "models" | "versions",
  input: SearchRegisteredModels | SearchModelVersions | undefined
): Effect.Effect<PreparedSearch, SearchError> =>
  Effect.gen(function* () {
    const filter = input?.filter ?? ""
    const clauses = yield* (kind === "models" ? parseRegisteredModelFilter : parseModelVersionFilter)(filter)
    const size = yield* (kind === "models" ? modelPageSize : versionPageSize)(input?.maxResults)
    const query = { kind, filter, size }
    const offset = yield* decodePageToken(input?.pageToken, query)
    return { clauses, size, offset, query }
  })

/** Validates a `searchRegisteredModels` request. */
export const prepareModelSearch = (input: SearchRegisteredModels | undefined) => prepare("models", input)

/** Validates a `searchModelVersions` request. */
export const prepareVersionSearch = (input: SearchModelVersions | undefined) => prepare("versions", input)

/**
 * The page from rows fetched with `LIMIT size + 1`: the extra row only tells
 * that another page exists.
 */
export const pageFromRows = <A>(rows: ReadonlyArray<A>, search: PreparedSearch): Page<A> => ({
  items: rows.slice(0, search.size),
  nextPageToken: rows.length > search.size ? encodePageToken(search.offset + search.size, search.query) : null
})
