import { createHmac, timingSafeEqual } from "node:crypto"
import { Either, Option, Redacted } from "effect"
import type { TenantId } from "../../../core/context.js"
import { InvalidArgument } from "../../../core/errors.js"
import {
  AuditCheckpoint,
  type AuditCheckpointError,
  AuditEntry,
  AuditHead,
  AuditProblem,
  type AuditProblemKind,
  type AuditRecord,
  AuditReport
} from "./model.js"

/** `prevHash` of a chain's first entry. */
export const genesisHash = "0".repeat(64)

/** The columns of `audit_log`, as the SQL client names them. */
export interface AuditRow {
  readonly tenantId: string
  readonly seq: number
  readonly entryTime: number
  readonly principal: string
  readonly action: string
  readonly resourceKind: string
  readonly resourceId: string
  readonly requestId: string | null
  readonly outcome: string
  readonly beforeState: string | null
  readonly afterState: string | null
  readonly detail: string | null
  readonly prevHash: string
  readonly hash: string
}

/** An entry's fields before it is chained. */
export type UnchainedRow = Omit<AuditRow, "tenantId" | "seq" | "entryTime" | "prevHash" | "hash">

const hmac = (key: Redacted.Redacted<string>, text: string): string =>
  createHmac("sha256", Redacted.value(key)).update(text, "utf8").digest("hex")

/**
 * The canonical text an entry's hash covers: a JSON array of every field in
 * a fixed order, `null` for an absent one, then `prevHash`. JSON escapes
 * every string unambiguously, so no two different entries share a text.
 */
export const canonicalEntry = (row: Omit<AuditRow, "hash">): string =>
  JSON.stringify([
    "effect-mlops/audit/v1",
    row.tenantId,
    row.seq,
    row.entryTime,
    row.principal,
    row.action,
    row.resourceKind,
    row.resourceId,
    row.requestId,
    row.outcome,
    row.beforeState,
    row.afterState,
    row.detail,
    row.prevHash
  ])

/** HMAC-SHA-256 of {@link canonicalEntry} under the audit key, in hex. */
export const entryHash = (key: Redacted.Redacted<string>, row: Omit<AuditRow, "hash">): string =>
  hmac(key, canonicalEntry(row))

/** The MAC of a tenant's head checkpoint: the tenant is covered, so one tenant's checkpoint cannot stand in for another's. */
export const checkpointMac = (key: Redacted.Redacted<string>, tenantId: string, seq: number, hash: string): string =>
  hmac(key, JSON.stringify(["effect-mlops/audit-checkpoint/v1", tenantId, seq, hash]))

/** Whether two hex digests are equal, compared in constant time. */
export const sameDigest = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "utf8")
  const right = Buffer.from(b, "utf8")
  return left.length === right.length && timingSafeEqual(left, right)
}

/** A signed checkpoint of `head`. */
export const makeCheckpoint = (key: Redacted.Redacted<string>, tenantId: string, head: AuditHead): AuditCheckpoint =>
  new AuditCheckpoint({ seq: head.seq, hash: head.hash, mac: checkpointMac(key, tenantId, head.seq, head.hash) })

/** Whether a checkpoint was signed with the key for this tenant. */
export const validCheckpoint = (
  key: Redacted.Redacted<string>,
  tenantId: string,
  checkpoint: AuditCheckpoint
): boolean => sameDigest(checkpoint.mac, checkpointMac(key, tenantId, checkpoint.seq, checkpoint.hash))

const maxNameLength = 200
const maxIdLength = 1000
const maxJsonBytes = 64 * 1024

const jsonText = (field: string, value: unknown): Either.Either<string | null, InvalidArgument> => {
  if (value === undefined) return Either.right(null)
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    return Either.left(new InvalidArgument({ field, reason: "must be a JSON value" }))
  }
  if (text === undefined) return Either.right(null)
  if (Buffer.byteLength(text, "utf8") > maxJsonBytes) {
    return Either.left(new InvalidArgument({ field, reason: `must be at most ${maxJsonBytes} bytes of JSON` }))
  }
  return Either.right(text)
}

const text = (field: string, value: string, max: number, allowEmpty: boolean) =>
  typeof value !== "string" || (!allowEmpty && value === "") || value.length > max
    ? Either.left(
        new InvalidArgument({ field, reason: `must be ${allowEmpty ? "at most" : "1 to"} ${max} characters` })
      )
    : Either.right(value)

/** Checks a record and shapes it into the columns it is stored in. */
export const rowOfRecord = (record: AuditRecord): Either.Either<UnchainedRow, InvalidArgument> =>
  Either.all({
    principal: text("principal", record.principal, maxNameLength, false),
    action: text("action", record.action, maxNameLength, false),
    resourceKind: text("resourceKind", record.resourceKind, maxNameLength, false),
    resourceId: text("resourceId", record.resourceId, maxIdLength, true),
    outcome: text("outcome", record.outcome, maxNameLength, false),
    requestId:
      record.requestId === undefined ? Either.right(null) : text("requestId", record.requestId, maxNameLength, false),
    beforeState: jsonText("before", record.before),
    afterState: jsonText("after", record.after),
    detail: jsonText("detail", record.detail)
  })

/** The next entry of a chain whose head is `head` (none: an empty chain). */
export const chainRow = (
  key: Redacted.Redacted<string>,
  tenantId: TenantId,
  head: Option.Option<AuditHead>,
  entryTime: number,
  row: UnchainedRow
): AuditRow => {
  const unhashed = {
    tenantId,
    seq: Option.match(head, { onNone: () => 1, onSome: (h) => h.seq + 1 }),
    entryTime,
    ...row,
    prevHash: Option.match(head, { onNone: () => genesisHash, onSome: (h) => h.hash })
  }
  return { ...unhashed, hash: entryHash(key, unhashed) }
}

/** The entry a row holds (rows the trail wrote; not re-validated). */
export const entryOfRow = (row: AuditRow): AuditEntry =>
  new AuditEntry(
    {
      tenantId: row.tenantId as TenantId,
      seq: row.seq,
      entryTime: row.entryTime,
      principal: row.principal,
      action: row.action,
      resourceKind: row.resourceKind,
      resourceId: row.resourceId,
      ...(row.requestId === null ? {} : { requestId: row.requestId }),
      outcome: row.outcome,
      ...(row.beforeState === null ? {} : { beforeState: row.beforeState }),
      ...(row.afterState === null ? {} : { afterState: row.afterState }),
      ...(row.detail === null ? {} : { detail: row.detail }),
      prevHash: row.prevHash,
      hash: row.hash
    },
    { disableValidation: true }
  )

const maxListedProblems = 100

/** What the checkpoint store answered for a tenant. */
export type CheckpointReading = Either.Either<Option.Option<AuditCheckpoint>, AuditCheckpointError>

/**
 * Checks a tenant's chain entry by entry, in `seq` order, in constant memory,
 * against the head checkpoint read *before* the entries (so an append that
 * lands while the chain is read can only make the chain longer than the
 * checkpoint, never shorter).
 *
 * - every entry's keyed hash must match its content: an edited row, a row
 *   inserted by hand or a chain recomputed without the key fails here;
 * - sequence numbers must be contiguous from 1 and each entry must link to
 *   its predecessor's hash: a deleted row leaves a gap;
 * - the chain must reach the checkpointed head and hold the checkpointed
 *   entry there: deleting the newest rows is caught here.
 */
export const makeChainVerifier = (
  key: Redacted.Redacted<string>,
  tenantId: TenantId,
  checkpoint: CheckpointReading
) => {
  let expected = 1
  let previousHash = genesisHash
  let entries = 0
  let head: AuditHead | undefined
  let hashAtCheckpoint: string | undefined
  const problems: Array<AuditProblem> = []
  let problemsOmitted = 0
  const report = (kind: AuditProblemKind, seq: number | undefined, message: string) => {
    if (problems.length < maxListedProblems) {
      problems.push(new AuditProblem({ kind, ...(seq === undefined ? {} : { seq }), message }))
    } else problemsOmitted++
  }
  const trusted = Either.match(checkpoint, {
    onLeft: (error) => {
      report("checkpoint-invalid", undefined, `the head checkpoint cannot be read: ${error.reason}`)
      return Option.none<AuditCheckpoint>()
    },
    onRight: Option.filter((c) => {
      if (validCheckpoint(key, tenantId, c)) return true
      report("checkpoint-invalid", undefined, "the head checkpoint's MAC is wrong (forged or corrupted)")
      return false
    })
  })
  const checkpointSeq = Option.match(trusted, { onNone: () => undefined, onSome: (c) => c.seq })

  const push = (row: AuditRow): void => {
    entries++
    if (!Number.isSafeInteger(row.seq) || row.seq < expected) {
      // Only a row written by hand can be numbered below its predecessor's successor (or not be an integer).
      report("hash-mismatch", undefined, `an entry numbered ${row.seq} is out of sequence (inserted by hand)`)
      return
    }
    if (row.seq !== expected) {
      report(
        "sequence-gap",
        expected,
        row.seq - 1 === expected ? `entry ${expected} is missing` : `entries ${expected} to ${row.seq - 1} are missing`
      )
    } else if (!sameDigest(row.prevHash, previousHash)) {
      report("broken-link", row.seq, "the entry does not link to its predecessor's hash")
    }
    const { hash, ...unhashed } = row
    if (!sameDigest(hash, entryHash(key, unhashed))) {
      report("hash-mismatch", row.seq, "the entry's hash does not match its content (edited, inserted or forged)")
    }
    if (row.seq === checkpointSeq) hashAtCheckpoint = row.hash
    expected = row.seq + 1
    previousHash = row.hash
    head = new AuditHead({ seq: row.seq, hash: row.hash })
  }

  const finish = (): AuditReport => {
    if (Either.isRight(checkpoint) && Option.isNone(checkpoint.right) && entries > 0) {
      report("checkpoint-missing", undefined, "the trail has entries but no head checkpoint")
    }
    if (Option.isSome(trusted)) {
      const c = trusted.value
      const headSeq = head?.seq ?? 0
      if (headSeq < c.seq) {
        report(
          "truncated",
          headSeq + 1,
          `the trail ends at entry ${headSeq} but entry ${c.seq} was checkpointed: the newest entries were deleted`
        )
      } else if (hashAtCheckpoint === undefined || !sameDigest(hashAtCheckpoint, c.hash)) {
        report("checkpoint-mismatch", c.seq, "the entry at the checkpointed head is not the one checkpointed")
      }
    }
    return new AuditReport({
      tenantId,
      entries,
      ...(head === undefined ? {} : { head }),
      ...Option.match(trusted, {
        onNone: () => ({}),
        onSome: (c) => ({ checkpoint: new AuditHead({ seq: c.seq, hash: c.hash }) })
      }),
      ok: problems.length === 0,
      problems: [...problems].sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER)),
      problemsOmitted
    })
  }

  return { push, finish }
}
