import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { clientTraffic, type Exchange } from "./fixtures.js"
import { MlflowServer } from "./harness.js"
import { Bindings } from "./matcher.js"
import { type Override, replay } from "./replay.js"

/*
 * The traffic of MLflow 3.6's own Python client (MlflowClient and the
 * fluent API, MLflow 3 logged models included), replayed in order against
 * one fresh server: every one of the 121 exchanges.
 */

const exchanges = clientTraffic()

/**
 * The pickled model (#69) is recorded only as its size and first 32 bytes;
 * the rest is made up, and its downloads (#83, #111) must give back exactly
 * the bytes uploaded.
 */
const pickle = (() => {
  const head = "80 05 95 4e 05 00 00 00 00 00 00 8c 17 63 6c 6f 75 64 70 69 63 6b 6c 65 2e 63 6c 6f 75 64 70 69"
  const bytes = new Uint8Array(1369).map((_, i) => (i * 31 + 7) % 256)
  bytes.set(head.split(" ").map((h) => Number.parseInt(h, 16)))
  return bytes
})()

const samePickle = (recorded: Exchange) =>
  ({ status: recorded.status, response: { kind: "text", text: new TextDecoder().decode(pickle) } }) as const

/**
 * Model-version search has no `order_by` in the core, whose order is name
 * then newest version first; MLflow's default puts the last updated first.
 */
const newestVersionFirst = (recorded: Exchange) => {
  const value = (recorded.response as { value: { model_versions: Array<{ version: string }> } }).value
  const sorted = [...value.model_versions].sort((a, b) => Number(b.version) - Number(a.version))
  return { status: recorded.status, response: { kind: "json", value: { model_versions: sorted } } } as const
}

const overrides: Record<string, Override> = {
  "#69": { send: () => ({ body: pickle, headers: { "content-type": "application/octet-stream" } }) },
  "#83": { expect: samePickle },
  "#111": { expect: samePickle },
  "#104": { expect: newestVersionFirst }
}

describe("MLflow 3.6 Python client traffic", () => {
  it("reads every recorded exchange, #1 to #121, so none escapes the replay", () => {
    assert.deepStrictEqual(
      exchanges.map((e) => e.id),
      Array.from({ length: 121 }, (_, i) => `#${i + 1}`)
    )
  })

  layer(MlflowServer, { excludeTestServices: true })("replayed in order", (it) => {
    const bindings = new Bindings()
    for (const exchange of exchanges) {
      it.effect(`${exchange.id} ${exchange.method} ${exchange.path.split("?")[0]} (${exchange.title})`, () =>
        Effect.gen(function* () {
          const { problems } = yield* replay(exchange, bindings, overrides[exchange.id])
          assert.deepStrictEqual(problems, [])
        })
      )
    }
  })
})
