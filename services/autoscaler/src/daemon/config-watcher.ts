import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { WarmpoolConfig } from '../config/warmpool-config.js';

/** Something that emits SIGHUP (the process; an EventEmitter in tests). */
export interface SignalSource {
  on(signal: 'SIGHUP', listener: () => void): unknown;
  off(signal: 'SIGHUP', listener: () => void): unknown;
}

export interface ConfigWatcherOptions {
  readonly file: string;
  /** Reads and validates the file (throws ValidationError / ConfigFileError on bad config). */
  readonly load: (file: string) => Promise<WarmpoolConfig>;
  readonly onConfig: (config: WarmpoolConfig, trigger: string) => Promise<void>;
  readonly onRejected: (err: unknown, trigger: string) => void;
  readonly signals?: SignalSource;
  /** Watch the file for changes (default true); SIGHUP always reloads. */
  readonly watchFile?: boolean;
  /** Quiet time after a change before reading (editors write in several steps). Default 200 ms. */
  readonly debounceMs?: number;
}

/**
 * Reloads the config on SIGHUP and when the file changes. A reload that fails validation is reported through
 * `onRejected` and changes nothing; reloads never overlap (a change during one reloads once more after it).
 */
export class ConfigWatcher {
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again: string | undefined;
  private readonly onHup = (): void => void this.trigger('SIGHUP');

  constructor(private readonly o: ConfigWatcherOptions) {}

  start(): void {
    this.o.signals?.on('SIGHUP', this.onHup);
    if (this.o.watchFile ?? true) {
      // Watch the folder: editors and ConfigMap updates replace the file (a new inode) rather than write into it.
      const file = resolve(this.o.file);
      this.watcher = watch(dirname(file), (_event, name) => {
        if (name !== null && name.toString() !== basename(file) && !name.toString().startsWith('..')) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.trigger('file change'), this.o.debounceMs ?? 200);
      });
      this.watcher.on('error', () => undefined);
    }
  }

  /** Reloads now (what SIGHUP does). Resolves when this reload (and any queued after it) is done. */
  trigger(why: string): Promise<void> {
    if (this.running) {
      this.again = why;
      return this.running;
    }
    this.running = this.reload(why).finally(() => {
      this.running = undefined;
      const next = this.again;
      this.again = undefined;
      if (next !== undefined) void this.trigger(next);
    });
    return this.running;
  }

  private async reload(why: string): Promise<void> {
    let config: WarmpoolConfig;
    try {
      config = await this.o.load(this.o.file);
    } catch (err) {
      this.o.onRejected(err, why);
      return;
    }
    await this.o.onConfig(config, why);
  }

  async stop(): Promise<void> {
    this.o.signals?.off('SIGHUP', this.onHup);
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }
}
