import type { Leadership } from '../../src/daemon/leadership.js';
import { T0 } from './daemon-harness.js';

/** 5/s in history; live demand jumps to 45/s at T0 + 20 s for model a; b stays at 2/s. */
export const rate = (model: string, second: number): number =>
  model === 'a' ? (second >= T0 / 1000 + 20 ? 45 : 5) : 2;

/** A leadership a test switches by hand (`leading`), counting starts and stops. */
export class SwitchLeader implements Leadership {
  readonly kind = 'test';
  readonly identity = 'daemon-2';
  leading = false;
  started = 0;
  stopped = 0;
  isLeader(): boolean {
    return this.leading;
  }
  start(): void {
    this.started++;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
}
