import type { Redis } from 'ioredis';
import { createRedisClient, redactRedisUrl, withDeadline } from '@warmpool/queue';
import { CheckpointError, parseCheckpoint, type CheckpointStore, type DaemonCheckpoint } from './checkpoint-store.js';

/** One Redis string key holding the checkpoint JSON (the leader writes, a new leader reads it on start). */
export class RedisCheckpointStore implements CheckpointStore {
  readonly name: string;
  private readonly redis: Redis;

  constructor(
    redisUrl: string,
    private readonly key: string,
    private readonly timeoutMs = 5000,
  ) {
    this.name = `redis ${redactRedisUrl(redisUrl)} key ${key}`;
    this.redis = createRedisClient(redisUrl, { maxRetriesPerRequest: 1, connectionName: 'warmpool:checkpoint' });
  }

  async load(): Promise<DaemonCheckpoint | undefined> {
    const text = await this.call('read', () => this.redis.get(this.key));
    return text === null ? undefined : parseCheckpoint(this.name, text);
  }

  async save(checkpoint: DaemonCheckpoint): Promise<void> {
    await this.call('write', () => this.redis.set(this.key, JSON.stringify(checkpoint)));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private call<T>(what: string, work: () => Promise<T>): Promise<T> {
    const pending = work().catch((err: unknown) => {
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
