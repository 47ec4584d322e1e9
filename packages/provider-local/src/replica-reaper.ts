import { spawn, type ChildProcess } from 'node:child_process';

/**
 * The watchdog's program: reads `+PID REPLICA_ID` / `-PID` / `bye` lines on stdin. When stdin ends without `bye`
 * (its owner died, even by SIGKILL: the kernel closes the pipe), it SIGTERMs every listed process that still runs
 * that replica (checked through /proc/PID/cmdline), SIGKILLs what is left after the grace period, and exits.
 */
const WATCHDOG = `
const fs = require('node:fs');
const graceMs = Number(process.argv[1]) || 5000;
const pids = new Map();
let buf = '';
let bye = false;
const same = (pid, id) => {
  try { process.kill(pid, 0); } catch { return false; }
  try { const a = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').split('\\0'); const i = a.indexOf('--replica-id'); return i >= 0 && a[i + 1] === id; } catch { return process.platform !== 'linux'; }
};
process.stdin.on('data', (c) => {
  buf += c.toString('utf8');
  let n;
  while ((n = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, n); buf = buf.slice(n + 1);
    if (line === 'bye') bye = true;
    else if (line[0] === '+') { const [p, id] = line.slice(1).split(' '); if (pids.size < 100000) pids.set(Number(p), id); }
    else if (line[0] === '-') pids.delete(Number(line.slice(1)));
  }
  if (buf.length > 65536) buf = '';
});
process.stdin.on('end', () => {
  if (bye) process.exit(0);
  const left = [...pids].filter(([p, id]) => same(p, id));
  for (const [p] of left) { try { process.kill(p, 'SIGTERM'); } catch {} }
  const t0 = Date.now();
  const check = () => {
    const alive = left.filter(([p, id]) => same(p, id));
    if (alive.length === 0) process.exit(0);
    if (Date.now() - t0 >= graceMs) { for (const [p] of alive) { try { process.kill(p, 'SIGKILL'); } catch {} } process.exit(0); }
    setTimeout(check, 100);
  };
  check();
});
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
`;

/**
 * One detached watchdog process per provider: a daemon's replicas end with it (SIGTERM, SIGKILL after `graceMs`)
 * unless it closed cleanly (then it stopped them itself, or left them to be adopted). Nothing in this process waits on
 * it: the child and its pipe are unref'd.
 */
export class ReplicaReaper {
  private readonly child: ChildProcess | undefined;
  private closed = false;

  constructor(nodePath: string, graceMs: number, onError: (message: string) => void = () => undefined) {
    try {
      const child = spawn(nodePath, ['-e', WATCHDOG, String(graceMs)], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
      });
      child.on('error', (e) => onError(`replica watchdog: ${e.message}`));
      child.on('exit', (code, signal) => {
        if (!this.closed)
          onError(
            `replica watchdog exited early (${signal ?? `code ${code}`}): this daemon's replicas will not end with it if it is killed`,
          );
      });
      child.stdin!.on('error', () => undefined);
      child.unref();
      (child.stdin as unknown as { unref?: () => void }).unref?.();
      this.child = child;
    } catch (e) {
      onError(`replica watchdog could not start: ${(e as Error).message}`);
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  track(pid: number, replicaId: string): void {
    this.send(`+${pid} ${replicaId}`);
  }

  untrack(pid: number): void {
    this.send(`-${pid}`);
  }

  /** The owner closes cleanly: the watchdog exits without touching anything. */
  close(): void {
    if (this.closed) return;
    this.send('bye');
    this.closed = true;
    this.child?.stdin?.end();
  }

  private send(line: string): void {
    if (this.closed || !this.child?.stdin?.writable) return;
    this.child.stdin.write(`${line}\n`);
  }
}
