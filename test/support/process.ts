import { spawn } from "node:child_process"

/** How a child process ended and what it printed. */
export interface ProcessResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs a command to completion without blocking the event loop (a blocked
 * vitest worker misses its RPC deadlines). Never rejects on a non-zero exit:
 * tests assert on `status`.
 */
export const runProcess = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number }
): Promise<ProcessResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 240_000
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("error", reject)
    child.on("close", (status) => resolve({ status, stdout, stderr }))
  })

/** {@link runProcess} for a setup step: a failure throws with the step's output, not just its exit code. */
export const runOrThrow = async (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv }
): Promise<string> => {
  const result = await runProcess(command, args, options)
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status}:\n${result.stdout}${result.stderr}`)
  }
  return result.stdout
}
