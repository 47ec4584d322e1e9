/** Who acts: with leader election only the leader scales; the others decide and log `standby`. */
export interface Leadership {
  readonly kind: string;
  /** This daemon's identity among the candidates. */
  readonly identity: string;
  isLeader(): boolean;
  /**
   * The fencing check where the daemon acts (right before the provider scales): resolves while this daemon still
   * leads under the term it was elected in, throws (FencedOffError) when its term is over.
   */
  fence?(): Promise<void>;
  /** Readiness of a follower: resolves when the election's store (Redis, the Kubernetes API) answered lately. */
  ping?(): Promise<void>;
  /** Fencing token of the current term; undefined where the election has none. */
  readonly fencingToken?: number | undefined;
  /** Starts campaigning in the background. */
  start(): void;
  /** Stops campaigning and gives leadership up (a follower takes over at once). */
  stop(): Promise<void>;
}

/** No election: the only daemon always acts. */
export class SoleLeader implements Leadership {
  readonly kind = 'none';
  readonly fencingToken = undefined;
  constructor(readonly identity = 'sole') {}
  isLeader(): boolean {
    return true;
  }
  async fence(): Promise<void> {}
  async ping(): Promise<void> {}
  start(): void {}
  async stop(): Promise<void> {}
}
