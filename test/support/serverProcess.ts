import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { Effect } from "effect"

const repoRoot = path.resolve(import.meta.dirname, "../..")

/** A tracking server (`programs/serve.ts`) running in its own OS process. */
export interface ServerProcess {
  readonly child: ChildProcess
  readonly output: () => string
  /** Resolves with the exit code or signal once the process has ended. */
  readonly exited: Promise<number | string | null>
}

const waitReady = (url: string, deadline: number): Effect.Effect<void> =>
  Effect.tryPromise(() => fetch(`${url}/readyz`)).pipe(
    Effect.flatMap((response) => (response.ok ? Effect.void : Effect.fail("not ready"))),
    Effect.catchAll(() =>
      Date.now() > deadline
        ? Effect.dieMessage(`the server at ${url} did not become ready`)
        : Effect.zipRight(Effect.sleep("10 millis"), waitReady(url, deadline))
    )
  )

/** The built executable (`npm run build`), as an installed package runs it. */
export const builtExecutable = path.join(repoRoot, "dist", "bin", "effect-mlops.mjs")

/**
 * Starts the server on `port` over the data directory `dataDir` and waits
 * until `/readyz` answers. The process is killed when the scope closes. By
 * default it runs `programs/serve.ts` from source; with `executable` it runs
 * `<executable> server`, e.g. the built {@link builtExecutable}. With
 * `discardLogs` its standard output goes to /dev/null instead of being kept
 * for `output()`, as a benchmark's load generator should not read it.
 */
export const spawnServer = (
  dataDir: string,
  port: number,
  options: {
    readonly executable?: string
    readonly discardLogs?: boolean
    /** Command-line arguments of `effect-mlops` instead of `server --data … --port …` (run from source unless `executable`). */
    readonly cliArgs?: ReadonlyArray<string>
    readonly env?: NodeJS.ProcessEnv
  } = {}
) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      let output = ""
      const args =
        options.cliArgs !== undefined
          ? [
              ...(options.executable === undefined
                ? [process.execPath, "--import", "tsx", "src/cli/bin.ts"]
                : [options.executable]),
              ...options.cliArgs
            ]
          : options.executable === undefined
            ? [process.execPath, "--import", "tsx", "programs/serve.ts"]
            : [options.executable, "server", "--data", dataDir, "--port", String(port)]
      const [command, ...rest] = args as [string, ...Array<string>]
      const child = spawn(command, rest, {
        cwd: repoRoot,
        env: { ...process.env, MLOPS_DATA_DIR: dataDir, PORT: String(port), NO_COLOR: "1", ...options.env },
        stdio: ["ignore", options.discardLogs === true ? "ignore" : "pipe", "pipe"]
      })
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk
      })
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk
      })
      const exited = new Promise<number | string | null>((resolve) =>
        child.on("exit", (code, signal) => resolve(signal ?? code))
      )
      yield* waitReady(`http://127.0.0.1:${port}`, Date.now() + 60_000)
      return { child, output: () => output, exited } satisfies ServerProcess
    }),
    (server) =>
      Effect.promise(() => {
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL")
        return server.exited
      })
  )
