import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Either, Layer, Queue } from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { deliveryClient } from "../../../src/operations/webhooks/delivery.js"
import { checkWebhookUrl, isPrivateAddress, PrivateAddressRefused } from "../../../src/operations/webhooks/url.js"
import { Webhooks, type WebhooksShape } from "../../../src/operations/webhooks/Webhooks.js"
import { SqliteTest } from "../../support/sqlite.js"
import { makeStore, receiver, testOptions } from "./support.js"

describe("private addresses", () => {
  // A NAT64 translator reaches any IPv4 address, so its prefixes are refused whole.
  const cases: ReadonlyArray<readonly [address: string, isPrivate: boolean, range: string]> = [
    ["127.0.0.1", true, "IPv4 loopback"],
    ["10.1.2.3", true, "RFC 1918"],
    ["172.20.0.1", true, "RFC 1918"],
    ["192.168.1.1", true, "RFC 1918"],
    ["169.254.169.254", true, "link-local (cloud metadata)"],
    ["100.64.0.1", true, "carrier-grade NAT"],
    ["0.0.0.0", true, "this network"],
    ["::", true, "IPv6 unspecified"],
    ["::1", true, "IPv6 loopback"],
    ["::127.0.0.1", true, "IPv4-compatible ::/96"],
    ["::7f00:1", true, "IPv4-compatible ::/96, hex"],
    ["::8.8.8.8", true, "IPv4-compatible ::/96, deprecated whole"],
    ["::ffff:127.0.0.1", true, "IPv4-mapped loopback"],
    ["::ffff:a9fe:a9fe", true, "IPv4-mapped metadata, hex"],
    ["64:ff9b::a9fe:a9fe", true, "NAT64 64:ff9b::/96"],
    ["64:ff9b::8.8.8.8", true, "NAT64 64:ff9b::/96"],
    ["64:ff9b:1::1", true, "local-use NAT64 64:ff9b:1::/48"],
    ["fec0::1", true, "site-local fec0::/10"],
    ["feff::1", true, "site-local fec0::/10, upper end"],
    ["fd00::1", true, "unique local"],
    ["fe80::1", true, "IPv6 link-local"],
    ["ff02::1", true, "IPv6 multicast"],
    ["2002:7f00:1::1", true, "6to4 of 127.0.0.1"],
    ["2002:a9fe:a9fe::", true, "6to4 of 169.254.169.254"],
    ["2002:c0a8:101:1::1", true, "6to4 of 192.168.1.1"],
    ["93.184.216.34", false, "public IPv4"],
    ["8.8.8.8", false, "public IPv4"],
    ["::ffff:8.8.8.8", false, "IPv4-mapped public"],
    ["2606:2800:220:1::1", false, "public IPv6"],
    ["2002:5db8:d822::1", false, "6to4 of public 93.184.216.34"],
    ["fe00::1", false, "below fe80::/10"],
    ["hooks.example.com", false, "a name, not an address"]
  ]
  for (const [address, expected, range] of cases) {
    it(`${address} (${range}) is ${expected ? "private" : "public"}`, () => {
      assert.strictEqual(isPrivateAddress(address), expected)
    })
  }

  it("a URL with an IPv4-compatible loopback literal is refused when saved", () => {
    assert.isTrue(Either.isLeft(checkWebhookUrl("url", "http://[::127.0.0.1]:8080/", false)))
  })
})

describe("the delivery client", () => {
  it.scoped("refuses at connect time a name that resolves to a private address", () =>
    Effect.gen(function* () {
      const target = yield* receiver()
      const client = yield* deliveryClient(false)
      const error = yield* Effect.flip(
        client.execute(HttpClientRequest.post(target.url.replace("127.0.0.1", "localhost")))
      )
      assert.instanceOf(error.cause, PrivateAddressRefused)
      assert.match(error.cause instanceof Error ? error.cause.message : "", /^localhost resolves to private address/)
      assert.strictEqual(yield* Queue.size(target.received), 0)
    })
  )

  it.scoped("connects to private addresses when they are allowed", () =>
    Effect.gen(function* () {
      const target = yield* receiver()
      const client = yield* deliveryClient(true)
      const response = yield* client.execute(HttpClientRequest.post(target.url.replace("127.0.0.1", "localhost")))
      assert.strictEqual(response.status, 200)
      assert.strictEqual(yield* Queue.size(target.received), 1)
    })
  )
})

/** A second `Webhooks` that refuses private networks, over the store of the lenient one. */
class Strict extends Context.Tag("test/webhooks/Strict")<Strict, WebhooksShape>() {}

const LenientAndStrict = Layer.merge(
  makeStore(SqliteTest),
  Layer.scoped(
    Strict,
    Effect.map(Layer.build(Webhooks.layer({ ...testOptions, allowPrivateNetworks: false })), Context.get(Webhooks))
  )
).pipe(Layer.provide(SqliteTest))

describe("deliveries with private networks refused", () => {
  // The URLs are saved while private networks are allowed, as a public name
  // later answering a private address would be.
  for (const [host, reason] of [
    ["localhost", /^localhost resolves to private address/],
    ["127.0.0.1", /^127\.0\.0\.1 is a private address$/]
  ] as const) {
    it.scoped(`a delivery to ${host} fails for good without reaching the receiver`, () =>
      Effect.gen(function* () {
        const target = yield* receiver()
        const lenient = yield* Webhooks
        yield* lenient.create({
          name: "ci",
          url: target.url.replace("127.0.0.1", host),
          events: ["model_version.created"]
        })
        const registry = yield* ModelRegistry
        yield* registry.createRegisteredModel({ name: "churn" })
        yield* registry.createModelVersion({ name: "churn", source: "s3://m/1" })

        const strict = yield* Strict
        assert.strictEqual(yield* strict.deliverDue(), 1)
        const [delivery] = yield* strict.deliveries()
        assert.deepInclude(delivery, { state: "failed", attempts: 1, lastStatus: null })
        assert.match(delivery?.lastError ?? "", reason)
        assert.strictEqual(yield* Queue.size(target.received), 0)
      }).pipe(Effect.provide(LenientAndStrict))
    )
  }
})
