import { AwsErrorCode, AwsProviderError } from './errors/aws-provider-error.js';

interface Entry {
  readonly model: string;
  readonly replicas: number;
}

/**
 * Idempotency keys already applied (bounded; the oldest are forgotten first). A key in flight is
 * shared: a second caller with the same key waits for the first instead of applying it again.
 * A failed apply is not recorded, so the key can be retried.
 */
export class IdempotencyLedger {
  private readonly applied = new Map<string, Entry>();
  private readonly inFlight = new Map<string, { entry: Entry; done: Promise<void> }>();
  private readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`idempotency capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  has(key: string): boolean {
    return this.applied.has(key);
  }

  async once(key: string, entry: Entry, group: string, apply: () => Promise<void>): Promise<void> {
    const known = this.applied.get(key) ?? this.inFlight.get(key)?.entry;
    if (known && (known.model !== entry.model || known.replicas !== entry.replicas)) {
      throw new AwsProviderError(
        AwsErrorCode.IdempotencyConflict,
        `idempotency key ${key} was already used for model ${known.model} -> ${known.replicas} replicas; refusing model ${entry.model} -> ${entry.replicas}`,
        { group, action: 'SetDesiredCapacity' },
      );
    }
    if (this.applied.has(key)) return;
    const running = this.inFlight.get(key);
    if (running) return running.done;
    const done = (async () => {
      try {
        await apply();
        this.applied.set(key, entry);
        while (this.applied.size > this.capacity) this.applied.delete(this.applied.keys().next().value as string);
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, { entry, done });
    return done;
  }
}
