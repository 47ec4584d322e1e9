import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { main } from '../src/main.js';
import { PROMOTE_SIGNAL } from '../src/standby-registrar.js';
import { captureIo, waitFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-standby-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const specFile = join(dir, 'spec.json');
writeFileSync(
  specFile,
  JSON.stringify({ shapes: [{ batch: 1, seq: 8 }], windowSize: 3, tolerance: 0.5, keepWarmIdleS: 0, budgetS: 20 }),
);
const serveArgs = (lbUrl: string, id: string): string[] => [
  'serve',
  '--model',
  'tiny-transformer',
  '--name',
  'tiny',
  '--spec',
  specFile,
  '--providers',
  'cpu',
  '--opt-cache',
  join(dir, 'opt'),
  '--lb',
  lbUrl,
  '--replica-id',
  id,
  '--standby',
];

describe('warmpool-agent serve --standby', () => {
  it('warms, stays unregistered (/readyz 503 "standby") until SIGUSR2, then a quick pass and it registers', async () => {
    const lb = new LoadBalancerServer({ token: 'sekret', pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    const io = captureIo();
    try {
      const done = main(serveArgs(lbUrl, 's-1'), io, { WARMPOOL_LB_TOKEN: 'sekret' });
      const standby = await waitFor(
        'the standby event',
        () => io.events().find((e) => e['event'] === 'standby'),
        30_000,
      );
      expect(standby['replicaId']).toBe('s-1');
      // warm, but neither registered nor ready
      expect(io.events().some((e) => e['event'] === 'warmup-finished' && e['phase'] === 'ready')).toBe(true);
      expect(lb.pool.get('s-1')).toBeUndefined();
      const url = String(io.events().find((e) => e['event'] === 'listening')!['url']);
      const readyz = await fetch(`${url}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.text()).toContain('standby');
      process.emit(PROMOTE_SIGNAL, PROMOTE_SIGNAL);
      await waitFor(
        'registered and serving',
        () => lb.pool.get('s-1')?.ready && io.outText().includes('"event":"serving"'),
        30_000,
      );
      const promoted = io.events().find((e) => e['event'] === 'promoted')!;
      expect(promoted).toMatchObject({ replicaId: 's-1', targets: 1 });
      expect(typeof promoted['quickPassMs']).toBe('number');
      expect(io.outText()).toMatch(
        /"event":"standby"[\s\S]*"event":"promoted"[\s\S]*"event":"registered"[\s\S]*"event":"serving"/,
      );
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      io.signal('SIGTERM');
      expect(await done).toBe(0);
      expect(lb.pool.get('s-1')).toBeUndefined();
    } finally {
      await lb.close();
    }
  }, 60_000);

  it('stops cleanly on SIGTERM while standing by, and refuses --standby without a registrar', async () => {
    const lb = new LoadBalancerServer({ token: 'sekret', pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    const io = captureIo();
    try {
      const done = main(serveArgs(lbUrl, 's-2'), io, { WARMPOOL_LB_TOKEN: 'sekret' });
      await waitFor('the standby event', () => io.events().some((e) => e['event'] === 'standby'), 30_000);
      io.signal('SIGTERM');
      expect(await done).toBe(0);
      expect(lb.pool.get('s-2')).toBeUndefined();
      expect(io.outText()).toContain('"event":"stopped"');
      expect(process.listenerCount(PROMOTE_SIGNAL)).toBe(0);
    } finally {
      await lb.close();
    }
    const io2 = captureIo();
    expect(await main(['serve', '--model', 'tiny-transformer', '--standby'], io2, {})).toBe(2);
    expect(io2.errText()).toContain('--standby');
  }, 60_000);
});
