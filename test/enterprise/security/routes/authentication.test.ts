import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fc from "fast-check"
import { answer, describeRoute, errorShape, guardedRoutes, nowhere } from "./cases.js"
import { EnterpriseServer, EnterpriseServerLive } from "./fixture.js"
import { bearer, type Request, send } from "./http.js"
import { enterpriseRoutes } from "./inventory.js"
import { free } from "./recipes.js"

// The inventory is read before the suite is declared, so the test names can say how much they cover.
const routes = await Effect.runPromise(guardedRoutes)
const publicRoutes = (await Effect.runPromise(enterpriseRoutes)).filter((r) => r.family === "public")
const [sample] = fc.sample(free, { numRuns: 1, seed: 42 })

/** Credentials that prove nothing: none, a malformed header (varied by route), a key that does not exist. */
const badCredentials: ReadonlyArray<readonly [string, (i: number) => Record<string, string>]> = [
  ["no credentials", () => ({})],
  [
    "a malformed Authorization header",
    (i) => ({
      authorization: ["Bearer", "Basic !!!", "Token abc", "Bearer  ", "Basic Og==", "mlk_", "Digest x=y"][i % 7] ?? ""
    })
  ],
  ["an unknown API key", () => bearer(`mlk_${"0".repeat(16)}_${"A".repeat(43)}`)]
]

const requestOf = (index: number): Request => {
  const entry = routes[index]
  if (entry === undefined || sample === undefined) throw new Error("no such route")
  return entry.request(nowhere, sample)
}

layer(EnterpriseServerLive, { timeout: 120_000, excludeTestServices: true })(
  "the enterprise server's authentication, route by route",
  (it) => {
    it.effect(`refuses ${routes.length} non-public routes × ${badCredentials.length} bad credentials with 401`, () =>
      Effect.gen(function* () {
        const { url } = yield* EnterpriseServer
        const cases = routes.flatMap((entry, index) =>
          badCredentials.map(([label, headers]) => ({
            entry,
            label,
            request: { ...requestOf(index), headers: headers(index) }
          }))
        )
        const failures = yield* Effect.forEach(
          cases,
          ({ entry, label, request }) =>
            Effect.map(send(url, request), (response) => {
              const expected = entry.route.family === "mlflow" ? "UNAUTHENTICATED" : "Unauthenticated"
              return response.status === 401 && errorShape(entry.route, response) === expected
                ? []
                : [`${describeRoute(entry.route)} with ${label}: ${answer(response)}`]
            }),
          { concurrency: 4 }
        )
        console.log(`authentication: ${cases.length} requests over ${routes.length} routes`)
        assert.deepStrictEqual(failures.flat(), [])
      })
    )

    it.effect(`refuses X-MLFLOW-WORKSPACE naming another tenant on ${routes.length} routes with 403`, () =>
      Effect.gen(function* () {
        const { url, keys } = yield* EnterpriseServer
        const failures = yield* Effect.forEach(
          routes,
          (entry, index) =>
            Effect.map(
              send(url, {
                ...requestOf(index),
                headers: { ...bearer(keys.alice), "x-mlflow-workspace": "globex" }
              }),
              (response) => {
                const expected = entry.route.family === "mlflow" ? "PERMISSION_DENIED" : "Forbidden"
                return response.status === 403 && errorShape(entry.route, response) === expected
                  ? []
                  : [`${describeRoute(entry.route)}: ${answer(response)}`]
              }
            ),
          { concurrency: 4 }
        )
        assert.deepStrictEqual(failures.flat(), [])
      })
    )

    it.effect(`answers its ${publicRoutes.length} public routes without credentials`, () =>
      Effect.gen(function* () {
        const { url } = yield* EnterpriseServer
        const probes = new Set([
          "/healthz",
          "/health",
          "/readyz",
          "/version",
          "/openapi.json",
          "/docs",
          "/auth/providers"
        ])
        const failures = yield* Effect.forEach(publicRoutes, (route) =>
          Effect.map(
            send(url, {
              method: route.method === "*" ? "GET" : route.method,
              path: route.path.replace("*", "no-such-sign-in-route")
            }),
            (response) => {
              // Sign-in routes may refuse a caller without a session themselves, but never fail.
              const ok = probes.has(route.path) ? response.status === 200 : response.status < 500 && response.status > 0
              return ok ? [] : [`${describeRoute(route)}: ${answer(response)}`]
            }
          )
        )
        assert.deepStrictEqual(failures.flat(), [])
      })
    )

    it.effect("/get-artifact, an API route outside /api/, refuses strangers with 401", () =>
      Effect.gen(function* () {
        const { url } = yield* EnterpriseServer
        const response = yield* send(url, {
          method: "GET",
          path: "/get-artifact",
          query: { run_id: nowhere.runId, path: "notes/none.txt" }
        })
        assert.strictEqual(response.status, 401, answer(response))
      })
    )
  }
)
