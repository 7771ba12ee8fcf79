import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import * as fc from "fast-check"
import { answer, describeRoute, guardedRoutes } from "./cases.js"
import { EnterpriseServer, EnterpriseServerLive } from "./fixture.js"
import { bearer, type Request, type Response, send, sentText } from "./http.js"
import { type Expectation, free, idsUsed, type RouteRecipe, recipeKey } from "./recipes.js"
import { type Ids, type Seeded, seed, snapshot } from "./seed.js"

/*
 * Alice (tenant acme, its admin) aims every route of the server at globex's
 * data: globex's experiment, run, artifacts, registered model, version,
 * alias, logged model, dataset, users and webhook (with its delivery log).
 * Each request must be refused or answer with nothing of globex's, and
 * globex's data must read the same afterwards. Each request is also sent with alice's own ids (the control),
 * which must succeed: a refusal that comes from a malformed request proves
 * nothing.
 */

const routes = await Effect.runPromise(guardedRoutes)
const withExpectation = (...expectations: ReadonlyArray<Expectation>) =>
  routes.filter((entry) => expectations.includes(entry.recipe.expect))

/** Requests per route naming globex's ids, each with other free parameters. */
const samplesPerRoute = 2
const fcSeed = Date.now() % 1_000_000

/** Routes whose controls fail for known bugs (downloads; see the KNOWN BUG tests at the end). */
const brokenControls: ReadonlySet<string> = new Set([
  "GET /get-artifact",
  "mlflow-artifacts: GET /artifacts/*",
  "GET /api/v1/artifacts/file"
])
const controlName = (entry: RouteRecipe): string => {
  const { table, key } = recipeKey(entry.route)
  return table === "native" || table === "root" ? key : `${table}: ${key}`
}

/** Globex's data, seeded by bob; acme's, so that alice's searches have something to find; and the tenant default's. */
class Seeds extends Context.Tag("test/security/Seeds")<
  Seeds,
  { readonly globex: Seeded; readonly acme: Seeded; readonly default: Seeded }
>() {}

const SeedsLive = Layer.effect(
  Seeds,
  Effect.gen(function* () {
    const { url, hooks, keys } = yield* EnterpriseServer
    return {
      globex: yield* seed(url, keys.bob, "globexZ", hooks),
      acme: yield* seed(url, keys.alice, "acmeZ", hooks),
      default: yield* seed(url, keys.dave, "defaultZ", hooks)
    }
  })
).pipe(Layer.provideMerge(EnterpriseServerLive))

/** Globex's strings in an answer to alice that her request did not contain. */
const leaked = (
  globex: Seeded,
  request: Request,
  response: Response,
  recordsRequests = false
): ReadonlyArray<string> => {
  const sent = sentText(request)
  return [...(recordsRequests ? [] : globex.names.filter((name) => !sent.includes(name))), ...globex.secrets].filter(
    (marker) => response.text.includes(marker)
  )
}

const isDenial = (status: number) => status >= 400 && status < 500

const expected: Record<Expectation, (status: number) => boolean> = {
  denied: isDenial,
  filtered: (status) => (status >= 200 && status < 300) || isDenial(status),
  own: (status) => status >= 200 && status < 500,
  unsupported: (status) => status === 501
}

/** Sends alice's requests naming globex's ids on the routes: what went wrong, and globex's data before and after. */
const aimAtGlobex = (entries: ReadonlyArray<RouteRecipe>) =>
  Effect.gen(function* () {
    const { url, keys } = yield* EnterpriseServer
    const { globex } = yield* Seeds
    const before = yield* snapshot(url, keys.bob, globex.ids)
    const samples = fc.sample(free, { numRuns: entries.length * samplesPerRoute, seed: fcSeed })
    const cases = entries.flatMap((entry, index) =>
      samples.slice(index * samplesPerRoute, (index + 1) * samplesPerRoute).map((f) => ({ entry, f }))
    )
    const failures = yield* Effect.forEach(
      cases,
      ({ entry, f }) =>
        Effect.gen(function* () {
          const request = entry.request(globex.ids, f)
          const response = yield* send(url, { ...request, headers: bearer(keys.alice) })
          const problems = [
            ...(expected[entry.recipe.expect](response.status)
              ? []
              : [`${entry.recipe.expect}, got ${answer(response)}`]),
            ...leaked(globex, request, response, entry.recipe.recordsRequests).map((marker) => `leaks ${marker}`)
          ]
          return {
            statuses: [response.status],
            problems: problems.map((problem) => `${describeRoute(entry.route)} (fast-check seed ${fcSeed}): ${problem}`)
          }
        }),
      { concurrency: 4 }
    )
    const after = yield* snapshot(url, keys.bob, globex.ids)
    const statuses = new Map<number, number>()
    for (const status of failures.flatMap((f) => f.statuses)) statuses.set(status, (statuses.get(status) ?? 0) + 1)
    console.log(
      `isolation: ${cases.length} requests by alice naming globex's data over ${entries.length} routes; statuses ${[...statuses].map(([status, n]) => `${status}×${n}`).join(", ")}`
    )
    return { failures: failures.flatMap((f) => f.problems), before, after }
  })

layer(SeedsLive, { timeout: 180_000, excludeTestServices: true })("tenant isolation, route by route", (it) => {
  const reads = routes.filter(
    (entry) =>
      entry.route.method === "GET" &&
      !entry.route.path.startsWith("/ajax-api/") &&
      !brokenControls.has(controlName(entry))
  )
  it.effect(
    `sees a leak when there is one: bob's own reads on ${reads.length} routes show all of globex's values`,
    () =>
      Effect.gen(function* () {
        const { url, keys } = yield* EnterpriseServer
        const { globex } = yield* Seeds
        const [f] = fc.sample(free, { numRuns: 1, seed: fcSeed })
        if (f === undefined) return
        const seen = new Set<string>()
        for (const entry of reads) {
          const request = entry.request(globex.ids, f)
          for (const marker of leaked(globex, request, yield* send(url, { ...request, headers: bearer(keys.bob) }))) {
            seen.add(marker)
          }
        }
        // The file's content is only read by a download, which is broken (see the KNOWN BUG tests);
        // a key's secret is answered only when the key is made, and so is a webhook's signing key.
        const unread = globex.secrets.filter((secret) => !seen.has(secret))
        assert.deepStrictEqual(
          unread.map((secret) => (secret.startsWith("mlk_") ? "an API key" : secret.replace(/^.*-secret-/, ""))),
          ["artifact-content", "signing-key", "an API key"]
        )
      })
  )

  const denied = withExpectation("denied", "unsupported")
  it.effect(
    `refuses alice ${denied.length} routes × ${samplesPerRoute} requests naming globex's resources, globex's data unchanged`,
    () =>
      Effect.gen(function* () {
        const { failures, before, after } = yield* aimAtGlobex(denied)
        assert.deepStrictEqual(failures, [])
        assert.deepStrictEqual(after, before, "globex's data changed")
      })
  )

  const filtered = withExpectation("filtered")
  it.effect(`answers alice's searches and listings on ${filtered.length} routes with none of globex's items`, () =>
    Effect.gen(function* () {
      const { failures, before, after } = yield* aimAtGlobex(filtered)
      assert.deepStrictEqual(failures, [])
      assert.deepStrictEqual(after, before, "globex's data changed")
    })
  )

  const controls = [
    ...new Map(
      routes.filter((entry) => !entry.route.path.startsWith("/ajax-api/")).map((entry) => [controlName(entry), entry])
    ).values()
  ]
  const working = controls.filter((entry) => !brokenControls.has(controlName(entry)))
  it.effect(`serves the same ${working.length} requests when they name alice's own data (the controls)`, () =>
    Effect.gen(function* () {
      const { url, hooks, keys } = yield* EnterpriseServer
      const { globex } = yield* Seeds
      // What spoils data (deletes, renames) goes last; the next request that needs what is spoiled
      // goes first when one does not, else alice's data is seeded again.
      const remaining = [
        ...working.filter((entry) => entry.recipe.spoils === undefined),
        ...working.filter((entry) => entry.recipe.spoils !== undefined)
      ]
      const samples = fc.sample(free, { numRuns: remaining.length, seed: fcSeed })
      let acme = yield* seed(url, keys.alice, "acmeZ", hooks)
      let seeds = 1
      let sent = 0
      const spoiled = new Set<keyof Ids>()
      const failures: Array<string> = []
      while (remaining.length > 0) {
        const next = remaining.findIndex((entry) => ![...idsUsed(entry.recipe, acme.ids)].some((id) => spoiled.has(id)))
        if (next < 0) {
          acme = yield* seed(url, keys.alice, "acmeZ", hooks)
          seeds++
          spoiled.clear()
          continue
        }
        const [entry] = remaining.splice(next, 1)
        const f = samples[sent++]
        if (entry === undefined || f === undefined) continue
        const request = entry.request(acme.ids, f)
        const response = yield* send(url, { ...request, headers: bearer(keys.alice) })
        const ok =
          entry.recipe.control === undefined
            ? response.status >= 200 && response.status < 300
            : entry.recipe.control.includes(response.status)
        if (!ok) failures.push(`${describeRoute(entry.route)} (fast-check seed ${fcSeed}): ${answer(response)}`)
        for (const marker of leaked(globex, request, response)) {
          failures.push(`${describeRoute(entry.route)}: alice's own answer holds globex's ${marker}`)
        }
        for (const id of entry.recipe.spoils ?? []) spoiled.add(id)
      }
      console.log(`controls: ${sent} requests by alice on her own data (${seeds} seeds of it)`)
      assert.deepStrictEqual(failures, [])
    })
  )

  const own = withExpectation("own")
  it.effect(`creates under globex's names in alice's own tenant on ${own.length} routes, globex's data unchanged`, () =>
    Effect.gen(function* () {
      const { failures, before, after } = yield* aimAtGlobex(own)
      assert.deepStrictEqual(failures, [])
      assert.deepStrictEqual(after, before, "globex's data changed")
    })
  )

  // Downloads stream after the handler has returned: the stream must still run in the caller's
  // tenant (it once ran in tenant `default`), and `/get-artifact`, outside /api/, must not be public.
  const downloads = ["the artifact proxy", "the native API", "/get-artifact"] as const
  const download = (through: (typeof downloads)[number], ids: Ids): Request =>
    through === "the artifact proxy"
      ? { method: "GET", path: `/api/2.0/mlflow-artifacts/artifacts/${ids.artifactPath}` }
      : through === "the native API"
        ? { method: "GET", path: "/api/v1/artifacts/file", query: { path: ids.artifactPath } }
        : { method: "GET", path: "/get-artifact", query: { run_id: ids.runId, path: ids.artifactFile } }

  for (const through of downloads) {
    it.effect(`alice downloads her own artifact through ${through}`, () =>
      Effect.gen(function* () {
        const { url, keys } = yield* EnterpriseServer
        const { acme } = yield* Seeds
        // The download stalls, then the connection drops: a second tells.
        const response = yield* send(url, { ...download(through, acme.ids), headers: bearer(keys.alice) }, 1_000)
        assert.strictEqual(response.status, 200, answer(response))
        assert.include(response.text, "secret-artifact-content")
      })
    )

    it.effect(
      `alice reads none of tenant default's files through ${through}, even with a file of hers at the same path`,
      () =>
        Effect.gen(function* () {
          const { url, keys } = yield* EnterpriseServer
          const { default: other } = yield* Seeds
          const content = other.secrets.find((secret) => secret.endsWith("-secret-artifact-content")) ?? ""
          // Same path, same size: `stat` passes in acme, then the bytes come from default.
          const decoy = yield* send(url, {
            method: "PUT",
            path: `/api/2.0/mlflow-artifacts/artifacts/${other.ids.artifactPath}`,
            body: "x".repeat(content.length),
            headers: bearer(keys.alice)
          })
          assert.strictEqual(decoy.status, 200, answer(decoy))
          const response = yield* send(url, { ...download(through, other.ids), headers: bearer(keys.alice) }, 1_000)
          assert.notInclude(response.text, content, `alice read tenant default's file: ${answer(response)}`)
        })
    )
  }

  it.effect("a caller without credentials reads none of tenant default's files through /get-artifact", () =>
    Effect.gen(function* () {
      const { url } = yield* EnterpriseServer
      const { default: other } = yield* Seeds
      const response = yield* send(url, {
        method: "GET",
        path: "/get-artifact",
        query: { run_id: other.ids.runId, path: other.ids.artifactFile }
      })
      assert.notInclude(response.text, "secret-artifact-content", `a stranger read it: ${answer(response)}`)
    })
  )
})
