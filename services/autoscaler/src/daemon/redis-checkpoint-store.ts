import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisClient, redactRedisUrl, withDeadline } from '@warmpool/queue';
import {
  CHECKPOINT_FORMAT,
  CheckpointBuilder,
  CheckpointError,
  cursorsOf,
  decodeStepColumns,
  eachModel,
  encodeStepColumns,
  metaText,
  parseCheckpoint,
  StepEncodingError,
  Yielder,
  type CheckpointSource,
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
  /** The generation of the keys this store writes to (each full save writes a new one and flips the head to it). */
  private gen = '';
  /** What the last load read cleanly (the writer in its head, its lists' elements): a save that finds that writer still in the head goes on from it. */
  private loaded: { writer: string; gen: string; cp: DaemonCheckpoint; chunks: Map<string, number[]> } | undefined;
  /** How many times the last save gave the event loop a turn (a save of many models yields between them). */
  lastSaveYields = 0;

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
  /** The metadata hash of generation `gen` ('': the keys of the format before generations). */
  private metaKeyOf(gen: string): string {
    return gen ? `${this.key}:${gen}:meta` : `${this.key}:meta`;
  }
  private stepsKeyOf(gen: string, model: string): string {
    return gen ? `${this.key}:${gen}:steps:${model}` : `${this.key}:steps:${model}`;
  }
  private get metaKey(): string {
    return this.metaKeyOf(this.gen);
  }
  /** The head's fields every save writes: format, when, who and under which fencing token. */
  private headFields(source: CheckpointSource): Record<string, string | number> {
    return {
      v: CHECKPOINT_FORMAT,
      savedAtMs: source.savedAtMs,
      identity: source.identity,
      fencingToken: source.fencingToken ?? '',
      writer: this.session,
    };
  }

  private stepsKey(model: string): string {
    return this.stepsKeyOf(this.gen, model);
  }

  async load(): Promise<DaemonCheckpoint | undefined> {
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const cp = await this.tryLoad();
        if (cp !== null) return cp;
      }
      throw new CheckpointError(this.name, 'full saves kept replacing the checkpoint while it was read');
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError(this.name, `read failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }

  /** One read; null when a full save flipped the head to a new generation between the head and the rest. */
  private async tryLoad(): Promise<DaemonCheckpoint | undefined | null> {
    const head = await this.deadline('read', this.redis.hgetall(this.head));
    if (!head.v) {
      const text = await this.deadline('read', this.redis.get(this.key));
      return text === null ? undefined : parseCheckpoint(this.name, text);
    }
    if (head.v !== String(CHECKPOINT_FORMAT))
      throw new CheckpointError(this.name, `head v ${head.v}: not a format this daemon reads`);
    const names = parseNames(head.models);
    if (!names) throw new CheckpointError(this.name, `${this.head} models: not a JSON list of names`);
    const gen = head.gen ?? '';
    // one transaction: a save cannot land between the reads
    const tx = this.redis.multi().hgetall(this.head).hgetall(this.metaKeyOf(gen));
    for (const name of names) tx.lrange(this.stepsKeyOf(gen, name), 0, -1);
    const res = await this.deadline('read', tx.exec());
    if (!res) throw new CheckpointError(this.name, 'the read transaction was aborted');
    const err = res.find(([e]) => e)?.[0];
    if (err) throw err;
    const h = res[0]![1] as Record<string, string>;
    if ((h.gen ?? '') !== gen || h.models !== head.models) return null;
    const meta = res[1]![1] as Record<string, string>;
    const b = new CheckpointBuilder();
    const chunks = new Map<string, number[]>();
    const yielder = new Yielder();
    for (let i = 0; i < names.length; i++) {
      await yielder.maybe();
      const name = names[i]!;
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
        b.warnings.push(`${this.stepsKeyOf(gen, name)}: model ${name}: ${e.message}; its steps are not restored`);
      }
      const m = meta[name];
      if (m === undefined) continue;
      try {
        b.setMeta(name, JSON.parse(m), this.metaKeyOf(gen));
      } catch {
        b.warnings.push(`${this.metaKeyOf(gen)} ${name}: model ${name}: lead times and bursts: not JSON, not restored`);
      }
    }
    const savedAtMs = Number(h.savedAtMs);
    if (!Number.isFinite(savedAtMs)) throw new CheckpointError(this.name, `${this.head} savedAtMs: not a number`);
    const cp = b.build({
      savedAtMs,
      identity: h.identity ?? '',
      fencingToken: h.fencingToken ? Number(h.fencingToken) : null,
    });
    this.loaded = !cp.warnings && h.writer ? { writer: h.writer, gen, cp, chunks } : undefined;
    return cp;
  }

  async save(take: TakeCheckpoint): Promise<void> {
    const yielder = new Yielder();
    try {
      for (let attempt = 0; attempt < 3; attempt++)
        if (await this.trySave(take(), yielder)) {
          this.lastSaveYields = yielder.yields;
          return;
        }
      throw new CheckpointError(this.name, 'other writers kept changing the checkpoint; the next save tries again');
    } catch (err) {
      this.forget();
      await this.redis.unwatch().catch(() => undefined);
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError(this.name, `write failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * One save under WATCH of the head; false when another client changed it before EXEC (the caller tries again). The
   * models are encoded one at a time into the transaction, the event loop getting a turn every few ms; the head is
   * written last in it. Each Redis round trip has the deadline, not the encoding between them.
   */
  private async trySave(source: CheckpointSource, yielder: Yielder): Promise<boolean> {
    await this.deadline('write', this.redis.watch(this.head));
    const [writer, token, storedNames, savedAtMs, storedGen] = await this.deadline(
      'write',
      this.redis.hmget(this.head, 'writer', 'fencingToken', 'models', 'savedAtMs', 'gen'),
    );
    if (token && source.fencingToken !== null && Number(token) > source.fencingToken) {
      await this.redis.unwatch();
      throw new CheckpointError(
        this.name,
        `fenced off: the checkpoint was written under fencing token ${token}, newer than this daemon's ${source.fencingToken}; not written`,
      );
    }
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
      const { stepsUpTo, meta } = await cursorsOf(loaded.cp, yielder);
      for (const [k, v] of stepsUpTo) this.stepsUpTo.set(k, v);
      for (const [k, v] of meta) this.meta.set(k, v);
      for (const [k, v] of loaded.chunks) this.chunks.set(k, v);
      this.gen = loaded.gen;
      adopted = true; // this save writes this session into the head: the earlier writer, if it writes again, starts over
    }
    const mine = (writer === this.session && this.wrote) || adopted;
    if (!mine) return this.saveAll(source, yielder, parseNames(storedNames) ?? [], storedGen ?? '');
    const rewrite = new Set<string>();
    const after = (model: string) => {
      const upTo = this.stepsUpTo.get(model);
      if (upTo === undefined) return Number.NEGATIVE_INFINITY;
      if ((this.chunks.get(model)?.length ?? 0) > compactAfter(model)) {
        rewrite.add(model); // its list has grown many small elements: one element again
        return Number.NEGATIVE_INFINITY;
      }
      return upTo;
    };
    const before = [...this.meta.keys()];
    const tx = this.redis.multi();
    const metas = new Map<string, string>();
    const chunks = new Map<string, number[]>();
    const stepsUpTo = new Map<string, number>();
    let changedMeta: Record<string, string> = {};
    let changedCount = 0;
    for await (const [name, m] of eachModel(source, after, yielder)) {
      const whole = rewrite.has(name) || !this.stepsUpTo.has(name);
      if (whole) {
        tx.del(this.stepsKey(name));
        chunks.set(name, []);
      }
      if (m.steps.length > 0) {
        const counts = chunks.get(name) ?? [...(this.chunks.get(name) ?? [])];
        chunks.set(name, counts);
        tx.rpush(this.stepsKey(name), JSON.stringify(encodeStepColumns(m.steps)));
        counts.push(m.steps.length);
        stepsUpTo.set(name, m.steps.at(-1)!.startS);
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
      if (text !== this.meta.get(name)) {
        changedMeta[name] = text;
        if (++changedCount % META_BATCH === 0) {
          tx.hset(this.metaKey, changedMeta);
          changedMeta = {};
        }
      }
    }
    if (Object.keys(changedMeta).length) tx.hset(this.metaKey, changedMeta);
    const names = [...metas.keys()];
    const removed = before.filter((name) => !metas.has(name));
    if (removed.length) tx.del(...removed.map((n) => this.stepsKey(n))).hdel(this.metaKey, ...removed);
    // the head last: a reader in between (its read is one transaction) sees the save whole or not at all
    tx.hset(this.head, this.headFields(source));
    if (removed.length || names.some((n) => !this.meta.has(n))) tx.hset(this.head, 'models', JSON.stringify(names));
    const res = await this.deadline('write', tx.exec());
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
    for (const [name, upTo] of stepsUpTo) this.stepsUpTo.set(name, upTo);
    this.meta.clear();
    for (const [name, text] of metas) this.meta.set(name, text);
    this.wrote = true;
    return true;
  }

  /**
   * Everything, as a new generation of keys: each model's list (and the metadata) written in pipelines of about
   * BATCH_CHARS, the models encoded one at a time with the event loop given turns; the keys expire unless the flip
   * keeps them (a writer that dies half-way leaves nothing for long). Then one MULTI under WATCH of the head flips
   * the head to the new generation, keeps its keys and unlinks the old generation's: a reader sees the old checkpoint
   * or the new one whole. False when another writer changed the head first (the new keys are dropped).
   */
  private async saveAll(
    source: CheckpointSource,
    yielder: Yielder,
    storedNames: readonly string[],
    storedGen: string,
  ): Promise<boolean> {
    this.forget();
    const gen = randomUUID().slice(0, 8);
    const metaKey = this.metaKeyOf(gen);
    const written: string[] = [metaKey];
    const chunks = new Map<string, number[]>();
    const stepsUpTo = new Map<string, number>();
    const metas = new Map<string, string>();
    let batch = this.redis.pipeline();
    let batchChars = 0;
    let batchMeta: Record<string, string> = {};
    const send = async () => {
      if (Object.keys(batchMeta).length) batch.hset(metaKey, batchMeta).expire(metaKey, PREPARED_TTL_S);
      batchMeta = {};
      if (batch.length === 0) return;
      const sent = batch;
      batch = this.redis.pipeline();
      batchChars = 0;
      const res = await this.deadline('write', sent.exec());
      const err = res?.find(([e]) => e)?.[0];
      if (err) throw err;
    };
    try {
      for await (const [name, m] of eachModel(source, () => Number.NEGATIVE_INFINITY, yielder)) {
        chunks.set(name, []);
        if (m.steps.length > 0) {
          const k = this.stepsKeyOf(gen, name);
          const text = JSON.stringify(encodeStepColumns(m.steps));
          batch.rpush(k, text).expire(k, PREPARED_TTL_S);
          written.push(k);
          batchChars += text.length;
          chunks.set(name, [m.steps.length]);
          stepsUpTo.set(name, m.steps.at(-1)!.startS);
        }
        const meta = metaText(m);
        batchMeta[name] = meta;
        batchChars += meta.length;
        metas.set(name, meta);
        if (batchChars >= BATCH_CHARS) await send();
      }
      await send();
    } catch (err) {
      await this.drop(written);
      throw err;
    }
    const names = [...metas.keys()];
    const tx = this.redis.multi();
    for (const k of written) tx.persist(k);
    tx.hset(this.head, { ...this.headFields(source), gen, models: JSON.stringify(names) });
    tx.unlink(this.key, this.metaKeyOf(storedGen), ...storedNames.map((n) => this.stepsKeyOf(storedGen, n)));
    const res = await this.deadline('write', tx.exec());
    if (res === null) {
      await this.drop(written);
      return false;
    }
    const err = res.find(([e]) => e)?.[0];
    if (err) throw err;
    this.gen = gen;
    for (const [k, v] of chunks) this.chunks.set(k, v);
    for (const [k, v] of stepsUpTo) this.stepsUpTo.set(k, v);
    for (const [k, v] of metas) this.meta.set(k, v);
    this.wrote = true;
    return true;
  }

  /** Best effort: a full save that did not flip unlinks its keys (they expire anyway). */
  private async drop(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 500)
      await this.deadline('write', this.redis.unlink(...keys.slice(i, i + 500))).catch(() => undefined);
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

  private deadline<T>(what: string, pending: Promise<T>): Promise<T> {
    return withDeadline(
      pending,
      this.timeoutMs,
      () => new CheckpointError(this.name, `${what}: no answer within ${this.timeoutMs} ms`),
    );
  }
}

/** A full save's pipelines carry about this many characters of steps and metadata each. */
const BATCH_CHARS = 1 << 20;

/** A full save's keys live this long unless the head is flipped to them (a writer that died half-way). */
const PREPARED_TTL_S = 3600;

/** Changed lead times and bursts go into HSETs of this many models each. */
const META_BATCH = 100;

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
