import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Exit, Scope } from "effect"
import type { Browser, Page } from "playwright-core"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { makeBasicLayer } from "../../layers/Basic.js"
import { startServer } from "../support/server.js"
import { axeViolations, launchBrowser, openPage, screenshot } from "./browser.js"

/*
 * The web UI in a real Chromium against a server over a database the
 * quickstart seeded twice: 12 runs, a registered model whose `champion`
 * alias moved from v1 to v2, and the penguins dataset with its profile.
 */

const uiDir = path.resolve("dist", "ui")
let dataDir: string
let base: string
let browser: Browser
const scope = Effect.runSync(Scope.make())

const post = async (route: string, body: unknown) => {
  const response = await fetch(`${base}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  const text = await response.text()
  return (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>
}

beforeAll(async () => {
  assert.isTrue(fs.existsSync(path.join(uiDir, "index.html")), "run `npm run build:ui` before the e2e tests")
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-e2e-"))
  for (let i = 0; i < 2; i++)
    execFileSync(process.execPath, ["--import", "tsx", "programs/quickstart.ts"], {
      env: { ...process.env, MLOPS_DATA_DIR: dataDir },
      stdio: "ignore"
    })
  base = await Effect.runPromise(Scope.extend(startServer(makeBasicLayer({ dataPath: dataDir }), { ui: uiDir }), scope))
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
  fs.rmSync(dataDir, { recursive: true, force: true })
})

/**
 * Opens `route`, runs `check`, and fails on any console error the page
 * logged, except the ones `expected` names (Chromium logs every 4xx answer
 * to `fetch` as an error, even one the page handles).
 */
const visit = async (
  route: string,
  check: (page: Page) => Promise<void>,
  theme: "light" | "dark" = "light",
  expected: ReadonlyArray<RegExp> = []
) => {
  const { page, errors, close } = await openPage(browser, theme)
  try {
    await page.goto(`${base}${route}`)
    await check(page)
    const unexpected = errors.filter((error) => !expected.some((pattern) => pattern.test(error)))
    assert.deepStrictEqual(unexpected, [], `console errors on ${route}`)
  } finally {
    await close()
  }
}

const experimentId = async (): Promise<string> => {
  const found = await fetch(`${base}/api/v1/experiments/by-name?name=penguins-softmax`).then(
    (r) => r.json() as Promise<{ experimentId: string }>
  )
  return found.experimentId
}

/** The ids of the quickstart experiment's `count` newest runs. */
const newestRunIds = async (count: number): Promise<ReadonlyArray<string>> => {
  const page = await post("/api/v1/runs/search", { experimentIds: [await experimentId()], maxResults: count })
  return (page.items as Array<{ info: { runId: string } }>).map((run) => run.info.runId)
}

describe("experiments", () => {
  it("lists the quickstart's experiment with its run count and last activity", () =>
    visit("/", async (page) => {
      const row = page.getByRole("row", { name: /penguins-softmax/ })
      await row.waitFor()
      assert.include(await row.innerText(), "12")
      assert.match(await row.innerText(), /ago/)
      await screenshot(page, "experiments")
    }))
})

describe("runs table", () => {
  it("shows every run, virtualised, and filters with a valid filter", async () => {
    const id = await experimentId()
    await visit(`/experiments/${id}`, async (page) => {
      await page.locator("output").filter({ hasText: "12 runs" }).waitFor()
      await page.getByLabel(/Filter runs/).fill("params.l2 = '0.1'")
      await page.getByLabel(/Filter runs/).press("Enter")
      await page.locator("output").filter({ hasText: "4 runs" }).waitFor()
      assert.strictEqual(new URL(page.url()).searchParams.get("filter"), "params.l2 = '0.1'")
      await screenshot(page, "runs-filtered")
    })
  })

  it("points at the bad token of an invalid filter", async () => {
    const id = await experimentId()
    await visit(
      `/experiments/${id}?filter=${encodeURIComponent("metrics.val_accuracy >> 0.5")}`,
      async (page) => {
        const error = page.locator("#run-filter-error")
        await error.waitFor()
        const text = await error.innerText()
        const [filterLine, caretLine] = text.split("\n")
        assert.strictEqual(filterLine, "metrics.val_accuracy >> 0.5")
        assert.strictEqual(caretLine?.indexOf("^"), filterLine?.indexOf(">>"))
        assert.strictEqual(await page.getByLabel(/Filter runs/).getAttribute("aria-invalid"), "true")
        await screenshot(page, "runs-invalid-filter")
      },
      "light",
      [/status of 400/]
    )
  })

  it("sorts by a chosen metric column and keeps the order in the URL", async () => {
    const id = await experimentId()
    await visit(`/experiments/${id}?cols=status,m:val_accuracy`, async (page) => {
      await page.locator("output").filter({ hasText: "12 runs" }).waitFor()
      await page.getByRole("button", { name: "Sort by val_accuracy" }).click()
      await page.waitForURL(/order=/)
      await page.locator("output").filter({ hasText: "12 runs" }).waitFor()
      const values = await page
        .locator(".vtable-row")
        .evaluateAll((rows) =>
          rows
            .sort(
              (a, b) =>
                Number.parseFloat((a as HTMLElement).style.top) - Number.parseFloat((b as HTMLElement).style.top)
            )
            .map((row) => Number(row.querySelectorAll(".cell")[3]?.textContent))
        )
      assert.strictEqual(values.length, 12)
      assert.deepStrictEqual(
        values,
        [...values].sort((a, b) => b - a)
      )
    })
  })

  it("selects runs and opens the compare view with the params that differ highlighted", async () => {
    const id = await experimentId()
    await visit(`/experiments/${id}`, async (page) => {
      await page.locator("output").filter({ hasText: "12 runs" }).waitFor()
      const boxes = page.getByRole("checkbox", { name: /^Select / })
      await boxes.nth(0).check()
      await boxes.nth(1).check()
      await boxes.nth(2).check()
      await page.getByRole("button", { name: /Compare \(3\)/ }).click()
      await page.waitForURL(/\/compare\?runs=/)
      await page.getByRole("heading", { name: "Compare 3 runs" }).waitFor()
      await page.locator("figure[data-metric='val_accuracy'] canvas").waitFor()
      const differing = await page.locator("tr[data-differs='true'] th").allInnerTexts()
      assert.isTrue(differing.includes("learning_rate") || differing.includes("l2"), differing.join(","))
      assert.notInclude(differing, "epochs")
      await screenshot(page, "compare")
    })
  })
})

describe("keyboard", () => {
  it("moves through the runs grid with the arrows, selects with Space and opens a run with Enter", async () => {
    const id = await experimentId()
    await visit(`/experiments/${id}`, async (page) => {
      await page
        .locator("output")
        .filter({ hasText: /\d+ runs/ })
        .waitFor()
      const grid = page.getByRole("grid", { name: "Runs" })
      await grid.focus()
      await page.keyboard.press("ArrowDown")
      assert.strictEqual(await grid.getAttribute("aria-activedescendant"), "run-row-1")
      await page.keyboard.press(" ")
      await page.waitForURL(/sel=/)
      assert.strictEqual(await page.locator("#run-row-1").getAttribute("aria-selected"), "true")
      await page.keyboard.press("Enter")
      await page.waitForURL(/\/runs\//)
      await page.getByRole("heading", { name: "Metrics" }).waitFor()
    })
  })
})

describe("run page", () => {
  it("charts every metric and zooms into a window fetched from the server", async () => {
    const [runId] = await newestRunIds(1)
    await visit(`/runs/${runId}`, async (page) => {
      for (const key of ["train_accuracy", "train_loss", "val_accuracy", "val_loss"])
        await page.locator(`figure[data-metric='${key}'] canvas`).waitFor()
      const chart = page.locator("figure[data-metric='val_loss'] .u-over")
      const box = await chart.boundingBox()
      assert.isNotNull(box)
      if (box === null) return
      const history = page.waitForRequest((r) => r.url().includes("metric-history") && r.url().includes("startStep"))
      await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2)
      await page.mouse.down()
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, {
        steps: 5
      })
      await page.mouse.up()
      await history
      await page.locator("figure[data-metric='val_loss'] [data-zoomed='true']").waitFor()
      await screenshot(page, "run")
    })
  })

  it("previews a JSON artifact", async () => {
    const [runId] = await newestRunIds(1)
    await visit(`/runs/${runId}`, async (page) => {
      await page.getByRole("button", { name: /model\// }).click()
      await page.getByRole("button", { name: "model.json" }).click()
      const preview = page.locator("pre.preview")
      await preview.waitFor()
      assert.include(await preview.innerText(), "{")
    })
  })

  it("shows metrics logged to a running run without a reload", async () => {
    const id = await experimentId()
    const created = (await post("/api/v1/runs", {
      experimentId: id,
      runName: "live-run"
    })) as {
      info: { runId: string }
    }
    const runId = created.info.runId
    await post(`/api/v1/runs/${runId}/metrics`, {
      key: "live_loss",
      value: 1,
      step: 0
    })
    await visit(`/runs/${runId}`, async (page) => {
      const histories: Array<string> = []
      page.on("request", (request) => {
        if (request.url().includes("metric-history")) histories.push(request.url())
      })
      await page.locator("figure[data-metric='live_loss'] canvas").waitFor()
      // The event stream opens with the run unchanged: no chart fetches again for it.
      await page.waitForTimeout(2_500)
      assert.strictEqual(histories.length, 1)
      await post(`/api/v1/runs/${runId}/metrics`, {
        key: "live_accuracy",
        value: 0.5,
        step: 1
      })
      await page.locator("figure[data-metric='live_accuracy'] canvas").waitFor({ timeout: 15_000 })
    })
  })
})

describe("model registry", () => {
  it("shows the versions and the champion alias moving from v1 to v2", () =>
    visit("/models", async (page) => {
      await page.getByRole("link", { name: "penguins-classifier" }).click()
      await page.getByRole("table", { name: "Alias history" }).waitFor()
      const history = await page.getByRole("table", { name: "Alias history" }).innerText()
      assert.include(history, "moved v1 → v2")
      assert.include(history, "set to v1")
      await page.getByRole("list", { name: /Lineage of version 2/ }).waitFor()
      assert.include(await page.getByRole("list", { name: /Lineage/ }).innerText(), "palmer-penguins")
      await screenshot(page, "model")
    }))
})

describe("datasets", () => {
  it("shows a version's schema and profile with histograms and top values", () =>
    visit("/datasets", async (page) => {
      await page.getByRole("link", { name: "palmer-penguins" }).click()
      await page.locator("[data-column='bill_length_mm'] svg.histogram").waitFor()
      assert.include(await page.locator("[data-column='species']").innerText(), "Adelie")
      await screenshot(page, "dataset")
    }))
})

describe("accessibility", () => {
  const pages = async () => {
    const id = await experimentId()
    const runIds = await newestRunIds(3)
    return [
      ["experiments", "/", "table[aria-label='Experiments']"],
      ["runs", `/experiments/${id}?cols=status,start,m:val_accuracy,p:l2`, ".vtable-row"],
      ["run", `/runs/${runIds[0]}`, "figure canvas"],
      ["compare", `/compare?runs=${runIds.join(",")}`, "figure canvas"],
      ["models", "/models", "table[aria-label='Registered models']"],
      ["model", "/models/penguins-classifier", "ol.lineage"],
      ["datasets", "/datasets", "table[aria-label='Datasets']"],
      ["dataset", "/datasets/palmer-penguins", "svg.histogram"]
    ] as const
  }

  for (const theme of ["light", "dark"] as const)
    it(`every page has no WCAG A/AA violation in the ${theme} theme`, async () => {
      for (const [name, route, ready] of await pages())
        await visit(
          route,
          async (page) => {
            await page.locator(ready).first().waitFor()
            assert.strictEqual(await page.evaluate(() => document.documentElement.dataset.theme), theme)
            const violations = await axeViolations(page)
            await screenshot(page, `${name}-${theme}`)
            assert.deepStrictEqual(violations, [], `${name} (${theme})`)
          },
          theme
        )
    })
})
