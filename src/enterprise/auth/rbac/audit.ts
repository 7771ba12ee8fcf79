import { Context, Effect, type Option } from "effect"
import type { Grant } from "./model.js"

/** What the audit trail is told about each change of a grant. */
export interface AuditHookShape {
  /**
   * A grant changed: created (`before` None), changed, moved to a renamed
   * model, or removed (`after` None). Called inside the database transaction
   * of the change, in the fiber that made it (so `CurrentCaller` and
   * `CurrentPrincipal` name who did it): a record written here commits or
   * rolls back with the change, and a defect here rolls the change back.
   */
  readonly permissionChanged: (before: Option.Option<Grant>, after: Option.Option<Grant>) => Effect.Effect<void>
}

/**
 * Where grant changes are reported; does nothing unless provided. The
 * audit trail provides it to the RBAC layers (`Grants.layer`, `layerRbac`),
 * which read it when they are built.
 *
 * @example
 * ```ts
 * const AuditLive = Layer.succeed(AuditHook, {
 *   permissionChanged: (before, after) => Effect.logInfo("grant changed", { before, after })
 * })
 * Grants.layer.pipe(Layer.provide(AuditLive))
 * ```
 */
export class AuditHook extends Context.Reference<AuditHook>()("effect-mlops/enterprise/rbac/AuditHook", {
  defaultValue: (): AuditHookShape => ({ permissionChanged: () => Effect.void })
}) {}
