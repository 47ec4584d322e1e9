import { createServer } from 'node:net';
import { LocalProviderError } from './errors/local-provider-error.js';

/** True when nothing listens on 127.0.0.1:port (checked by binding it for a moment). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * Picks free ports from an inclusive range, skipping ports it handed out and not released yet
 * (a replica may not listen yet when the next one asks).
 */
export class PortAllocator {
  private readonly taken = new Set<number>();

  constructor(
    private readonly range: { readonly first: number; readonly last: number },
    private readonly model: string,
  ) {}

  async acquire(): Promise<number> {
    for (let port = this.range.first; port <= this.range.last; port++) {
      if (this.taken.has(port)) continue;
      this.taken.add(port);
      if (await portIsFree(port)) return port;
      this.taken.delete(port);
    }
    throw new LocalProviderError(
      'E_NO_FREE_PORT',
      `model "${this.model}": no free port in ${this.range.first}-${this.range.last} on 127.0.0.1 (${this.taken.size} held by its replicas)`,
    );
  }

  release(port: number): void {
    this.taken.delete(port);
  }
}
