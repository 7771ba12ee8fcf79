import type { SqlClient } from "@effect/sql"
import { Config, Context, Effect, Layer, Redacted } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { InvalidArgument, InvalidPageToken } from "../../../core/errors.js"
import type { AuditCheckpoints } from "./AuditCheckpoints.js"
import { makeMemory } from "./memory.js"
import type { AuditEntry, AuditPage, AuditQuery, AuditRecord, AuditReport } from "./model.js"
import { makeSql } from "./sql.js"

/**
 * The key of the audit chain's HMACs: `MLOPS_AUDIT_KEY`, at least 32
 * characters. Whoever holds it can recompute the chain, so keep it out of
 * the database's reach (a secret store, the process environment).
 */
export const auditKeyConfig: Config.Config<Redacted.Redacted<string>> = Config.redacted("MLOPS_AUDIT_KEY").pipe(
  Config.validate({
    message: "MLOPS_AUDIT_KEY must have at least 32 characters",
    validation: (key) => Redacted.value(key).length >= 32
  })
)

/** The operations of {@link AuditTrail}; each acts in the current tenant (`CurrentTenant`). */
export interface AuditTrailShape {
  /** Appends an entry to the current tenant's chain and returns it as stored (with its `seq` and hashes). */
  readonly append: (record: AuditRecord) => Effect.Effect<AuditEntry, InvalidArgument>
  /** The current tenant's entries matching the filters, newest first. */
  readonly query: (query: AuditQuery) => Effect.Effect<AuditPage, InvalidArgument | InvalidPageToken>
  /**
   * Checks the current tenant's whole chain against the audit key and the
   * head checkpoint: any edited, inserted or deleted entry is a problem in
   * the report (see `AuditChainBroken.fromReport` for the first one).
   */
  readonly verify: () => Effect.Effect<AuditReport>
}

/**
 * The audit trail: append-only, one hash chain per tenant, each entry keyed
 * with a server-side secret so someone with access to the database alone
 * can neither forge nor recompute entries, and each chain's head
 * checkpointed outside the table ({@link AuditCheckpoints}) so deleting the
 * newest entries shows too. The SQL trail checkpoints in the background, a
 * few times a second at most, so a checkpoint may lag the newest commits by
 * 250 ms and a write or two (see `checkpointInterval` in `sql.ts`).
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const trail = yield* AuditTrail
 *   yield* trail.append({ principal: "alice", action: "rbac.grant", resourceKind: "experiment", resourceId: "7", outcome: "ok", after: { role: "editor" } })
 *   const report = yield* trail.verify()
 *   if (!report.ok) yield* Effect.logError("audit trail tampered with", report.problems)
 * })
 * ```
 */
export class AuditTrail extends Context.Tag("effect-mlops/enterprise/AuditTrail")<AuditTrail, AuditTrailShape>() {
  /**
   * The trail in the SQL store (`audit_log`), keyed with `key`, its heads
   * checkpointed in {@link AuditCheckpoints} by a background fiber; closing
   * the layer writes the last heads.
   */
  static readonly layer = (
    key: Redacted.Redacted<string>
  ): Layer.Layer<AuditTrail, never, SqlClient.SqlClient | AuditCheckpoints> => Layer.scoped(this, makeSql(key))

  /** {@link AuditTrail.layer} with the key from `MLOPS_AUDIT_KEY` (see {@link auditKeyConfig}). */
  static readonly layerConfig: Layer.Layer<AuditTrail, ConfigError, SqlClient.SqlClient | AuditCheckpoints> =
    Layer.unwrapEffect(Effect.map(auditKeyConfig, (key) => AuditTrail.layer(key)))

  /** In memory, `R = never`: for tests of code that records changes. Each build starts empty. */
  static readonly layerMemory = (key: Redacted.Redacted<string>): Layer.Layer<AuditTrail> =>
    Layer.effect(this, makeMemory(key))
}
