import { Context, Effect, Schema } from "effect"
import { whileMethodSpans } from "./spans.js"

/** The tenant (workspace) a request or program acts in. Single-tenant programs never set it. */
export const TenantId = Schema.NonEmptyTrimmedString.pipe(Schema.brand("TenantId"))
export type TenantId = typeof TenantId.Type

/**
 * The current tenant. A `Context.Reference` with the default tenant, so core
 * code runs unchanged in a single-tenant program; the enterprise request
 * middleware provides it per request.
 */
export class CurrentTenant extends Context.Reference<CurrentTenant>()("effect-mlops/core/CurrentTenant", {
  defaultValue: () => TenantId.make("default")
}) {}

/** Who is acting: recorded as a run's user and as the author of alias moves. */
export class Principal extends Schema.Class<Principal>("Principal")({
  id: Schema.String
}) {}

/**
 * The current principal, `local` unless an authenticator provides one.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provideService(CurrentPrincipal, new Principal({ id: "alice" })))
 * ```
 */
export class CurrentPrincipal extends Context.Reference<CurrentPrincipal>()("effect-mlops/core/CurrentPrincipal", {
  defaultValue: () => new Principal({ id: "local" })
}) {}

/**
 * Runs `effect` as `tenant` and `principal`, and puts both on every span it
 * opens (`mlops.tenant.id`, OpenTelemetry's `enduser.id`) and on the
 * current one (the request's server span), so traces of any service can be
 * filtered by tenant. The spans are annotated only while method spans are
 * on (`whileMethodSpans`): a configuration that exports no traces turns
 * them off, and nobody would read the annotations.
 */
export const actingAs =
  (tenant: TenantId, principal: Principal) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    const attributes = { "mlops.tenant.id": tenant, "enduser.id": principal.id }
    const acting = effect.pipe(
      Effect.provideService(CurrentTenant, tenant),
      Effect.provideService(CurrentPrincipal, principal)
    )
    return whileMethodSpans(
      () => Effect.zipRight(Effect.annotateCurrentSpan(attributes), Effect.annotateSpans(acting, attributes)),
      acting
    )
  }
