import { request as httpRequest } from "node:http"
import { Effect } from "effect"

/** One GET over raw HTTP/1.1 with a chosen `Host` header (`fetch` does not let a caller set Host). */
export const getWithHost = (base: string, path: string, host: string) =>
  Effect.promise(
    () =>
      new Promise<{ readonly status: number; readonly text: string }>((resolve, reject) => {
        const url = new URL(base)
        const request = httpRequest({ host: url.hostname, port: url.port, path, headers: { host } }, (response) => {
          let text = ""
          response.setEncoding("utf8").on("data", (chunk: string) => {
            text += chunk
          })
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text }))
        })
        request.on("error", reject)
        request.end()
      })
  )
