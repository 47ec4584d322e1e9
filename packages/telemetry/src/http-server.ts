import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where a listening server answers: `http://host:port` (IPv6 hosts in brackets). */
export interface ListeningAddress {
  readonly url: string;
  readonly port: number;
}

/** Starts `server` on `host:port` (port 0: any free one); rejects with the listen error (e.g. EADDRINUSE). */
export async function listenHttp(server: Server, port: number, host: string): Promise<ListeningAddress> {
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
