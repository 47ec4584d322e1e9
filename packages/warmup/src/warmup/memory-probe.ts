import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/** Where memory numbers come from (injected so headroom logic is testable). */
export interface MemoryProbe {
  rssBytes(): number;
  /** Peak resident set size of this process so far. */
  peakRssBytes(): number;
  /** The memory this process may use. */
  limitBytes(): number;
  /** Where the limit came from, for reports: `cgroup v2 memory.max`, `total memory`, `configured`. */
  limitSource(): string;
}

const UNLIMITED_THRESHOLD = 2 ** 60;

/** The cgroup memory limit if one is readable and set, else undefined. v2 first, then v1. */
export function readCgroupLimitBytes(
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): { bytes: number; source: string } | undefined {
  const candidates: Array<[string, string]> = [
    ['/sys/fs/cgroup/memory.max', 'cgroup v2 memory.max'],
    ['/sys/fs/cgroup/memory/memory.limit_in_bytes', 'cgroup v1 memory.limit_in_bytes'],
  ];
  for (const [path, source] of candidates) {
    let text: string;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    const n = Number(text);
    if (Number.isFinite(n) && n > 0 && n < UNLIMITED_THRESHOLD) return { bytes: n, source };
  }
  return undefined;
}

/** This process: RSS from the OS, limit configured, else the cgroup limit, else total memory. */
export class ProcessMemoryProbe implements MemoryProbe {
  private readonly limit: { bytes: number; source: string };

  constructor(configuredLimitBytes?: number) {
    if (configuredLimitBytes !== undefined) {
      this.limit = { bytes: configuredLimitBytes, source: 'configured' };
    } else {
      const cg = readCgroupLimitBytes();
      const total = totalmem();
      this.limit = cg && cg.bytes < total ? cg : { bytes: total, source: 'total memory' };
    }
  }

  rssBytes(): number {
    return process.memoryUsage.rss();
  }

  peakRssBytes(): number {
    return Math.max(process.resourceUsage().maxRSS * 1024, this.rssBytes());
  }

  limitBytes(): number {
    return this.limit.bytes;
  }

  limitSource(): string {
    return this.limit.source;
  }
}
