import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { type Browser, chromium, type Page } from "playwright-core"

/** Debian's Chromium; a downloaded browser does not work on these machines. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic"
    ]
  })

/** Where the e2e tests save screenshots. */
export const screenshotDir = path.resolve("test-output", "ui")

/** A page whose console errors and uncaught exceptions are collected in `errors`. */
export const openPage = async (browser: Browser, theme: "light" | "dark" = "light") => {
  const context = await browser.newContext({
    viewport: { width: 1360, height: 900 },
    colorScheme: theme
  })
  const page = await context.newPage()
  const errors: Array<string> = []
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text())
  })
  page.on("pageerror", (error) => errors.push(error.message))
  return { page, errors, close: () => context.close() }
}

export const screenshot = async (page: Page, name: string) => {
  fs.mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({
    path: path.join(screenshotDir, `${name}.png`),
    fullPage: true
  })
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8")

export interface AxeViolation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly nodes: ReadonlyArray<string>
}

/** WCAG 2.x A and AA violations on the page, by axe-core. */
export const axeViolations = async (page: Page): Promise<ReadonlyArray<AxeViolation>> => {
  // Evaluated over the DevTools protocol: the UI's CSP (rightly) refuses injected script tags.
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (context: Document, options: object) => Promise<AxeResults>
        }
      }
    ).axe
    interface AxeResults {
      violations: Array<{
        id: string
        impact: string | null
        help: string
        nodes: Array<{ target: Array<string> }>
      }>
    }
    const results = await axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
      }
    })
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" "))
    }))
  })
}
