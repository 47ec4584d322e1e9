import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, redactRedisUrl, withDeadline } from '@warmpool/queue';
import {
  CHECKPOINT_FORMAT,
  CheckpointBuilder,
  CheckpointError,
  decodeStepText,
  encodeStepText,
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
 * burst history as JSON, written when they changed) and `key:steps:<model>` (a list per model, one `startS,mean[,peak]`
 * element a step: RPUSH the new steps, LTRIM to the newest 2048). Each save is one MULTI under WATCH of the head: when
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
  private readonly meta = new Map<string, string>();
  private wrote = false;

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
      names.forEach((name, i) => {
        const texts = res[i + 2]![1] as string[];
        try {
          b.appendSteps(
            name,
            texts.map((t, j) => decodeStepText(t, `steps[${j}]`)),
          );
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
      return b.build({
        savedAtMs,
        identity: h.identity ?? '',
        fencingToken: h.fencingToken ? Number(h.fencingToken) : null,
      });
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
    const [writer, token, storedNames] = await this.redis.hmget(this.head, 'writer', 'fencingToken', 'models');
    const cp = take((model) =>
      writer === this.session && this.wrote
        ? (this.stepsUpTo.get(model) ?? Number.NEGATIVE_INFINITY)
        : Number.NEGATIVE_INFINITY,
    );
    if (token && cp.fencingToken !== null && Number(token) > cp.fencingToken) {
      await this.redis.unwatch();
      throw new CheckpointError(
        this.name,
        `fenced off: the checkpoint was written under fencing token ${token}, newer than this daemon's ${cp.fencingToken}; not written`,
      );
    }
    const full = !(writer === this.session && this.wrote);
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
    const changedMeta: Record<string, string> = {};
    for (const [name, m] of Object.entries(cp.models)) {
      if (m.steps.length > 0) {
        tx.rpush(this.stepsKey(name), ...m.steps.map(encodeStepText));
        tx.ltrim(this.stepsKey(name), -MAX_CHECKPOINT_STEPS, -1);
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
    for (const name of removed) this.stepsUpTo.delete(name);
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

function parseNames(text: string | null | undefined): string[] | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}
