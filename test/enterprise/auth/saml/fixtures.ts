import { Context, Effect, Layer, Option } from "effect"
import type { SamlConfig } from "../../../../src/enterprise/auth/saml/config.js"
import { makeTestIdp, makeTestKeyPair, type TestIdp, type TestKeyPair, type TestServiceProvider } from "./idp.js"

/** Us, as the test IdP addresses us. */
export const sp: TestServiceProvider = {
  entityId: "https://mlops.test/saml",
  acsUrl: "https://mlops.test/saml/acs"
}

/** One IdP and one impostor key pair, generated once per suite (openssl is slow-ish). */
export class Fixtures extends Context.Tag("test/saml/Fixtures")<
  Fixtures,
  { readonly idp: TestIdp; readonly impostor: TestKeyPair }
>() {
  static readonly layer: Layer.Layer<Fixtures> = Layer.effect(
    this,
    Effect.all({ idp: makeTestIdp(), impostor: makeTestKeyPair("impostor-idp") }, { concurrency: 2 })
  )
}

/** Our SAML configuration, trusting `idp`. */
export const configFor = (idp: TestIdp, overrides: Partial<SamlConfig> = {}): SamlConfig => ({
  entryPoint: idp.ssoUrl,
  idpIssuer: idp.entityId,
  idpCert: idp.keys.certificate,
  spEntityId: sp.entityId,
  callbackUrl: sp.acsUrl,
  spPrivateKey: Option.none(),
  spCert: Option.none(),
  groupsAttribute: "groups",
  tenantAttribute: Option.some("tenant"),
  emailAttribute: "email",
  nameAttribute: "displayName",
  clockSkewMs: 30_000,
  ...overrides
})
