import type { ScaleJobEvent, ScaleJobListener } from './interfaces/scale-job-event.js';

/** Fans scale-job events out to listeners; a listener that throws is reported to the others, never to the queue. */
export class ScaleJobEventHub {
  private readonly listeners = new Set<ScaleJobListener>();

  subscribe(listener: ScaleJobListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: ScaleJobEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        if (event.type === 'error') continue; // do not loop on a listener that throws on errors
        const error = err instanceof Error ? err : new Error(String(err));
        this.emit({ type: 'error', error: new Error(`scale job listener threw on a ${event.type} event: ${error.message}`, { cause: err }) });
      }
    }
  }
}
