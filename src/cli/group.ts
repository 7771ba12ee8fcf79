import { Command } from "@effect/cli"
import { Effect } from "effect"
import { UsageError } from "./errors.js"

/**
 * A command that only groups subcommands (`runs list`, `runs show`): run on
 * its own it is a usage error naming the choices, not a silent success.
 */
export const group = (name: string, description: string, choices: ReadonlyArray<string>) =>
  Command.make(name, {}, () =>
    Effect.fail(
      new UsageError({
        reason: `missing subcommand: effect-mlops ${name} ${choices.join("|")} (see effect-mlops ${name} --help)`
      })
    )
  ).pipe(Command.withDescription(description))
