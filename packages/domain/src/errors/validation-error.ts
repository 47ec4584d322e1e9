import { WarmpoolError } from './warmpool-error.js';

/** One problem found while validating input: where (key path), what was found, and what is allowed. */
export interface ValidationIssue {
  /** Dotted key path, e.g. `models[2].leadTime.provisionS`. */
  readonly path: string;
  /** The offending value, as found (undefined when missing). */
  readonly value: unknown;
  /** What is allowed, in words: `a number in [0, 3600]`. */
  readonly allowed: string;
}

function show(value: unknown): string {
  if (value === undefined) return 'missing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function formatIssue(issue: ValidationIssue, source?: string): string {
  const where = source ? `${source}: ` : '';
  return `${where}${issue.path}: got ${show(issue.value)}, allowed: ${issue.allowed}`;
}

/** All the problems of one input at once, so a user fixes them in one pass. */
export class ValidationError extends WarmpoolError {
  readonly issues: readonly ValidationIssue[];
  readonly source: string | undefined;

  constructor(issues: readonly ValidationIssue[], source?: string, options?: { cause?: unknown }) {
    super(
      'E_VALIDATION',
      `invalid ${source ?? 'input'} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${formatIssue(i)}`).join('\n'),
      options,
    );
    this.issues = issues;
    this.source = source;
  }
}
