#!/usr/bin/env -S node --max-semi-space-size=4 --max-old-space-size=256 --no-parallel-scavenge
/**
 * The `effect-mlops` executable. Exit codes: 0 success, 1 the command
 * failed, 2 usage error (see `effect-mlops --help`). SIGINT and SIGTERM
 * interrupt the command; `server` then shuts down gracefully.
 *
 * The V8 flags keep a long-running server small: requests allocate short-
 * lived objects, and 4 MB semi-spaces plus a capped old space make
 * V8 collect them instead of growing the heap (peak RSS under the ingest
 * bench 135–139 MB; 1 MB semi-spaces save 7 MB of it but scavenge almost
 * every 1000-point request, about 0.4 ms more each; see bench/http.ts). A
 * scavenge finds little alive in 4 MB, so the main thread scavenges alone:
 * waking V8's helper threads made each scavenge take longer (about 1.05
 * against 0.7 ms under run creation, 2.3 against 1.8 ms under ingest, on
 * two cores). Run `node --max-old-space-size=N <bin>` to raise the cap.
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
