import { Validator } from "@seriousme/openapi-schema-validator"
import { assert, describe, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { getWithHost } from "../../support/rawHttp.js"
import { startBasicServer } from "../../support/server.js"

class BaseUrl extends Context.Tag("test/BaseUrl")<BaseUrl, string>() {}

const Server = Layer.scoped(BaseUrl, startBasicServer({ maxBodyBytes: 64 * 1024 }))

const request = (path: string, init: RequestInit = {}) =>
  Effect.flatMap(BaseUrl, (url) => Effect.promise(() => fetch(`${url}${path}`, init)))

const json = (path: string, init: RequestInit = {}) =>
  Effect.flatMap(request(path, init), (response) =>
    Effect.map(
      Effect.promise(() => response.json() as Promise<unknown>),
      (body) => ({ status: response.status, body })
    )
  )

const post = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body)
})

layer(Server)("tracking server", (it) => {
  describe("OpenAPI", () => {
    it.effect("/openapi.json is a valid OpenAPI 3.x document covering every group", () =>
      Effect.gen(function* () {
        const { status, body } = yield* json("/openapi.json")
        assert.strictEqual(status, 200)
        const result = yield* Effect.promise(() =>
          new Validator().validate(body as Parameters<Validator["validate"]>[0])
        )
        assert.deepStrictEqual(result.errors, undefined)
        assert.isTrue(result.valid)
        const paths = Object.keys((body as { paths: Record<string, unknown> }).paths)
        for (const path of ["/api/v1/experiments", "/api/v1/runs/search", "/api/v1/models", "/api/v1/artifacts/file"]) {
          assert.include(paths, path)
        }
      })
    )

    it.effect("/docs serves the API reference without any external script", () =>
      Effect.gen(function* () {
        const response = yield* request("/docs")
        const html = yield* Effect.promise(() => response.text())
        assert.strictEqual(response.status, 200)
        assert.notMatch(html, /<script[^>]+src="https?:/)
      })
    )
  })

  describe("health", () => {
    it.effect("/healthz, /health and /version answer", () =>
      Effect.gen(function* () {
        const answers = yield* Effect.forEach(["/healthz", "/health", "/version"], (path) =>
          Effect.flatMap(request(path), (r) => Effect.promise(async () => [r.status, await r.text()] as const))
        )
        assert.deepStrictEqual(answers.slice(0, 2), [
          [200, "OK"],
          [200, "OK"]
        ])
        assert.match(answers[2]?.[1] ?? "", /^\d+\.\d+\.\d+/)
      })
    )

    it.effect("/readyz reports BasicLayer's database, migrations and artifacts checks as passing", () =>
      Effect.gen(function* () {
        const { status, body } = yield* json("/readyz")
        assert.strictEqual(status, 200)
        const report = body as { status: string; checks: Record<string, { status: string }> }
        assert.strictEqual(report.status, "ok")
        assert.deepStrictEqual(Object.keys(report.checks).sort(), ["artifacts", "database", "migrations"])
        assert.isTrue(Object.values(report.checks).every((check) => check.status === "ok"))
      })
    )
  })

  describe("client mistakes are 4xx naming the field", () => {
    it.effect("a wrongly typed field is a 400 with the path of the field", () =>
      Effect.gen(function* () {
        const { status, body } = yield* json("/api/v1/experiments", post({ name: 42 }))
        assert.strictEqual(status, 400)
        assert.deepInclude((body as { issues: ReadonlyArray<unknown> }).issues[0], { path: ["name"] })
      })
    )

    it.effect("a malformed filter is a 400 carrying the position", () =>
      Effect.gen(function* () {
        const { status, body } = yield* json(
          "/api/v1/runs/search",
          post({ experimentIds: ["0"], filter: "metrics.acc >> 1" })
        )
        assert.strictEqual(status, 400)
        assert.deepInclude(body as object, { _tag: "InvalidFilter", filter: "metrics.acc >> 1" })
        assert.isNumber((body as { position: number }).position)
      })
    )

    it.effect("an unknown run is a 404 RunNotFound", () =>
      Effect.gen(function* () {
        const { status, body } = yield* json(`/api/v1/runs/${"a".repeat(32)}`)
        assert.strictEqual(status, 404)
        assert.deepInclude(body as object, { _tag: "RunNotFound" })
      })
    )

    it.effect("a body that is not JSON is a 400, not a 500", () =>
      Effect.gen(function* () {
        const response = yield* request("/api/v1/experiments", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{not json"
        })
        assert.strictEqual(response.status, 400)
      })
    )

    it.effect("a declared body over the limit is refused with 413 before it is read", () =>
      Effect.gen(function* () {
        const { status } = yield* json("/api/v1/experiments", post({ name: "x".repeat(70 * 1024) }))
        assert.strictEqual(status, 413)
      })
    )

    it.effect("an MLflow body streamed without a length is cut at the limit with a 400 naming it", () =>
      Effect.gen(function* () {
        const oversize = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(JSON.stringify({ name: "x".repeat(70 * 1024) })))
            controller.close()
          }
        })
        const { status, body } = yield* json("/api/2.0/mlflow/experiments/create", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: oversize,
          duplex: "half"
        } as RequestInit)
        assert.strictEqual(status, 400)
        assert.deepStrictEqual(body, {
          error_code: "MALFORMED_REQUEST",
          message: "The request body exceeds the size limit"
        })
        const { body: found } = yield* json(`/api/2.0/mlflow/experiments/search?max_results=1000`)
        assert.notInclude(JSON.stringify(found), "xxxxxxxx")
      })
    )
  })

  describe("DNS-rebinding protection", () => {
    it.effect("a Host header off the allow-list is refused with 403", () =>
      Effect.gen(function* () {
        const base = yield* BaseUrl
        const refused = yield* getWithHost(base, "/healthz", "evil.example.com")
        assert.strictEqual(refused.status, 403)
        assert.include(refused.text, "Invalid Host header")
        const port = new URL(base).port
        assert.strictEqual((yield* getWithHost(base, "/healthz", `localhost:${port}`)).status, 200)
      })
    )
  })

  describe("artifact downloads", () => {
    const upload = (path: string, body: string) =>
      request(`/api/v1/artifacts/file?path=${encodeURIComponent(path)}`, { method: "PUT", body })

    it.effect("HTML is served as an attachment with nosniff and a script-free CSP", () =>
      Effect.gen(function* () {
        yield* upload("safety/report.html", "<script>alert(1)</script>")
        const response = yield* request("/api/v1/artifacts/file?path=safety/report.html")
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff")
        assert.match(response.headers.get("content-disposition") ?? "", /^attachment/)
        assert.include(response.headers.get("content-security-policy") ?? "", "default-src 'none'")
      })
    )

    it.effect("plain text is inline, still with nosniff", () =>
      Effect.gen(function* () {
        yield* upload("safety/notes.txt", "hello")
        const response = yield* request("/api/v1/artifacts/file?path=safety/notes.txt")
        assert.strictEqual(yield* Effect.promise(() => response.text()), "hello")
        assert.match(response.headers.get("content-disposition") ?? "", /^inline/)
        assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff")
      })
    )

    it.effect("an SVG is an attachment", () =>
      Effect.gen(function* () {
        yield* upload("safety/plot.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
        const response = yield* request("/api/v1/artifacts/file?path=safety/plot.svg")
        assert.match(response.headers.get("content-disposition") ?? "", /^attachment/)
      })
    )
  })
})
