import { Agent, createServer, get, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHttp, KEEP_ALIVE_TIMEOUT_MS, listenHttp } from '../src/http-server.js';

const servers: Server[] = [];

function server(): Server {
  const s = createServer((_req, res) => res.end('ok'));
  servers.push(s);
  return s;
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    await closeHttp(s);
    s.closeAllConnections();
  }
});

function fetchText(url: string, agent?: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

describe('listenHttp / closeHttp', () => {
  it('listens on a free loopback port and returns its URL; close stops it (twice is fine)', async () => {
    const s = server();
    const { url, port } = await listenHttp(s, 0, '127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await fetchText(url)).toBe('ok');
    await closeHttp(s);
    expect(s.listening).toBe(false);
    await closeHttp(s);
  });

  it('brackets an IPv6 host in the URL', async () => {
    const s = server();
    try {
      const { url, port } = await listenHttp(s, 0, '::1');
      expect(url).toBe(`http://[::1]:${port}`);
    } catch (e) {
      // A machine without IPv6 loopback cannot run this case; say so instead of passing silently.
      console.warn(`[telemetry tests] IPv6 loopback unavailable: ${(e as Error).message}`);
      expect((e as NodeJS.ErrnoException).code).toMatch(/EADDRNOTAVAIL|EAFNOSUPPORT/);
    }
  });

  it('rejects with the listen error when the port is taken', async () => {
    const a = server();
    const { port } = await listenHttp(a, 0, '127.0.0.1');
    await expect(listenHttp(server(), port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('keeps idle keep-alive connections longer than clients do (no keep-alive race), and still closes at once', async () => {
    const s = server();
    const { url } = await listenHttp(s, 0, '127.0.0.1');
    expect(s.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(5_000); // Node's agents drop idle sockets after 5 s, undici's after 4 s
    expect(s.headersTimeout).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS);
    const agent = new Agent({ keepAlive: true });
    expect(await fetchText(url, agent)).toBe('ok');
    const started = Date.now();
    await closeHttp(s); // the client's idle keep-alive connection does not hold the close for the keep-alive timeout
    expect(Date.now() - started).toBeLessThan(2_000);
    agent.destroy();
  });
});
