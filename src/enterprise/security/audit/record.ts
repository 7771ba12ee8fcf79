import { Context, Effect, Option } from "effect"
import { CurrentPrincipal } from "../../../core/context.js"
import type { InvalidArgument } from "../../../core/errors.js"
import { type Caller, CurrentCaller } from "../../auth/Authenticator.js"
import { AuditTrail } from "./AuditTrail.js"
import type { AuditEntry } from "./model.js"

/**
 * The id of the HTTP request being served (its `x-request-id`, or one the
 * server made up), set by the `auditRequests` middleware. None outside a
 * request.
 */
export class CurrentRequestId extends Context.Reference<CurrentRequestId>()(
  "effect-mlops/enterprise/CurrentRequestId",
  { defaultValue: (): Option.Option<string> => Option.none() }
) {}

/** How an entry names its actor: the caller's user name, else the current principal (`local` in-process). */
export const currentActor = Effect.map(Effect.all([CurrentCaller, CurrentPrincipal]), ([caller, principal]) => ({
  principal: Option.match(caller, { onNone: () => principal.id, onSome: (c) => c.username }),
  caller: Option.getOrUndefined(caller)
}))

/** What an entry's detail says about an authenticated caller: ids, never credentials. */
export const callerDetail = (caller: Caller | undefined) =>
  caller === undefined ? {} : { principalId: caller.principalId, kind: caller.kind, via: caller.via }

/** A change a service records: what happened to which resource, with its state before and after. */
export interface AuditedChange {
  /** e.g. `rbac.grant`, `rbac.revoke`, `apikeys.create`. */
  readonly action: string
  readonly resourceKind: string
  readonly resourceId: string
  /** The state before the change (any JSON value; none for a creation). Never a secret. */
  readonly before?: unknown
  /** The state after it (any JSON value; none for a deletion). Never a secret. */
  readonly after?: unknown
  /** Anything else worth keeping (any JSON value). */
  readonly detail?: unknown
  /** Default `ok`. */
  readonly outcome?: string
}

/**
 * Appends an entry for a change made by a service, e.g. a permission change:
 * the actor is the request's caller (or the in-process principal), the
 * tenant is `CurrentTenant`, and the request id is the request's, so the
 * entry sits next to the one `auditRequests` writes for the request itself.
 *
 * Called inside the caller's own SQL transaction, the entry commits or rolls
 * back with the change.
 *
 * @example
 * ```ts
 * yield* recordChange({
 *   action: "rbac.grant",
 *   resourceKind: "experiment",
 *   resourceId: experimentId,
 *   before: previous === undefined ? undefined : { grantee, role: previous },
 *   after: { grantee, role }
 * })
 * ```
 */
export const recordChange = (change: AuditedChange): Effect.Effect<AuditEntry, InvalidArgument, AuditTrail> =>
  Effect.gen(function* () {
    const trail = yield* AuditTrail
    const { principal, caller } = yield* currentActor
    const requestId = yield* CurrentRequestId
    const detail = { ...callerDetail(caller), ...(change.detail === undefined ? {} : { detail: change.detail }) }
    return yield* trail.append({
      principal,
      action: change.action,
      resourceKind: change.resourceKind,
      resourceId: change.resourceId,
      outcome: change.outcome ?? "ok",
      ...(Option.isSome(requestId) ? { requestId: requestId.value } : {}),
      ...(change.before === undefined ? {} : { before: change.before }),
      ...(change.after === undefined ? {} : { after: change.after }),
      ...(Object.keys(detail).length === 0 ? {} : { detail })
    })
  }).pipe(Effect.withSpan("recordChange"))
