/**
 * Resolves once the server at `url` answers 200 on `/readyz`, polling every
 * `intervalMs`; rejects after a minute. For scripts and benchmarks that
 * start a server in another process (`scripts/build-cli.ts`,
 * `bench/enterprise.ts`).
 *
 * @example
 * ```ts
 * await untilReady("http://127.0.0.1:5000", 10)
 * ```
 */
export const untilReady = async (url: string, intervalMs: number): Promise<void> => {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false
    )
    if (ready) return
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new Error(`the server at ${url} did not become ready`)
}
