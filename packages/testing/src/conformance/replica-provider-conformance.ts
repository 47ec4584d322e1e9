import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  WarmpoolError,
  type ReplicaInfo,
  type ReplicaPhase,
  type ReplicaProvider,
  type ReplicaSetState,
} from '@warmpool/domain';

/** What a provider's test world must offer the shared suite. */
export interface ReplicaProviderHarness {
  readonly provider: ReplicaProvider;
  /** A model the provider is configured for. */
  readonly model: string;
  /** Replicas the model has when the harness is made (at least 1). */
  readonly initialReplicas: number;
  /** Makes every current replica of `model` ready, as a finished warm-up would. */
  makeReplicasReady(model: string): Promise<void>;
  /**
   * Lets the provider's world act on the last scale (pods created, instances launched, processes
   * spawned) and resolves once getState shows it. Optional: worlds that act synchronously omit it.
   */
  settle?(model: string): Promise<void>;
  /** Changes the desired replicas behind the provider's back, as another actor would (kubectl scale, console). */
  setDesiredOutOfBand(model: string, replicas: number): Promise<void>;
  /**
   * Makes one ready replica of `model` fail as a crash would (process killed, pod Failed, instance unhealthy) and
   * resolves with its id. Optional: the replacement tests are skipped without it.
   */
  failReplica?(model: string): Promise<string>;
  /**
   * For worlds whose replacement may reuse the id (a StatefulSet's pod keeps its name): an identity that changes when
   * the replica is replaced (the pod's uid). Without it, a replaced id must not come back.
   */
  identity?(model: string, id: string): Promise<string | undefined>;
  /** Makes every later backend call fail (server errors or throttling beyond the retries). Optional. */
  breakBackend?(): Promise<void> | void;
  close(): Promise<void>;
}

export interface ReplicaProviderConformanceOptions {
  /** Whether new replicas stay not-ready until makeReplicasReady (true for every world with a warm-up gate). Default true. */
  readonly readyNeedsHook?: boolean;
}

const PHASES: readonly ReplicaPhase[] = ['provisioning', 'loading', 'warming', 'ready', 'draining', 'failed'];

function live(state: ReplicaSetState): ReplicaInfo[] {
  return state.replicas.filter((r) => r.phase !== 'draining' && r.phase !== 'failed');
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to reject, it resolved');
}

function expectTyped(err: unknown): void {
  expect(err).toBeInstanceOf(WarmpoolError);
  const e = err as WarmpoolError;
  expect(typeof e.code).toBe('string');
  expect(e.code.length).toBeGreaterThan(0);
  expect(e.message.length).toBeGreaterThan(0);
}

/**
 * The shared suite every ReplicaProvider (Kubernetes, AWS Auto Scaling, local processes) must pass.
 * Registers vitest blocks; call it at the top level of a test file:
 *
 *   replicaProviderConformance('kubernetes', async () => ({ provider, model, ... }));
 */
export function replicaProviderConformance(
  name: string,
  makeHarness: () => Promise<ReplicaProviderHarness>,
  options: ReplicaProviderConformanceOptions = {},
): void {
  const readyNeedsHook = options.readyNeedsHook ?? true;

  describe(`ReplicaProvider conformance: ${name}`, () => {
    let h: ReplicaProviderHarness;
    let seq = 0;
    const key = (label: string): string => `conformance-${label}-${++seq}`;
    /** The identity of `id` before its replacement (undefined where ids are never reused). */
    const identityOf = async (id: string): Promise<string | undefined> =>
      h.identity ? h.identity(h.model, id) : undefined;
    /** The replica `id` is not among `back`, or (ids reused) it is a new one. */
    const expectReplaced = async (
      back: readonly ReplicaInfo[],
      id: string,
      before: string | undefined,
    ): Promise<void> => {
      if (h.identity && back.some((r) => r.id === id)) expect(await h.identity(h.model, id)).not.toBe(before);
      else expect(back.map((r) => r.id)).not.toContain(id);
    };
    const settled = async (): Promise<ReplicaSetState> => {
      await h.settle?.(h.model);
      return h.provider.getState(h.model);
    };

    beforeEach(async () => {
      h = await makeHarness();
    });

    afterEach(async () => {
      await h.close();
    });

    it('reports the initial state: desired, one entry per replica, valid phases and times', async () => {
      const state = await settled();
      expect(state.model).toBe(h.model);
      expect(state.desired).toBe(h.initialReplicas);
      expect(live(state)).toHaveLength(h.initialReplicas);
      expect(new Set(state.replicas.map((r) => r.id)).size).toBe(state.replicas.length);
      for (const r of state.replicas) {
        expect(PHASES).toContain(r.phase);
        expect(Number.isFinite(r.requestedAtMs)).toBe(true);
        if (r.phase === 'ready') expect(r.readyAtMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('scale up is reflected in getState, and new replicas become ready through the harness hook', async () => {
      const target = h.initialReplicas + 2;
      await h.provider.scale({
        model: h.model,
        replicas: target,
        idempotencyKey: key('up'),
        reason: 'ForecastScaleAhead',
        message: 'conformance: scale up',
      });
      expect((await h.provider.getState(h.model)).desired).toBe(target);
      const before = await settled();
      expect(live(before)).toHaveLength(target);
      if (readyNeedsHook)
        expect(live(before).filter((r) => r.phase === 'ready').length).toBeLessThanOrEqual(h.initialReplicas);
      await h.makeReplicasReady(h.model);
      const after = await settled();
      expect(after.desired).toBe(target);
      expect(after.replicas.filter((r) => r.phase === 'ready')).toHaveLength(target);
      for (const r of after.replicas) {
        expect(r.readyAtMs).toBeDefined();
        expect(r.readyAtMs!).toBeGreaterThanOrEqual(0);
      }
    });

    it('scale down is reflected in getState', async () => {
      await h.provider.scale({
        model: h.model,
        replicas: h.initialReplicas + 1,
        idempotencyKey: key('up'),
        reason: 'r',
        message: 'up',
      });
      await h.makeReplicasReady(h.model);
      await h.settle?.(h.model);
      await h.provider.scale({
        model: h.model,
        replicas: 1,
        idempotencyKey: key('down'),
        reason: 'ScaleDownStable',
        message: 'conformance: scale down',
      });
      const state = await settled();
      expect(state.desired).toBe(1);
      expect(live(state)).toHaveLength(1);
    });

    it('applies an idempotency key once: a replay does not undo a later change', async () => {
      const k = key('once');
      const target = h.initialReplicas + 1;
      await h.provider.scale({ model: h.model, replicas: target, idempotencyKey: k, reason: 'r', message: 'first' });
      await h.provider.scale({
        model: h.model,
        replicas: target,
        idempotencyKey: k,
        reason: 'r',
        message: 'same key again',
      });
      expect((await h.provider.getState(h.model)).desired).toBe(target);
      await h.setDesiredOutOfBand(h.model, h.initialReplicas);
      await h.provider.scale({
        model: h.model,
        replicas: target,
        idempotencyKey: k,
        reason: 'r',
        message: 'replayed job',
      });
      expect((await h.provider.getState(h.model)).desired).toBe(h.initialReplicas);
      await h.provider.scale({
        model: h.model,
        replicas: target,
        idempotencyKey: key('fresh'),
        reason: 'r',
        message: 'a new decision',
      });
      expect((await h.provider.getState(h.model)).desired).toBe(target);
    });

    it('a failed replica is reported failed (or gone), and a scale that replaces it brings the capacity back', async (ctx) => {
      if (!h.failReplica) {
        ctx.skip();
        return;
      }
      await h.makeReplicasReady(h.model);
      await settled();
      const id = await h.failReplica(h.model);
      const seen = (await h.provider.getState(h.model)).replicas.find((r) => r.id === id);
      if (seen) expect(['failed', 'draining']).toContain(seen.phase);
      const before = await identityOf(id);
      await h.provider.scale({
        model: h.model,
        replicas: h.initialReplicas,
        idempotencyKey: key('replace'),
        reason: 'ReplicaFailed',
        message: 'conformance: replace the failed replica',
        replace: [{ id, reason: 'conformance: it crashed' }],
      });
      await h.settle?.(h.model);
      await h.makeReplicasReady(h.model);
      const after = await settled();
      expect(after.desired).toBe(h.initialReplicas);
      const back = live(after);
      expect(back).toHaveLength(h.initialReplicas);
      await expectReplaced(back, id, before);
      expect(back.every((r) => r.phase === 'ready')).toBe(true);
    });

    it('a replica stuck in warm-up is ended by a scale that replaces it, and a fresh one takes its place', async (ctx) => {
      if (!h.failReplica || !readyNeedsHook) {
        ctx.skip();
        return;
      }
      await h.makeReplicasReady(h.model);
      const target = h.initialReplicas + 1;
      await h.provider.scale({
        model: h.model,
        replicas: target,
        idempotencyKey: key('up'),
        reason: 'r',
        message: 'one more',
      });
      const scaled = await settled();
      const stuck = live(scaled).filter((r) => r.phase !== 'ready');
      expect(stuck).toHaveLength(1);
      const id = stuck[0]!.id;
      const before = await identityOf(id);
      await h.provider.scale({
        model: h.model,
        replicas: target,
        idempotencyKey: key('replace-stuck'),
        reason: 'ReplicaFailed',
        message: 'conformance: replace the stuck replica',
        replace: [{ id, reason: 'conformance: not ready past its deadline' }],
      });
      await h.settle?.(h.model);
      await h.makeReplicasReady(h.model);
      const after = await settled();
      expect(after.desired).toBe(target);
      const back = live(after);
      expect(back).toHaveLength(target);
      await expectReplaced(back, id, before);
      expect(back.every((r) => r.phase === 'ready')).toBe(true);
    });

    it('a replacement is applied once per key, and ids no longer listed are skipped', async () => {
      const state = await settled();
      const request = {
        model: h.model,
        replicas: h.initialReplicas,
        idempotencyKey: key('replace-gone'),
        reason: 'ReplicaFailed',
        message: 'conformance: replace a replica that is gone',
        replace: [{ id: `${h.model}-no-such-replica`, reason: 'gone already' }],
      };
      await h.provider.scale(request);
      await h.provider.scale(request);
      const after = await settled();
      expect(after.desired).toBe(h.initialReplicas);
      expect(
        live(after)
          .map((r) => r.id)
          .sort(),
      ).toEqual(
        live(state)
          .map((r) => r.id)
          .sort(),
      );
    });

    it('rejects an unknown model with a typed error', async () => {
      const unknown = `${h.model}-not-configured`;
      expectTyped(await rejection(h.provider.getState(unknown)));
      expectTyped(
        await rejection(
          h.provider.scale({ model: unknown, replicas: 1, idempotencyKey: key('unknown'), reason: 'r', message: 'm' }),
        ),
      );
    });

    it('rejects a negative or fractional replica count with a typed error and changes nothing', async () => {
      expectTyped(
        await rejection(
          h.provider.scale({ model: h.model, replicas: -1, idempotencyKey: key('neg'), reason: 'r', message: 'm' }),
        ),
      );
      expectTyped(
        await rejection(
          h.provider.scale({ model: h.model, replicas: 1.5, idempotencyKey: key('frac'), reason: 'r', message: 'm' }),
        ),
      );
      expect((await h.provider.getState(h.model)).desired).toBe(h.initialReplicas);
    });

    it('turns a failing backend into a typed error', async (ctx) => {
      if (!h.breakBackend) {
        ctx.skip();
        return;
      }
      await h.breakBackend();
      expectTyped(await rejection(h.provider.getState(h.model)));
      expectTyped(
        await rejection(
          h.provider.scale({
            model: h.model,
            replicas: h.initialReplicas + 1,
            idempotencyKey: key('broken'),
            reason: 'r',
            message: 'm',
          }),
        ),
      );
    });
  });
}
