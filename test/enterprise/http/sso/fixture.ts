/**
 * The enterprise server with single sign-on, for the SSO route tests and the
 * browser tests: PostgreSQL (a fresh database), the enterprise layer, the
 * server's routes with authentication by API key or session cookie, the SSO
 * routes, a real OpenID Provider (oidc-provider) and a SAML IdP (samlify)
 * with a tiny HTTP front end that signs a user in and posts the response to
 * our ACS, as a real IdP's HTTP-POST binding does.
 */
import { createServer } from "node:http"
import * as http from "node:http"
import type * as net from "node:net"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import {
  ConfigProvider,
  Context,
  Duration,
  Effect,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  type Scope
} from "effect"
import { makeEnterpriseLayer } from "../../../../layers/Enterprise.js"
import { makePostgresLayer } from "../../../../layers/Postgres.js"
import { CurrentTenant, TenantId } from "../../../../src/core/context.js"
import { makeApiKeyAuthenticator } from "../../../../src/enterprise/auth/apiKeys/authenticator.js"
import { Authenticator } from "../../../../src/enterprise/auth/Authenticator.js"
import { ExternalIdentity } from "../../../../src/enterprise/auth/identity.js"
import { oidcConfig } from "../../../../src/enterprise/auth/oidc/config.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import type { SamlConfig } from "../../../../src/enterprise/auth/saml/config.js"
import { makeSessionAuthenticator } from "../../../../src/enterprise/auth/session/authenticator.js"
import type { SessionConfig } from "../../../../src/enterprise/auth/session/config.js"
import { SsoDirectory } from "../../../../src/enterprise/auth/session/SsoDirectory.js"
import { Sessions } from "../../../../src/enterprise/auth/session/Sessions.js"
import { authentication } from "../../../../src/enterprise/http/authentication.js"
import { makeSsoRoutes } from "../../../../src/enterprise/http/sso/SsoRoutes.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { makeRoutesWith } from "../../../../src/http/server/Server.js"
import { freePort } from "../../../support/freePort.js"
import { databaseUrl, freshDatabase } from "../../../support/postgres.js"
import { tempDir } from "../../../support/sqlite.js"
import { type TestProvider, testProvider } from "../../auth/oidc/provider.js"
import { makeTestIdp, type TestIdp, type TestServiceProvider } from "../../auth/saml/idp.js"

export const acme = TenantId.make("acme")
export const globex = TenantId.make("globex")

export const sessionKey = "a-test-session-key-of-at-least-32-characters"

/** The server's session settings; tests seal their own cookies with them. */
export const sessionConfig: SessionConfig = {
  key: Redacted.make(sessionKey),
  previousKey: Option.some(Redacted.make("the-previous-session-key-of-32-characters-or-more")),
  maxAge: Duration.hours(12),
  alwaysSecure: false
}

/** People of the OpenID Provider: the tenant claim decides where they land. */
export const oidcAccounts = [
  {
    accountId: "alice",
    claims: {
      email: "alice@acme.test",
      email_verified: true,
      name: "Alice Liddell",
      groups: ["ml-engineers", "reviewers"],
      tenant: "acme"
    }
  },
  { accountId: "bob", claims: { preferred_username: "bob", groups: "viewers", tenant: "globex" } },
  { accountId: "carol", claims: { email: "carol@example.test", name: "Carol" } },
  { accountId: "dave", claims: { email: "dave@example.test", tenant: "nowhere" } },
  { accountId: "erin", claims: { email: "erin@acme.test", tenant: "acme" } }
]

/** People of the SAML IdP, by NameID. */
export const samlAccounts: Readonly<Record<string, Readonly<Record<string, string | ReadonlyArray<string>>>>> = {
  sam: { email: "sam@globex.test", displayName: "Sam Vimes", groups: ["analysts", "watch"], tenant: "globex" },
  sybil: { email: "sybil@acme.test", displayName: "Sybil Ramkin", groups: "dragons" }
}

/** The SAML IdP's HTTP front end: a sign-in form, then a page that posts the signed response to the ACS. */
export interface SamlIdpServer {
  readonly idp: TestIdp
  /** Us, as the IdP knows us. */
  readonly sp: TestServiceProvider
}

export class SsoFixture extends Context.Tag("test/SsoFixture")<
  SsoFixture,
  {
    readonly url: string
    readonly oidc: TestProvider
    readonly saml: SamlIdpServer
  }
>() {}

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const readForm = (req: http.IncomingMessage): Promise<URLSearchParams> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))))
    req.on("error", reject)
  })

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`

/**
 * Serves the test IdP over HTTP: `GET /sso` (the HTTP-Redirect binding our
 * login URL points at) shows a one-field sign-in form; `POST /sso/login`
 * reads our AuthnRequest, signs a response for that user answering it, and
 * returns a page that posts it to our ACS with the RelayState at once (a
 * button without JavaScript).
 */
const startSamlIdp = (sp: TestServiceProvider): Effect.Effect<SamlIdpServer, never, Scope.Scope> =>
  Effect.gen(function* () {
    let idp: TestIdp | undefined
    const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://idp.local")
      if (idp === undefined) return void res.writeHead(503).end()
      if (req.method === "GET" && url.pathname === "/sso") {
        const form = `<h1>Test SAML IdP sign-in</h1><form method="post" action="/sso/login">
<input type="hidden" name="query" value="${escapeHtml(url.search.slice(1))}">
<label>NameID <input name="login" autocomplete="username" autofocus></label>
<button type="submit">Sign in</button></form>`
        return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page("Test IdP", form))
      }
      if (req.method === "POST" && url.pathname === "/sso/login") {
        const form = await readForm(req)
        const login = form.get("login") ?? ""
        const attributes = samlAccounts[login]
        if (attributes === undefined) {
          return void res
            .writeHead(200, { "content-type": "text/html; charset=utf-8" })
            .end(page("Test IdP", `<p role="alert">Unknown NameID</p>`))
        }
        const current = idp
        const loginUrl = `${current.ssoUrl}?${form.get("query") ?? ""}`
        const request = await Effect.runPromise(current.readLoginRequest(sp, loginUrl))
        const SAMLResponse = await Effect.runPromise(
          current.samlResponse(sp, { nameId: login, attributes, inResponseTo: request.id })
        )
        const post = `<form method="post" action="${escapeHtml(sp.acsUrl)}">
<input type="hidden" name="SAMLResponse" value="${escapeHtml(SAMLResponse)}">
${request.relayState === undefined ? "" : `<input type="hidden" name="RelayState" value="${escapeHtml(request.relayState)}">`}
<noscript><button type="submit">Continue</button></noscript></form>
<script>document.forms[0].submit()</script>`
        return void res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page("Signing in", post))
      }
      res.writeHead(404).end()
    }
    const server = http.createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" })
        res.end(String(error))
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.promise(
        () =>
          new Promise<number>((resolve) =>
            server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port))
          )
      ),
      () =>
        Effect.promise(
          () =>
            new Promise<void>((resolve) => {
              server.close(() => resolve())
              server.closeAllConnections()
            })
        )
    )
    idp = yield* makeTestIdp({ entityId: "https://idp.test/saml", ssoUrl: `http://127.0.0.1:${port}/sso` })
    return { idp, sp }
  })

/** Options of {@link makeSsoServer}. */
export interface SsoServerOptions {
  /** The built web UI to serve, or none (default). */
  readonly ui?: string | false
}

/**
 * The whole setup as a layer: the fixture, and the enterprise services
 * (plus `Sessions`) so tests can seed and inspect data.
 */
export const makeSsoServer = (options: SsoServerOptions = {}) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const database = yield* freshDatabase
      const dataPath = yield* tempDir("sso-server")
      const port = yield* freePort
      const origin = `http://127.0.0.1:${port}`
      const oidc = yield* testProvider({
        client: { redirectUris: [`${origin}/auth/oidc/callback`] },
        accounts: oidcAccounts
      })
      const saml = yield* startSamlIdp({ entityId: `${origin}/auth/saml/metadata`, acsUrl: `${origin}/auth/saml/acs` })
      const samlSettings: SamlConfig = {
        entryPoint: saml.idp.ssoUrl,
        idpIssuer: saml.idp.entityId,
        idpCert: saml.idp.keys.certificate,
        spEntityId: saml.sp.entityId,
        callbackUrl: saml.sp.acsUrl,
        spPrivateKey: Option.none(),
        spCert: Option.none(),
        groupsAttribute: "groups",
        tenantAttribute: Option.some("tenant"),
        emailAttribute: "email",
        nameAttribute: "displayName",
        clockSkewMs: 30_000
      }
      const oidcSettings = yield* oidcConfig.pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["MLOPS_OIDC_ISSUER", oidc.issuer],
              ["MLOPS_OIDC_CLIENT_ID", oidc.client.clientId],
              ["MLOPS_OIDC_CLIENT_SECRET", oidc.client.clientSecret],
              ["MLOPS_OIDC_REDIRECT_URI", `${origin}/auth/oidc/callback`],
              ["MLOPS_OIDC_TENANT_CLAIM", "tenant"]
            ])
          )
        ),
        Effect.orDie
      )
      const database_ = {
        url: Redacted.make(databaseUrl(database, "app")),
        adminUrl: Redacted.make(databaseUrl(database, "admin"))
      }
      const services = Layer.mergeAll(
        makeEnterpriseLayer({
          database: database_,
          dataPath,
          apiKeyPepper: Redacted.make("a-test-pepper-of-at-least-32-characters"),
          auditKey: Redacted.make("an-audit-key-of-at-least-32-characters!")
        }),
        Sessions.layer(sessionConfig),
        // The enterprise layer keeps its SqlClient to itself; the directory gets a pool of its own here.
        SsoDirectory.layer.pipe(Layer.provide(makePostgresLayer({ ...database_, maxConnections: 2 })))
      )
      const AuthLive = Layer.effect(
        Authenticator,
        Effect.map(Effect.all([makeApiKeyAuthenticator, makeSessionAuthenticator]), Authenticator.firstOf)
      )
      const routes = Layer.mergeAll(
        makeRoutesWith({ ui: options.ui ?? false }, authentication.pipe(Layer.provide(AuthLive))),
        makeSsoRoutes({ oidc: oidcSettings, saml: samlSettings, defaultTenant: "default" })
      )
      const server = HttpLayerRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
        Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })),
        Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))
      )
      const seed = Layer.effectDiscard(
        Effect.gen(function* () {
          const tenants = yield* Tenants
          const principals = yield* Principals
          yield* tenants.create({ tenantId: acme, displayName: "Acme" })
          yield* tenants.create({ tenantId: globex, displayName: "Globex" })
          // An administrator added Alice to globex too, where she has her own principal.
          yield* principals
            .provision(
              new ExternalIdentity({
                provider: "oidc",
                issuer: oidc.issuer,
                subject: "alice",
                email: "alice@acme.test",
                displayName: "Alice Liddell",
                groups: ["visitors"]
              })
            )
            .pipe(Effect.provideService(CurrentTenant, globex))
        })
      )
      return Layer.mergeAll(Layer.succeed(SsoFixture, { url: origin, oidc, saml }), server).pipe(
        Layer.provide(seed),
        Layer.provideMerge(services)
      )
    })
  )
