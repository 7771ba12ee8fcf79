import { lookup } from "node:dns/promises"
import { BlockList, isIP } from "node:net"
import { Effect, Either } from "effect"
import { InvalidArgument } from "../../core/errors.js"

// Loopback, private, link-local (cloud metadata at 169.254.169.254),
// carrier-grade NAT, benchmarking, multicast and reserved ranges: a webhook
// aimed there would let a tenant probe the server's own network.
const privateRanges = new BlockList()
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3]
] as const) {
  privateRanges.addSubnet(network, prefix, "ipv4")
}
for (const [network, prefix] of [
  ["::", 127],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8]
] as const) {
  privateRanges.addSubnet(network, prefix, "ipv6")
}

/** Whether an IP address (v4, v6 or v4-mapped v6) is loopback, private, link-local or otherwise not public. */
export const isPrivateAddress = (address: string): boolean => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1]
  if (mapped !== undefined) return privateRanges.check(mapped, "ipv4")
  const family = isIP(address)
  return family === 0 ? false : privateRanges.check(address, family === 4 ? "ipv4" : "ipv6")
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1")

/**
 * A subscription's URL, checked when it is saved: `http:` or `https:`, no
 * user name or password (the secret signs, credentials would sit in the
 * delivery log), and, unless private networks are allowed, not a literal
 * private address or `localhost`.
 */
export const checkWebhookUrl = (
  field: string,
  text: string,
  allowPrivateNetworks: boolean
): Either.Either<URL, InvalidArgument> => {
  const invalid = (reason: string) => Either.left(new InvalidArgument({ field, reason }))
  if (!URL.canParse(text)) return invalid("must be an absolute http or https URL")
  const url = new URL(text)
  if (url.protocol !== "http:" && url.protocol !== "https:") return invalid("must be an http or https URL")
  if (url.username !== "" || url.password !== "") return invalid("must not carry a user name or password")
  if (text.length > 2048) return invalid("must be at most 2048 characters")
  const host = hostOf(url)
  if (!allowPrivateNetworks && (isPrivateAddress(host) || host === "localhost" || host.endsWith(".localhost"))) {
    return invalid("points at a private or loopback address, which this server does not allow")
  }
  return Either.right(url)
}

/**
 * Checked again before every request, on what the name resolves to now: a
 * public name may later resolve to a private address (DNS rebinding). Fails
 * with the reason when it does or does not resolve at all.
 */
export const checkResolvedHost = (url: URL): Effect.Effect<void, string> => {
  const host = hostOf(url)
  if (isIP(host) !== 0) return isPrivateAddress(host) ? Effect.fail(`${host} is a private address`) : Effect.void
  return Effect.tryPromise({
    try: () => lookup(host, { all: true, verbatim: true }),
    catch: () => `${host} does not resolve`
  }).pipe(
    Effect.flatMap((addresses) => {
      const blocked = addresses.find((entry) => isPrivateAddress(entry.address))
      return blocked === undefined ? Effect.void : Effect.fail(`${host} resolves to private address ${blocked.address}`)
    })
  )
}
