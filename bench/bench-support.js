// Helpers the bench scripts share (one copy each).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every `.csv` file under folder `d`, recursively, sorted by path. */
export function csvFiles(d) {
  return readdirSync(d)
    .flatMap((n) => {
      const p = join(d, n);
      return statSync(p).isDirectory() ? csvFiles(p) : n.endsWith('.csv') ? [p] : [];
    })
    .sort();
}
