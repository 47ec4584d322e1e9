import { ValidationError, type ValidationIssue } from '@warmpool/domain';

const MAX_TEXT = 80;

/**
 * A short, safe stand-in for a value found in a request, for error replies: scalars as they are (strings cut at
 * 80 characters), arrays and objects by their size only. A reply never echoes tensor data, and a value nested
 * 100k deep costs nothing to describe.
 */
export function summarizeValue(value: unknown): unknown {
  if (value === undefined || value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string')
    return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}… (${value.length} characters)` : value;
  if (Array.isArray(value)) {
    const shortNumbers = value.length <= 8 && value.every((v) => typeof v === 'number' && Number.isFinite(v));
    return shortNumbers ? value : `(an array of ${value.length})`;
  }
  if (typeof value === 'object')
    return `(an object with ${Object.keys(value).length} key${Object.keys(value).length === 1 ? '' : 's'})`;
  return `(${typeof value})`;
}

/** The same problems with every value summarized (see summarizeValue); at most 20 issues. */
export function summarizeValidation(e: ValidationError): ValidationError {
  const issues: ValidationIssue[] = e.issues
    .slice(0, 20)
    .map((i) => ({ path: i.path.slice(0, 200), value: summarizeValue(i.value), allowed: i.allowed }));
  if (e.issues.length > 20)
    issues.push({ path: '(more)', value: e.issues.length - 20, allowed: 'fix the problems above first' });
  return new ValidationError(issues, e.source, { cause: e });
}

/**
 * True when parsed JSON nests objects/arrays deeper than `maxDepth` (an iterative walk: no recursion, so a body
 * nested 100k deep is found without a stack overflow; numeric arrays are scanned, not descended).
 */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push({ v: c, depth: depth + 1 });
  }
  return false;
}
