import * as net from "node:net"
import { Effect } from "effect"

/** A free loopback TCP port: the OS picks one, then it is released for the caller (or a child) to bind. */
export const findFreePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

/** {@link findFreePort} as an Effect. */
export const freePort: Effect.Effect<number> = Effect.promise(findFreePort)
