import { describe, expect, it } from 'vitest';
import {
  CommandLineError,
  formatCommandUsage,
  packageVersion,
  parseCommandLine,
  type CommandSpec,
} from '../src/index.js';

const spec: CommandSpec = {
  name: 'tool run',
  summary: 'runs things',
  options: {
    trace: { type: 'string', value: 'FILE', help: 'the trace', required: true },
    'lead-s': { type: 'string', value: 'S', default: 45, help: 'lead time' },
    json: { type: 'boolean', help: 'JSON output' },
    tag: { type: 'string', value: 'T', help: 'a tag', multiple: true },
  },
};

const fails = (argv: string[], s: CommandSpec = spec): string => {
  try {
    parseCommandLine(s, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CommandLineError);
    expect((e as CommandLineError).code).toBe('E_USAGE');
    return (e as Error).message;
  }
  throw new Error('parsed');
};

describe('parseCommandLine', () => {
  it('parses strings, flags, repeated values and negative numbers as values', () => {
    const p = parseCommandLine(spec, ['--trace', 'a.csv', '--lead-s', '-5', '--json', '--tag', 'x', '--tag=y']);
    expect(p.values).toEqual({ trace: 'a.csv', 'lead-s': '-5', json: true, tag: ['x', 'y'] });
    expect(p.help).toBe(false);
  });

  it('answers --help and --version before checking anything else', () => {
    expect(parseCommandLine(spec, ['--nope', '-h']).help).toBe(true);
    expect(parseCommandLine(spec, ['--version']).version).toBe(true);
  });

  it('names what is wrong, in its own words (no parseArgs text)', () => {
    expect(fails(['--trace', 'a', '--nope'])).toBe('unknown option --nope (see tool run --help)');
    expect(parseCommandLine(spec, ['--nope', '1', '--trace', 'a'], { collect: true }).problems).toHaveLength(1);
    expect(fails(['--trace'])).toBe('--trace needs a value (FILE)');
    expect(fails(['--trace', '--json'])).toBe('--trace needs a value (FILE), got the option --json');
    expect(fails(['--trace', 'a', '--json=1'])).toBe('--json takes no value (got "1")');
    expect(fails(['--trace', 'a', '--trace', 'b'])).toBe('--trace given twice ("a", "b")');
    expect(fails([])).toBe('--trace FILE is required (see tool run --help)');
    expect(fails(['--trace', 'a', 'extra'])).toBe('unexpected argument "extra" (see tool run --help)');
  });

  it('collects every problem when asked', () => {
    const p = parseCommandLine(spec, ['--nope', '--lead-s', '--json=1', 'x'], { collect: true });
    expect(p.problems.map((x) => x.message)).toEqual([
      'unknown option --nope (see tool run --help)',
      '--lead-s needs a value (S), got the option --json=1',
      '--trace FILE is required (see tool run --help)',
      'unexpected argument "x" (see tool run --help)',
    ]);
    expect(p.problems[0]).toMatchObject({ where: '--nope', found: '--nope' });
    expect(p.problems[1]).toMatchObject({ where: '--lead-s', found: '--json=1', allowed: 'a value (S)' });
  });

  it('counts positionals', () => {
    const s: CommandSpec = { ...spec, options: {}, positionals: { name: 'FILE', min: 1, max: 3 } };
    expect(parseCommandLine(s, ['a', 'b']).positionals).toEqual(['a', 'b']);
    expect(fails([], s)).toContain('expected FILE');
    expect(fails(['a', 'b', 'c', 'd'], s)).toContain('at most 3 FILE');
  });

  it('generates the usage from the same table', () => {
    const u = formatCommandUsage(spec);
    expect(u).toMatch(/^usage: tool run --trace FILE \[options\]/);
    for (const s of ['--lead-s S', '(default 45)', '--json', '(required)', '(repeatable)', '-h, --help', '--version'])
      expect(u).toContain(s);
  });

  it('reads the package version', () => {
    expect(packageVersion(import.meta.url)).toMatch(/^\d+\.\d+\.\d+/);
  });
});
