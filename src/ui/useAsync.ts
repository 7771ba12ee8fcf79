import { useEffect, useState } from "preact/hooks"

export type Async<A> =
  | { readonly state: "loading" }
  | { readonly state: "failed"; readonly error: Error }
  | { readonly state: "done"; readonly value: A }

/**
 * The result of `load`, re-run when `deps` change. An answer that arrives
 * after the deps changed again is dropped, so a slow response never
 * overwrites a newer one.
 */
export const useAsync = <A>(load: (signal: AbortSignal) => Promise<A>, deps: ReadonlyArray<unknown>): Async<A> => {
  const [result, setResult] = useState<Async<A>>({ state: "loading" })
  useEffect(() => {
    const controller = new AbortController()
    setResult({ state: "loading" })
    load(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) setResult({ state: "done", value })
      },
      (error: unknown) => {
        if (!controller.signal.aborted)
          setResult({
            state: "failed",
            error: error instanceof Error ? error : new Error(String(error))
          })
      }
    )
    return () => controller.abort()
  }, deps)
  return result
}
