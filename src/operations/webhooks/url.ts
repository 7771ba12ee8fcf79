import { lookup as dnsLookup } from "node:dns"
import { BlockList, isIP, type LookupFunction } from "node:net"
import { Either } from "effect"
import { InvalidArgument } from "../../core/errors.js"

// Loopback, private, link-local (cloud metadata at 169.254.169.254),
// carrier-grade NAT, benchmarking, multicast and reserved ranges: a webhook
// aimed there would let a tenant probe the server's own network. IPv4-mapped
// IPv6 addresses (`::ffff:a.b.c.d`) are checked against the IPv4 ranges by
// `BlockList` itself.
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
  // unspecified, loopback and the deprecated IPv4-compatible `::a.b.c.d`
  ["::", 96],
  // NAT64 (well-known and local-use prefixes): a translator reaches any IPv4
  // address, private ones included
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["fc00::", 7],
  ["fe80::", 10],
  // site-local, deprecated but still routed by some networks
  ["fec0::", 10],
  ["ff00::", 8]
] as const) {
  privateRanges.addSubnet(network, prefix, "ipv6")
}

/** The eight 16-bit groups of a valid IPv6 address, a dotted IPv4 tail counting as two. */
const ipv6Groups = (address: string): ReadonlyArray<number> => {
  const groups = (text: string) =>
    text === ""
      ? []
      : text.split(":").flatMap((part) => {
          if (!part.includes(".")) return [Number.parseInt(part, 16)]
          const [a = 0, b = 0, c = 0, d = 0] = part.split(".").map(Number)
          return [(a << 8) | b, (c << 8) | d]
        })
  const [head = "", tail] = address.split("::")
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  return [...left, ...Array.from({ length: 8 - left.length - right.length }, () => 0), ...right]
}

/** Whether an IP address (v4 or v6) is loopback, private, link-local or otherwise not public. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address)
  if (family === 4) return privateRanges.check(address, "ipv4")
  if (family !== 6) return false
  if (privateRanges.check(address, "ipv6")) return true
  // 6to4 (2002::/16) carries an IPv4 address in its next 32 bits, which a
  // relay would reach.
  const [first, high = 0, low = 0] = ipv6Groups(address)
  return first === 0x2002 && privateRanges.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, "ipv4")
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
 * Why a request to `url` must not be sent, when its host is a literal
 * private address: a socket connects to a literal without any lookup, so
 * {@link publicOnlyLookup} never sees it. Names are checked by that lookup.
 */
export const literalHostRefusal = (url: URL): string | undefined => {
  const host = hostOf(url)
  return isPrivateAddress(host) ? `${host} is a private address` : undefined
}

/** A connection refused by {@link publicOnlyLookup}: its name resolved to a private address. */
export class PrivateAddressRefused extends Error {
  readonly code = "EPRIVATEADDRESS"
  constructor(hostname: string, address: string) {
    super(`${hostname} resolves to private address ${address}`)
    this.name = "PrivateAddressRefused"
  }
}

/**
 * A `lookup` for sockets (`net.connect`, an HTTP agent's `lookup` option) that
 * fails with {@link PrivateAddressRefused} when the name resolves to any
 * private address. The socket connects to the addresses checked here, so a
 * name cannot answer a public address to a check and a private one to the
 * connection (DNS rebinding with a zero TTL).
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) =>
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, "")
    const blocked = addresses.find((entry) => isPrivateAddress(entry.address))
    if (blocked !== undefined) return callback(new PrivateAddressRefused(hostname, blocked.address), "")
    const [first] = addresses
    if (options.all === true || first === undefined) return callback(null, addresses)
    return callback(null, first.address, first.family)
  })
