import { HttpServerResponse } from "@effect/platform"
import type { Stream } from "effect"

// Types a browser may render or execute are never served inline: an
// artifact is user content and must not run script on the server's origin.
const inlineSafe: Record<string, string> = {
  txt: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  md: "text/plain; charset=utf-8",
  csv: "text/plain; charset=utf-8",
  tsv: "text/plain; charset=utf-8",
  yaml: "text/plain; charset=utf-8",
  yml: "text/plain; charset=utf-8",
  py: "text/plain; charset=utf-8",
  json: "application/json",
  jsonl: "text/plain; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  pdf: "application/pdf"
}

/** What a download is served as: an inline-safe content type, or an attachment. */
export const downloadDisposition = (path: string): { readonly contentType: string; readonly inline: boolean } => {
  const name = path.slice(path.lastIndexOf("/") + 1)
  const dot = name.lastIndexOf(".")
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : ""
  const safe = inlineSafe[extension]
  return safe === undefined
    ? { contentType: "application/octet-stream", inline: false }
    : { contentType: safe, inline: true }
}

/**
 * A streamed artifact download. Every response carries `nosniff` and a CSP
 * that forbids scripts; HTML, SVG and unknown types are attachments.
 */
export const artifactResponse = <E>(
  path: string,
  body: Stream.Stream<Uint8Array, E>,
  size?: number
): HttpServerResponse.HttpServerResponse => {
  const { contentType, inline } = downloadDisposition(path)
  const name = path.slice(path.lastIndexOf("/") + 1)
  return HttpServerResponse.stream(body, {
    contentType,
    ...(size === undefined ? {} : { contentLength: size }),
    headers: {
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
      "content-disposition": `${inline ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(name)}`
    }
  })
}
