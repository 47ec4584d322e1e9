/** What the model says about one input (from the session metadata). */
export interface ModelInputInfo {
  readonly name: string;
  readonly type: string;
  /** Numbers are fixed sizes, strings symbolic (dynamic) dimensions. */
  readonly dims: ReadonlyArray<number | string>;
}
