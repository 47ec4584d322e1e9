import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';

const IN_CI = process.env.CI === 'true';
const INSTALL_HINT =
  "install Debian's package: apt-get update && apt-get install -y prometheus (provides prometheus and promtool)";

function missingBinary(): string | undefined {
  for (const bin of ['prometheus', 'promtool']) {
    const r = spawnSync(bin, ['--version'], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return bin;
  }
  return undefined;
}

const missing = missingBinary();

/**
 * `describe` for tests that need the real Prometheus binaries. Missing: in CI (`CI=true`) a failing
 * test says what to install; elsewhere the block is skipped with a visible message.
 */
export function describeWithPrometheus(name: string, body: () => void): void {
  if (missing === undefined) {
    describe(name, body);
  } else if (IN_CI) {
    describe(name, () => {
      it('needs Prometheus', () => {
        throw new Error(`${missing} not found on PATH; CI=true requires it: ${INSTALL_HINT}`);
      });
    });
  } else {
    console.warn(`[history tests] SKIPPED "${name}": ${missing} not found on PATH (${INSTALL_HINT})`);
    describe.skip(name, body);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

/** A Prometheus process on a loopback port serving backfilled history from a temp dir. */
export class RealPrometheus {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly log: () => string,
  ) {}

  /**
   * Backfills `openMetrics` (text with timestamps, ending in `# EOF`) with
   * `promtool tsdb create-blocks-from openmetrics`, then starts Prometheus on it and waits until ready.
   */
  static async start(openMetrics: string): Promise<RealPrometheus> {
    const dir = await mkdtemp(join(tmpdir(), 'warmpool-prom-'));
    try {
      const input = join(dir, 'history.om');
      const data = join(dir, 'data');
      const config = join(dir, 'prometheus.yml');
      await writeFile(input, openMetrics);
      await writeFile(config, 'global:\n  scrape_interval: 1h\n');
      await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, data]);
      const port = await freePort();
      const child = spawn(
        'prometheus',
        [
          `--storage.tsdb.path=${data}`,
          `--config.file=${config}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=3650d',
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let log = '';
      child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
      const prom = new RealPrometheus(`http://127.0.0.1:${port}`, child, dir, () => log);
      await prom.waitReady(30_000);
      return prom;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) break;
      try {
        const res = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        await res.text();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`Prometheus did not become ready at ${this.url}: ${this.log()}`);
  }

  /** Stops the process (SIGTERM, then SIGKILL) and removes the temp dir. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
