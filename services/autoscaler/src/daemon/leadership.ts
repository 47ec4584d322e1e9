/** Who acts: with leader election only the leader scales; the others decide and log `standby`. */
export interface Leadership {
  readonly kind: string;
  /** This daemon's identity among the candidates. */
  readonly identity: string;
  isLeader(): boolean;
  /** Starts campaigning in the background. */
  start(): void;
  /** Stops campaigning and gives leadership up (a follower takes over at once). */
  stop(): Promise<void>;
}

/** No election: the only daemon always acts. */
export class SoleLeader implements Leadership {
  readonly kind = 'none';
  constructor(readonly identity = 'sole') {}
  isLeader(): boolean {
    return true;
  }
  start(): void {}
  async stop(): Promise<void> {}
}
