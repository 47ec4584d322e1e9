import { describe, expect, it } from 'vitest';
import { KubeStatusError } from '../src/kubernetes/kube-status.js';
import { applyJsonPatch, applyMergePatch } from '../src/kubernetes/patches.js';

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
