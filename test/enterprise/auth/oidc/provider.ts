/**
 * A real OpenID Provider (oidc-provider 9) for tests, in-process on
 * 127.0.0.1 with a random port. It issues JWT access tokens for the
 * audiences it is given (client credentials) and runs the authorization-code
 * flow with PKCE behind a one-field login form, so a script (or a browser)
 * can sign in as one of its accounts.
 */
import { randomBytes, randomUUID } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"
import { exportJWK, generateKeyPair, type JWK } from "jose"
import Provider, { errors, type KoaContextWithOIDC } from "oidc-provider"

/** The one client the provider knows. */
export interface TestClient {
  readonly clientId: string
  readonly clientSecret: string
  readonly redirectUris: ReadonlyArray<string>
  readonly tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post"
  /** Extra top-level claims of the access tokens the client gets for itself (client credentials). */
  readonly claims: Readonly<Record<string, unknown>>
}

/** An end user who can sign in; `claims` are released in ID tokens (all of them, scope permitting). */
export interface TestAccount {
  readonly accountId: string
  readonly claims: Readonly<Record<string, unknown>>
}

export interface TestProviderOptions {
  readonly client?: Partial<TestClient>
  readonly accounts?: ReadonlyArray<TestAccount>
  /** Resource indicators the provider issues JWT access tokens for (default `https://api.mlops.test`). */
  readonly audiences?: ReadonlyArray<string>
  /** Claim names released under the `openid` scope besides `sub` (default `groups` and `tenant`). */
  readonly groupsClaim?: string
  readonly tenantClaim?: string
  /** Private signing keys (JWK with `kid`); pass the same ones to two providers to make them share keys. */
  readonly signingKeys?: ReadonlyArray<JWK>
  /** Access token lifetime in seconds (default 600). */
  readonly accessTokenTtl?: number
}

export interface TestProvider {
  readonly issuer: string
  readonly client: TestClient
  readonly accounts: ReadonlyArray<TestAccount>
  readonly audiences: ReadonlyArray<string>
  readonly signingKeys: ReadonlyArray<JWK>
  readonly provider: Provider
  readonly close: () => Promise<void>
}

export const defaultAudience = "https://api.mlops.test"

export const defaultAccounts: ReadonlyArray<TestAccount> = [
  {
    accountId: "alice",
    claims: {
      email: "alice@acme.test",
      email_verified: true,
      name: "Alice Liddell",
      preferred_username: "alice",
      groups: ["ml-engineers", "reviewers"],
      tenant: "acme"
    }
  },
  {
    accountId: "bob",
    claims: { preferred_username: "bob", groups: "viewers", tenant: "globex" }
  }
]

/** A fresh RS256 private signing key as a JWK with a random `kid`. */
export const generateSigningKey = async (): Promise<JWK> => {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true })
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "RS256", use: "sig" }
}

const readForm = (req: http.IncomingMessage): Promise<URLSearchParams> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))))
    req.on("error", reject)
  })

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

const loginPage = (uid: string, error?: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<h1>Test IdP sign-in</h1>${error === undefined ? "" : `<p role="alert">${escapeHtml(error)}</p>`}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Account <input name="login" autocomplete="username" autofocus></label>
<button type="submit">Sign in</button>
</form></body></html>`

/**
 * Starts the provider. Interactions are ours, not oidc-provider's dev pages:
 * `GET /interaction/:uid` shows a form with a single `login` field (an
 * account id; no password), `POST /interaction/:uid/login` signs that account
 * in, and the consent prompt that follows is granted without a page, as a
 * first-party application's would be.
 *
 * @example
 * ```ts
 * const idp = await startOidcProvider({
 *   client: { clientId: "mlops-ui", clientSecret: "s3cret", redirectUris: [`${appUrl}/oidc/callback`] }
 * })
 * // MLOPS_OIDC_ISSUER=idp.issuer; a browser then signs in as "alice" by typing it in the form
 * await idp.close()
 * ```
 */
export const startOidcProvider = async (options: TestProviderOptions = {}): Promise<TestProvider> => {
  const accounts = options.accounts ?? defaultAccounts
  const audiences = options.audiences ?? [defaultAudience]
  const groupsClaim = options.groupsClaim ?? "groups"
  const tenantClaim = options.tenantClaim ?? "tenant"
  const signingKeys = options.signingKeys ?? [await generateSigningKey()]
  const accessTokenTtl = options.accessTokenTtl ?? 600
  const client: TestClient = {
    clientId: "mlops-ui",
    clientSecret: randomBytes(24).toString("base64url"),
    redirectUris: ["https://mlops.example.test/oidc/callback"],
    tokenEndpointAuthMethod: "client_secret_basic",
    claims: { groups: ["pipelines"], tenant: "acme" },
    ...options.client
  }

  // The issuer contains the port, so the server listens before the provider exists.
  let provider: Provider | undefined
  const server = http.createServer((req, res) => {
    if (provider === undefined) {
      res.writeHead(503).end()
      return
    }
    const current = provider
    const route = /^\/interaction\/([^/?]+)(\/login)?(?:\?.*)?$/.exec(req.url ?? "")
    if (route === null) {
      current.callback()(req, res)
      return
    }
    interact(current, route[1]!, route[2] !== undefined, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(400, { "content-type": "text/plain" })
      res.end(error instanceof Error ? error.message : String(error))
    })
  })

  const interact = async (
    current: Provider,
    uid: string,
    submitted: boolean,
    req: http.IncomingMessage,
    res: http.ServerResponse
  ) => {
    const interaction = await current.interactionDetails(req, res)
    if (interaction.uid !== uid) throw new Error("interaction mismatch")
    if (interaction.prompt.name === "login") {
      if (!submitted || req.method !== "POST") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(loginPage(uid))
        return
      }
      const login = (await readForm(req)).get("login") ?? ""
      if (!accounts.some((account) => account.accountId === login)) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(loginPage(uid, "Unknown account"))
        return
      }
      await current.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false })
      return
    }
    // consent: grant what the client asked for
    const details = interaction.prompt.details as {
      readonly missingOIDCScope?: ReadonlyArray<string>
      readonly missingOIDCClaims?: ReadonlyArray<string>
      readonly missingResourceScopes?: Readonly<Record<string, ReadonlyArray<string>>>
    }
    const clientId = String(interaction.params.client_id)
    const grant =
      interaction.grantId === undefined
        ? new current.Grant({ accountId: interaction.session?.accountId, clientId })
        : await current.Grant.find(interaction.grantId)
    if (grant === undefined) throw new Error("grant not found")
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(" "))
    if (details.missingOIDCClaims) grant.addOIDCClaims([...details.missingOIDCClaims])
    for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(" "))
    }
    const grantId = await grant.save()
    await current.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [...client.redirectUris],
        grant_types: ["authorization_code", "client_credentials"],
        response_types: ["code"],
        token_endpoint_auth_method: client.tokenEndpointAuthMethod
      }
    ],
    jwks: { keys: signingKeys.map((key) => ({ ...key })) },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    findAccount: (_ctx, sub) => {
      const account = accounts.find((candidate) => candidate.accountId === sub)
      return account === undefined ? undefined : { accountId: sub, claims: () => ({ ...account.claims, sub }) }
    },
    claims: {
      openid: ["sub", groupsClaim, tenantClaim],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username"]
    },
    // Like most IdPs, put the scope's claims in the ID token, not only behind userinfo.
    conformIdTokenClaims: false,
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: {
      ClientCredentials: accessTokenTtl,
      AccessToken: accessTokenTtl,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600
    },
    extraTokenClaims: (_ctx, token) => (token.kind === "ClientCredentials" ? { ...client.claims } : undefined),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        getResourceServerInfo: (_ctx, resource) => {
          if (!audiences.includes(resource)) throw new errors.InvalidTarget()
          return { scope: "mlops", audience: resource, accessTokenFormat: "jwt", accessTokenTTL: accessTokenTtl }
        }
      }
    }
  })

  return {
    issuer,
    client,
    accounts,
    audiences,
    signingKeys,
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/**
 * {@link startOidcProvider} as a scoped resource: closed when the scope closes.
 *
 * @example
 * ```ts
 * it.scopedLive("…", () => Effect.gen(function* () { const idp = yield* testProvider(); … }))
 * ```
 */
export const testProvider = (options?: TestProviderOptions): Effect.Effect<TestProvider, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startOidcProvider(options)),
    (started) => Effect.promise(() => started.close())
  )

/** A client-credentials access token (a JWT) for `resource`, fetched from the provider's token endpoint. */
export const clientCredentialsToken = async (started: TestProvider, resource: string): Promise<string> => {
  const response = await fetch(`${started.issuer}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(
        `${encodeURIComponent(started.client.clientId)}:${encodeURIComponent(started.client.clientSecret)}`
      ).toString("base64")}`
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource, scope: "mlops" })
  })
  const body = (await response.json()) as { readonly access_token?: string; readonly error?: string }
  if (!response.ok || body.access_token === undefined) {
    throw new Error(`client credentials failed: ${response.status} ${JSON.stringify(body)}`)
  }
  return body.access_token
}

/** Cookies by name, each sent only under its path, which is all the provider's cookies need. */
class CookieJar {
  private readonly cookies = new Map<string, { value: string; path: string }>()

  store(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = header.split(";").map((part) => part.trim())
      const eq = pair.indexOf("=")
      const name = pair.slice(0, eq)
      const value = pair.slice(eq + 1)
      const path = attributes.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/"
      const expired = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=thu, 01 jan 1970/i.test(a))
      if (expired || value === "") this.cookies.delete(name)
      else this.cookies.set(name, { value, path })
    }
  }

  header(url: URL): string {
    return [...this.cookies]
      .filter(
        ([, cookie]) =>
          url.pathname === cookie.path ||
          url.pathname.startsWith(`${cookie.path.replace(/\/$/, "")}/`) ||
          cookie.path === "/"
      )
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join("; ")
  }
}

/** The parameters the provider sent back to the redirect URI. */
export type AuthorizationResponse = Readonly<Record<string, string>>

/**
 * Plays the browser for an authorization URL: follows the provider's
 * redirects with its cookies, submits the login form as `accountId`, and
 * returns the query of the final redirect to the client's redirect URI.
 */
export const authorizeByHttp = async (
  started: TestProvider,
  authorizationUrl: string,
  accountId: string
): Promise<AuthorizationResponse> => {
  const jar = new CookieJar()
  const redirectUris = started.client.redirectUris
  let request: { url: URL; init: RequestInit } = { url: new URL(authorizationUrl), init: { method: "GET" } }
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(request.url, {
      ...request.init,
      redirect: "manual",
      headers: { ...(request.init.headers as Record<string, string> | undefined), cookie: jar.header(request.url) }
    })
    jar.store(response)
    const location = response.headers.get("location")
    if (response.status >= 300 && response.status < 400 && location !== null) {
      const next = new URL(location, request.url)
      if (redirectUris.some((uri) => next.href.startsWith(uri))) {
        return Object.fromEntries(next.searchParams)
      }
      request = { url: next, init: { method: "GET" } }
      continue
    }
    const body = await response.text()
    if (response.status === 200 && body.includes('name="login"')) {
      if (body.includes("Unknown account")) throw new Error(`the provider does not know ${accountId}`)
      request = {
        url: new URL(`${request.url.pathname.replace(/\/$/, "")}/login`, request.url),
        init: {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ login: accountId }).toString()
        }
      }
      continue
    }
    throw new Error(`unexpected ${response.status} from ${request.url.href}: ${body.slice(0, 300)}`)
  }
  throw new Error("too many redirects")
}
