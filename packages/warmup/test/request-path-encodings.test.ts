// The request-path warm sends only the encodings a client could use for each input set: a float16 input has no
// KServe v2 JSON form (Triton, too, takes FP16 only as binary tensor data), and a body over the server's
// max-body-bytes would get 413. Before, either failed the whole warm (400 / 413), so serve registered a replica whose
// request path was not warmed. Real replicas and a real model server on loopback, generated exporter-pattern models.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFixedDetector } from '../src/models/media-exporter-models.js';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { ModelReplica } from '../src/replica/model-replica.js';
import { encodeWarmRequest, planWarmEncodings } from '../src/server/http-path-warmer.js';
import { ModelServer } from '../src/server/model-server.js';
import { WARMUP_SPEC_DEFAULTS } from '../src/warmup/warmup-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-encodings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = { ...WARMUP_SPEC_DEFAULTS, windowSize: 3, tolerance: 0.5, minPasses: 3, concurrencyRounds: 1 };

/** A started replica behind a listening model server; `fn` gets both, and both are closed after. */
async function withServed(
  name: string,
  modelPath: string,
  maxBodyBytes: number | undefined,
  fn: (server: ModelServer, replica: ModelReplica) => Promise<void>,
): Promise<void> {
  const replica = new ModelReplica({ name, modelPath, session: { executionProviders: ['cpu'] }, spec });
  const server = new ModelServer({ replicas: [replica], maxBodyBytes });
  try {
    const status = await replica.start();
    expect(status.phase, status.reason).toBe('ready');
    await server.listen();
    await fn(server, replica);
  } finally {
    await server.close();
    await replica.close();
  }
}

describe('request-path warm: encodings a client could use', () => {
  it('tiny-fp16: v1 JSON and v2 binary warmed, v2 JSON skipped (fp16 has no JSON form)', {
    timeout: 120_000,
  }, async () => {
    await withServed('fp16', ensureTestModel('tiny-fp16'), undefined, async (server, replica) => {
      const r = await server.warmRequestPath('fp16', replica.warmTargets, 2);
      const labels = replica.warmTargets.map((t) => t.label);
      expect(labels.length).toBeGreaterThan(0);
      expect(r.requests).toBe(2 * 2 * labels.length);
      const by = Object.fromEntries(r.encodings.map((e) => [e.encoding, e]));
      expect(by['v1-json']).toEqual({ encoding: 'v1-json', warmed: labels, skipped: [] });
      expect(by['v2-binary']).toEqual({ encoding: 'v2-binary', warmed: labels, skipped: [] });
      expect(by['v2-json']!.warmed).toEqual([]);
      expect(by['v2-json']!.skipped.map((s) => s.target)).toEqual(labels);
      for (const s of by['v2-json']!.skipped)
        expect(s.reason).toMatch(/^fp16 has no JSON form \(input input; binary only\)$/);
    });
  });

  it('a fixed image model over a small max-body-bytes: the JSON encodings skipped with the body size, binary warmed', {
    timeout: 120_000,
  }, async () => {
    // The tiny-yolo pattern (images [1, 3, S, S] fixed) at S = 64: binary 49 kB, JSON ~10x that; a 128 KiB limit
    // stands in for 16 MiB against the 640x640 model's ~24 MB JSON.
    const modelPath = join(dir, 'fixed-detector-64.onnx');
    writeFileSync(modelPath, buildFixedDetector({ size: 64, seed: 43 }));
    const maxBodyBytes = 128 * 1024;
    await withServed('det', modelPath, maxBodyBytes, async (server, replica) => {
      const [t] = replica.warmTargets;
      expect(replica.warmTargets).toHaveLength(1);
      const jsonBytes = encodeWarmRequest('det', t!.feeds, 'v2-json').body.length;
      expect(jsonBytes).toBeGreaterThan(maxBodyBytes);
      const r = await server.warmRequestPath('det', replica.warmTargets, 2, {
        spec: { windowSize: 2, tolerance: 1e6, convergenceWindows: 2, maxPassesPerShape: 50 },
        budgetMs: 60_000,
      });
      expect(r.converged).toBe(true);
      expect(r.unconverged).toEqual([]);
      const by = Object.fromEntries(r.encodings.map((e) => [e.encoding, e]));
      expect(by['v2-binary']).toEqual({ encoding: 'v2-binary', warmed: [t!.label], skipped: [] });
      for (const e of ['v1-json', 'v2-json'] as const) {
        expect(by[e]!.warmed).toEqual([]);
        expect(by[e]!.skipped).toHaveLength(1);
        expect(by[e]!.skipped[0]!.reason).toMatch(/^body \d+\.\d kB over max-body-bytes 128 KiB$/);
      }
    });
  });

  it('an input set no encoding applies to is an error naming each reason', () => {
    const t = { label: '1x32', feeds: {}, elements: 0, shape: undefined };
    // Every body is over 10 bytes: nothing could be sent.
    expect(() => planWarmEncodings('m', [t], 10)).toThrow(
      /input set 1x32: no encoding applies \(v1-json: body \d+ bytes over max-body-bytes 10 bytes; v2-json: .*; v2-binary: .*\)/,
    );
  });
});
