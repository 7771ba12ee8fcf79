import { Command, HelpDoc, ValidationError } from "@effect/cli"
import { Cause, Console, Effect } from "effect"
import { adminCommand } from "./commands/admin.js"
import { auditCommand } from "./commands/audit.js"
import { experimentsCommand } from "./commands/experiments.js"
import { gcCommand } from "./commands/gc.js"
import { aliasesCommand, modelsCommand } from "./commands/models.js"
import { runsCommand } from "./commands/runs.js"
import { serverCommand } from "./commands/server.js"
import { exportCommand, importCommand } from "./commands/transfer.js"
import { UsageError } from "./errors.js"
import { cliVersion } from "./version.js"

/** Exit codes scripts can rely on. */
export const ExitCode = {
  /** The command did what it was asked. */
  success: 0,
  /** The command failed: not found, invalid argument, archive mismatch, server unreachable, I/O error. */
  failure: 1,
  /** The command line was wrong: unknown or malformed flag, missing argument or subcommand. */
  usage: 2
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

const root = Command.make("effect-mlops", {}, () =>
  Effect.fail(new UsageError({ reason: "missing command (effect-mlops --help lists them)" }))
).pipe(
  Command.withDescription("Experiment tracking, model registry and artifacts on a local data directory or a server"),
  Command.withSubcommands([
    serverCommand,
    experimentsCommand,
    runsCommand,
    modelsCommand,
    aliasesCommand,
    gcCommand,
    exportCommand,
    importCommand,
    adminCommand,
    auditCommand
  ])
)

const footer = HelpDoc.sequence(
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.blocks([
    HelpDoc.p("0  success"),
    HelpDoc.p(
      "1  the command failed: not found, invalid argument, archive mismatch, server unreachable (message on stderr)"
    ),
    HelpDoc.p("2  usage error: unknown or malformed flag, missing argument or subcommand")
  ])
)

/** The `effect-mlops` application: parses `argv` (with the runtime and script first, as `process.argv`). */
export const cli = Command.run(root, { name: "effect-mlops", version: cliVersion, executable: "effect-mlops", footer })

const messageOf = (error: unknown): string => {
  if (!(error instanceof Error) && !(typeof error === "object" && error !== null && "message" in error))
    return String(error)
  const message = String(error.message)
  const cause = "cause" in error ? error.cause : undefined
  // SqlError and friends put the useful part (the driver's words) in the cause.
  return cause instanceof Error && cause.message !== "" && !message.includes(cause.message)
    ? `${message}: ${cause.message}`
    : message
}

/**
 * Runs the application and turns its outcome into an exit code: usage errors
 * (the parser has already printed why) are 2; a failed command prints its
 * tagged error's message on stderr and is 1, and so is an unexpected defect
 * (its full cause is logged at debug level). Interruption (SIGINT) is left
 * to the runtime.
 */
export const runCli = (argv: ReadonlyArray<string>) =>
  cli(argv).pipe(
    Effect.as<ExitCode>(ExitCode.success),
    Effect.catchAll((error): Effect.Effect<ExitCode> => {
      if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.usage)
      if (error instanceof UsageError) return Effect.as(Console.error(`error: ${messageOf(error)}`), ExitCode.usage)
      return Effect.as(Console.error(`error: ${messageOf(error)}`), ExitCode.failure)
    }),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logDebug("unexpected failure", cause).pipe(
            Effect.zipRight(Console.error(`error: ${messageOf(Cause.squash(cause))}`)),
            Effect.as<ExitCode>(ExitCode.failure)
          )
    )
  )
