import type { RedisLeaderLock } from '@warmpool/queue';
import type { Leadership } from './leadership.js';

export type LeaderChange = (event: 'elected' | 'lost', detail: string) => void;

/** Leadership through a RedisLeaderLock (one key, TTL, renewed; fencing token per new leader). */
export class RedisLockLeadership implements Leadership {
  readonly kind = 'redis-lock';
  readonly identity: string;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly lock: RedisLeaderLock,
    onChange: LeaderChange = () => undefined,
    onError: (err: Error) => void = () => undefined,
  ) {
    this.identity = lock.holderId;
    this.unsubscribe = lock.onEvent((e) => {
      if (e.type === 'elected') onChange('elected', `${e.holderId} leads (fencing token ${e.fencingToken})`);
      else if (e.type === 'lost') onChange('lost', `${e.holderId} lost leadership (${e.reason})`);
      else onError(e.error);
    });
  }

  isLeader(): boolean {
    return this.lock.isLeader();
  }

  get fencingToken(): number | undefined {
    return this.lock.fencingToken || undefined;
  }

  /** Redis still holds the lock for this daemon under the token it was elected with (FencedOffError otherwise). */
  fence(): Promise<void> {
    return this.lock.verify();
  }

  ping(): Promise<void> {
    return this.lock.ping();
  }

  start(): void {
    this.lock.start();
  }

  async stop(): Promise<void> {
    try {
      await this.lock.stop({ release: true });
    } finally {
      this.unsubscribe();
      await this.lock.close();
    }
  }
}
