import { join } from 'node:path';
import { replicaProviderConformance } from '@warmpool/testing/conformance';
import { LocalProcessProvider } from '../src/local-process-provider.js';
import { agentBinPath, alive, tempWorld } from './agent-fixture.js';

const MODEL = 'tiny-transformer';

// Real agent processes with the tiny model. A provisioning delay keeps new replicas not ready
// until the harness waits for them (the local world's "hook" is waiting for warm-up).
replicaProviderConformance('local processes', async () => {
  const world = tempWorld('warmpool-local-conf-');
  const provider = new LocalProcessProvider({
    agentBinPath: agentBinPath(),
    runDir: join(world.dir, 'run'),
    models: [{ model: MODEL, agentArgs: world.agentArgs, provisionDelayMs: 400, drainTimeoutMs: 5_000 }],
  });
  let oob = 0;
  await provider.scale({
    model: MODEL,
    replicas: 1,
    idempotencyKey: 'harness-initial',
    reason: 'harness',
    message: 'initial replica',
  });
  await provider.waitUntilReady(MODEL, 20_000);
  return {
    provider,
    model: MODEL,
    initialReplicas: 1,
    makeReplicasReady: async (model) => {
      await provider.waitUntilReady(model, 20_000);
    },
    settle: async (model) => {
      await provider.waitFor(
        model,
        (s) => s.replicas.filter((r) => r.phase !== 'draining' && r.phase !== 'failed').length === s.desired,
        10_000,
      );
    },
    // A crash: SIGKILL a ready replica's process; the provider reports it failed.
    failReplica: async (model) => {
      const victim = provider.describe(model).find((r) => r.phase === 'ready' && r.pid !== undefined);
      if (!victim) throw new Error('no ready replica to kill');
      process.kill(victim.pid!, 'SIGKILL');
      await provider.waitFor(model, (s) => s.replicas.some((r) => r.id === victim.id && r.phase === 'failed'), 10_000);
      return victim.id;
    },
    // Another actor: a decision with a key of its own.
    setDesiredOutOfBand: async (model, replicas) => {
      await provider.scale({
        model,
        replicas,
        idempotencyKey: `out-of-band-${++oob}`,
        reason: 'harness',
        message: 'changed out of band',
      });
    },
    close: async () => {
      const pids = provider.describe(MODEL).map((r) => r.pid);
      await provider.close();
      const left = pids.filter((pid) => alive(pid));
      world.remove();
      if (left.length > 0) throw new Error(`processes left after close: ${left.join(', ')}`);
    },
  };
});
