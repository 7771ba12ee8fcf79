import { Effect } from "effect"
import type { InvalidArgument, InvalidPageToken } from "../errors.js"
import { checkPageSize, decodePageToken, type PageRequest } from "../paging.js"
import { historyDefaults, searchDefaults } from "./defaults.js"
import { parseExperimentFilter, parseExperimentOrderBy, parseRunFilter, parseRunOrderBy } from "./filter/index.js"
import type { MetricHistoryQuery, SearchExperiments, SearchRuns } from "./model.js"

/**
 * Turns a query as a caller wrote it into what every implementation executes:
 * parsed filter and ordering, page size and offset. Shared so that the SQL and
 * in-memory stores reject exactly the same inputs.
 */
const pageRequest = (
  requested: number | undefined,
  pageToken: string | undefined,
  fingerprint: unknown,
  defaults: { readonly pageSize: number; readonly maxPageSize: number }
) =>
  Effect.gen(function* () {
    const size = yield* checkPageSize("maxResults", requested, defaults.pageSize, defaults.maxPageSize)
    const offset = yield* decodePageToken(pageToken, fingerprint)
    return { size, offset, fingerprint } satisfies PageRequest
  })

export const planRunSearch = Effect.fnUntraced(function* (query: SearchRuns) {
  return {
    filter: yield* parseRunFilter(query.filter ?? ""),
    orderBy: yield* parseRunOrderBy(query.orderBy ?? []),
    page: yield* pageRequest(
      query.maxResults,
      query.pageToken,
      [query.experimentIds, query.filter, query.orderBy, query.viewType],
      searchDefaults
    )
  }
})

export const planExperimentSearch = Effect.fnUntraced(function* (query: SearchExperiments) {
  return {
    filter: yield* parseExperimentFilter(query.filter ?? ""),
    orderBy: yield* parseExperimentOrderBy(query.orderBy ?? []),
    page: yield* pageRequest(
      query.maxResults,
      query.pageToken,
      [query.filter, query.orderBy, query.viewType],
      searchDefaults
    )
  }
})

/** A metric history read: either one page of raw points or a downsampled window. */
export type HistoryPlan =
  | { readonly _tag: "Downsample"; readonly maxPoints: number }
  | { readonly _tag: "Page"; readonly page: PageRequest }

export const planHistory = Effect.fnUntraced(function* (
  query: MetricHistoryQuery
): Effect.fn.Return<HistoryPlan, InvalidArgument | InvalidPageToken> {
  if (query.maxPoints !== undefined) {
    const maxPoints = yield* checkPageSize("maxPoints", query.maxPoints, 0, historyDefaults.maxPoints)
    return { _tag: "Downsample", maxPoints }
  }
  const page = yield* pageRequest(
    query.maxResults,
    query.pageToken,
    [query.runId, query.key, query.startStep, query.endStep, query.startTime, query.endTime],
    historyDefaults
  )
  return { _tag: "Page", page }
})
