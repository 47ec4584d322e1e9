import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { runCommand } from '../src/cli/run-command.js';
import { configCommand } from '../src/cli/config-command.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../infra/examples');
const EXAMPLE = join(EXAMPLES, 'warmpool.local.yaml');

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** Resolves when `check` returns a value, polling every 250 ms; rejects after `timeoutMs` with `what`. */
async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < end && i < 100_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'warmpool-local-example-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('infra/examples/warmpool.local.yaml runs as shipped', () => {
  it('config validate passes its environment checks without WARMPOOL_LB_TOKEN (run generates one)', async () => {
    let out = '';
    const code = await configCommand(['validate', EXAMPLE], (s) => (out += s), { HOME: home });
    expect(code).toBe(0);
    expect(out).toContain('environment checks');
    expect(out).toMatch(/ok\s+WARMPOOL_LB_TOKEN: not set: run generates a token/);
    expect(out).toContain(join(home, '.local/state/warmpool/local-example'));
  });

  it('run starts the load balancer, a replica of the bundled model registers warm, SIGTERM stops it; nothing is written into the checkout', {
    timeout: 660_000,
  }, async () => {
    const before = readdirSync(EXAMPLES).sort();
    // As shipped when its ports are free here; otherwise the same file with the load balancer on a free port.
    let file = EXAMPLE;
    if (!(await portFree(8080))) {
      file = join(home, 'warmpool.local.yaml');
      const port = await new Promise<number>((res) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => res(p));
        });
      });
      writeFileSync(
        file,
        readFileSync(EXAMPLE, 'utf8').replaceAll('http://127.0.0.1:8080', `http://127.0.0.1:${port}`),
      );
    }
    const lines: string[] = [];
    let partial = '';
    const stdout = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          const text = partial + chunk.toString('utf8');
          const parts = text.split('\n');
          partial = parts.pop()!;
          lines.push(...parts);
          cb();
        },
      }),
      { isTTY: false },
    );
    const signals = new EventEmitter();
    const env = { HOME: home, PATH: process.env.PATH };
    const done = runCommand(['--config', file], () => undefined, {
      env,
      stdout,
      signals: signals as never,
      watchFile: false,
    });
    let settled = false;
    let failure: unknown;
    void done.then(
      () => {
        settled = true;
      },
      (err: unknown) => {
        settled = true;
        failure = err;
      },
    );
    try {
      const started = await until('the load-balancer record', 60_000, () => {
        if (settled) throw new Error(`run ended early (${String(failure)}):\n${lines.join('\n')}`);
        const l = lines.find((x) => x.includes('"event":"load-balancer"'));
        return l
          ? (JSON.parse(l) as { url: string; token: string; tokenGenerated: boolean; stateDir: string })
          : undefined;
      });
      expect(started.tokenGenerated).toBe(true);
      expect(started.token).toMatch(/^[0-9a-f]{32}$/);
      expect(started.stateDir).toBe(join(home, '.local/state/warmpool/local-example'));
      // A replica of llm-chat (bundled tiny-transformer) starts, warms and registers with the embedded load balancer.
      await until('a replica registered with the load balancer', 420_000, async () => {
        if (settled) throw new Error(`run ended early (${String(failure)}):\n${lines.join('\n')}`);
        const res = await fetch(`${started.url}/replicas?model=llm-chat`, {
          headers: { authorization: `Bearer ${started.token}` },
        }).catch(() => undefined);
        if (!res?.ok) return undefined;
        const body = (await res.json()) as { replicas: unknown[] };
        return body.replicas.length > 0 ? true : undefined;
      });
      const infer = await fetch(`${started.url}/v1/models/llm-chat/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: { input_ids: { dims: [1, 4], data: [1, 2, 3, 4] } } }),
      });
      expect(infer.status).toBe(200);
      await until('a decision record', 60_000, () =>
        lines.some((l) => l.includes('"kind":"decision"')) ? true : undefined,
      );
    } finally {
      signals.emit('SIGTERM');
    }
    expect(
      await Promise.race([
        done,
        new Promise((_, rej) =>
          setTimeout(() => rej(new Error(`run did not stop within 90 s:\n${lines.slice(-20).join('\n')}`)), 90_000),
        ),
      ]),
    ).toBe(0);
    const state = join(home, '.local/state/warmpool/local-example');
    expect(readFileSync(join(state, 'decisions.jsonl'), 'utf8')).toContain('"kind":"decision"');
    expect(existsSync(join(state, 'run'))).toBe(true);
    expect(readdirSync(EXAMPLES).sort()).toEqual(before);
  });
});
