import { describe, expect, it } from 'vitest';
import { agentEventLog } from '../src/agent-logger.js';
import type { Io } from '../src/io.js';
import { main } from '../src/main.js';

function io(
  outIsTTY = false,
  signal: Promise<string> = new Promise(() => undefined),
): Io & { lines: string[]; errs: string[] } {
  const lines: string[] = [];
  const errs: string[] = [];
  return {
    lines,
    errs,
    outIsTTY,
    out: (t) => void lines.push(t),
    err: (t) => void errs.push(t),
    untilSignal: () => signal,
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the agent on the one logger', () => {
  it('writes its events as JSON lines with time, level, component, model and msg, the fields kept (the local provider reads event, url, reason)', () => {
    const out = io();
    const log = agentEventLog(out, 'agent', 'info', 'tiny');
    log({ event: 'listening', url: 'http://127.0.0.1:1', replicaId: 'r1' });
    log({ event: 'not-serving', stage: 'warmup', error: 'E_WARMUP', reason: 'did not converge' });
    log({ event: 'registrar', model: 'other' });
    expect(out.lines).toHaveLength(3);
    const [a, b, c] = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(a).toMatchObject({
      level: 'info',
      component: 'agent',
      model: 'tiny',
      event: 'listening',
      url: 'http://127.0.0.1:1',
      msg: 'listening',
    });
    expect(new Date(a!['time'] as string).toISOString()).toBe(a!['time']);
    expect(a).not.toHaveProperty('ts');
    expect(b).toMatchObject({
      level: 'warn',
      event: 'not-serving',
      error: 'E_WARMUP',
      reason: 'did not converge',
      msg: 'not-serving: did not converge',
    });
    expect(c).toMatchObject({ model: 'other' });
  });

  it('writes the readable form when stdout is a terminal, and nothing below its level', () => {
    const tty = io(true);
    agentEventLog(tty, 'load-balancer', 'info')({ event: 'replica-registered', model: 'a', url: 'http://127.0.0.1:2' });
    expect(tty.lines[0]).toMatch(
      / a +INFO {2}load-balancer: replica-registered {2}event=replica-registered url=http:\/\/127\.0\.0\.1:2$/,
    );
    const quiet = io();
    agentEventLog(quiet, 'agent', 'warn')({ event: 'listening' });
    expect(quiet.lines).toEqual([]);
  });

  it('warmpool-agent lb: --log-level and WARMPOOL_LOG_LEVEL set the level; a bad one is exit 2 naming it', async () => {
    let stop!: (s: string) => void;
    const loud = io(false, new Promise<string>((r) => (stop = r)));
    const done = main(['lb', '--port', '0'], loud, { WARMPOOL_LB_TOKEN: 'x' });
    await until('lb-listening', () => loud.lines.some((l) => l.includes('lb-listening')));
    expect(JSON.parse(loud.lines[0]!)).toMatchObject({
      level: 'info',
      component: 'load-balancer',
      event: 'lb-listening',
      msg: 'lb-listening',
    });
    stop('SIGINT');
    expect(await done).toBe(0);

    let stop2!: (s: string) => void;
    const quiet = io(false, new Promise<string>((r) => (stop2 = r)));
    const done2 = main(['lb', '--port', '0', '--log-level', 'warn'], quiet, {
      WARMPOOL_LB_TOKEN: 'x',
      WARMPOOL_LOG_LEVEL: 'debug',
    });
    // whether or not it is listening yet when stopped, nothing at info (listening, stopping) may reach stdout
    await new Promise((r) => setTimeout(r, 200));
    stop2('SIGINT');
    expect(await done2).toBe(0);
    expect(quiet.lines).toEqual([]);

    const bad = io();
    expect(await main(['lb', '--port', '0'], bad, { WARMPOOL_LB_TOKEN: 'x', WARMPOOL_LOG_LEVEL: 'verbose' })).toBe(2);
    expect(bad.errs.join('\n')).toContain('WARMPOOL_LOG_LEVEL');
    const bad2 = io();
    expect(await main(['lb', '--port', '0', '--log-level', 'loud'], bad2, { WARMPOOL_LB_TOKEN: 'x' })).toBe(2);
    expect(bad2.errs.join('\n')).toContain('--log-level');
  });
});
