import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP replica on 127.0.0.1: /readyz by a flag, infer answers its id; requests can be held. */
export class FakeReplica {
  ready = true;
  served = 0;
  private held: Array<() => void> = [];
  hold = false;
  /** 'reused': reset an infer request that arrives on a connection which already carried one (a keep-alive socket closed at the wrong moment); 'all': reset every infer request. */
  reset: 'none' | 'reused' | 'all' = 'none';
  resets = 0;
  private readonly requestsBySocket = new WeakMap<object, number>();
  private server: Server;
  url = '';

  constructor(readonly id: string) {
    this.server = createServer((req, res) => {
      if (req.url === '/readyz' || req.url === '/v2/health/ready') {
        res.writeHead(this.ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ready: this.ready, reason: this.ready ? undefined : `${id} warming` }));
        return;
      }
      const onSocket = (this.requestsBySocket.get(req.socket) ?? 0) + 1;
      this.requestsBySocket.set(req.socket, onSocket);
      if (this.reset === 'all' || (this.reset === 'reused' && onSocket > 1)) {
        this.resets += 1;
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = () => {
          this.served += 1;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ replica: this.id, echo: Buffer.concat(chunks).toString('utf8') }));
        };
        if (this.hold) this.held.push(reply);
        else reply();
      });
    });
  }

  get heldCount(): number {
    return this.held.length;
  }

  release(): void {
    const h = this.held;
    this.held = [];
    for (const f of h) f();
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

export async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
