import { assert, describe, it, layer, type Vitest } from "@effect/vitest"
import { Effect } from "effect"
import { type Exchange, transcript } from "./fixtures.js"
import { getWithHost } from "../../support/rawHttp.js"
import { MlflowServer, ServerUrl } from "./harness.js"
import type { CoreServices } from "../../../layers/Basic.js"
import { Bindings } from "./matcher.js"
import { expandJson, type Override, replay } from "./replay.js"
import { packageVersion } from "../../../src/http/server/version.js"

/*
 * Every entry of the recorded MLflow 3.6 REST transcript, replayed in order
 * against our server: main part (1–47) on one fresh server, Appendix A
 * (artifact proxy) on another, as they were recorded, including the
 * server-level A111 (version), A112 (health) and A116 (Host check, sent over
 * raw HTTP because `fetch` does not let a caller set Host). A113 (GraphQL)
 * and A114 (API 3.0 traces) are not part of this API.
 */

const entries = transcript()
const entry = (id: string): Exchange => {
  const found = entries.find((e) => e.id === id)
  if (found === undefined) throw new Error(`no transcript entry ${id}`)
  return found
}

const json = (value: unknown) => ({ kind: "json", value }) as const
const mlflowError = (status: number, error_code: string) => ({ status, response: json({ error_code, message: "" }) })

/** A recorded run message with its params and tags values replaced. */
const withValues = (recorded: Exchange, values: Record<string, string>) => {
  const patch = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(patch)
    if (typeof value !== "object" || value === null) return value
    const object = value as Record<string, unknown>
    if (typeof object.key === "string" && object.key in values && "value" in object) {
      return { ...object, value: values[object.key] }
    }
    return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, patch(v)]))
  }
  return { status: recorded.status, response: json(patch(expandJson((recorded.response as { value: unknown }).value))) }
}

const run2 = "ae9ad4876eda451b8fbc865e937920f9"

/** Where we answer differently from MLflow, each with the MLflow bug it fixes, or what the recording elides. */
const overrides = (bindings: Bindings): Record<string, Override> => ({
  // MLflow bug #13: without max_results MLflow returns only a page token. We return the points.
  "13": {
    expect: () => ({
      status: 200,
      response: json({
        metrics: [
          { key: "loss", value: 0.9, timestamp: 1795691837342, step: 0 },
          { key: "loss", value: 0.5, timestamp: 1795691837343, step: 1 },
          { key: "loss", value: 0.25, timestamp: 1795691837344, step: 2 }
        ]
      })
    })
  },
  // MLflow bug #21: a dataset filter with a param filter fails with 503 there. Here it finds run-1.
  "21": { expect: () => ({ status: 200, response: entry("20").response }) },
  // MLflow bug #37: a missing alias is a missing resource.
  "37": { expect: () => mlflowError(404, "RESOURCE_DOES_NOT_EXIST") },
  "38": {
    send: () => ({
      json: {
        run_id: bindings.substitute(run2),
        metrics: Array.from({ length: 1001 }, (_, i) => ({ key: `m${i}`, value: 1, timestamp: 1795691837342, step: 0 }))
      }
    })
  },
  // MLflow bugs #39–#41: values are stored whole (up to 64 KiB), never truncated.
  "40": { expect: (recorded) => withValues(recorded, { big: "x".repeat(6001) }) },
  "42": {
    send: () => ({
      json: {
        run_id: bindings.substitute(run2),
        params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: "v" }))
      }
    })
  },
  "45": { expect: (recorded) => withValues(recorded, { big: "x".repeat(6001), bigtag: "y".repeat(8001) }) },
  A104: { send: () => ({ body: "hello artifact\n", headers: { "content-type": "text/plain" } }) },
  // Our own version, where MLflow answers its version.
  A111: { expect: () => ({ status: 200, response: { kind: "text", text: packageVersion } }) }
})

const replayAll = (ids: ReadonlyArray<string>) => (it: Vitest.MethodsNonLive<ServerUrl | CoreServices, true>) => {
  const bindings = new Bindings()
  const special = overrides(bindings)
  for (const id of ids) {
    const recorded = entry(id)
    it.effect(`${id}. ${recorded.title}`, () =>
      Effect.gen(function* () {
        const { problems } = yield* replay(recorded, bindings, special[id])
        assert.deepStrictEqual(problems, [])
      })
    )
  }
}

const main = entries.filter((e) => /^\d+$/.test(e.id)).map((e) => e.id)
const appendixA = [
  "A101",
  "A102",
  "A103",
  "A104",
  "A105",
  "A106",
  "A107",
  "A108",
  "A109",
  "A110",
  "A111",
  "A112",
  "A115"
]

describe("MLflow REST transcript", () => {
  it("covers entries 1–47 and the artifact-proxy appendix", () => {
    assert.deepStrictEqual(
      main,
      Array.from({ length: 47 }, (_, i) => String(i + 1))
    )
    assert.includeMembers(
      entries.map((e) => e.id),
      appendixA
    )
  })
  layer(MlflowServer, { excludeTestServices: true })("entries 1–47", replayAll(main))
  layer(MlflowServer, { excludeTestServices: true })("Appendix A: proxied artifacts", replayAll(appendixA))
})

layer(MlflowServer, { excludeTestServices: true })("Appendix A: Host check", (it) => {
  it.effect(`A116. ${entry("A116").title}`, () =>
    Effect.gen(function* () {
      const recorded = entry("A116")
      const base = yield* ServerUrl
      const reply = yield* getWithHost(base, "/api/2.0/mlflow/experiments/get?experiment_id=0", "evil.example.com")
      assert.strictEqual(reply.status, recorded.status)
      assert.strictEqual(reply.text.trim(), recorded.response?.kind === "text" ? recorded.response.text.trim() : "")
    })
  )
})
