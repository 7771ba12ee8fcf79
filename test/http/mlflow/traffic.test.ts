import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { clientTraffic, type Exchange } from "./fixtures.js"
import { MlflowServer } from "./harness.js"
import { Bindings } from "./matcher.js"
import { type Override, replay } from "./replay.js"

/*
 * The traffic of MLflow 3.6's own Python client (MlflowClient and the
 * fluent API), replayed in order against one fresh server. MLflow 3 logged
 * models are not served yet, so the exchanges that need them are left out
 * (listed by `needsLoggedModels`), and the two registrations that name a
 * logged model send the run id such a server would read from it.
 */

const exchanges = clientTraffic()

/** The model the client logged in flow c, and the run that logged it. */
const loggedModel = "m-bf741878898f40cd87a147dfd3acd263"
const loggedModelRun = "195abee1badc461088209e8ddcf87d60"

/**
 * Logged-model RPCs, `runs/outputs` and the runs showing its
 * `model_outputs`, the logged model's artifacts (under
 * `<exp>/models/<model id>/`), and download URIs of `models:/<model id>`
 * sources all need the LoggedModels service.
 */
const needsLoggedModels = (exchange: Exchange): boolean => {
  const response = JSON.stringify(exchange.response) ?? ""
  return (
    /\/logged-models|\/runs\/outputs|(\/|%2F)models(\/|%2F)m-/.test(exchange.path) ||
    response.includes("model_outputs") ||
    (exchange.path.includes("/model-versions/get-download-uri") && response.includes(`/models/${loggedModel}`))
  )
}

const replayed = exchanges.filter((e) => !needsLoggedModels(e))

/**
 * Model-version search has no `order_by` in the core, whose order is name
 * then newest version first; MLflow's default puts the last updated first.
 */
const newestVersionFirst = (recorded: Exchange) => {
  const value = (recorded.response as { value: { model_versions: Array<{ version: string }> } }).value
  const sorted = [...value.model_versions].sort((a, b) => Number(b.version) - Number(a.version))
  return { status: recorded.status, response: { kind: "json", value: { model_versions: sorted } } } as const
}

const overrides = (bindings: Bindings): Record<string, Override> => ({
  "#104": { expect: newestVersionFirst },
  ...Object.fromEntries(
    replayed
      .filter((e) => e.path.endsWith("/model-versions/create"))
      .map((e) => [
        e.id,
        {
          send: () => ({
            json: bindings.substituteJson({ ...(e.request as { value: object }).value, run_id: loggedModelRun })
          })
        }
      ])
  )
})

describe("MLflow 3.6 Python client traffic", () => {
  it("leaves out only the exchanges that need logged models", () => {
    assert.deepStrictEqual(
      exchanges.filter(needsLoggedModels).map((e) => e.id),
      [
        "#21",
        "#26",
        "#32",
        "#62",
        "#63",
        "#64",
        "#65",
        "#66",
        "#67",
        "#68",
        "#69",
        "#70",
        "#71",
        "#74",
        "#75",
        "#76",
        "#77",
        "#79",
        "#80",
        "#81",
        "#82",
        "#83",
        "#84",
        "#85",
        "#86",
        "#89",
        "#90",
        "#91",
        "#102",
        "#108",
        "#109",
        "#110",
        "#111",
        "#112",
        "#113",
        "#114",
        "#115"
      ]
    )
    assert.strictEqual(exchanges.length, 121)
  })

  layer(MlflowServer, { excludeTestServices: true })("replayed in order", (it) => {
    const bindings = new Bindings()
    const special = overrides(bindings)
    for (const exchange of replayed) {
      it.effect(`${exchange.id} ${exchange.method} ${exchange.path.split("?")[0]} (${exchange.title})`, () =>
        Effect.gen(function* () {
          const { problems } = yield* replay(exchange, bindings, special[exchange.id])
          assert.deepStrictEqual(problems, [])
        })
      )
    }
  })
})
