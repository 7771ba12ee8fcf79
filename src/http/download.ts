import { Effect, Stream } from "effect"
import type { ArtifactStoreShape } from "../core/artifacts/ArtifactStore.js"
import { streamResponse } from "./streamResponse.js"

/** Extensions MLflow serves as text (`mlflow.utils.mime_type_utils`), plus the files MLflow names without one. */
const textExtensions = new Set([
  "txt",
  "log",
  "err",
  "cfg",
  "conf",
  "cnf",
  "cf",
  "ini",
  "properties",
  "prop",
  "hocon",
  "toml",
  "yaml",
  "yml",
  "xml",
  "json",
  "js",
  "py",
  "py3",
  "csv",
  "tsv",
  "md",
  "rst",
  "mlmodel",
  "mlproject"
])

/** Types a browser renders without running anything in them. */
const inlineTypes: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  bmp: "image/bmp",
  webp: "image/webp",
  pdf: "application/pdf"
}

/** Types that run script or markup in a browser: always downloaded, never rendered. */
const activeTypes: Record<string, string> = {
  html: "text/html",
  htm: "text/html",
  svg: "image/svg+xml",
  xhtml: "application/xhtml+xml"
}

const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf(".")
  return (dot < 0 ? name : name.slice(dot + 1)).toLowerCase()
}

/** How an artifact is sent: its content type and whether a browser may render it. */
export interface ArtifactType {
  readonly contentType: string
  readonly inline: boolean
}

/** The content type of a file name, and whether it is safe to render inline. Unknown types are binary downloads. */
export const artifactType = (fileName: string): ArtifactType => {
  const extension = extensionOf(fileName)
  if (textExtensions.has(extension)) return { contentType: "text/plain; charset=utf-8", inline: true }
  const inlineType = inlineTypes[extension]
  if (inlineType !== undefined) return { contentType: inlineType, inline: true }
  return { contentType: activeTypes[extension] ?? "application/octet-stream", inline: false }
}

/** `attachment; filename="..."`, with an RFC 5987 `filename*` for names outside printable ASCII. */
const disposition = (kind: "inline" | "attachment", fileName: string): string => {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_")
  return ascii === fileName
    ? `${kind}; filename="${fileName}"`
    : `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
}

/**
 * Headers of every downloaded artifact: no type sniffing, and a policy that
 * lets nothing in the file run or load, should a browser render it anyway.
 */
const securityHeaders = {
  "x-content-type-options": "nosniff",
  "content-security-policy": "default-src 'none'; sandbox"
} as const

/**
 * The stored file at `path`, streamed (never held in memory). `attachment`
 * forces a download, as MLflow's artifact proxy does; `auto` lets a browser
 * render text, images and PDFs, and downloads HTML, SVG and unknown types.
 * A missing file fails before any byte is sent.
 */
export const artifactDownload = (store: ArtifactStoreShape, path: string, mode: "attachment" | "auto") =>
  Effect.flatMap(store.stat(path), (info) => {
    const fileName = info.path.slice(info.path.lastIndexOf("/") + 1)
    const type = artifactType(fileName)
    const kind = mode === "auto" && type.inline ? "inline" : "attachment"
    return streamResponse(store.get(path).pipe(Stream.orDie), {
      contentType: type.contentType,
      contentLength: info.size,
      headers: { ...securityHeaders, "content-disposition": disposition(kind, fileName) }
    })
  })
