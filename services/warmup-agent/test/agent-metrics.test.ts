import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LoadBalancerServer, LocalRegistrar } from '@warmpool/load-balancer';
import { describeWithPromtool, promtoolCheckMetrics } from '@warmpool/testing/prometheus';
import { SESSION_CONFIG_DEFAULTS, WARMUP_SPEC_DEFAULTS, ensureTestModel } from '@warmpool/warmup';
import { ReplicaAgent } from '../src/replica-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-agent-metrics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeWithPromtool('the agent and the load balancer /metrics', () => {
  it('pass promtool check metrics after a warm-up, a registration and a served request', {
    timeout: 60_000,
  }, async () => {
    const lb = new LoadBalancerServer({ token: 't0k', pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    let agentUrl = '';
    const agent = new ReplicaAgent({
      name: 'tiny',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { ...SESSION_CONFIG_DEFAULTS, executionProviders: ['cpu'], optimizedModelCacheDir: join(dir, 'opt') },
      spec: {
        ...WARMUP_SPEC_DEFAULTS,
        shapes: [{ batch: 1, seq: 8 }],
        windowSize: 3,
        tolerance: 0.5,
        keepWarmIdleMs: 0,
      },
      host: '127.0.0.1',
      port: 0,
      maxConcurrency: 1,
      maxQueue: 8,
      registrar: new LocalRegistrar({ lbUrl, token: 't0k', retries: 0 }),
      replicaId: 'tiny-m1',
      log: (e) => {
        if (e['event'] === 'listening') agentUrl = String(e['url']);
      },
    });
    try {
      expect(await agent.start()).toMatchObject({ ok: true });
      const body = JSON.stringify({ inputs: { input_ids: { dims: [1, 4], data: [1, 2, 3, 4] } } });
      expect((await fetch(`${lbUrl}/v1/models/tiny/infer`, { method: 'POST', body })).status).toBe(200);
      expect(agentUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const agentText = await (await fetch(`${agentUrl}/metrics`)).text();
      expect(agentText).toMatch(/^warmpool_inference_requests_total\{model="tiny",code="200"\} 1$/m);
      expect(agentText).toMatch(/^warmpool_warmup_first_pass_seconds\{model="tiny",shape="1x8"\} /m);
      const lbText = await (await fetch(`${lbUrl}/metrics`, { headers: { authorization: 'Bearer t0k' } })).text();
      expect(lbText).toMatch(/^warmpool_lb_requests_total\{model="tiny",code="200"\} 1$/m);
      expect(lbText).toMatch(/^process_cpu_seconds_total /m);
      for (const [who, text] of [
        ['agent', agentText],
        ['load balancer', lbText],
      ] as const) {
        const r = await promtoolCheckMetrics(text);
        expect(`${who}: ${r.output}`).toBe(`${who}: `);
        expect(r.code).toBe(0);
      }
    } finally {
      await agent.shutdown().catch(() => {});
      await lb.close();
    }
  });
});
