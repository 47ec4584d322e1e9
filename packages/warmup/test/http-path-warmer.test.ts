// The request-path HTTP warm: fixed rounds over every (target, encoding), then until each one's latency converged,
// bounded by maxPassesPerShape rounds and the budget. A loopback server that answers 200 stands in for the model server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warmHttpPath } from '../src/server/http-path-warmer.js';
import type { WarmTarget } from '../src/warmup/warm-target.js';

let server: Server;
let url = '';
const seen: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

const target = (label: string): WarmTarget => ({
  label,
  feeds: { x: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]) },
  elements: 4,
  shape: undefined,
});

describe('warmHttpPath', () => {
  it('fixed rounds only: rounds x targets x 3 encodings, no convergence figures', { timeout: 60_000 }, async () => {
    seen.length = 0;
    const r = await warmHttpPath({ baseUrl: url, model: 'm', targets: [target('a'), target('b')], rounds: 2 });
    expect(r.requests).toBe(12);
    expect(r.converged).toBeUndefined();
    expect(seen.filter((s) => s.includes('/v1/models/m/infer'))).toHaveLength(4);
    expect(seen.filter((s) => s.includes('application/octet-stream'))).toHaveLength(4);
  });

  it('then until converged, bounded by maxPassesPerShape rounds: an impossible tolerance stops there, naming each (target, encoding)', {
    timeout: 60_000,
  }, async () => {
    const spec = { windowSize: 1000, tolerance: 1e-12, convergenceWindows: 3, maxPassesPerShape: 4 };
    const r = await warmHttpPath({
      baseUrl: url,
      model: 'm',
      targets: [target('a')],
      rounds: 1,
      converge: { spec, budgetMs: 600_000 },
    });
    expect(r.requests).toBe(3 + 4 * 3);
    expect(r.converged).toBe(false);
    expect(r.unconverged).toEqual(['a v1-json', 'a v2-json', 'a v2-binary']);
  });

  it('bounded by the budget: a spent budget sends only the fixed rounds', { timeout: 60_000 }, async () => {
    const spec = { windowSize: 1000, tolerance: 1e-12, convergenceWindows: 3, maxPassesPerShape: 1000 };
    const r = await warmHttpPath({
      baseUrl: url,
      model: 'm',
      targets: [target('a')],
      rounds: 1,
      converge: { spec, budgetMs: 0 },
    });
    expect(r.requests).toBe(3);
    expect(r.converged).toBe(false);
  });

  it('a generous tolerance converges each (target, encoding) and stops early', { timeout: 60_000 }, async () => {
    const spec = { windowSize: 2, tolerance: 1e6, convergenceWindows: 2, maxPassesPerShape: 200 };
    const r = await warmHttpPath({
      baseUrl: url,
      model: 'm',
      targets: [target('a')],
      rounds: 0,
      converge: { spec, budgetMs: 600_000 },
    });
    expect(r.converged).toBe(true);
    expect(r.requests).toBeLessThan(200 * 3);
  });
});
