import { Effect, Layer } from "effect"

/**
 * The enterprise modules (PostgreSQL, OIDC, SAML), imported when a command
 * first needs them. The bundled CLI keeps them in a chunk of their own, so
 * a server on the embedded store never loads them.
 */
export const enterpriseModule = Effect.promise(() => import("../../layers/Enterprise.js"))

/** Runs `effect` on the enterprise store that `EnterpriseLayer`'s environment names. */
export const onEnterprise = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provide(
    effect,
    Layer.orDie(Layer.unwrapEffect(Effect.map(enterpriseModule, (enterprise) => enterprise.EnterpriseLayer)))
  )
