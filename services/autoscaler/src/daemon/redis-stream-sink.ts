import type { RedisDecisionStream } from '@warmpool/queue';
import type { RecordSink } from './decision-log.js';
import type { DaemonLogRecord } from './daemon-record.js';

/** Appends every record to the capped Redis stream `warmpool decisions --redis` reads. */
export class RedisStreamSink implements RecordSink {
  readonly name: string;

  constructor(
    private readonly stream: RedisDecisionStream,
    key: string,
  ) {
    this.name = `redis stream ${key}`;
  }

  async write(record: DaemonLogRecord): Promise<void> {
    await this.stream.append({ ...record });
  }

  async close(): Promise<void> {
    await this.stream.close();
  }
}
