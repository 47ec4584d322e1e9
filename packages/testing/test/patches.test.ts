import { describe, expect, it } from 'vitest';
import type { KubeStatusError } from '../src/kubernetes/kube-status.js';
import { applyJsonPatch, applyMergePatch } from '../src/kubernetes/patches.js';
import { applyStrategicMergePatch } from '../src/kubernetes/strategic-merge-patch.js';

describe('applyMergePatch (RFC 7386)', () => {
  it('merges objects, replaces arrays and deletes on null', () => {
    const doc = { metadata: { labels: { a: '1', b: '2' } }, spec: { list: [1, 2], replicas: 1 } };
    expect(applyMergePatch(doc, { metadata: { labels: { b: null, c: '3' } }, spec: { list: [3] } })).toEqual({
      metadata: { labels: { a: '1', c: '3' } },
      spec: { list: [3], replicas: 1 },
    });
    expect(doc.metadata.labels.b).toBe('2');
  });
});

describe('applyJsonPatch (RFC 6902)', () => {
  const doc = { spec: { replicas: 1, items: ['a', 'b'] }, metadata: { annotations: { 'x/y': 'z' } } };

  it('add, replace, remove, test, copy and move', () => {
    const out = applyJsonPatch(doc, [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/items/-', value: 'c' },
      { op: 'remove', path: '/metadata/annotations/x~1y' },
      { op: 'copy', from: '/spec/replicas', path: '/spec/copy' },
      { op: 'move', from: '/spec/copy', path: '/spec/moved' },
    ]);
    expect(out).toEqual({ spec: { replicas: 3, items: ['a', 'b', 'c'], moved: 3 }, metadata: { annotations: {} } });
  });

  it('a failed test is a 422, a missing path a 400', () => {
    const codeOf = (ops: unknown): number => {
      try {
        applyJsonPatch(doc, ops);
      } catch (e) {
        return (e as KubeStatusError).status.code;
      }
      return 0;
    };
    expect(codeOf([{ op: 'test', path: '/spec/replicas', value: 2 }])).toBe(422);
    expect(codeOf([{ op: 'replace', path: '/spec/nothing', value: 2 }])).toBe(400);
    expect(codeOf([{ op: 'add', path: '/nope/deeper', value: 2 }])).toBe(400);
    expect(codeOf({ op: 'add' })).toBe(400);
  });
});

describe('applyStrategicMergePatch', () => {
  it('merges status.conditions by type, keeping the others, and replaces lists without a merge key', () => {
    const pod = {
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'PodScheduled', status: 'True' },
        ],
      },
      spec: { tolerations: [{ key: 'a' }] },
    };
    const out = applyStrategicMergePatch(pod, {
      status: {
        conditions: [
          { type: 'warmpool.io/warm', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
      },
      spec: { tolerations: [{ key: 'b' }] },
    });
    expect(out).toEqual({
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'PodScheduled', status: 'True' },
          { type: 'warmpool.io/warm', status: 'True' },
        ],
      },
      spec: { tolerations: [{ key: 'b' }] },
    });
  });

  it('$patch: delete removes one element; null removes a key', () => {
    const out = applyStrategicMergePatch(
      {
        status: {
          conditions: [
            { type: 'A', status: 'True' },
            { type: 'B', status: 'True' },
          ],
        },
        x: 1,
      },
      { status: { conditions: [{ type: 'A', $patch: 'delete' }] }, x: null },
    );
    expect(out).toEqual({ status: { conditions: [{ type: 'B', status: 'True' }] } });
  });
});
