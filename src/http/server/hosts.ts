/**
 * The Host-header allow-list that protects a server bound to loopback from
 * DNS rebinding: a page on `evil.example.com` that resolves to 127.0.0.1
 * must not reach the API. Entries are host names (`localhost`), wildcard
 * subdomains (`*.example.com`) or `*` (allow every host); ports are ignored.
 */
export const loopbackHosts: ReadonlyArray<string> = ["localhost", "127.0.0.1", "[::1]", "::1"]

/** The host name of a `Host` header value, lowercased and without its port. */
export const hostName = (header: string): string => {
  const value = header.trim().toLowerCase()
  if (value.startsWith("[")) {
    const end = value.indexOf("]")
    return end === -1 ? value : value.slice(0, end + 1)
  }
  const colon = value.indexOf(":")
  // More than one colon and no brackets: a bare IPv6 address, no port.
  return colon === -1 || value.indexOf(":", colon + 1) !== -1 ? value : value.slice(0, colon)
}

/** Whether `header` names a host the allow-list admits. */
export const isAllowedHost = (allowed: ReadonlyArray<string>, header: string | undefined): boolean => {
  if (allowed.includes("*")) return true
  if (header === undefined) return false
  const host = hostName(header)
  return allowed.some((entry) => {
    const rule = entry.toLowerCase()
    return rule.startsWith("*.") ? host.endsWith(rule.slice(1)) && host.length > rule.length - 1 : host === rule
  })
}
