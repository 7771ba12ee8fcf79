import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { MlopsApi } from "../../../../src/http/api/Api.js"
import { httpApiEndpoints, routeKey } from "../../../support/routeInventory.js"
import { enterpriseRoutes } from "./inventory.js"
import { allRecipeKeys, recipeKey, recipeOf } from "./recipes.js"

describe("the enterprise server's route inventory", () => {
  it.effect("is read from the code: the native HttpApi's endpoints and every route the server registers", () =>
    Effect.gen(function* () {
      const routes = yield* enterpriseRoutes
      const count = (family: string) => routes.filter((r) => r.family === family).length
      const endpoints = httpApiEndpoints(MlopsApi)
      console.log(
        `route inventory: ${routes.length} routes (${count("native")} native, of which ${endpoints.length} HttpApi endpoints; ${count("mlflow")} MLflow; ${count("public")} public)`
      )
      // Floors well under today's counts, so the inventory cannot quietly become empty.
      assert.isAtLeast(endpoints.length, 60)
      assert.isAtLeast(count("native"), 70)
      assert.isAtLeast(count("mlflow"), 150)
      const served = new Set(routes.map(routeKey))
      assert.deepStrictEqual(
        endpoints.filter((e) => !served.has(routeKey(e))).map(routeKey),
        [],
        "HttpApi endpoints the server does not register"
      )
    })
  )

  it.effect("has a request recipe for every non-public route, and no recipe for a route that is gone", () =>
    Effect.gen(function* () {
      const guarded = (yield* enterpriseRoutes).filter((r) => r.family !== "public")
      assert.deepStrictEqual(
        guarded.filter((r) => recipeOf(r) === undefined).map(routeKey),
        [],
        "routes without a recipe (add one to recipes.ts)"
      )
      const used = new Set(
        guarded.map((r) => {
          const { table, key } = recipeKey(r)
          return `${table}: ${key}`
        })
      )
      assert.deepStrictEqual(
        allRecipeKeys.filter((k) => !used.has(k)),
        [],
        "recipes of routes the server no longer has"
      )
    })
  )
})
