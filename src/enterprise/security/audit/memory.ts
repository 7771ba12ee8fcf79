import { Clock, Effect, Either, Option, type Redacted } from "effect"
import { CurrentTenant } from "../../../core/context.js"
import { type AuditRow, chainRow, entryOfRow, makeChainVerifier, makeCheckpoint, rowOfRecord } from "./chain.js"
import { AuditHead, type AuditQuery, type AuditRecord } from "./model.js"
import { checkQuery, pageOfRows } from "./query.js"

/** The audit trail in memory: the same chain and checks as the SQL trail, for tests and single-process demos. */
export const makeMemory = (key: Redacted.Redacted<string>) =>
  Effect.sync(() => {
    const chains = new Map<string, Array<AuditRow>>()
    const chainOf = (tenant: string) => {
      let chain = chains.get(tenant)
      if (chain === undefined) {
        chain = []
        chains.set(tenant, chain)
      }
      return chain
    }
    const headOf = (chain: ReadonlyArray<AuditRow>) =>
      Option.map(Option.fromNullable(chain[chain.length - 1]), (row) => new AuditHead({ seq: row.seq, hash: row.hash }))

    const append = Effect.fn("AuditTrail.append")(function* (record: AuditRecord) {
      const row = yield* rowOfRecord(record)
      const tenant = yield* CurrentTenant
      const entryTime = yield* Clock.currentTimeMillis
      const chain = chainOf(tenant)
      const chained = chainRow(key, tenant, headOf(chain), entryTime, row)
      chain.push(chained)
      return entryOfRow(chained)
    })

    const query = Effect.fn("AuditTrail.query")(function* (input: AuditQuery) {
      const tenant = yield* CurrentTenant
      const checked = yield* checkQuery(input)
      const matching = chainOf(tenant)
        .filter(
          (row) =>
            (input.from === undefined || row.entryTime >= input.from) &&
            (input.to === undefined || row.entryTime <= input.to) &&
            (input.principal === undefined || row.principal === input.principal) &&
            (input.action === undefined || row.action === input.action) &&
            (input.resourceKind === undefined || row.resourceKind === input.resourceKind) &&
            (input.resourceId === undefined || row.resourceId === input.resourceId) &&
            (checked.before === undefined || row.seq < checked.before)
        )
        .reverse()
        .slice(0, checked.size + 1)
      return pageOfRows(checked, matching.map(entryOfRow))
    })

    const verify = Effect.fn("AuditTrail.verify")(function* () {
      const tenant = yield* CurrentTenant
      const chain = chainOf(tenant)
      // Nothing outside this process can touch the chain: its head is its own checkpoint.
      const checkpoint = Option.map(headOf(chain), (head) => makeCheckpoint(key, tenant, head))
      const verifier = makeChainVerifier(key, tenant, Either.right(checkpoint))
      for (const row of chain) verifier.push(row)
      return verifier.finish()
    })

    return { append, query, verify }
  })
