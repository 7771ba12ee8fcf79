import { Schema } from "effect"
import { TenantId } from "../../../core/context.js"

/**
 * One entry of a tenant's audit trail, as stored. Entries form one hash chain
 * per tenant: `seq` counts from 1 without gaps, `prevHash` is the previous
 * entry's `hash` (a fixed genesis value for the first), and `hash` is an
 * HMAC-SHA-256, under a server-side key, of the entry's fields and
 * `prevHash`. The state and detail columns hold JSON text exactly as hashed.
 */
export class AuditEntry extends Schema.Class<AuditEntry>("AuditEntry")({
  tenantId: TenantId,
  seq: Schema.Int,
  /** Epoch milliseconds. */
  entryTime: Schema.Number,
  /** Who acted: the caller's user name (what runs record as `user_id`), or `local` in-process. */
  principal: Schema.String,
  /** What was done: `mlflow.runs.create`, `POST /api/v1/experiments`, `rbac.grant`, … */
  action: Schema.String,
  /** The kind of thing acted on: `experiment`, `run`, `registered-model`, `model-version`, `artifact`, … */
  resourceKind: Schema.String,
  /** Its id (`""` when the request named none). */
  resourceId: Schema.String,
  /** The request's `x-request-id`, shared by every entry one request caused. */
  requestId: Schema.optional(Schema.String),
  /** An HTTP request's status code (`"200"`, `"404"`), or `ok` for a change recorded by a service. */
  outcome: Schema.String,
  /** JSON text of the state before the change, where relevant. */
  beforeState: Schema.optional(Schema.String),
  /** JSON text of the state after the change, where relevant. */
  afterState: Schema.optional(Schema.String),
  /** JSON text of anything else worth keeping (method and path, how the caller authenticated). */
  detail: Schema.optional(Schema.String),
  prevHash: Schema.String,
  hash: Schema.String
}) {}

/** What a caller asks `AuditTrail.append` to record; the trail adds the tenant, time, sequence number and hashes. */
export interface AuditRecord {
  readonly principal: string
  readonly action: string
  readonly resourceKind: string
  readonly resourceId: string
  readonly outcome: string
  readonly requestId?: string
  /** Any JSON value: stored as JSON text. Never pass secrets. */
  readonly before?: unknown
  /** Any JSON value: stored as JSON text. Never pass secrets. */
  readonly after?: unknown
  /** Any JSON value: stored as JSON text. Never pass secrets. */
  readonly detail?: unknown
}

/** Filters of `AuditTrail.query`; every one is optional and they combine with AND. */
export interface AuditQuery {
  /** Entries at or after this time (epoch milliseconds). */
  readonly from?: number
  /** Entries at or before this time (epoch milliseconds). */
  readonly to?: number
  readonly principal?: string
  readonly action?: string
  readonly resourceKind?: string
  readonly resourceId?: string
  /** Page size, 1–1000 (default 100). */
  readonly limit?: number
  /** The `nextPageToken` of the previous page of the same query. */
  readonly pageToken?: string
}

/** A page of entries, newest first. */
export class AuditPage extends Schema.Class<AuditPage>("AuditPage")({
  entries: Schema.Array(AuditEntry),
  nextPageToken: Schema.optional(Schema.String)
}) {}

/** What `verify` found wrong; `seq` is the first entry concerned, when one is. */
export const AuditProblemKind = Schema.Literal(
  /** Entries are missing from the middle of the chain (deleted rows). */
  "sequence-gap",
  /** An entry does not point at its predecessor's hash (an entry removed or re-chained). */
  "broken-link",
  /** An entry's keyed hash does not match its content (edited, inserted or forged without the key). */
  "hash-mismatch",
  /** The chain has entries but no head checkpoint was ever written, or it was removed. */
  "checkpoint-missing",
  /** The head checkpoint cannot be read, or its MAC is wrong (forged or corrupted). */
  "checkpoint-invalid",
  /** The chain ends before the checkpointed head: the newest entries were deleted. */
  "truncated",
  /** The entry at the checkpointed sequence number is not the one checkpointed. */
  "checkpoint-mismatch"
)
export type AuditProblemKind = typeof AuditProblemKind.Type

export class AuditProblem extends Schema.Class<AuditProblem>("AuditProblem")({
  kind: AuditProblemKind,
  seq: Schema.optional(Schema.Int),
  message: Schema.String
}) {}

/** A chain position: a sequence number and the hash of the entry there. */
export class AuditHead extends Schema.Class<AuditHead>("AuditHead")({
  seq: Schema.Int,
  hash: Schema.String
}) {}

/** The outcome of `AuditTrail.verify` for one tenant. */
export class AuditReport extends Schema.Class<AuditReport>("AuditReport")({
  tenantId: TenantId,
  /** Entries read. */
  entries: Schema.Int,
  /** The newest entry; absent for an empty trail. */
  head: Schema.optional(AuditHead),
  /** The head checkpoint kept outside the table, when one could be read and its MAC is valid. */
  checkpoint: Schema.optional(AuditHead),
  ok: Schema.Boolean,
  /** The problems found, in chain order (at most 100). */
  problems: Schema.Array(AuditProblem),
  /** Problems found beyond the ones listed. */
  problemsOmitted: Schema.Int
}) {}

/** The head of a tenant's chain as checkpointed outside the audit table, with a MAC under the audit key. */
export class AuditCheckpoint extends Schema.Class<AuditCheckpoint>("AuditCheckpoint")({
  seq: Schema.Int,
  hash: Schema.String,
  mac: Schema.String
}) {}

/** The audit trail of a tenant failed verification: the first problem found. */
export class AuditChainBroken extends Schema.TaggedError<AuditChainBroken>()("AuditChainBroken", {
  tenantId: Schema.String,
  seq: Schema.optional(Schema.Int),
  kind: AuditProblemKind,
  reason: Schema.String
}) {
  override get message(): string {
    const where = this.seq === undefined ? "" : ` at entry ${this.seq}`
    return `the audit trail of tenant "${this.tenantId}" is broken${where}: ${this.reason}`
  }

  /** The first problem of a report, or undefined when the report is clean. */
  static fromReport(report: AuditReport): AuditChainBroken | undefined {
    const first = report.problems[0]
    return first === undefined
      ? undefined
      : new AuditChainBroken({
          tenantId: report.tenantId,
          ...(first.seq === undefined ? {} : { seq: first.seq }),
          kind: first.kind,
          reason: first.message
        })
  }
}

/** The head checkpoint store could not be read or written. */
export class AuditCheckpointError extends Schema.TaggedError<AuditCheckpointError>()("AuditCheckpointError", {
  tenantId: Schema.String,
  operation: Schema.Literal("read", "write"),
  reason: Schema.String
}) {
  override get message(): string {
    return `could not ${this.operation} the audit checkpoint of tenant "${this.tenantId}": ${this.reason}`
  }
}
