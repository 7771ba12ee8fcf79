import * as fs from "node:fs"
import * as path from "node:path"
import { type Context, Effect, Exit, Layer, Scope } from "effect"
import type { Browser, Page } from "playwright-core"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { CurrentTenant } from "../../src/core/context.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { acme, globex, makeSsoServer, SsoFixture } from "../enterprise/http/sso/fixture.js"
import { axeViolations, launchBrowser, screenshot } from "./browser.js"

/*
 * Signing in to the web UI of the enterprise server (PostgreSQL, sessions,
 * SSO routes) in a real Chromium, through a real OpenID Provider
 * (oidc-provider, its one-field login form) and a SAML IdP (samlify behind a
 * small sign-in page that posts the signed response to our ACS).
 */

const uiDir = path.resolve("dist", "ui")
const scope = Effect.runSync(Scope.make())
let context: Context.Context<SsoFixture | ExperimentTracker>
let fixture: Context.Tag.Service<typeof SsoFixture>
let browser: Browser

const run = <A, E>(effect: Effect.Effect<A, E, SsoFixture | ExperimentTracker>) =>
  Effect.runPromise(Effect.provide(effect, context))

beforeAll(async () => {
  assert.isTrue(fs.existsSync(path.join(uiDir, "index.html")), "run `npm run build:ui` before the e2e tests")
  context = await Effect.runPromise(Scope.extend(Layer.build(makeSsoServer({ ui: uiDir })), scope))
  fixture = await run(SsoFixture)
  await run(
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      yield* tracker.createExperiment({ name: "acme-forecasting" }).pipe(Effect.provideService(CurrentTenant, acme))
      yield* tracker.createExperiment({ name: "globex-churn" }).pipe(Effect.provideService(CurrentTenant, globex))
      // samlify validates AuthnRequests with xmllint compiled to JavaScript, whose first use takes ~10 s.
      const login = yield* Effect.promise(() => fetch(`${fixture.url}/auth/saml/login`, { redirect: "manual" }))
      yield* fixture.saml.idp.readLoginRequest(fixture.saml.sp, login.headers.get("location") ?? "")
    })
  )
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

/**
 * A fresh browser context on our server. Console errors of our own origin
 * fail the test unless `expected` names them (Chromium logs the 401 of
 * `/auth/me` on the sign-in page); the identity providers' pages are not ours.
 */
const session = async (theme: "light" | "dark" = "light") => {
  const browserContext = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: theme })
  const page = await browserContext.newPage()
  const errors: Array<string> = []
  page.on("console", (message) => {
    if (message.type() === "error" && message.location().url.startsWith(fixture.url)) errors.push(message.text())
  })
  page.on("pageerror", (error) => errors.push(error.message))
  const unexpected = (expected: ReadonlyArray<RegExp>) =>
    errors.filter((error) => !expected.some((pattern) => pattern.test(error)))
  return { page, unexpected, close: () => browserContext.close() }
}

const assertAccessible = async (page: Page, name: string) => {
  const violations = await axeViolations(page)
  await screenshot(page, name)
  assert.deepStrictEqual(violations, [], name)
}

const signInPage = async (page: Page) => {
  await page.getByRole("heading", { name: "Sign in" }).waitFor()
}

describe("single sign-on", () => {
  it("signs in through OIDC, shows the user, switches tenant and signs out", async () => {
    const { page, unexpected, close } = await session()
    try {
      await page.goto(`${fixture.url}/`)
      await signInPage(page)
      assert.strictEqual(await page.getByRole("link", { name: "Sign in with SAML" }).count(), 1)
      await assertAccessible(page, "sso-login")

      await page.getByRole("link", { name: "Sign in with SSO (OIDC)" }).click()
      await page.waitForURL((url) => url.href.startsWith(fixture.oidc.issuer))
      await page.getByLabel("Account").fill("alice")
      await page.getByRole("button", { name: "Sign in" }).click()

      await page.waitForURL(`${fixture.url}/`)
      const header = page.locator("header")
      await header.getByText("Alice Liddell").waitFor()
      await page.getByRole("row", { name: /acme-forecasting/ }).waitFor()
      assert.strictEqual(await page.getByRole("row", { name: /globex-churn/ }).count(), 0)
      const tenant = page.getByLabel("Tenant")
      assert.strictEqual(await tenant.inputValue(), "acme")
      // The session cookie is out of the page's reach; the anti-forgery token is not.
      const cookies = await page.evaluate(() => document.cookie)
      assert.notInclude(cookies, "mlops_session")
      assert.include(cookies, "mlops_csrf=")
      await assertAccessible(page, "sso-oidc-signed-in")

      await tenant.selectOption("globex")
      await page.getByRole("row", { name: /globex-churn/ }).waitFor()
      assert.strictEqual(await page.getByRole("row", { name: /acme-forecasting/ }).count(), 0)
      assert.strictEqual(await page.getByLabel("Tenant").inputValue(), "globex")
      await screenshot(page, "sso-tenant-switched")

      // Writes (a search is a POST) carry the CSRF token: the runs page of globex's experiment loads.
      await page.getByRole("link", { name: "globex-churn" }).click()
      await page.locator("output").filter({ hasText: "No runs match." }).waitFor()

      await header.getByRole("button", { name: "Sign out" }).click()
      await signInPage(page)
      assert.notInclude(await page.evaluate(() => document.cookie), "mlops_csrf=")
      await page.reload()
      await signInPage(page)
      await screenshot(page, "sso-signed-out")
      assert.deepStrictEqual(unexpected([/status of 401/]), [])
    } finally {
      await close()
    }
  })

  it("signs in through SAML, back on the page asked for, and signs out", async () => {
    const { page, unexpected, close } = await session("dark")
    try {
      await page.goto(`${fixture.url}/models`)
      await signInPage(page)
      await assertAccessible(page, "sso-login-dark")
      await page.getByRole("link", { name: "Sign in with SAML" }).click()
      await page.waitForURL((url) => url.href.startsWith(fixture.saml.idp.ssoUrl))
      await page.getByLabel("NameID").fill("sam")
      await page.getByRole("button", { name: "Sign in" }).click()

      // The IdP's page posts the signed response to our ACS, which sends the browser back to /models.
      await page.waitForURL(`${fixture.url}/models`)
      const header = page.locator("header")
      await header.getByText("Sam Vimes").waitFor()
      await page.getByRole("heading", { name: "Models" }).waitFor()
      assert.include(await header.innerText(), "globex")
      await assertAccessible(page, "sso-saml-signed-in-dark")

      await header.getByRole("button", { name: "Sign out" }).click()
      await signInPage(page)
      assert.deepStrictEqual(unexpected([/status of 401/]), [])
    } finally {
      await close()
    }
  })

  it("an API call refused for want of a session brings the sign-in page back", async () => {
    const { page, unexpected, close } = await session()
    try {
      await page.goto(`${fixture.url}/`)
      await signInPage(page)
      await page.getByRole("link", { name: "Sign in with SSO (OIDC)" }).click()
      await page.getByLabel("Account").fill("bob")
      await page.getByRole("button", { name: "Sign in" }).click()
      await page.locator("header").getByText("bob").waitFor()
      await page.getByRole("row", { name: /globex-churn/ }).waitFor()
      // The session ends elsewhere (another tab signs out): the next API call answers 401.
      await page.context().clearCookies()
      await page.getByRole("link", { name: "Models" }).click()
      await signInPage(page)
      assert.include(
        await page.getByRole("link", { name: "Sign in with SSO (OIDC)" }).getAttribute("href"),
        "next=%2Fmodels"
      )
      assert.deepStrictEqual(unexpected([/status of 401/]), [])
    } finally {
      await close()
    }
  })
})
