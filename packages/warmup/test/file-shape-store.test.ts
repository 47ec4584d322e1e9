// FileShapeStore keeps what earlier replicas recorded: a save writes the loaded recording plus the recorder's counts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileShapeStore } from '../src/warmup/shape-store.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-file-shapes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const read = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as {
    shapes: Array<{ dims: Record<string, number[]>; count: number }>;
    untracked: number;
  };

describe('FileShapeStore', () => {
  it('a save adds the recorder counts to the loaded ones (summed per shape), most frequent first; repeated saves do not double count', async () => {
    const file = join(dir, 'a.json');
    writeFileSync(
      file,
      JSON.stringify({
        shapes: [
          { dims: { x: [1, 4] }, count: 5 },
          { dims: { x: [1, 8] }, count: 1 },
        ],
        untracked: 0,
      }),
    );
    const store = new FileShapeStore(file);
    expect(await store.load()).toEqual([{ x: [1, 4] }, { x: [1, 8] }]);
    await store.save({
      shapes: [
        { dims: { x: [1, 8] }, count: 3 },
        { dims: { x: [1, 2] }, count: 1 },
      ],
      untracked: 2,
    });
    expect(read(file)).toEqual({
      shapes: [
        { dims: { x: [1, 4] }, count: 5 },
        { dims: { x: [1, 8] }, count: 4 },
        { dims: { x: [1, 2] }, count: 1 },
      ],
      untracked: 2,
    });
    // The recorder's counts are cumulative: the next save replaces its part, it does not add it again.
    await store.save({
      shapes: [
        { dims: { x: [1, 8] }, count: 6 },
        { dims: { x: [1, 2] }, count: 1 },
      ],
      untracked: 2,
    });
    expect(read(file).shapes).toEqual([
      { dims: { x: [1, 8] }, count: 7 },
      { dims: { x: [1, 4] }, count: 5 },
      { dims: { x: [1, 2] }, count: 1 },
    ]);
  });

  it('keeps at most maxShapes, the most frequent; without a load (missing file) only the recorder counts', async () => {
    const file = join(dir, 'sub', 'b.json');
    const store = new FileShapeStore(file, 2);
    expect(await store.load()).toEqual([]);
    await store.save({
      shapes: [
        { dims: { x: [3] }, count: 3 },
        { dims: { x: [2] }, count: 2 },
        { dims: { x: [1] }, count: 1 },
      ],
      untracked: 0,
    });
    expect(read(file).shapes.map((s) => s.dims.x![0])).toEqual([3, 2]);
  });
});
