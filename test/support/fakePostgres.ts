/**
 * A stand-in for a PostgreSQL server that asks for a password, which the test cluster (trust
 * authentication) never does: it answers every connection's startup with a password request
 * (`cleartext`, or `scram` as PostgreSQL 15 does by default), records what the client sends back,
 * and refuses it as a wrong password (SCRAM: after its first challenge). Only the start of the wire protocol; nothing is ever served.
 */
import {createServer, type Socket} from 'node:net'
import type {AddressInfo} from 'node:net'

export interface FakePostgres {
  port: number
  /** The passwords clients sent (cleartext requests only). */
  passwords: string[]
  close(): Promise<void>
}

export async function startFakePostgres(auth: 'cleartext' | 'scram'): Promise<FakePostgres> {
  const passwords: string[] = []
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffer = Buffer.alloc(0)
    let started = false
    let challenged = false
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk])
      if (!started) {
        // The startup message: Int32 length (itself included), then the protocol and parameters.
        if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return
        buffer = buffer.subarray(buffer.readInt32BE(0))
        started = true
        socket.write(auth === 'cleartext' ? authenticationRequest(3) : authenticationRequest(10, 'SCRAM-SHA-256\0\0'))
      }
      // The answer: 'p', Int32 length, the password and a NUL.
      if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return
      const message = buffer.subarray(5, 1 + buffer.readInt32BE(1))
      buffer = buffer.subarray(1 + buffer.readInt32BE(1))
      if (auth === 'scram' && !challenged) {
        // SASLInitialResponse: the mechanism, then `n,,n=*,r=<client nonce>`; the server's first message goes on with that nonce.
        challenged = true
        const nonce = /r=([^,]+)/.exec(message.toString('utf8'))?.[1] ?? ''
        socket.write(authenticationRequest(11, `r=${nonce}server-nonce,s=${Buffer.from('salt').toString('base64')},i=4096`))
        return
      }
      if (auth === 'cleartext') passwords.push(message.subarray(0, message.length - 1).toString('utf8'))
      socket.end(errorResponse('28P01', 'password authentication failed for user "mastoc"'))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    passwords,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

function authenticationRequest(kind: number, data = ''): Buffer {
  const body = Buffer.concat([int32(kind), Buffer.from(data, 'utf8')])
  return Buffer.concat([Buffer.from('R'), int32(4 + body.length), body])
}

function errorResponse(code: string, message: string): Buffer {
  const body = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8')
  return Buffer.concat([Buffer.from('E'), int32(4 + body.length), body])
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4)
  buffer.writeInt32BE(value)
  return buffer
}
