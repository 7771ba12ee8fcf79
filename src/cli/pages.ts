import { Effect } from "effect"
import type { Page } from "../core/tracking/model.js"

/**
 * Follows page tokens until the results run out or `limit` items are in
 * hand. Pages ask for `min(pageSize, limit)` items, so a small limit costs
 * one small request.
 */
export const collectPages = <A, E>(
  fetch: (request: { readonly maxResults: number; readonly pageToken?: string }) => Effect.Effect<Page<A>, E>,
  options: { readonly limit?: number; readonly pageSize?: number } = {}
): Effect.Effect<ReadonlyArray<A>, E> =>
  Effect.gen(function* () {
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    const pageSize = options.pageSize ?? 1000
    // The same page size on every request: a page token is bound to its query.
    const maxResults = Math.min(pageSize, limit)
    const items: Array<A> = []
    let pageToken: string | undefined
    while (items.length < limit) {
      const page = yield* fetch(pageToken === undefined ? { maxResults } : { maxResults, pageToken })
      items.push(...page.items)
      if (page.nextPageToken === null || page.items.length === 0) break
      pageToken = page.nextPageToken
    }
    return items.slice(0, limit)
  })
