import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { LocalProcessProvider } from '@warmpool/provider-local';
import { ManualClock } from '@warmpool/queue';
import { DEFAULT_AGENT_BIN } from '../src/daemon/local-provider-factory.js';
import { BASE_YAML, FunctionHistory, config, harness, perSecondFrom } from './support/daemon-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-standby-daemon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const specFile = join(dir, 'spec.json');
writeFileSync(
  specFile,
  JSON.stringify({ shapes: [{ batch: 1, seq: 8 }], windowSize: 3, tolerance: 0.5, keepWarmIdleS: 0, budgetS: 20 }),
);
const TOKEN = 'daemon-standby';

// The daemon's tier wiring on the real local provider (agent processes, load balancer): a GPU budget that fits one
// replica of two eager models puts one in the host tier; the leader's setWarmTier gives it a standby agent that is
// not a replica, and the fleet record names the change and what the provider did.
describe('daemon + local provider: the host tier keeps a standby', () => {
  it('warm-tier-changed names host and the standby kept; the standby is not counted as a replica', {
    timeout: 240_000,
  }, async () => {
    const lb = new LoadBalancerServer({ token: TOKEN, pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    const template = (model: string) => ({
      model,
      modelSource: 'tiny-transformer',
      agentArgs: ['--providers', 'cpu', '--spec', specFile, '--opt-cache', join(dir, 'opt'), '--threads', '1'],
      lbUrl,
      lbToken: TOKEN,
      drainTimeoutMs: 3_000,
      standbyReplicas: 1,
    });
    const provider = new LocalProcessProvider({
      agentBinPath: DEFAULT_AGENT_BIN,
      runDir: join(dir, 'run'),
      models: [template('a'), template('b')],
      reaper: false,
    });
    const clock = new ManualClock(Date.now());
    const yaml = `gpuBudgetBytes: 1500\n${BASE_YAML}`.replace(
      /stepS: 10\n/g,
      'stepS: 10\n    gpuMemoryPerReplicaBytes: 1000\n',
    );
    const h = harness({
      clock,
      config: config(yaml),
      provider,
      history: new FunctionHistory((m) => (m === 'a' ? 5 : 2)),
      perSecond: perSecondFrom(clock, (m) => (m === 'a' ? 5 : 2)),
    });
    try {
      await h.daemon.start();
      await h.step(0);
      const changes = h.sink.of('fleet').filter((r) => r.event === 'warm-tier-changed');
      const host = changes.filter((r) => (r.detail as { to?: string } | undefined)?.to === 'host');
      expect(host).toHaveLength(1);
      const model = host[0]!.model!;
      expect(host[0]!.message).toBe(
        `${model}: warmth tier (none) -> host: 1 standby replica(s) kept loaded, not registered (a scale-up promotes them)`,
      );
      const other = model === 'a' ? 'b' : 'a';
      expect(changes.find((r) => r.model === other)?.message).toMatch(/-> gpu: no standbys$/);
      const state = await provider.waitFor(model, (s) => s.standbys.some((r) => r.standby === 'standing-by'), 120_000);
      expect(state.tier).toBe('host');
      expect(state.replicas.map((r) => r.id)).not.toContain(state.standbys[0]!.id);
      expect(lb.pool.get(state.standbys[0]!.id)).toBeUndefined();
      expect((await provider.getState(other)).standbys).toEqual([]);
    } finally {
      await h.daemon.stop();
      await provider.close();
      await lb.close();
    }
  });
});
