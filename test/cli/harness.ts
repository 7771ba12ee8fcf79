import * as NodeContext from "@effect/platform-node/NodeContext"
import { type Console, Effect, Layer } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { runCli } from "../../src/cli/main.js"

/** How an in-process run of the CLI ended and what it printed. */
export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const text = (args: ReadonlyArray<unknown>) =>
  args.map((arg) => (typeof arg === "string" ? arg : String(arg))).join(" ")

/**
 * Runs `effect-mlops <args>` in this process, as bin.ts does but with the
 * Console captured: much faster than spawning tsx, and the exit code is the
 * one bin.ts would set.
 */
export const cli = (...args: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const base = yield* Effect.console
    const capture: Console.Console = {
      ...base,
      log: (...values) => Effect.sync(() => void stdout.push(`${text(values)}\n`)),
      error: (...values) => Effect.sync(() => void stderr.push(`${text(values)}\n`)),
      unsafe: {
        ...base.unsafe,
        log: (...values) => void stdout.push(`${text(values)}\n`),
        error: (...values) => void stderr.push(`${text(values)}\n`)
      }
    }
    const code = yield* runCli(["node", "effect-mlops", ...args]).pipe(
      Effect.withConsole(capture),
      Effect.provide(NodeContext.layer)
    )
    return { code, stdout: stdout.join(""), stderr: stderr.join("") } satisfies CliResult
  })

/** Like {@link cli}, failing the test (with the output) unless the exit code is 0. */
export const cliOk = (...args: ReadonlyArray<string>) =>
  Effect.flatMap(cli(...args), (result) =>
    result.code === 0
      ? Effect.succeed(result)
      : Effect.dieMessage(
          `effect-mlops ${args.join(" ")} exited with ${result.code}:\n${result.stdout}${result.stderr}`
        )
  )

/** Runs `effect` on the services of the data directory `dataPath`, as the CLI opens it (to seed or inspect data). */
export const withStore =
  (dataPath: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.provide(effect, Layer.fresh(makeBasicLayer({ dataPath })))
