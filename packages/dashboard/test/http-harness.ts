import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real node:http server on a loopback port, for handler tests. */
export async function serve(
  listener?: RequestListener,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = listener ? createServer(listener) : createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Polls `check` on the event loop (no timers in assertions): for effects that land after a socket closes. */
export async function eventually(check: () => boolean, what: string, tries = 1000): Promise<void> {
  for (let i = 0; i < tries; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`never happened: ${what}`);
}
