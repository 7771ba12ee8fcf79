import { stripVTControlCharacters } from "node:util"
import { type Console, Effect } from "effect"

const strip = (values: ReadonlyArray<unknown>) =>
  values.map((value) => (typeof value === "string" ? stripVTControlCharacters(value) : value))

/**
 * Runs `effect` with a Console whose `log` (stdout) and `error` (stderr)
 * drop ANSI escapes when `color` says that stream should be plain: the help
 * text is always rendered in color, which must not reach files, pipes, or
 * users who set NO_COLOR.
 */
export const withPlainOutput =
  (color: { readonly stdout: boolean; readonly stderr: boolean }) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Effect.console, (base) => {
      if (color.stdout && color.stderr) return effect
      const console: Console.Console = {
        ...base,
        log: (...values) => base.log(...(color.stdout ? values : strip(values))),
        error: (...values) => base.error(...(color.stderr ? values : strip(values)))
      }
      return Effect.withConsole(effect, console)
    })
