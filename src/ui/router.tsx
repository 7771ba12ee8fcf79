/**
 * Client-side routing on the History API. Every view's state lives in the
 * URL (path and query), so a view can be shared by copying the address bar.
 */
import type { ComponentChildren } from "preact"
import { useEffect, useState } from "preact/hooks"

export type Route =
  | { readonly page: "experiments" }
  | { readonly page: "runs"; readonly experimentId: string }
  | { readonly page: "run"; readonly runId: string }
  | { readonly page: "compare" }
  | { readonly page: "models" }
  | { readonly page: "model"; readonly name: string }
  | { readonly page: "datasets" }
  | { readonly page: "dataset"; readonly name: string }
  | { readonly page: "notFound" }

const patterns: ReadonlyArray<readonly [RegExp, (match: ReadonlyArray<string>) => Route]> = [
  [/^\/$/, () => ({ page: "experiments" })],
  [/^\/experiments\/([^/]+)$/, ([, id]) => ({ page: "runs", experimentId: decodeURIComponent(id ?? "") })],
  [/^\/runs\/([^/]+)$/, ([, id]) => ({ page: "run", runId: decodeURIComponent(id ?? "") })],
  [/^\/compare$/, () => ({ page: "compare" })],
  [/^\/models$/, () => ({ page: "models" })],
  [/^\/models\/([^/]+)$/, ([, name]) => ({ page: "model", name: decodeURIComponent(name ?? "") })],
  [/^\/datasets$/, () => ({ page: "datasets" })],
  [/^\/datasets\/([^/]+)$/, ([, name]) => ({ page: "dataset", name: decodeURIComponent(name ?? "") })]
]

export const parseRoute = (pathname: string): Route => {
  for (const [pattern, build] of patterns) {
    const match = pattern.exec(pathname)
    if (match) return build(match)
  }
  return { page: "notFound" }
}

const changed = "mlops:location"

/** Goes to `href` inside the app; `replace` rewrites the current history entry (for state edits). */
export const navigate = (href: string, options: { readonly replace?: boolean } = {}) => {
  if (options.replace) history.replaceState(null, "", href)
  else history.pushState(null, "", href)
  window.dispatchEvent(new Event(changed))
}

/** The current location; re-renders on navigation and on back/forward. */
export const useLocation = (): URL => {
  const [href, setHref] = useState(location.href)
  useEffect(() => {
    const update = () => setHref(location.href)
    window.addEventListener("popstate", update)
    window.addEventListener(changed, update)
    return () => {
      window.removeEventListener("popstate", update)
      window.removeEventListener(changed, update)
    }
  }, [])
  return new URL(href)
}

/**
 * A query parameter as state: reading it from the URL, writing it back with
 * `replaceState` (or a new history entry with `push`).
 */
export const useQueryParam = (
  name: string
): readonly [string | null, (value: string | null, options?: { readonly push?: boolean }) => void] => {
  const url = useLocation()
  const set = (value: string | null, options: { readonly push?: boolean } = {}) => {
    const next = new URL(location.href)
    if (value === null || value === "") next.searchParams.delete(name)
    else next.searchParams.set(name, value)
    navigate(`${next.pathname}${next.search}`, {
      replace: options.push !== true
    })
  }
  return [url.searchParams.get(name), set] as const
}

interface LinkProps {
  readonly href: string
  readonly children: ComponentChildren
  readonly class?: string
  readonly tabIndex?: number
  readonly "aria-current"?: "page" | undefined
}

/** An anchor that navigates inside the app on a plain click and behaves natively otherwise (new tab, copy link). */
export const Link = ({ href, children, ...rest }: LinkProps) => (
  <a
    {...rest}
    href={href}
    onClick={(event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      event.preventDefault()
      navigate(href)
    }}
  >
    {children}
  </a>
)
