/**
 * The baseline of bench/enterprise.ts: the tracking server on PostgreSQL
 * with nothing enterprise in the request path — no authentication, rate
 * limits or audit trail, and a superuser connection, which row-level
 * security does not apply to. Usage: plain-postgres-server.ts <port> <url> <dataDir>
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer, Redacted } from "effect"
import { makeEnterpriseLayer } from "../../layers/Enterprise.js"
import { makeServerLayer } from "../../src/http/server/Server.js"

const [port, url, dataPath] = process.argv.slice(2)
if (port === undefined || url === undefined || dataPath === undefined) throw new Error("usage: <port> <url> <dataDir>")

const unused = Redacted.make("an-unused-secret-of-at-least-32-characters")

makeServerLayer({ port: Number(port), ui: false }).pipe(
  Layer.provide(
    makeEnterpriseLayer({ database: { url: Redacted.make(url) }, dataPath, apiKeyPepper: unused, auditKey: unused })
  ),
  Layer.tap(() => Effect.sync(() => console.log("ready"))),
  Layer.launch,
  NodeRuntime.runMain
)
