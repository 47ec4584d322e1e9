import { execFileSync } from 'node:child_process';

/** Accelerator memory of one device, as nvidia-smi reports it (device-wide, not per process). */
export interface GpuMemorySample {
  readonly device: number;
  readonly usedBytes: number;
  readonly totalBytes: number;
}

const MIB = 2 ** 20;

/** Parses `nvidia-smi --query-gpu=index,memory.used,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmiMemory(text: string): GpuMemorySample[] {
  const out: GpuMemorySample[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split(',').map((p) => p.trim());
    if (parts.length !== 3) continue;
    const [device, used, total] = parts.map(Number) as [number, number, number];
    if ([device, used, total].every(Number.isFinite) && total > 0)
      out.push({ device, usedBytes: used * MIB, totalBytes: total * MIB });
  }
  return out;
}

/**
 * Memory of the device this process uses (the first of CUDA_VISIBLE_DEVICES, else device 0), or
 * undefined where nvidia-smi is not there or answers nothing usable.
 */
export function readGpuMemory(
  run: () => string = () =>
    execFileSync('nvidia-smi', ['--query-gpu=index,memory.used,memory.total', '--format=csv,noheader,nounits'], {
      encoding: 'utf8',
      timeout: 5_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  visible: string | undefined = process.env['CUDA_VISIBLE_DEVICES'],
): GpuMemorySample | undefined {
  let samples: GpuMemorySample[];
  try {
    samples = parseNvidiaSmiMemory(run());
  } catch {
    return undefined;
  }
  const wanted = Number((visible ?? '0').split(',')[0]);
  return samples.find((s) => s.device === wanted) ?? samples[0];
}
