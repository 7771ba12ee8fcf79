/**
 * The enterprise tracking server: PostgreSQL with tenant isolation, API keys,
 * single sign-on, rate limits and the audit trail, configured from the
 * environment (see the README's "Enterprise" section), e.g.
 *
 *   MLOPS_DATABASE_URL=postgres://mlops_app:…@db/mlops \
 *   MLOPS_DATABASE_ADMIN_URL=postgres://mlops_owner:…@db/mlops \
 *   MLOPS_API_KEY_PEPPER=… MLOPS_AUDIT_KEY=… npx tsx programs/enterprise.ts
 *
 * The same as `effect-mlops server --enterprise`. Port PORT (default 5000),
 * interface HOST (default 127.0.0.1).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Config, Effect, Layer } from "effect"
import { EnterpriseLayer, makeEnterpriseServerLayer } from "effect-mlops/enterprise"

const ServerLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const port = yield* Config.port("PORT").pipe(Config.withDefault(5000))
    const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
    return makeEnterpriseServerLayer({ port, host })
  })
)

ServerLive.pipe(Layer.provide(EnterpriseLayer), Layer.launch, NodeRuntime.runMain)
