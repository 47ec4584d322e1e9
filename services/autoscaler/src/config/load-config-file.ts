import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { ValidationError, WarmpoolError, type ValidationIssue } from '@warmpool/domain';
import type { ConfigEnv } from './config-fields.js';
import { readWarmpoolConfig } from './read-warmpool-config.js';
import type { WarmpoolConfig } from './warmpool-config.js';

/** A config file that cannot be read or is not YAML: names the file, and line:col for syntax errors. */
export class ConfigFileError extends WarmpoolError {
  readonly file: string;
  /** Every syntax problem, `FILE:LINE:COL: message`. */
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[], options?: { cause?: unknown }) {
    super(
      'E_CONFIG_FILE',
      problems.length === 1
        ? problems[0]!
        : `${file}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      options,
    );
    this.file = file;
    this.problems = problems;
  }
}

/** `models[2].leadTime.loadS` → ['models', 2, 'leadTime', 'loadS']. */
function keyPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((\[\d+\])*)$/.exec(part);
    if (!m) return [];
    if (m[1]) out.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

/** Adds `(line N)` to each issue whose key is in the file, so a person finds it at once. */
function withLines(issues: readonly ValidationIssue[], doc: Document, lines: LineCounter): ValidationIssue[] {
  return issues.map((issue) => {
    const keys = keyPath(issue.path);
    for (let n = keys.length; n > 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true);
      if (isNode(node) && node.range) {
        const pos = lines.linePos(node.range[0]);
        return { ...issue, path: `${issue.path} (line ${pos.line})` };
      }
    }
    return issue;
  });
}

/** Parses YAML text; syntax errors (and duplicate keys) become a ConfigFileError naming file:line:col. */
export function parseConfigText(
  text: string,
  file: string,
  env: ConfigEnv = {},
  baseDir = dirname(resolve(file)),
): WarmpoolConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  try {
    return readWarmpoolConfig(doc.toJS({ maxAliasCount: 100 }), file, baseDir, env);
  } catch (err) {
    if (err instanceof ValidationError)
      throw new ValidationError(withLines(err.issues, doc, lines), file, { cause: err.cause });
    throw err;
  }
}

/** Reads and validates a `warmpool.yaml`; throws ConfigFileError (unreadable, not YAML) or ValidationError (every bad key). */
export async function loadConfigFile(file: string, env: ConfigEnv = {}): Promise<WarmpoolConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const why = err instanceof Error && 'code' in err ? String((err as NodeJS.ErrnoException).code) : String(err);
    throw new ConfigFileError(file, [`${file}: cannot read the config file (${why})`], { cause: err });
  }
  return parseConfigText(text, file, env);
}
