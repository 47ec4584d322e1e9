import { type ClientRequest, type IncomingMessage, request } from 'node:http';

export interface SseFrame {
  readonly event: string | undefined;
  readonly id: string | undefined;
  readonly data: string | undefined;
  readonly comment: string | undefined;
  readonly raw: string;
}

/** Parses one `\n\n`-terminated block of an event stream. */
export function parseFrame(raw: string): SseFrame {
  let event: string | undefined;
  let id: string | undefined;
  let comment: string | undefined;
  const data: string[] = [];
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) comment = line.slice(1).trim();
    else if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('id: ')) id = line.slice(4);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  return { event, id, comment, data: data.length > 0 ? data.join('\n') : undefined, raw };
}

/** A test client of a Server-Sent Events endpoint: the response, and the frames as they arrive. */
export class SseReader {
  readonly frames: SseFrame[] = [];
  private buffer = '';
  private waiters: (() => void)[] = [];
  private ended = false;

  private constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.buffer += chunk;
      let cut = this.buffer.indexOf('\n\n');
      while (cut !== -1) {
        this.frames.push(parseFrame(this.buffer.slice(0, cut)));
        this.buffer = this.buffer.slice(cut + 2);
        cut = this.buffer.indexOf('\n\n');
      }
      this.wake();
    });
    res.on('end', () => {
      this.ended = true;
      this.wake();
    });
    res.on('error', () => undefined);
  }

  static open(url: string): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream' } }, (res) => resolve(new SseReader(req, res)));
      req.on('error', reject);
      req.end();
    });
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** Resolves with the first frame matching `match` (already received or yet to come); rejects if the stream ends. */
  async waitFor(match: (frame: SseFrame) => boolean): Promise<SseFrame> {
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.ended)
        throw new Error(`stream ended without the frame; got ${JSON.stringify(this.frames.map((f) => f.raw))}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves when the server ends the stream. */
  async waitForEnd(): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.req.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
