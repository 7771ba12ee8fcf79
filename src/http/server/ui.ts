import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer } from "effect"

/** `dist/ui` of the installed package, where `npm run build:ui` writes the web UI. */
export const defaultUiDirectory = (): string =>
  path.join(path.dirname(createRequire(import.meta.url).resolve("effect-mlops/package.json")), "dist", "ui")

/**
 * The UI is same-origin with the API and loads nothing from elsewhere, so
 * the policy allows only this origin; inline script is never allowed.
 */
const securityHeaders = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY"
}

const assetTypes: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  woff2: "font/woff2",
  json: "application/json"
}

/** A built asset name: hashed by Vite, one path segment, no traversal. */
const assetName = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

const notBuilt = HttpServerResponse.text(
  "The web UI is not built. Run `npm run build:ui` (or `npm start`, which builds it when missing).",
  { status: 404 }
)

const apiPrefixes = ["/api/", "/ajax-api/"]

/**
 * The web UI at `/`: hashed assets under `/assets/` cached for a year, and
 * `index.html` (never cached) for every other path the app routes itself
 * (`/experiments/1`, `/runs/abc`), so a shared link opens the same view.
 * Unknown API paths stay 404s rather than turning into the app's page.
 */
export const UiRoutes = (directory: string) => {
  const index = path.join(directory, "index.html")
  const page = Effect.suspend(() =>
    fs.existsSync(index)
      ? HttpServerResponse.file(index, {
          contentType: "text/html; charset=utf-8",
          headers: { ...securityHeaders, "cache-control": "no-cache" }
        })
      : Effect.succeed(notBuilt)
  )
  const fallback = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    apiPrefixes.some((prefix) => request.url.startsWith(prefix))
      ? Effect.succeed(HttpServerResponse.empty({ status: 404 }))
      : page
  )
  const asset = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const name = request.url.split("?", 1)[0]?.slice("/assets/".length) ?? ""
    const file = path.join(directory, "assets", name)
    if (!assetName.test(name) || !fs.existsSync(file)) return Effect.succeed(HttpServerResponse.empty({ status: 404 }))
    return HttpServerResponse.file(file, {
      contentType: assetTypes[name.slice(name.lastIndexOf(".") + 1)] ?? "application/octet-stream",
      headers: {
        ...securityHeaders,
        "cache-control": "public, max-age=31536000, immutable"
      }
    })
  })
  return Layer.mergeAll(
    HttpLayerRouter.add("GET", "/", page),
    HttpLayerRouter.add("GET", "/assets/*", asset),
    HttpLayerRouter.add("GET", "/*", fallback)
  ).pipe(Layer.provide(HttpLayerRouter.disableLogger))
}
