import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, redactRedisUrl, withDeadline } from '@warmpool/queue';
import {
  CHECKPOINT_FORMAT,
  CheckpointBuilder,
  CheckpointError,
  cursorsOf,
  decodeStepColumns,
  encodeStepColumns,
  metaText,
  parseCheckpoint,
  StepEncodingError,
  type DaemonCheckpoint,
  type TakeCheckpoint,
} from './checkpoint-format.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { MAX_CHECKPOINT_STEPS } from './model-checkpoint.js';

/**
 * The checkpoint under `key` as a few keys, so that a save writes what changed: `key:head` (a hash: v, savedAtMs,
 * identity, fencingToken, the writer's session, the model names), `key:meta` (a hash: per model its lead times and
 * burst history as JSON, written when they changed) and `key:steps:<model>` (a list per model, one element per save: the
 * save's new steps as columns; RPUSH, LTRIM of the elements older than the newest 2048 steps; a list grown to 64-127
 * elements is rewritten as one). Each save is one MULTI under WATCH of the head: when
 * another writer wrote since this one's last save, this one writes everything again; when the head carries a newer
 * fencing token (a newer leader), this stale writer writes nothing. Reads the v1 single-document `key` too, and deletes
 * it at its first full save.
 */
export class RedisCheckpointStore implements CheckpointStore {
  readonly name: string;
  private readonly redis: Redis;
  /** This store's writes, told apart from another daemon's (or an earlier process's) in the head. */
  private readonly session = randomUUID();
  /** Per model, the newest step written and the metadata written; empty: the next save writes everything. */
  private readonly stepsUpTo = new Map<string, number>();
  /** Per model, the steps in each element of its list (oldest first), as this store wrote them. */
  private readonly chunks = new Map<string, number[]>();
  private readonly meta = new Map<string, string>();
  private wrote = false;
  /** What the last load read cleanly (the writer in its head, its lists' elements): a save that finds that writer still in the head goes on from it. */
  private loaded: { writer: string; cp: DaemonCheckpoint; chunks: Map<string, number[]> } | undefined;

  constructor(
    redisUrl: string,
    private readonly key: string,
    private readonly timeoutMs = 5000,
  ) {
    this.name = `redis ${redactRedisUrl(redisUrl)} key ${key}`;
    this.redis = createRedisClient(redisUrl, { maxRetriesPerRequest: 1, connectionName: 'warmpool:checkpoint' });
  }

  private get head(): string {
    return `${this.key}:head`;
  }
  private get metaKey(): string {
    return `${this.key}:meta`;
  }
  private stepsKey(model: string): string {
    return `${this.key}:steps:${model}`;
  }

  async load(): Promise<DaemonCheckpoint | undefined> {
    return this.call('read', async () => {
      const head = await this.redis.hgetall(this.head);
      if (!head.v) {
        const text = await this.redis.get(this.key);
        return text === null ? undefined : parseCheckpoint(this.name, text);
      }
      if (head.v !== String(CHECKPOINT_FORMAT))
        throw new CheckpointError(this.name, `head v ${head.v}: not a format this daemon reads`);
      const names = parseNames(head.models);
      if (!names) throw new CheckpointError(this.name, `${this.head} models: not a JSON list of names`);
      // one transaction: a save cannot land between the reads
      const tx = this.redis.multi().hgetall(this.head).hgetall(this.metaKey);
      for (const name of names) tx.lrange(this.stepsKey(name), 0, -1);
      const res = await tx.exec();
      if (!res) throw new CheckpointError(this.name, 'the read transaction was aborted');
      const err = res.find(([e]) => e)?.[0];
      if (err) throw err;
      const h = res[0]![1] as Record<string, string>;
      const meta = res[1]![1] as Record<string, string>;
      const b = new CheckpointBuilder();
      const chunks = new Map<string, number[]>();
      names.forEach((name, i) => {
        const texts = res[i + 2]![1] as string[];
        try {
          const counts: number[] = [];
          for (let j = 0; j < texts.length; j++) {
            const steps = decodeChunk(texts[j]!, `steps[${j}]`);
            b.appendSteps(name, steps);
            counts.push(steps.length);
          }
          chunks.set(name, counts);
        } catch (e) {
          if (!(e instanceof StepEncodingError)) throw e;
          b.model(name);
          b.warnings.push(`${this.stepsKey(name)}: model ${name}: ${e.message}; its steps are not restored`);
        }
        const m = meta[name];
        if (m === undefined) return;
        try {
          b.setMeta(name, JSON.parse(m), this.metaKey);
        } catch {
          b.warnings.push(`${this.metaKey} ${name}: model ${name}: lead times and bursts: not JSON, not restored`);
        }
      });
      const savedAtMs = Number(h.savedAtMs);
      if (!Number.isFinite(savedAtMs)) throw new CheckpointError(this.name, `${this.head} savedAtMs: not a number`);
      const cp = b.build({
        savedAtMs,
        identity: h.identity ?? '',
        fencingToken: h.fencingToken ? Number(h.fencingToken) : null,
      });
      this.loaded = !cp.warnings && h.writer ? { writer: h.writer, cp, chunks } : undefined;
      return cp;
    });
  }

  async save(take: TakeCheckpoint): Promise<void> {
    try {
      await this.call('write', async () => {
        for (let attempt = 0; attempt < 3; attempt++) if (await this.trySave(take)) return;
        throw new CheckpointError(this.name, 'other writers kept changing the checkpoint; the next save tries again');
      });
    } catch (err) {
      this.forget();
      throw err;
    }
  }

  /** One save under WATCH of the head; false when another client changed it before EXEC (the caller tries again). */
  private async trySave(take: TakeCheckpoint): Promise<boolean> {
    await this.redis.watch(this.head);
    const [writer, token, storedNames, savedAtMs] = await this.redis.hmget(
      this.head,
      'writer',
      'fencingToken',
      'models',
      'savedAtMs',
    );
    const loaded = this.loaded;
    this.loaded = undefined;
    let adopted = false;
    if (
      !(writer === this.session && this.wrote) &&
      loaded &&
      writer === loaded.writer &&
      Number(savedAtMs) === loaded.cp.savedAtMs
    ) {
      // the head is as the last load found it: go on from what that writer wrote (a restart's first save appends)
      this.forget();
      const { stepsUpTo, meta } = cursorsOf(loaded.cp);
      for (const [k, v] of stepsUpTo) this.stepsUpTo.set(k, v);
      for (const [k, v] of meta) this.meta.set(k, v);
      for (const [k, v] of loaded.chunks) this.chunks.set(k, v);
      adopted = true; // this save writes this session into the head: the earlier writer, if it writes again, starts over
    }
    const mine = (writer === this.session && this.wrote) || adopted;
    const rewrite = new Set<string>();
    const cp = take((model) => {
      const after = mine ? this.stepsUpTo.get(model) : undefined;
      if (after === undefined) return Number.NEGATIVE_INFINITY;
      if ((this.chunks.get(model)?.length ?? 0) > compactAfter(model)) {
        rewrite.add(model); // its list has grown many small elements: one element again
        return Number.NEGATIVE_INFINITY;
      }
      return after;
    });
    if (token && cp.fencingToken !== null && Number(token) > cp.fencingToken) {
      await this.redis.unwatch();
      throw new CheckpointError(
        this.name,
        `fenced off: the checkpoint was written under fencing token ${token}, newer than this daemon's ${cp.fencingToken}; not written`,
      );
    }
    const full = !mine;
    if (full) this.forget();
    const names = Object.keys(cp.models);
    const before = full ? (parseNames(storedNames) ?? []) : [...this.meta.keys()];
    const removed = before.filter((name) => !(name in cp.models));
    const tx = this.redis.multi();
    if (full) tx.del(this.key, this.metaKey, ...before.map((n) => this.stepsKey(n)));
    else if (removed.length) tx.del(...removed.map((n) => this.stepsKey(n))).hdel(this.metaKey, ...removed);
    tx.hset(this.head, {
      v: CHECKPOINT_FORMAT,
      savedAtMs: cp.savedAtMs,
      identity: cp.identity,
      fencingToken: cp.fencingToken ?? '',
      writer: this.session,
    });
    if (full || removed.length || names.some((n) => !this.meta.has(n)))
      tx.hset(this.head, 'models', JSON.stringify(names));
    const metas = new Map<string, string>();
    const chunks = new Map<string, number[]>();
    const changedMeta: Record<string, string> = {};
    for (const [name, m] of Object.entries(cp.models)) {
      const whole = full || rewrite.has(name) || !this.stepsUpTo.has(name);
      if (whole) {
        if (!full) tx.del(this.stepsKey(name));
        chunks.set(name, []);
      }
      if (m.steps.length > 0) {
        const counts = chunks.get(name) ?? [...(this.chunks.get(name) ?? [])];
        chunks.set(name, counts);
        tx.rpush(this.stepsKey(name), JSON.stringify(encodeStepColumns(m.steps)));
        counts.push(m.steps.length);
        // drop the oldest elements while the rest still hold the newest MAX_CHECKPOINT_STEPS
        let held = counts.reduce((a, c) => a + c, 0);
        let drop = 0;
        while (drop < counts.length - 1 && held - counts[drop]! >= MAX_CHECKPOINT_STEPS) held -= counts[drop++]!;
        if (drop > 0) {
          tx.ltrim(this.stepsKey(name), drop, -1);
          counts.splice(0, drop);
        }
      }
      const text = metaText(m);
      metas.set(name, text);
      if (text !== this.meta.get(name)) changedMeta[name] = text;
    }
    if (Object.keys(changedMeta).length) tx.hset(this.metaKey, changedMeta);
    const res = await tx.exec();
    if (res === null) {
      this.forget();
      return false;
    }
    const err = res.find(([e]) => e)?.[0];
    if (err) throw err;
    for (const name of removed) {
      this.stepsUpTo.delete(name);
      this.chunks.delete(name);
    }
    for (const [name, counts] of chunks) this.chunks.set(name, counts);
    this.meta.clear();
    for (const [name, m] of Object.entries(cp.models)) {
      const last = m.steps.at(-1);
      if (last) this.stepsUpTo.set(name, last.startS);
      this.meta.set(name, metas.get(name)!);
    }
    this.wrote = true;
    return true;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private forget(): void {
    this.wrote = false;
    this.stepsUpTo.clear();
    this.chunks.clear();
    this.meta.clear();
  }

  private call<T>(what: string, work: () => Promise<T>): Promise<T> {
    const pending = work().catch((err: unknown) => {
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError(this.name, `${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    });
    return withDeadline(
      pending,
      this.timeoutMs,
      () => new CheckpointError(this.name, `${what}: no answer within ${this.timeoutMs} ms`),
    );
  }
}

/** A model's list is rewritten as one element once it has this many (64-127, spread by name so models take turns). */
function compactAfter(model: string): number {
  let h = 0;
  for (let i = 0; i < model.length; i++) h = (h * 31 + model.charCodeAt(i)) >>> 0;
  return 64 + (h % 64);
}

/** One list element: the steps of one save as columns (JSON). */
function decodeChunk(text: string, field: string): ReturnType<typeof decodeStepColumns> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StepEncodingError(field, `got ${JSON.stringify(text.slice(0, 40))}, expected the JSON of { t, m }`);
  }
  return decodeStepColumns(raw, field);
}

function parseNames(text: string | null | undefined): string[] | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}
