import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, RedisDecisionStream } from '@warmpool/queue';
import { decisionsCommand, parseSince } from '../src/cli/decisions-command.js';
import { main } from '../src/main.js';
import type { DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { FunctionHistory, T0, harness, perSecondFrom } from './support/daemon-harness.js';
import { StagedProvider } from './support/staged-provider.js';
import { REDIS_URL, deleteKeys, describeWithRedis, freshPrefix } from './support/redis-env.js';

// integration tests over loopback HTTP / Redis: generous limits for a loaded machine (they take ~1 s)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let dir: string;
let records: DaemonLogRecord[];
const rate = (model: string, second: number): number => (model === 'a' ? (second >= T0 / 1000 + 20 ? 45 : 5) : 2);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warmpool-decisions-'));
  const c = new ManualClock(T0);
  const h = harness({
    clock: c,
    provider: new StagedProvider({ a: 1, b: 1 }, () => c.now()),
    history: new FunctionHistory(() => 5),
    perSecond: perSecondFrom(c, rate),
  });
  await h.daemon.start();
  for (let i = 0; i <= 40; i++) await h.step(i === 0 ? 0 : 1000);
  await h.daemon.stop();
  records = h.sink.records;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logFile(name: string, recs: readonly DaemonLogRecord[]): string {
  const p = join(dir, name);
  writeFileSync(p, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return p;
}

async function run(argv: string[], nowMs = T0 + 60_000): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await decisionsCommand(argv, (s) => (out += s + '\n'), {
    nowMs: () => nowMs,
    err: (s) => (err += s + '\n'),
  });
  return { code, out, err };
}

describe('warmpool decisions', () => {
  it('shows scale decisions as a table, each scale-up with its outcome joined from the follow-up record', async () => {
    const f = logFile('d.jsonl', records);
    const r = await run(['--log', f]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(
      /^TIME\s+MODEL\s+ACTION\s+FROM->TO\s+REASONS\s+OBS\/S\s+P50\/S\s+UPPER\/S\s+LEAD S\s+ACTED\s+OUTCOME$/,
    );
    const up = lines.find((l) => l.includes('↑ scale-up') && l.includes(' a '))!;
    expect(up).toMatch(/2026-03-02 00:00:2\dZ\s+a\s+↑ scale-up\s+1->\d+\s+\S+.*enqueued\s+late \(45\/s vs 10\/s\)$/);
    // holds are left out unless --all
    expect(lines.some((l) => /\bb\s+= hold/.test(l))).toBe(false);
    const all = await run(['--log', f, '--all']);
    expect(all.out).toMatch(/\bb\s+= hold\s+1->1/);
  });

  it('--model and --since filter; bad lines are skipped and named', async () => {
    const f = logFile('mixed.jsonl', records);
    appendFileSync(f, 'not json\n{"kind":"decision"}\n');
    const onlyB = await run(['--log', f, '--model', 'b', '--all']);
    expect(
      onlyB.out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .every((l) => /^\S+ \S+\s+b\s/.test(l)),
    ).toBe(true);
    expect(onlyB.err).toMatch(/mixed\.jsonl:\d+: not a decision record, skipped/);
    const recent = await run(['--log', f, '--since', '30s', '--all'], T0 + 60_000);
    expect(
      recent.out
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .every((l) => l >= '2026-03-02 00:00:30Z'),
    ).toBe(true);
    const none = await run(['--log', f, '--since', '1s'], T0 + 3_600_000);
    expect(none.out.trim()).toBe('no decisions match');
  });

  it('--follow prints records appended later until stopped', async () => {
    const f = logFile('follow.jsonl', records.slice(0, 5));
    const ac = new AbortController();
    let out = '';
    const done = decisionsCommand(['--log', f, '--follow'], (s) => (out += s + '\n'), {
      signal: ac.signal,
      nowMs: () => T0,
    });
    await new Promise((r) => setTimeout(r, 100));
    const later = records.find((r) => r.kind === 'decision' && r.acted === 'enqueued')!;
    appendFileSync(f, JSON.stringify(later) + '\n');
    const t0 = Date.now();
    while (!out.includes('↑ scale-up') && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    expect(await done).toBe(0);
    expect(out).toMatch(/a {2}↑ scale-up {2}1->\d+/);
  });

  it('--config reads where the daemon with that config writes (decisionLog.file)', async () => {
    const f = logFile('from-config.jsonl', records);
    const cfg = join(dir, 'w.yaml');
    writeFileSync(
      cfg,
      `decisionLog: { file: from-config.jsonl }\nmodels:\n  - { name: a, capacityPerReplicaPerS: 1, target: { modelFile: a.onnx } }\n`,
    );
    expect(f).toBe(join(dir, 'from-config.jsonl'));
    const r = await run(['--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/a\s+↑ scale-up\s+1->\d+/);
    const noLog = join(dir, 'nolog.yaml');
    writeFileSync(noLog, `models:\n  - { name: a, capacityPerReplicaPerS: 1, target: { modelFile: a.onnx } }\n`);
    await expect(run(['--config', noLog])).rejects.toThrow(
      /sets neither decisionLog\.file nor decisionLog\.redisStream/,
    );
  });

  it('usage errors exit 2', async () => {
    const err = (argv: string[]) =>
      main(
        ['decisions', ...argv],
        () => undefined,
        () => undefined,
      );
    expect(await err([])).toBe(2);
    expect(await err(['--log', 'a', '--redis', 'redis://x'])).toBe(2);
    expect(await err(['--log', join(dir, 'missing.jsonl')])).toBe(2);
    expect(() => parseSince('yesterday', 0)).toThrow(/--since: got "yesterday"/);
    expect(parseSince('15m', 1_000_000)).toBe(100_000);
  });
});

describeWithRedis('warmpool decisions --redis', () => {
  it('reads the Redis stream the daemon appends to and joins the outcomes', async () => {
    const key = freshPrefix('decisions');
    const stream = new RedisDecisionStream({ redisUrl: REDIS_URL, key });
    try {
      for (const r of records) await stream.append({ ...r });
      const res = await run(['--redis', REDIS_URL, '--key', key], Date.now());
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/a\s+↑ scale-up\s+1->\d+.*enqueued\s+late \(45\/s vs 10\/s\)/);
    } finally {
      await deleteKeys(key);
      await stream.close();
    }
  });

  it('--follow prints records appended to the stream later, until stopped', async () => {
    const key = freshPrefix('follow');
    const stream = new RedisDecisionStream({ redisUrl: REDIS_URL, key });
    const ac = new AbortController();
    try {
      await stream.append({ ...records[0]! });
      let out = '';
      const done = decisionsCommand(['--redis', REDIS_URL, '--key', key, '--follow'], (s) => (out += s + '\n'), {
        signal: ac.signal,
        nowMs: () => Date.now(),
      });
      await new Promise((r) => setTimeout(r, 200));
      const later = records.find((r) => r.kind === 'decision' && r.acted === 'enqueued')!;
      await stream.append({ ...later });
      const t0 = Date.now();
      while (!out.includes('↑ scale-up') && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      expect(await done).toBe(0);
      expect(out).toMatch(/a {2}↑ scale-up {2}1->\d+/);
    } finally {
      ac.abort();
      await deleteKeys(key);
      await stream.close();
    }
  });
});
