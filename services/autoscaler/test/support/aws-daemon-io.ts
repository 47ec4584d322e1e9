import { PassThrough } from 'node:stream';
import { createAutoScalingClient } from '@warmpool/provider-aws';
import type { DaemonLogRecord } from '../../src/daemon/daemon-record.js';

/** The real SDK's Auto Scaling client pointed at a fake's endpoint, with fixed fake credentials. */
export function fakeAutoScalingClient(endpoint: string, requestTimeoutMs: number) {
  return createAutoScalingClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' },
    requestTimeoutMs,
  });
}

/** A stdout for the daemon whose JSON lines are parsed into `records` as they come. */
export function recordingStdout(): { out: PassThrough; records: DaemonLogRecord[] } {
  const out = new PassThrough();
  const records: DaemonLogRecord[] = [];
  out.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n')) if (l.trim()) records.push(JSON.parse(l) as DaemonLogRecord);
  });
  return { out, records };
}
