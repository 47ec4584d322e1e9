import { WarmpoolError } from '@warmpool/domain';

/**
 * A history source failed for real (not "no data"): the daemon turns it into a reactive-fallback reason.
 * `target` names what was read (a URL, a Redis address, a file); `query` the query, when there is one.
 */
export class HistorySourceError extends WarmpoolError {
  readonly source: string;
  readonly target: string;
  readonly query: string | undefined;

  constructor(
    code: string,
    source: string,
    target: string,
    problem: string,
    options: { query?: string; cause?: unknown } = {},
  ) {
    const q = options.query === undefined ? '' : ` (query ${JSON.stringify(options.query)})`;
    super(
      code,
      `${source} history at ${target}${q}: ${problem}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.source = source;
    this.target = target;
    this.query = options.query;
  }
}
