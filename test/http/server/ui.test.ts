import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it as test, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { startBasicServer } from "../../support/server.js"
import { tempDir } from "../../support/sqlite.js"

class Served extends Context.Tag("test/Served")<Served, { readonly url: string; readonly asset: string }>() {}

/** A stand-in build of the UI: an index page and one hashed asset. */
const fakeBuild = Effect.gen(function* () {
  const dir = yield* tempDir("effect-mlops-ui")
  fs.mkdirSync(path.join(dir, "assets"))
  fs.writeFileSync(path.join(dir, "index.html"), '<!doctype html><div id="app"></div>')
  fs.writeFileSync(path.join(dir, "assets", "index-Ab12.js"), "console.log(1)")
  fs.writeFileSync(path.join(dir, "secret.txt"), "not an asset")
  return dir
})

const Server = Layer.scoped(
  Served,
  Effect.gen(function* () {
    const ui = yield* fakeBuild
    return { url: yield* startBasicServer({ ui }), asset: "index-Ab12.js" }
  })
)

const get = (route: string) =>
  Effect.flatMap(Served, ({ url }) =>
    Effect.promise(async () => {
      const response = await fetch(`${url}${route}`)
      return { status: response.status, headers: response.headers, text: await response.text() }
    })
  )

layer(Server)("the web UI", (it) => {
  describe("pages", () => {
    it.effect("/ is the app's page under a CSP that allows no inline or foreign script", () =>
      Effect.gen(function* () {
        const page = yield* get("/")
        assert.strictEqual(page.status, 200)
        assert.include(page.text, '<div id="app">')
        const csp = page.headers.get("content-security-policy") ?? ""
        assert.include(csp, "script-src 'self'")
        assert.include(csp, "frame-ancestors 'none'")
        assert.notInclude(csp, "unsafe-inline")
        assert.strictEqual(page.headers.get("x-content-type-options"), "nosniff")
        assert.strictEqual(page.headers.get("cache-control"), "no-cache")
      })
    )

    it.effect("a path the app routes itself answers with the same page, so shared links open", () =>
      Effect.gen(function* () {
        const page = yield* get("/experiments/1?filter=metrics.acc%20%3E%200.9")
        assert.strictEqual(page.status, 200)
        assert.include(page.text, '<div id="app">')
      })
    )

    it.effect("an unknown API path stays a 404 instead of becoming the app's page", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* get("/api/v1/no-such-endpoint")).status, 404)
        assert.strictEqual((yield* get("/ajax-api/2.0/mlflow/no-such-endpoint")).status, 404)
      })
    )
  })

  describe("assets", () => {
    it.effect("a built asset is served with a year-long immutable cache", () =>
      Effect.gen(function* () {
        const { asset } = yield* Served
        const response = yield* get(`/assets/${asset}`)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.text, "console.log(1)")
        assert.include(response.headers.get("cache-control") ?? "", "immutable")
      })
    )

    it.effect("a path outside the assets folder is refused", () =>
      Effect.gen(function* () {
        assert.strictEqual((yield* get("/assets/..%2Fsecret.txt")).status, 404)
        // The client resolves the dots: this asks for /secret.txt, which is the app's page, not the file.
        assert.notInclude((yield* get("/assets/%2e%2e/secret.txt")).text, "not an asset")
        assert.strictEqual((yield* get("/assets/missing.js")).status, 404)
      })
    )
  })
})

describe("a server without a built UI", () => {
  test.scoped("explains how to build it", () =>
    Effect.gen(function* () {
      const missing = path.join(yield* tempDir("effect-mlops-no-ui"), "ui")
      const url = yield* startBasicServer({ ui: missing })
      const response = yield* Effect.promise(() => fetch(`${url}/`))
      assert.strictEqual(response.status, 404)
      assert.include(yield* Effect.promise(() => response.text()), "npm run build:ui")
    })
  )
})
