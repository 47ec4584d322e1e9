import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyTooLargeError, readBody, sendJson, sendText } from '../src/http-io.js';

let server: Server | undefined;

afterEach(async () => {
  if (server?.listening) {
    const s = server;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
  }
  server = undefined;
});

/** A loopback server echoing the body it read (limit 16 bytes) as JSON, or the error. */
async function start(): Promise<number> {
  server = createServer((req, res) => {
    readBody(req, 16).then(
      (body) =>
        req.url === '/text'
          ? sendText(res, 200, 'text/plain; charset=utf-8', `héllo ${body.length}`)
          : sendJson(res, 200, { got: body.toString('utf8') }),
      (e: unknown) => {
        if (e instanceof BodyTooLargeError) sendJson(res, 413, { error: e.code, message: e.message });
        else sendJson(res, 500, { error: String(e) });
        req.resume();
      },
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as AddressInfo).port;
}

function post(
  port: number,
  path: string,
  body: string,
): Promise<{ status: number; type: string; length: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers['content-type']),
          length: String(res.headers['content-length']),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('http-io', () => {
  it('readBody returns the whole body; sendJson sets JSON content type and byte length', async () => {
    const port = await start();
    const r = await post(port, '/json', 'ünïcode');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.text)).toEqual({ got: 'ünïcode' });
    expect(Number(r.length)).toBe(Buffer.byteLength(r.text));
  });

  it('sendText sends the given content type and byte length', async () => {
    const port = await start();
    const r = await post(port, '/text', 'abc');
    expect([r.status, r.type, r.text]).toEqual([200, 'text/plain; charset=utf-8', 'héllo 3']);
    expect(Number(r.length)).toBe(Buffer.byteLength('héllo 3'));
  });

  it('readBody refuses a body over the limit with BodyTooLargeError (code E_BODY_TOO_LARGE)', async () => {
    const port = await start();
    const r = await post(port, '/json', 'x'.repeat(17));
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text)).toEqual({ error: 'E_BODY_TOO_LARGE', message: 'request body over 16 bytes' });
  });
});
