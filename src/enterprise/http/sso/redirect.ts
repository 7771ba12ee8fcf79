import { Either } from "effect"
import { RedirectNotLocal } from "./errors.js"

const base = "http://local.invalid"
// C0 controls, space and DEL: browsers strip or reinterpret them inside a Location.
const hasUnsafeCharacter = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code <= 0x20 || code === 0x7f) return true
  }
  return false
}

/**
 * The page to send the browser to after sign-in, if it is a path on this
 * server: it starts with one `/`, has no backslash (which browsers read as
 * `/`, making `/\evil.test` a host), no control character or space, and
 * resolves to this origin. Absent or empty means `/`. Everything else (an
 * absolute URL, `//host`, `javascript:`) is refused, so the sign-in routes
 * are no open redirect.
 *
 * @example
 * ```ts
 * safeLocalPath("/experiments/1?tab=runs") // Right("/experiments/1?tab=runs")
 * safeLocalPath("//evil.test")             // Left(RedirectNotLocal)
 * ```
 */
export const safeLocalPath = (target: string | null | undefined): Either.Either<string, RedirectNotLocal> => {
  if (target === null || target === undefined || target === "") return Either.right("/")
  const refused = Either.left(new RedirectNotLocal({ target: target.slice(0, 200) }))
  if (target.length > 2048 || !target.startsWith("/") || target.startsWith("//")) return refused
  if (target.includes("\\") || hasUnsafeCharacter(target)) return refused
  try {
    const url = new URL(target, base)
    return url.origin === base ? Either.right(target) : refused
  } catch {
    return refused
  }
}
