import type { Async } from "../useAsync.js"

/** Loading and failure states of an {@link Async}, or its value rendered by `children`. */
export const Loaded = <A,>({
  value,
  children
}: {
  readonly value: Async<A>
  readonly children: (value: A) => preact.ComponentChildren
}) => {
  if (value.state === "loading") return <output class="muted block">Loading…</output>
  if (value.state === "failed")
    return (
      <p class="error" role="alert">
        {value.error.message}
      </p>
    )
  return <>{children(value.value)}</>
}
