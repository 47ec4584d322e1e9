import { spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

/** Undefined when `promtool` (Debian's prometheus package) runs here, else why not. */
export function probePromtool(): string | undefined {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return r.error.message;
  return r.status === 0 ? undefined : `promtool --version exited ${r.status}: ${r.stderr}`;
}

const missingAtImport = probePromtool();

/**
 * `describe` for tests that run promtool. Missing: in CI (`CI=true`, where .ci/run installs it) a failing test says
 * so; elsewhere the block is skipped with a visible message (`apt-get install -y prometheus` to run it).
 */
export function describeWithPromtool(name: string, body: () => void): void {
  if (missingAtImport === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () =>
      it('needs promtool (apt-get install -y prometheus)', () => {
        throw new Error(`promtool is required in CI: ${missingAtImport}`);
      }),
    );
    return;
  }
  process.stderr.write(
    `[${name}] SKIPPED: promtool not found (${missingAtImport}); apt-get install -y prometheus to run it\n`,
  );
  describe.skip(name, body);
}

/** `promtool check metrics` over an exposition text: its exit code and what it printed (lint problems). */
export function promtoolCheckMetrics(
  text: string,
  timeoutMs = 30_000,
): Promise<{ readonly code: number | null; readonly output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(text);
  });
}

/** Metric family names in an exposition text (from its `# TYPE` lines), with the series names a histogram adds. */
export function exposedMetricNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(`${name}${s}`);
  }
  return names;
}
