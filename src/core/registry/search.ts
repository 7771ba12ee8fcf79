import { Effect } from "effect"
import type { InvalidArgument, InvalidPageToken } from "../errors.js"
import { decodePageToken, type PageRequest } from "../paging.js"
import type { InvalidFilter } from "../tracking/errors.js"
import { type FilterClause, parseModelVersionFilter, parseRegisteredModelFilter } from "./filter.js"
import type { SearchModelVersions, SearchRegisteredModels } from "./model.js"
import { modelPageSize, versionPageSize } from "./validation.js"

/** A validated search: the parsed filter and the requested page. */
export interface PreparedSearch {
  readonly clauses: ReadonlyArray<FilterClause>
  readonly page: PageRequest
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
    // A page token is bound to this, so it is refused for another query.
    const fingerprint = { kind, filter, size }
    const offset = yield* decodePageToken(input?.pageToken, fingerprint)
    return { clauses, page: { size, offset, fingerprint } }
  })

/** Validates a `searchRegisteredModels` request. */
export const prepareModelSearch = (input: SearchRegisteredModels | undefined) => prepare("models", input)

/** Validates a `searchModelVersions` request. */
export const prepareVersionSearch = (input: SearchModelVersions | undefined) => prepare("versions", input)
