import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CommandLineError } from './command-line-error.js';

/** One option of a command: how it parses and how `--help` shows it (the same table does both). */
export interface CommandOption {
  readonly type: 'string' | 'boolean';
  /** Placeholder of the value in the usage (`FILE`, `N`, `S`); string options only. */
  readonly value?: string;
  /** Shown as "(default X)"; the command applies its own default. */
  readonly default?: string | number;
  readonly help: string;
  /** Missing: a usage error naming the option. */
  readonly required?: boolean;
  /** Given several times: every value, in order (else the second is a usage error). */
  readonly multiple?: boolean;
}

export interface CommandSpec {
  /** Full name as typed: `warmpool simulate`, `warmpool-agent serve`. */
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, CommandOption>>;
  /** Positional arguments (none when absent): their placeholder and how many are allowed. */
  readonly positionals?: { readonly name: string; readonly min: number; readonly max: number };
  /** Free text printed after the options. */
  readonly notes?: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

export interface ParsedCommandLine {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  /** `--help` / `-h` was given: print formatCommandUsage(spec) and exit 0 (nothing else was checked). */
  readonly help: boolean;
  /** `--version` was given. */
  readonly version: boolean;
  /** With `{ collect: true }`: every problem, in order (the option or word is skipped); else always empty. */
  readonly problems: readonly CommandLineProblem[];
}

/** One problem of a command line: where (`--port`, `FILE`), what was found (undefined: nothing), what is allowed. */
export interface CommandLineProblem {
  readonly where: string;
  readonly found: string | undefined;
  readonly allowed: string;
  /** The whole sentence, as CommandLineError says it. */
  readonly message: string;
}

const NUMBER_LIKE = /^-(\d|\.\d)/;

/**
 * Parses `argv` (the words after the command) against `spec` with node:util parseArgs. Strict in the command's
 * own words: an unknown option, a string option without its value, a value on a flag, an option given twice, a
 * missing required option or the wrong number of positionals throw CommandLineError. A value that starts with a
 * dash is taken when it is a number (`--lead-s -5` reaches the command's own range check).
 */
export function parseCommandLine(
  spec: CommandSpec,
  argv: readonly string[],
  how: { readonly collect?: boolean } = {},
): ParsedCommandLine {
  const problems: CommandLineProblem[] = [];
  const fail = (message: string, where: string, found: string | undefined, allowed: string): void => {
    if (!how.collect) throw new CommandLineError(message);
    problems.push({ where, found, allowed, message });
  };
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const [name, o] of Object.entries(spec.options))
    options[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}) };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const help = tokens.some((t) => t.kind === 'option' && (t.name === 'help' || t.name === 'h'));
  const version = tokens.some((t) => t.kind === 'option' && t.name === 'version');
  if (help || version) return { values: {}, positionals: [], help, version, problems };

  const values: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  let valueOfUnknownAt = -1;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      // `--unknown VALUE`: the word is the unknown option's value, not an argument of its own.
      if (t.index !== valueOfUnknownAt) positionals.push(t.value);
      continue;
    }
    const o = spec.options[t.name];
    if (o === undefined) {
      fail(
        `unknown option ${t.rawName} (see ${spec.name} --help)`,
        t.rawName,
        t.rawName,
        `an option of ${spec.name} (see --help)`,
      );
      if (!t.inlineValue) valueOfUnknownAt = t.index + 1;
      continue;
    }
    if (o.type === 'boolean') {
      if (t.inlineValue)
        fail(`--${t.name} takes no value (got "${t.value}")`, `--${t.name}`, t.value, 'no value (a flag)');
      else values[t.name] = true;
      continue;
    }
    const v = t.value;
    if (v === undefined || (!t.inlineValue && v.startsWith('-') && !NUMBER_LIKE.test(v))) {
      fail(
        `--${t.name} needs a value (${o.value ?? 'VALUE'})${v === undefined ? '' : `, got the option ${v}`}`,
        `--${t.name}`,
        v,
        `a value (${o.value ?? 'VALUE'})`,
      );
      continue;
    }
    const prev = values[t.name];
    if (o.multiple) values[t.name] = [...((prev as string[] | undefined) ?? []), v];
    else if (prev !== undefined) fail(`--${t.name} given twice ("${String(prev)}", "${v}")`, `--${t.name}`, v, 'once');
    else values[t.name] = v;
  }
  for (const [name, o] of Object.entries(spec.options)) {
    if (o.required && values[name] === undefined)
      fail(
        `--${name} ${o.value ?? 'VALUE'} is required (see ${spec.name} --help)`,
        `--${name}`,
        undefined,
        `${o.value ?? 'a value'}: ${o.help}`,
      );
  }
  const p = spec.positionals;
  if (!p && positionals.length > 0)
    fail(
      `unexpected argument "${positionals[0]}" (see ${spec.name} --help)`,
      'arguments',
      positionals[0],
      'options of the form --key value',
    );
  if (p && positionals.length < p.min)
    fail(
      `expected ${p.name}${p.max > 1 ? ` (at least ${p.min})` : ''} (see ${spec.name} --help)`,
      p.name,
      undefined,
      `at least ${p.min}`,
    );
  if (p && positionals.length > p.max)
    fail(
      `unexpected argument "${positionals[p.max]}": at most ${p.max} ${p.name} (see ${spec.name} --help)`,
      p.name,
      positionals[p.max],
      `at most ${p.max}`,
    );
  return { values, positionals, help: false, version: false, problems };
}

/** `usage: NAME ...`, the summary, every option of the table with its default, then the notes. */
export function formatCommandUsage(spec: CommandSpec): string {
  const required = Object.entries(spec.options).filter(([, o]) => o.required);
  const p = spec.positionals;
  const pos = p ? (p.min > 0 ? ` ${p.name}${p.max > 1 ? '...' : ''}` : ` [${p.name}${p.max > 1 ? '...' : ''}]`) : '';
  const line = `usage: ${spec.name}${required.map(([n, o]) => ` --${n} ${o.value ?? 'VALUE'}`).join('')} [options]${pos}`;
  const rows: Array<[string, string]> = Object.entries(spec.options).map(([n, o]) => {
    const left = o.type === 'string' ? `--${n} ${o.value ?? 'VALUE'}` : `--${n}`;
    const extra = o.required ? ' (required)' : o.default !== undefined ? ` (default ${o.default})` : '';
    return [left, `${o.help}${extra}${o.multiple ? ' (repeatable)' : ''}`];
  });
  rows.push(['-h, --help', 'print this help and exit'], ['--version', 'print the version and exit']);
  return [line, '', spec.summary, '', 'options:', formatRows(rows), ...(spec.notes ? ['', spec.notes] : [])].join('\n');
}

/** A binary's own help: its summary, one line per command, then the notes. */
export function formatProgramUsage(program: {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly CommandSpec[];
  readonly notes?: string;
}): string {
  const rows: Array<[string, string]> = program.commands.map((c) => [
    c.name.slice(program.name.length + 1),
    c.summary.split('\n')[0]!,
  ]);
  return [
    `${program.name}: ${program.summary}`,
    '',
    `usage: ${program.name} COMMAND [options]    (${program.name} COMMAND --help for its options)`,
    '',
    'commands:',
    formatRows(rows),
    `  ${'--version'.padEnd(Math.max(11, widthOf(rows)))}print the version and exit`,
    ...(program.notes ? ['', program.notes] : []),
  ].join('\n');
}

function widthOf(rows: ReadonlyArray<[string, string]>): number {
  return Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
}

function formatRows(rows: ReadonlyArray<[string, string]>): string {
  const w = widthOf(rows);
  return rows
    .map(([l, r]) => (l.length + 2 > w ? `  ${l}\n  ${' '.repeat(w)}${r}` : `  ${l.padEnd(w)}${r}`))
    .join('\n');
}

/** The `version` of the nearest package.json at or above the module at `moduleUrl` (`import.meta.url`). */
export function packageVersion(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: look one folder up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'unknown';
}
