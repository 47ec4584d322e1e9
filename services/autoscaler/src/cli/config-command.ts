import { ValidationError } from '@warmpool/domain';
import { ConfigFileError, loadConfigFile } from '../config/load-config-file.js';
import { configSummary } from '../config/config-summary.js';
import { checkEnvironment, type EnvironmentProbe } from '../config/environment-checks.js';
import type { CommandSpec } from '@warmpool/telemetry';
import { parseCommand } from './parse-flags.js';
import { UsageError } from './usage-error.js';

export const CONFIG_VALIDATE_COMMAND: CommandSpec = {
  name: 'warmpool config validate',
  summary:
    'check warmpool.yaml files as `run` would: every key, then this machine\n' +
    'The file (every key), then what run needs of this machine (tokens, files, folders, servers): OK and a summary per file,\n' +
    'or every problem of every file (exit 2).',
  options: {
    static: {
      type: 'boolean',
      help: "the files only: skip the checks of this machine (a cluster's config checked off the cluster)",
    },
  },
  positionals: { name: 'FILE', min: 1, max: 64 },
};

/**
 * `warmpool config validate FILE [--static]`. First the file (a bad one throws ValidationError / ConfigFileError,
 * which main() prints with exit code 2), then the environment checks `run` needs before acting; failed ones are a
 * ValidationError whose paths say `(environment)`. `--static` stops after the file (a cluster's config checked
 * off the cluster).
 */
export async function configCommand(
  argv: readonly string[],
  out: (s: string) => void,
  env: Readonly<Record<string, string | undefined>> = process.env,
  probe: Omit<EnvironmentProbe, 'env'> = {},
): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'validate')
    throw new UsageError(
      `unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}, allowed: validate (warmpool config validate --help)`,
    );
  const { values, positionals: files } = parseCommand(CONFIG_VALIDATE_COMMAND, rest);
  if (files.length === 1) return validateOne(files[0]!, values.static === true, out, env, probe);
  // Several files: every one is checked; the bad ones are reported together (exit 2), the good ones print OK.
  const failed: string[] = [];
  for (const file of files) {
    try {
      await validateOne(file, values.static === true, out, env, probe);
    } catch (e) {
      if (!(e instanceof ValidationError || e instanceof ConfigFileError)) throw e;
      failed.push(e.message);
    }
  }
  if (failed.length > 0) throw new ConfigFileError(`${failed.length} of ${files.length} files`, failed);
  return 0;
}

async function validateOne(
  file: string,
  staticOnly: boolean,
  out: (s: string) => void,
  env: Readonly<Record<string, string | undefined>>,
  probe: Omit<EnvironmentProbe, 'env'>,
): Promise<number> {
  const config = await loadConfigFile(file, env);
  if (staticOnly) {
    out(`OK ${file} (the file only: environment checks skipped with --static)\n${configSummary(config)}`);
    return 0;
  }
  const checks = await checkEnvironment(config, { ...probe, env });
  const failed = checks.filter((c) => c.status === 'failed');
  if (failed.length > 0) {
    throw new ValidationError(
      failed.map((c) => ({ path: `${c.key} (environment)`, value: c.detail, allowed: c.needs })),
      `${file}: the file is valid, but this machine is not ready to run it`,
    );
  }
  const mark = { ok: 'ok       ', unchecked: 'unchecked', failed: 'FAILED   ' } as const;
  out(
    `OK ${file}\n${configSummary(config)}\n` +
      `environment checks (this machine; what run needs before acting; --static skips them):\n` +
      checks.map((c) => `  ${mark[c.status]} ${c.key}: ${c.detail}`).join('\n'),
  );
  return 0;
}
