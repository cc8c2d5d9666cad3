/**
 * A switchable HTTP gate in front of the S3 emulator, for S3 outages with real sockets: `up` forwards
 * every request to moto, `hang` accepts requests and never answers (an S3 that stalls), `down` stops
 * listening (connection refused, as when the endpoint is gone). Every request that reaches the gate is
 * recorded, so a test can count the S3 calls the code under test made.
 * @module
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type GateMode = 'up' | 'hang' | 'down';

/** One request that reached the gate. */
export interface GateCall {
  mode: GateMode;
  method: string;
  /** path without the query string: /bucket/key */
  path: string;
  range: string | undefined;
}

export interface S3Gate {
  /** what to give the code under test as AWS_ENDPOINT_URL */
  endpoint: string;
  calls: GateCall[];
  mode(): GateMode;
  set(mode: GateMode): Promise<void>;
  close(): Promise<void>;
}

/** Starts a gate on a free loopback port, `up`, forwarding to `upstream` (the emulator's endpoint). */
export async function startS3Gate(upstream: string): Promise<S3Gate> {
  const target = new URL(upstream);
  const calls: GateCall[] = [];
  const sockets = new Set<Socket>();
  let mode: GateMode = 'up';

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };

  const server = createServer((req, res) => {
    calls.push({
      mode,
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0] ?? '',
      range: req.headers.range,
    });
    if (mode === 'hang') return; // the socket stays open until the client gives up or the gate closes
    forward(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const dropConnections = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      dropConnections();
    });

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    mode: () => mode,
    async set(next) {
      // Connections opened in another mode (kept alive, or hanging) must not leak into this one.
      dropConnections();
      if (next === 'down') await stopListening();
      else if (!server.listening)
        await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      mode = next;
    },
    close: stopListening,
  };
}
