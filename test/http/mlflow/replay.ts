import { Effect } from "effect"
import type { Body, Exchange } from "./fixtures.js"
import { call, type Send } from "./harness.js"
import { type Bindings, mismatches } from "./matcher.js"

/** How a test departs from the recording for one exchange, and why. */
export interface Override {
  /** Replaces the recorded request (a payload file, or bytes the recording elides); built when sent, after earlier ids are bound. */
  readonly send?: () => Send
  /** What we answer instead of MLflow, where MLflow is wrong. */
  readonly expect?: (recorded: Exchange) => { readonly status: number; readonly response: Body | undefined }
}

/** `"xxxx...<6001 chars total>"`, the transcript's way of eliding long values, as the full string. */
export const expandElided = (text: string): string =>
  text.replace(/(.)\1*\.\.\.<(\d+) chars total>/g, (_, c: string, n: string) => c.repeat(Number(n)))

/** {@link expandElided} applied to every string of a JSON value. */
export const expandJson = (value: unknown): unknown => {
  if (typeof value === "string") return expandElided(value)
  if (Array.isArray(value)) return value.map(expandJson)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandJson(v)]))
  }
  return value
}

const recordedSend = (exchange: Exchange, bindings: Bindings): Send => {
  const request = exchange.request
  if (request === undefined) return {}
  if (request.kind === "json") return { json: bindings.substituteJson(expandJson(request.value)) }
  if (request.kind === "text") return { body: request.text }
  throw new Error(`${exchange.id}: the request body comes from ${request.name}; give it in an override`)
}

/**
 * Sends the recorded request (ids substituted) and lists every difference
 * between our answer and the recorded one: status, then body by structure.
 */
export const replay = (exchange: Exchange, bindings: Bindings, override: Override = {}) =>
  Effect.gen(function* () {
    const expected = override.expect?.(exchange) ?? exchange
    const reply = yield* call(
      exchange.method,
      bindings.substitute(exchange.path),
      override.send?.() ?? recordedSend(exchange, bindings)
    )
    const problems: Array<string> = []
    if (reply.status !== expected.status) problems.push(`status: expected ${expected.status}, got ${reply.status}`)
    const response = expected.response
    if (response?.kind === "json") {
      if (reply.json === undefined) problems.push(`body: expected JSON, got ${reply.text.slice(0, 200)}`)
      else problems.push(...mismatches(response.value, reply.json, bindings))
    } else if (response?.kind === "text" && reply.text.trim() !== response.text.trim()) {
      problems.push(`body: expected ${JSON.stringify(response.text)}, got ${JSON.stringify(reply.text.slice(0, 200))}`)
    }
    return { reply, problems }
  })
