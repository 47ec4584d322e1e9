/**
 * The models the load balancer serves: those it was started with and those a replica registered for (kept for the
 * load balancer's life, so demand for a model whose replicas are all gone is still counted). Only these get
 * per-model state (demand, metric series); a request for any other model is a 404 that leaves nothing behind.
 * Bounded: at most `maxModels`.
 */
export class ModelCatalog {
  private readonly names = new Set<string>();

  constructor(
    initial: readonly string[],
    readonly maxModels: number,
  ) {
    for (const n of initial.slice(0, maxModels)) this.names.add(n);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** True when `name` is (now) served; false when it is new and the catalog is full. */
  add(name: string): boolean {
    if (this.names.has(name)) return true;
    if (this.names.size >= this.maxModels) return false;
    this.names.add(name);
    return true;
  }

  list(): string[] {
    return [...this.names];
  }
}
