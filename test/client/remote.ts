import { Effect, Layer } from "effect"
import { RemoteLayer } from "../../src/client/RemoteLayer.js"
import { startBasicServer } from "../support/server.js"

/** RemoteLayer → a fresh HTTP server → SQLite in a temporary directory, for the core contract suites. */
export const remoteOverBasicServer = () =>
  Layer.unwrapScoped(Effect.map(startBasicServer(), (url) => RemoteLayer({ url })))
