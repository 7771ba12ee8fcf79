/**
 * The `effect-mlops` CLI's entry point. Exit codes: 0 success, 1 the command
 * failed, 2 usage error (see `effect-mlops --help`). SIGINT and SIGTERM
 * interrupt the command; `server` then shuts down gracefully.
 *
 * Installed, it runs bundled, through `launcher.ts` (which sets the V8
 * flags); `npm run cli` runs it from source.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { withPlainOutput } from "./console.js"
import { runCli } from "./main.js"

const color = (stream: NodeJS.WriteStream) => stream.isTTY === true && process.env.NO_COLOR === undefined

runCli(process.argv).pipe(
  withPlainOutput({ stdout: color(process.stdout), stderr: color(process.stderr) }),
  // An exit code rather than process.exit(): stdout piped to another program is flushed first.
  Effect.flatMap((code) =>
    Effect.sync(() => {
      process.exitCode = code
    })
  ),
  Effect.provide(NodeContext.layer),
  // Each command's layer chooses the log format (the server: one line per record).
  (program) => NodeRuntime.runMain(program, { disablePrettyLogger: true })
)
