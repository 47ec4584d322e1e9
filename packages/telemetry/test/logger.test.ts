import { describe, expect, it } from 'vitest';
import { createLogger, eventLogger, formatLogLine, LogLevelError, resolveLogLevel } from '../src/index.js';

function capture(isTTY = false): { lines: string[]; isTTY: boolean; write(s: string): boolean } {
  const lines: string[] = [];
  return {
    lines,
    isTTY,
    write: (s: string) => {
      lines.push(...s.split('\n').filter(Boolean));
      return true;
    },
  };
}

describe('createLogger', () => {
  it('writes one JSON line per call off a terminal: level name, ISO time, component, msg, the fields', () => {
    const out = capture();
    const log = createLogger({ component: 'daemon', destination: out });
    log.child({ model: 'a' }).info({ event: 'backfilled', detail: { steps: 300 } }, 'backfilled 300 steps');
    expect(out.lines).toHaveLength(1);
    const r = JSON.parse(out.lines[0]!) as Record<string, unknown>;
    expect(r).toMatchObject({
      level: 'info',
      component: 'daemon',
      model: 'a',
      event: 'backfilled',
      detail: { steps: 300 },
      msg: 'backfilled 300 steps',
    });
    expect(new Date(r['time'] as string).toISOString()).toBe(r['time']);
    expect(r).not.toHaveProperty('pid');
    expect(r).not.toHaveProperty('hostname');
  });

  it('drops lines below its level', () => {
    const out = capture();
    const log = createLogger({ component: 'agent', destination: out, level: 'warn' });
    log.info('quiet');
    log.debug('quieter');
    log.warn('loud');
    expect(out.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['loud']);
  });

  it('writes the readable one-line form on a terminal, nested fields flattened (no embedded JSON)', () => {
    const out = capture(true);
    const log = createLogger({ component: 'daemon', destination: out });
    log.warn(
      {
        model: 'a',
        event: 'replica-ended',
        exit: { code: 1, signal: null },
        tags: ['x', 'y'],
        reason: 'out of memory',
      },
      'replica ended',
    );
    expect(out.lines).toHaveLength(1);
    const line = out.lines[0]!;
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}a {12}WARN {2}daemon: replica ended {2}event=replica-ended exit\.code=1 exit\.signal=null tags=x,y reason="out of memory"$/,
    );
    expect(line).not.toContain('{');
    expect(createLogger({ component: 'x', destination: capture(true), format: 'json' })).toBeDefined();
  });

  it('format forces either form', () => {
    const tty = capture(true);
    createLogger({ component: 'lb', destination: tty, format: 'json' }).info('hi');
    expect(JSON.parse(tty.lines[0]!)).toMatchObject({ msg: 'hi', component: 'lb' });
    const pipe = capture(false);
    createLogger({ component: 'lb', destination: pipe, format: 'text' }).info('hi');
    expect(pipe.lines[0]).toMatch(/INFO {2}lb: hi$/);
  });
});

describe('eventLogger', () => {
  it('logs an adapter event with its fields kept: msg from message, else event: reason; warn when it carries an error', () => {
    const out = capture();
    const log = eventLogger(createLogger({ component: 'load-balancer', destination: out }));
    log({ event: 'replica-registered', model: 'a', url: 'http://127.0.0.1:1' });
    log({ event: 'not-serving', error: 'E_WARMUP', reason: 'did not converge' });
    log({ event: 'lb-stopping', message: 'stopping on SIGTERM', level: 'debug' });
    log({ event: 'x', level: 'error', message: 'boom' });
    const rs = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rs).toHaveLength(3);
    expect(rs[0]).toMatchObject({
      level: 'info',
      component: 'load-balancer',
      event: 'replica-registered',
      model: 'a',
      msg: 'replica-registered',
    });
    expect(rs[1]).toMatchObject({
      level: 'warn',
      event: 'not-serving',
      error: 'E_WARMUP',
      reason: 'did not converge',
      msg: 'not-serving: did not converge',
    });
    expect(rs[2]).toMatchObject({ level: 'error', msg: 'boom' });
    expect(rs[2]).not.toHaveProperty('message');
  });
});

describe('resolveLogLevel', () => {
  it('the flag wins over WARMPOOL_LOG_LEVEL, which wins over info; bad values name where they came from', () => {
    expect(resolveLogLevel(undefined, {})).toBe('info');
    expect(resolveLogLevel(undefined, { WARMPOOL_LOG_LEVEL: '' })).toBe('info');
    expect(resolveLogLevel(undefined, { WARMPOOL_LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(resolveLogLevel('warn', { WARMPOOL_LOG_LEVEL: 'debug' })).toBe('warn');
    expect(() => resolveLogLevel('loud', {})).toThrow(LogLevelError);
    expect(() => resolveLogLevel('loud', {})).toThrow(
      /--log-level: got "loud", expected one of trace, debug, info, warn, error, fatal, silent/,
    );
    expect(() => resolveLogLevel(undefined, { WARMPOOL_LOG_LEVEL: 'verbose' })).toThrow(
      /WARMPOOL_LOG_LEVEL: got "verbose"/,
    );
    try {
      resolveLogLevel('x', {});
    } catch (e) {
      expect((e as LogLevelError).code).toBe('E_LOG_LEVEL');
    }
  });
});

describe('formatLogLine', () => {
  it('passes a line that is not JSON through', () => {
    expect(formatLogLine('plain text\n')).toBe('plain text');
  });
});
