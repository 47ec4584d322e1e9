/** What the CLI writes to and waits on; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: logs are written in their readable form, else as JSON lines. */
  readonly outIsTTY?: boolean;
  /** Resolves on SIGTERM/SIGINT (serve, lb). */
  untilSignal(): Promise<string>;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(`${t}\n`),
  err: (t) => void process.stderr.write(`${t}\n`),
  outIsTTY: process.stdout.isTTY === true,
  untilSignal: () =>
    new Promise((resolve) => {
      const on = (sig: string) => {
        process.off('SIGTERM', on);
        process.off('SIGINT', on);
        resolve(sig);
      };
      process.once('SIGTERM', on);
      process.once('SIGINT', on);
    }),
};
