import { Effect } from "effect"
import type { Response } from "./http.js"
import { enterpriseRoutes, type ServedRoute } from "./inventory.js"
import { type RouteRecipe, recipeOf } from "./recipes.js"
import type { Ids } from "./seed.js"

/** Every non-public route of the inventory with its recipe (the inventory test checks none lacks one). */
export const guardedRoutes: Effect.Effect<ReadonlyArray<RouteRecipe>> = Effect.map(enterpriseRoutes, (routes) =>
  routes.flatMap((route) => {
    if (route.family === "public") return []
    const recipe = recipeOf(route)
    return recipe === undefined ? [] : [recipe]
  })
)

export const describeRoute = (route: ServedRoute): string => `${route.method} ${route.path}`

/** Ids of nothing, for requests whose parameters do not matter (they never reach a handler). */
export const nowhere: Ids = {
  username: "nobody",
  otherUsername: "nobody-else",
  experimentId: "987654321",
  experimentName: "no-such-experiment",
  experimentTagKey: "no-such-tag",
  runId: "0123456789abcdef0123456789abcdef",
  metricKey: "loss",
  runTagKey: "no-such-tag",
  artifactFile: "notes/none.txt",
  artifactPath: "987654321/0123456789abcdef0123456789abcdef/artifacts/notes/none.txt",
  modelName: "no-such-model",
  modelTagKey: "no-such-tag",
  version: "1",
  versionTagKey: "no-such-tag",
  alias: "champion",
  loggedModelId: "m-0123456789abcdef0123456789abcdef",
  loggedModelTagKey: "no-such-tag",
  datasetName: "no-such-dataset",
  datasetVersion: 1,
  datasetDigest: "0000",
  groupName: "no-such-group",
  keyId: "0000000000000000",
  webhookId: "0123456789abcdef0123456789abcdef",
  webhookName: "no-such-webhook",
  // The discard port: nothing answers there.
  webhookUrl: "http://127.0.0.1:9/hooks/none",
  deliveryId: "01234567-89ab-4cde-8f01-23456789abcd"
}

/** A short account of an answer, for failure messages. */
export const answer = (response: Response): string => `${response.status} ${response.text.slice(0, 160)}`

/** The error shape of a route's API: MLflow's `error_code`, or the native API's `_tag`. */
export const errorShape = (route: ServedRoute, response: Response): string | undefined => {
  try {
    const body = JSON.parse(response.text) as Record<string, unknown>
    return String(route.family === "mlflow" ? body.error_code : body._tag)
  } catch {
    return undefined
  }
}
