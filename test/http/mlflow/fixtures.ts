import * as fs from "node:fs"

/*
 * Parsers for the recorded MLflow 3.6 traffic in test/fixtures/mlflow: the
 * curl transcript of the REST contract and the Python client's traffic.
 */

/** A recorded body: JSON, or text (artifact bytes, HTML, plain answers). */
export type Body = { readonly kind: "json"; readonly value: unknown } | { readonly kind: "text"; readonly text: string }

/** One recorded request and MLflow's answer. */
export interface Exchange {
  /** `"7"`, `"A104"` in the transcript; `"#15"` in the client traffic. */
  readonly id: string
  readonly title: string
  readonly method: string
  /** Path and query, as sent. */
  readonly path: string
  readonly request: Body | { readonly kind: "file"; readonly name: string } | undefined
  readonly status: number
  readonly response: Body | undefined
  /** `user:password` of `curl -u` (Appendix B's basic-auth requests). */
  readonly credentials?: string
}

const fixture = (name: string) => fs.readFileSync(new URL(`../../fixtures/mlflow/${name}`, import.meta.url), "utf8")

const toBody = (text: string): Body => {
  try {
    return { kind: "json", value: JSON.parse(text) }
  } catch {
    return { kind: "text", text }
  }
}

/** The code block starting at or after `from`: its text and the line after it. */
const codeBlock = (lines: ReadonlyArray<string>, from: number): { readonly text: string; readonly next: number } => {
  let start = from
  while (!(lines[start] ?? "```").startsWith("```")) start++
  let end = start + 1
  while (end < lines.length && lines[end] !== "```") end++
  return { text: lines.slice(start + 1, end).join("\n"), next: end + 1 }
}

/** Shell words of a command line: single quotes, `'\''` escapes, backslashes. */
const shellWords = (line: string): ReadonlyArray<string> => {
  const words: Array<string> = []
  let word: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      word = (word ?? "") + line.slice(i + 1, end)
      i = end
    } else if (c === "\\") {
      word = (word ?? "") + (line[++i] ?? "")
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else {
      word = (word ?? "") + c
    }
  }
  if (word !== undefined) words.push(word)
  return words
}

/** `curl -X POST 'http://host/path' -d '...'` as method, path and body. */
const parseCurl = (line: string): Pick<Exchange, "method" | "path" | "request" | "credentials"> => {
  const words = shellWords(line)
  let method: string | undefined
  let url = ""
  let data: string | undefined
  let credentials: string | undefined
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string
    if (word === "-X") method = words[++i]
    else if (word === "-d" || word === "--data-binary") data = words[++i]
    else if (word === "-u") credentials = words[++i]
    else if (word === "-H") i++
    else if (word.startsWith("http")) url = word
  }
  const request =
    data === undefined
      ? undefined
      : data.startsWith("@")
        ? ({ kind: "file", name: data.slice(1) } as const)
        : toBody(data)
  return {
    method: method ?? (data === undefined ? "GET" : "POST"),
    path: url.replace(/^https?:\/\/[^/]+/, ""),
    request,
    ...(credentials === undefined ? {} : { credentials })
  }
}

/** The entries of `rest-transcript.md`, in order. */
export const transcript = (): ReadonlyArray<Exchange> => {
  const lines = fixture("rest-transcript.md").split("\n")
  const entries: Array<Exchange> = []
  for (let i = 0; i < lines.length; i++) {
    const heading = /^### (\w+)\. (.*)$/.exec(lines[i] as string)
    if (heading === null) continue
    const command = codeBlock(lines, i + 1)
    let j = command.next
    while (!/^HTTP \d+/.test(lines[j] ?? "HTTP 0")) j++
    const status = Number((lines[j] as string).slice(5))
    const answer = codeBlock(lines, j + 1)
    entries.push({
      id: heading[1] as string,
      title: heading[2] as string,
      ...parseCurl(command.text.split("\n").find((l) => l.startsWith("curl")) ?? ""),
      status,
      response: toBody(answer.text)
    })
    i = answer.next - 1
  }
  return entries
}

/**
 * The exchanges of `client-traffic.md`, in arrival order. A request body is
 * the recorded text cut to its recorded `Content-Length` (the recording adds
 * a newline after raw bytes); "identical to #n" answers are resolved.
 */
export const clientTraffic = (): ReadonlyArray<Exchange> => {
  const lines = fixture("client-traffic.md").split("\n")
  const byId = new Map<string, Exchange>()
  const exchanges: Array<Exchange> = []
  let flow = ""
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    if (line.startsWith("### ")) flow = line.slice(4)
    const head = /^\*\*(#\d+) `(\w+) ([^`]+)`\*\* → \*\*(\d+)\*\*/.exec(line)
    if (head === null) continue
    let request: Exchange["request"]
    let response: Body | undefined
    let j = i + 1
    for (; j < lines.length && !lines[j]?.startsWith("**#") && !lines[j]?.startsWith("#"); j++) {
      const item = lines[j] as string
      const sent = /^- request \(.*Content-Length: (\d+)\):/.exec(item)
      if (sent !== null) {
        const block = codeBlock(lines, j + 1)
        let text = block.text
        while (Buffer.byteLength(text) > Number(sent[1]) && text.endsWith("\n")) text = text.slice(0, -1)
        request = text.startsWith("{") ? toBody(text) : { kind: "text", text }
        j = block.next - 1
      } else if (item === "- response:" && lines[j + 1]?.startsWith("```")) {
        const block = codeBlock(lines, j + 1)
        response = toBody(block.text)
        j = block.next - 1
      } else {
        const same = /^- response: identical to (#\d+)/.exec(item)
        if (same !== null) response = byId.get(same[1] as string)?.response
      }
    }
    const exchange: Exchange = {
      id: head[1] as string,
      title: flow,
      method: head[2] as string,
      path: head[3] as string,
      request,
      status: Number(head[4]),
      response
    }
    byId.set(exchange.id, exchange)
    exchanges.push(exchange)
    i = j - 1
  }
  return exchanges
}
