/**
 * A minimal issuer the test controls completely: a discovery document that
 * can be switched off and a JSON Web Key Set that can gain keys while a
 * verifier is using it. Tokens are signed here with jose. For what a real
 * provider cannot be made to do on cue (key rotation, an outage).
 */
import { randomUUID } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, type Scope } from "effect"
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose"

export interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly publicJwk: JWK
}

export interface KeyServer {
  readonly issuer: string
  /** Requests served so far, by document. */
  readonly requests: { discovery: number; jwks: number }
  /** While false, the discovery document answers 503. */
  discoveryAvailable: boolean
  /** While false, the key set answers 503. */
  jwksAvailable: boolean
  /** Adds a key's public half to the key set. */
  readonly publish: (key: SigningKey) => void
  readonly close: () => Promise<void>
}

export const generateEs256Key = async (): Promise<SigningKey> => {
  const kid = randomUUID()
  const { privateKey, publicKey } = await generateKeyPair("ES256")
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } }
}

/** A token signed by `key`, valid for ten minutes from now. */
export const signToken = (key: SigningKey, claims: JWTPayload): Promise<string> =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "at+jwt" })
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key.privateKey)

export const startKeyServer = async (): Promise<KeyServer> => {
  const keys: Array<JWK> = []
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
    if (req.url === "/.well-known/openid-configuration") {
      state.requests.discovery++
      if (!state.discoveryAvailable) return json(503, { error: "temporarily_unavailable" })
      return json(200, { issuer: state.issuer, jwks_uri: `${state.issuer}/jwks` })
    }
    if (req.url === "/jwks") {
      state.requests.jwks++
      if (!state.jwksAvailable) return json(503, { error: "temporarily_unavailable" })
      return json(200, { keys })
    }
    return json(404, {})
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const state: KeyServer = {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: { discovery: 0, jwks: 0 },
    discoveryAvailable: true,
    jwksAvailable: true,
    publish: (key) => {
      keys.push(key.publicJwk)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
  return state
}

/** {@link startKeyServer} as a scoped resource. */
export const keyServer: Effect.Effect<KeyServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(startKeyServer),
  (started) => Effect.promise(() => started.close())
)
