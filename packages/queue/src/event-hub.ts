/**
 * Fans events out to listeners. A listener that throws never breaks the emitter: its failure is sent to the
 * other listeners as an error event (made by `toErrorEvent`), so it is logged rather than swallowed.
 */
export class EventHub<E extends { readonly type: string }> {
  private readonly listeners = new Set<(event: E) => void>();

  constructor(private readonly toErrorEvent: (error: Error) => E) {}

  subscribe(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: E): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        if (event.type === 'error') continue; // a listener that throws on errors would loop
        const message = err instanceof Error ? err.message : String(err);
        this.emit(
          this.toErrorEvent(new Error(`event listener threw on a ${event.type} event: ${message}`, { cause: err })),
        );
      }
    }
  }
}
