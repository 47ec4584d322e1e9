import { describe, expect, it } from 'vitest';
import type { ReplicaInfo, ReplicaSetState } from '@warmpool/domain';
import { LeadTimeEstimator } from '../src/daemon/lead-time-estimator.js';

const state = (replicas: (ReplicaInfo & Record<string, unknown>)[]): ReplicaSetState => ({
  model: 'm',
  desired: replicas.length,
  replicas,
});

describe('LeadTimeEstimator', () => {
  it('p90 of the replicas it saw come up, stages from the phases seen; none before 3 samples', () => {
    const e = new LeadTimeEstimator(20, 3);
    const totals = [10, 12, 11, 30, 13];
    totals.forEach((total, i) => {
      const req = i * 100_000;
      e.observe(state([{ id: `r${i}`, phase: 'provisioning', requestedAtMs: req }]), req + 1000);
      e.observe(state([{ id: `r${i}`, phase: 'loading', requestedAtMs: req }]), req + 4000);
      e.observe(state([{ id: `r${i}`, phase: 'warming', requestedAtMs: req }]), req + 8000);
      e.observe(
        state([{ id: `r${i}`, phase: 'ready', requestedAtMs: req, readyAtMs: req + total * 1000 }]),
        req + total * 1000 + 500,
      );
      if (i < 2) expect(e.estimate().leadTimeS).toBeUndefined();
    });
    expect(e.estimate()).toEqual({ leadTimeS: 30, stagesS: { provisioning: 4, loading: 4, warming: 4 }, samples: 5 });
  });

  it('ignores replicas already ready when first seen, and failed ones', () => {
    const e = new LeadTimeEstimator(20, 1);
    e.observe(state([{ id: 'old', phase: 'ready', requestedAtMs: 0, readyAtMs: 5 }]), 1000);
    e.observe(state([{ id: 'bad', phase: 'loading', requestedAtMs: 0 }]), 1000);
    e.observe(state([{ id: 'bad', phase: 'failed', requestedAtMs: 0 }]), 2000);
    e.observe(state([{ id: 'bad', phase: 'ready', requestedAtMs: 0, readyAtMs: 3000 }]), 3000);
    expect(e.estimate().samples).toBe(0);
  });

  it('uses exact stage stamps when the provider reports them (local provider)', () => {
    const e = new LeadTimeEstimator(20, 1);
    e.observe(state([{ id: 'a', phase: 'provisioning', requestedAtMs: 0 }]), 100);
    e.observe(
      state([
        { id: 'a', phase: 'ready', requestedAtMs: 0, readyAtMs: 9000, processStartedAtMs: 2000, warmingAtMs: 7500 },
      ]),
      9100,
    );
    expect(e.estimate()).toEqual({
      leadTimeS: 9,
      stagesS: { provisioning: 2, loading: 5.5, warming: 1.5 },
      samples: 1,
    });
  });

  it('per warmth tier: replicas are tagged with the tier they were asked for in; a tier with enough samples has its own lead time', () => {
    const e = new LeadTimeEstimator(20, 2);
    const up = (id: string, startMs: number, totalS: number, tier?: string) => {
      e.observe(state([{ id, phase: 'provisioning', requestedAtMs: startMs }]), startMs + 100, tier);
      // the tier may change while it comes up: the one it was first seen in counts
      e.observe(
        state([{ id, phase: 'ready', requestedAtMs: startMs, readyAtMs: startMs + totalS * 1000 }]),
        startMs + totalS * 1000 + 100,
        'other',
      );
    };
    up('g1', 0, 8, 'gpu');
    up('g2', 100_000, 10, 'gpu');
    up('c1', 200_000, 60, 'cold');
    expect(e.estimate('gpu')).toMatchObject({ leadTimeS: 10, samples: 2, tier: 'gpu' });
    // one cold sample is not enough: all samples, no tier named
    expect(e.estimate('cold')).toEqual({ ...e.estimate(), samples: 3 });
    expect(e.estimate('cold').tier).toBeUndefined();
    up('c2', 300_000, 70, 'cold');
    expect(e.estimate('cold')).toMatchObject({ leadTimeS: 70, samples: 2, tier: 'cold' });
    expect(e.estimate().leadTimeS).toBe(70);
    // checkpoints keep the tier
    const again = new LeadTimeEstimator(20, 2);
    expect(again.restore(e.snapshot())).toBe(4);
    expect(again.estimate('gpu')).toMatchObject({ leadTimeS: 10, tier: 'gpu' });
  });
});
