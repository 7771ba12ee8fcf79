import * as net from "node:net"
import { Effect } from "effect"

/**
 * A TCP forwarder between the application and a server, standing in for the
 * network: unplugged, connections are cut and new ones refused, as when the
 * server stops; hung, bytes stop flowing while connections stay open, as
 * when the server freezes.
 */
export interface Cable {
  /** The local port to connect to instead of the server's. */
  readonly port: number
  readonly unplug: Effect.Effect<void>
  readonly plug: Effect.Effect<void>
  readonly hang: Effect.Effect<void>
}

/** A {@link Cable} to `127.0.0.1:targetPort`, closed with the scope. */
export const cableTo = (targetPort: number) =>
  Effect.gen(function* () {
    const sockets = new Set<net.Socket>()
    let hung = false
    const track = (socket: net.Socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => socket.destroy())
    }
    const server = net.createServer((client) => {
      track(client)
      // A frozen server accepts and then says nothing.
      if (hung) {
        client.pause()
        return
      }
      const upstream = net.connect(targetPort, "127.0.0.1")
      track(upstream)
      client.pipe(upstream).pipe(client)
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
    })
    const listen = (port: number) =>
      Effect.async<number>((resume) => {
        server.listen(port, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))
      })
    const close = Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
      for (const socket of sockets) socket.destroy()
    })
    const port = yield* Effect.acquireRelease(listen(0), () => (server.listening ? close : Effect.void))
    return {
      port,
      unplug: close,
      plug: Effect.asVoid(listen(port)),
      hang: Effect.sync(() => {
        hung = true
        for (const socket of sockets) socket.unpipe().pause()
      })
    } satisfies Cable
  })
