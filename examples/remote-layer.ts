// README: "A shared tracking server". Type-checked by `npm run typecheck`, run by examples/remote-layer.test.ts.
import { Effect } from "effect"
import { RemoteLayer } from "effect-mlops/layers"
import { train } from "./provide-a-layer.js"

// The same program as with BasicLayer; only the layer at the edge changed.
export const trainOnServer = (url: string) => train.pipe(Effect.provide(RemoteLayer({ url })))
