import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { mountPoints } from "./route.js"

/** Flask's 404 page, which MLflow's server sends for a path it does not know. */
const page = `<!doctype html>
<html lang=en>
<title>404 Not Found</title>
<h1>Not Found</h1>
<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>
`

const notFound = HttpServerResponse.text(page, { status: 404, contentType: "text/html; charset=utf-8" })

/**
 * Any other path under the MLflow prefixes answers as MLflow's server does:
 * 404 with an HTML body. Routes registered for a path take precedence over
 * this fallback, whatever the order the layers are built in.
 */
export const NotFoundRoutes = HttpLayerRouter.addAll(
  [...mountPoints("mlflow"), ...mountPoints("mlflow-artifacts")].map((mount) =>
    HttpLayerRouter.route("*", `${mount}/*`, notFound)
  )
)
