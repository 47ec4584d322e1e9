import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Io } from '../src/io.js';

export type CapturedIo = Io & { outText(): string; errText(): string; events(): Array<Record<string, unknown>> };

/** An Io that records what the CLI writes; `untilSignal` resolves when the test calls `signal()`. */
export function captureIo(): CapturedIo & { signal(name?: string): void } {
  const out: string[] = [];
  const err: string[] = [];
  let fire!: (s: string) => void;
  const sig = new Promise<string>((r) => (fire = r));
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    untilSignal: () => sig,
    signal: (name = 'SIGTERM') => fire(name),
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
    events: () =>
      out
        .flatMap((l) => l.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Polls `check` every 10 ms until it is truthy; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Writes warm-up specs into `dir`: `fast` converges at once; the slow ones warm for 0.6 s (slower: 2 s) and never converge. */
export function writeSpecs(dir: string): {
  fast: string;
  slowRegister: string;
  slowFail: string;
  slowerRegister: string;
} {
  const fast = join(dir, 'fast-spec.json');
  writeFileSync(
    fast,
    JSON.stringify({
      shapes: [{ batch: 1, seq: 8 }],
      windowSize: 3,
      tolerance: 0.5,
      keepWarmIdleS: 0,
      concurrencyRounds: 0,
      budgetS: 20,
    }),
  );
  const slow = {
    shapes: [{ batch: 1, seq: 8 }],
    windowSize: 1000,
    maxPassesPerShape: 1_000_000,
    tolerance: 1e-9,
    keepWarmIdleS: 0,
    concurrencyRounds: 0,
    budgetS: 0.6,
  };
  const slowRegister = join(dir, 'slow-register-spec.json');
  writeFileSync(slowRegister, JSON.stringify({ ...slow, onTimeout: 'register-anyway' }));
  const slowFail = join(dir, 'slow-fail-spec.json');
  writeFileSync(slowFail, JSON.stringify({ ...slow, onTimeout: 'fail' }));
  const slowerRegister = join(dir, 'slower-register-spec.json');
  writeFileSync(slowerRegister, JSON.stringify({ ...slow, budgetS: 2, onTimeout: 'register-anyway' }));
  return { fast, slowRegister, slowFail, slowerRegister };
}

export interface FakeImds {
  readonly url: string;
  readonly requests: Array<{ method: string; path: string; token: string | undefined; ttl: string | undefined }>;
  close(): Promise<void>;
}

/** A tiny IMDSv2 on 127.0.0.1: PUT /latest/api/token, then token-guarded GETs (401 without it). */
export async function startFakeImds(instanceId: string, region = 'us-east-1'): Promise<FakeImds> {
  const token = 'imds-token-1';
  const requests: FakeImds['requests'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? '/';
    const header = (name: string) =>
      typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined;
    requests.push({
      method: req.method ?? '',
      path,
      token: header('x-aws-ec2-metadata-token'),
      ttl: header('x-aws-ec2-metadata-token-ttl-seconds'),
    });
    const send = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    if (req.method === 'PUT' && path === '/latest/api/token')
      return header('x-aws-ec2-metadata-token-ttl-seconds') ? send(200, token) : send(400, 'missing ttl');
    if (req.method !== 'GET') return send(405, '');
    if (header('x-aws-ec2-metadata-token') !== token) return send(401, '');
    if (path === '/latest/meta-data/instance-id') return send(200, instanceId);
    if (path === '/latest/meta-data/placement/region') return send(200, region);
    // A launch into service (the warm pool's paths are tested against FakeInstanceMetadata of @warmpool/testing).
    if (path === '/latest/meta-data/autoscaling/target-lifecycle-state') return send(200, 'InService');
    return send(404, '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
