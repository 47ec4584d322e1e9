import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The real warmpool-agent bin, resolved at run time (services/warmup-agent must be built). */
export function agentBinPath(): string {
  return join(dirname(require.resolve('@warmpool/warmup-agent')), '..', 'bin', 'warmpool-agent.js');
}

export interface TempWorld {
  readonly dir: string;
  readonly specFile: string;
  /** Agent options that keep the tiny model's start-up short and CPU-only. */
  readonly agentArgs: string[];
  remove(): void;
}

/** A temp dir with a small warm-up spec for tiny-transformer. */
export function tempWorld(prefix: string): TempWorld {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const specFile = join(dir, 'spec.json');
  writeFileSync(
    specFile,
    JSON.stringify({
      shapes: [
        { batch: 1, seq: 8 },
        { batch: 2, seq: 8 },
      ],
      windowSize: 3,
      tolerance: 0.5,
      keepWarmIdleS: 0,
      budgetS: 20,
    }),
  );
  return {
    dir,
    specFile,
    agentArgs: ['--providers', 'cpu', '--spec', specFile, '--opt-cache', join(dir, 'opt'), '--threads', '1'],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** True while a process with this pid exists. */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
