import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where a listening server answers: `http://host:port` (IPv6 hosts in brackets). */
export interface ListeningAddress {
  readonly url: string;
  readonly port: number;
}

/**
 * How long an idle keep-alive connection stays open on our servers: longer than HTTP clients' own idle timeouts (Node's
 * agents close theirs after 5 s, undici's after 4 s), so the client closes first and never sends a request on a
 * connection the server is closing at that moment (the keep-alive race, an ECONNRESET before any answer). Load
 * balancers keep idle connections about as long (AWS ALB 60 s).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Starts `server` on `host:port` (port 0: any free one); rejects with the listen error (e.g. EADDRINUSE). Idle
 * keep-alive connections are kept KEEP_ALIVE_TIMEOUT_MS.
 */
export async function listenHttp(server: Server, port: number, host: string): Promise<ListeningAddress> {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = Math.max(server.headersTimeout, KEEP_ALIVE_TIMEOUT_MS + 1000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: boundPort, address } = server.address() as AddressInfo;
  const urlHost = address.includes(':') ? `[${address}]` : address;
  return { url: `http://${urlHost}:${boundPort}`, port: boundPort };
}

/** Stops accepting connections, closes idle keep-alive ones and waits for open requests to finish. */
export async function closeHttp(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await closed;
}
