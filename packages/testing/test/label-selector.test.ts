import { describe, expect, it } from 'vitest';
import { KubeStatusError } from '../src/kubernetes/kube-status.js';
import { LabelSelector } from '../src/kubernetes/label-selector.js';

const labels = { app: 'llama', tier: 'gpu', 'warmpool.io/warm': 'true' };

describe('LabelSelector', () => {
  it.each([
    ['app=llama', true],
    ['app==llama', true],
    ['app=bert', false],
    ['app!=bert', true],
    ['app!=llama', false],
    ['missing!=x', true],
    ['app=llama,tier=gpu', true],
    ['app=llama,tier=cpu', false],
    ['tier in (gpu,cpu)', true],
    ['tier in (cpu)', false],
    ['tier notin (cpu)', true],
    ['tier notin (gpu, cpu)', false],
    ['warmpool.io/warm', true],
    ['!warmpool.io/warm', false],
    ['!other', true],
    ['app in (llama),!other,tier', true],
    ['', true],
  ])('%s → %s', (sel, want) => {
    expect(new LabelSelector(sel).matches(labels)).toBe(want);
  });

  it('rejects garbage with a 400 Status', () => {
    let err: unknown;
    try {
      new LabelSelector('app in llama');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeStatusError);
    expect((err as KubeStatusError).status.code).toBe(400);
  });
});
