import { existsSync, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { RedisDecisionStream } from '@warmpool/queue';
import { loadConfigFile } from '../config/load-config-file.js';
import { asRecord, DecisionView } from './decision-view.js';
import type { CommandSpec } from '@warmpool/telemetry';
import { parseFlags } from './parse-flags.js';
import { UsageError } from './usage-error.js';

export const DECISIONS_COMMAND: CommandSpec = {
  name: 'warmpool decisions',
  summary:
    "readable table of the daemon's decisions with their outcomes, from its decision log (one of --log, --redis, --config)",
  options: {
    log: { type: 'string', value: 'FILE', help: 'JSON-lines decision log (decisionLog.file)' },
    redis: { type: 'string', value: 'URL', help: 'the Redis decision stream (decisionLog.redisStream)' },
    key: { type: 'string', value: 'K', help: 'stream key with --redis' },
    config: { type: 'string', value: 'FILE', help: 'warmpool.yaml: read where that daemon writes' },
    model: { type: 'string', value: 'M', help: 'only this model (one the log has: else exit 2)' },
    since: { type: 'string', value: 'T', help: 'only records since 30s, 15m, 2h, 1d or an ISO time' },
    follow: { type: 'boolean', help: 'keep printing new records (Ctrl-C ends)' },
    all: { type: 'boolean', help: 'include plain holds' },
  },
};

export interface DecisionsEnvironment {
  readonly nowMs?: () => number;
  /** Ends --follow (default: SIGINT). */
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly err?: (s: string) => void;
}

/** `15m`, `2h`, `30s`, `1d`, or an ISO time → epoch ms. */
export function parseSince(raw: string, nowMs: number): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(raw.trim());
  if (m)
    return nowMs - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(raw);
  if (Number.isNaN(t))
    throw new UsageError(`--since: got "${raw}", allowed: a duration such as 30s, 15m, 2h, 1d, or an ISO time`);
  return t;
}

/** Reads whole lines of a JSON-lines log from `offset` (a line still being written waits for the next read). */
async function readLines(
  file: string,
  offset: number,
  onLine: (line: string, lineNo: number) => void,
  firstLineNo: number,
): Promise<{ end: number; lines: number }> {
  const size = (await stat(file)).size;
  if (size <= offset) return { end: offset, lines: 0 };
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    const text = buf.subarray(0, bytesRead);
    const lastNl = text.lastIndexOf(0x0a);
    if (lastNl < 0) return { end: offset, lines: 0 };
    const lines = text.subarray(0, lastNl).toString('utf8').split('\n');
    for (const [i, l] of lines.entries()) onLine(l, firstLineNo + i);
    return { end: offset + lastNl + 1, lines: lines.length };
  } finally {
    await fh.close();
  }
}

/**
 * `warmpool decisions`: the decision log (JSON-lines file or the Redis stream) as a table, each scale-up marked with
 * its outcome once the daemon logged it (`ready-ahead` / `late` / `not-needed` / `superseded`). `--follow` keeps printing.
 */
export async function decisionsCommand(
  argv: readonly string[],
  out: (s: string) => void,
  o: DecisionsEnvironment = {},
): Promise<number> {
  const v = parseFlags(DECISIONS_COMMAND, argv);
  const nowMs = (o.nowMs ?? Date.now)();
  const err = o.err ?? ((s: string) => process.stderr.write(s + '\n'));
  const env = o.env ?? process.env;
  let file = typeof v.log === 'string' ? v.log : undefined;
  let redisUrl = typeof v.redis === 'string' ? v.redis : undefined;
  let key = typeof v.key === 'string' ? v.key : undefined;
  if ([file, redisUrl, v.config].filter((x) => x !== undefined).length > 1)
    throw new UsageError('give one of --log FILE, --redis URL, --config FILE');
  if (typeof v.config === 'string') {
    // Where the daemon running this config writes: its decisionLog.file, else its Redis stream.
    const c = await loadConfigFile(v.config, env);
    file = c.decisionLog.file;
    if (file === undefined && c.decisionLog.redisStreamKey) {
      redisUrl = c.decisionLog.redisUrl;
      key = c.decisionLog.redisStreamKey;
    }
    if (file === undefined && redisUrl === undefined)
      throw new UsageError(
        `${v.config} sets neither decisionLog.file nor decisionLog.redisStream (the decisions went to the daemon's stdout)`,
      );
  }
  if (file === undefined && redisUrl === undefined)
    throw new UsageError(
      `give --log FILE, --redis URL or --config FILE (${env.REDIS_URL ? `e.g. --redis ${env.REDIS_URL}` : 'the daemon writes decisionLog.file / decisionLog.redisStream'})`,
    );
  const view = new DecisionView({
    ...(typeof v.model === 'string' ? { model: v.model } : {}),
    ...(typeof v.since === 'string' ? { sinceMs: parseSince(v.since, nowMs) } : {}),
    all: v.all === true,
  });
  const follow = v.follow === true;
  const controller = new AbortController();
  const signal = o.signal ?? controller.signal;
  const onSigint = (): void => controller.abort();
  if (follow && !o.signal) process.once('SIGINT', onSigint);
  let bad = 0;
  const take = (raw: unknown, where: string, live: boolean): void => {
    const r = asRecord(raw);
    if (!r) {
      bad++;
      if (bad <= 5) err(`warmpool decisions: ${where}: not a decision record, skipped`);
      return;
    }
    const shown = view.accepts(r);
    view.add(r);
    if (live && shown) out(view.line(r));
  };
  try {
    if (file !== undefined) {
      if (!existsSync(file)) throw new UsageError(`--log: ${file} does not exist`);
      let lineNo = 1;
      const parse = (line: string, no: number, live: boolean): void => {
        if (line.trim() === '') return;
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          json = undefined;
        }
        take(json, `${file}:${no}`, live);
      };
      let { end, lines } = await readLines(file, 0, (l, no) => parse(l, no, false), lineNo);
      lineNo += lines;
      unknownModel(view, v.model, file, follow, err);
      out(view.render());
      if (follow) {
        const watcher = watch(file);
        watcher.on('error', () => undefined);
        try {
          while (!signal.aborted) {
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, 500);
              watcher.once('change', () => {
                clearTimeout(t);
                resolve();
              });
              signal.addEventListener(
                'abort',
                () => {
                  clearTimeout(t);
                  resolve();
                },
                { once: true },
              );
            });
            if (signal.aborted) break;
            const r = await readLines(file, end, (l, no) => parse(l, no, true), lineNo);
            end = r.end;
            lineNo += r.lines;
          }
        } finally {
          watcher.close();
        }
      }
    } else {
      const stream = new RedisDecisionStream({ redisUrl: redisUrl!, ...(key !== undefined ? { key } : {}) });
      try {
        const sinceMs = typeof v.since === 'string' ? parseSince(v.since, nowMs) : 0;
        let afterId: string | undefined;
        for (;;) {
          const page = await stream.read({ ...(afterId ? { afterId } : { sinceMs }), count: 1000 });
          for (const e of page.entries) take(e.record, `stream entry ${e.id}`, false);
          for (const i of page.invalid) take(undefined, i.message, false);
          if (!page.lastId || page.entries.length + page.invalid.length < 1000) {
            afterId = page.lastId ?? afterId;
            break;
          }
          afterId = page.lastId;
        }
        unknownModel(view, v.model, `stream ${key ?? 'of ' + redisUrl}`, follow, err);
        out(view.render());
        if (follow) {
          for await (const page of stream.follow({ ...(afterId ? { afterId } : { sinceMs: nowMs }), signal })) {
            for (const e of page.entries) take(e.record, `stream entry ${e.id}`, true);
          }
        }
      } finally {
        await stream.close();
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (bad > 5) err(`warmpool decisions: ${bad} records skipped in all`);
  return 0;
}

/** `--model M` that the log never names: exit 2 naming the models it has (following: a note, M may come later). */
function unknownModel(
  view: DecisionView,
  model: unknown,
  where: string,
  follow: boolean,
  err: (s: string) => void,
): void {
  if (typeof model !== 'string' || view.hasModel(model)) return;
  const seen = view.models();
  const msg = `--model: no records of model "${model}" in ${where} (${seen.length > 0 ? `models there: ${seen.slice(0, 20).join(', ')}` : 'no model records at all'})`;
  if (!follow) throw new UsageError(msg);
  err(`warmpool decisions: ${msg}; following for new records`);
}
