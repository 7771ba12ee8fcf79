import { Effect, Layer, Option, Schema } from "effect"
import { AuditHook } from "../../auth/rbac/audit.js"
import { Grant } from "../../auth/rbac/model.js"
import { AuditTrail } from "./AuditTrail.js"
import { recordChange } from "./record.js"

const encodeGrant = Schema.encodeSync(Grant)

/**
 * Every permission change in the audit trail, with the grant before and
 * after: recorded inside the change's own transaction, so a grant never
 * changes without its entry.
 */
export const layerAuditedGrants: Layer.Layer<AuditHook, never, AuditTrail> = Layer.effect(
  AuditHook,
  Effect.map(AuditTrail, (trail) => ({
    permissionChanged: (before: Option.Option<Grant>, after: Option.Option<Grant>) => {
      const grant = Option.getOrElse(
        Option.orElse(after, () => before),
        () => undefined
      )
      if (grant === undefined) return Effect.void
      return recordChange({
        action: Option.isNone(before) ? "rbac.grant" : Option.isNone(after) ? "rbac.revoke" : "rbac.change",
        resourceKind: grant.resourceKind,
        resourceId: grant.resourceId,
        ...(Option.isSome(before) ? { before: encodeGrant(before.value) } : {}),
        ...(Option.isSome(after) ? { after: encodeGrant(after.value) } : {})
      }).pipe(Effect.provideService(AuditTrail, trail), Effect.asVoid, Effect.orDie)
    }
  }))
)
